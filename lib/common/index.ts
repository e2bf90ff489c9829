// Public API of lib/common: the building blocks the control plane, the self-hosted components and the add-ons share
// (well-known names, scheduling, security contexts, RBAC, L1 workload builders, flag overrides, warnings).
// The flag references and CIS flag rules (flag-reference.ts, cis-flag-checks.ts) are not re-exported here: the
// constructs load them lazily, and lib/verify exports them.
export * from './well-known';
export * from './scheduling';
export * from './security-context';
export * from './rbac';
export * from './workload';
export * from './component-flags';
export * from './annotations';
export * from './validation';
