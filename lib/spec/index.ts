export * from './cluster-spec';
export * from './examples';
export * from './load';
export * from './network';
export * from './node-roles';
export * from './nodes';
export * from './validate';
export * from './versions';
