// Shared helpers with no Kubernetes or PKI knowledge: atomic file writes, tree walks, file stamps, readable
// file-system errors and error reporting.
export * from './errors';
export * from './files';
export * from './fs-errors';
export * from './process';
export type { X509Certificate } from './x509';
