// The package root (`cdk8s-ha-control-plane`): the cluster spec and the constructs. Tooling that needs more (the
// PKI and its state, the host files and the load balancer drivers, verify, the test helpers) is behind subpath
// entry points (`/pki`, `/host`, `/verify`, `/testing`, `/util`), so that a chart that only builds objects loads
// neither node-forge, ajv, commander nor the OpenStack driver. Folders follow the flow:
// spec -> common (shared building blocks) -> pki -> control-plane pods -> self-hosted / add-ons -> host (kubelet, load balancer) -> verify -> cli.
export * from './spec';
export * from './common';
export * from './control-plane';
export * from './self-hosted';
export * from './addons';
export * from './synth/static-pods-tree';
