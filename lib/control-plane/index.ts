// Public API of lib/control-plane (filled in by its issue).
export {};
