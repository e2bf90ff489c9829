export * from './paths';
export * from './catalog';
export * from './cluster-pki';
export * from './kubeconfig';
export * from './status-table';
export * from './groups';
export { PkiError } from './errors';
export type { CertState } from './_engine';
