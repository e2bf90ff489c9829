export * from './cluster-spec';
export * from './examples';
export * from './load';
export * from './network';
export * from './validate';
export * from './versions';
