// Public API of lib/addons: one construct per cluster add-on.
export * from './images';
export * from './flannel';
export * from './kube-proxy';
export * from './pod-checkpointer';
export * from './dns';
export * from './metrics-server';
export * from './heapster';
export * from './dashboard';
export * from './kube-system-admin-binding';
export * from './app-namespace';
export * from './openstack-cloud-controller-manager';
