// Public API of lib/host (filled in by its issue).
export {};
