export * from './paths';
export * from './cluster-pki';
export * from './kubeconfig';
export * from './status-table';
export { writeFilesAtomic } from './write-files';
export type { PkiFile } from './write-files';
export { CLUSTER_ADMINS_GROUP, MASTERS_GROUP, NODES_GROUP } from './_catalog';
export { PkiError } from './_engine';
