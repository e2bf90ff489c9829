// Public API of lib/self-hosted (filled in by its issue).
export {};
