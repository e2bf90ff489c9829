export * from './paths';
export * from './cluster-pki';
export * from './kubeconfig';
export * from './status-table';
export * from './groups';
export { PkiError } from './_engine';
