export * from './cluster-spec';
export * from './examples';
export * from './image-reference';
export * from './load';
export * from './network';
export * from './openstack-credential';
export * from './validate';
export * from './versions';
export { NotARegularFileError } from './_files';
