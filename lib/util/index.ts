// Shared helpers with no Kubernetes or PKI knowledge: atomic file writes, tree walks, file stamps.
export * from './files';
export type { X509Certificate } from './x509';
