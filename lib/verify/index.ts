// Public API of lib/verify: offline checks of a synthesized tree (schema, flags, CIS, consistency).
export * from './finding';
export * from './schema';
export * from './flags';
