// Public API of cdk8s-ha-control-plane. Folders follow the architecture:
// spec -> pki -> control-plane pods -> self-hosted / add-ons -> host (kubelet, load balancer) -> verify.
export * from './spec';
export * from './pki';
export * from './control-plane';
export * from './self-hosted';
export * from './addons';
export * from './host';
export * from './verify';
export * from './bring-up';
export * from './static-pods-tree';
export * from './testing';
