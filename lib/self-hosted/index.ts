// Public API of lib/self-hosted: the bootkube-style self-hosted control plane.
export * from './tls';
export * from './self-hosted-api-server';
export * from './self-hosted-controller-manager';
export * from './self-hosted-scheduler';
export * from './self-hosted-control-plane';
export * from './bootstrap-control-plane';
