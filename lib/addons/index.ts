// Public API of lib/addons (filled in by its issue).
export {};
