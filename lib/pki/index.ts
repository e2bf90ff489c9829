export * from './paths';
export * from './catalog';
export * from './cluster-pki';
export * from './kubeconfig';
export * from './status-table';
export { writeFilesAtomic } from './write-files';
export type { PkiFile } from './write-files';
export { PkiError } from './_engine';
export type { CertState } from './_engine';
