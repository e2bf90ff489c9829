// Public API of lib/verify (filled in by its issue).
export {};
