// Public API of lib/verify: offline checks of a synthesized tree (schema, flags, CIS, consistency).
export * from './finding';
export * from './schema';
export * from './flags';
export * from './tree';
export * from './cis';
export * from './consistency';
export * from './verify';
export * from './cdk8s-plugin';
export * from './spec-resolver';
