// Public API of lib/host: what runs on the hosts outside Kubernetes objects — the kubelet (and bootkube) systemd
// units, the checkpointer of self-hosted masters, the API load balancer (OpenStack Octavia, HAProxy + keepalived;
// kube-vip is a static pod, in control-plane) and the cloud-routes pod network (containerd's CNI config template).
export * from './kubelet/kubelet-config';
export * from './kubelet/kubelet-unit';
export * from './kubelet/bootkube-unit';
export { renderCheckpointerUnit } from './checkpointer/checkpointer-unit';
export type { CheckpointerUnitOptions } from './checkpointer/checkpointer-unit';
/** The checkpointer's parts (state machine, store, runner), as one namespace: `checkpointer.decide()`, ... */
export * as checkpointer from './checkpointer';
export * from './lb/haproxy';
export * from './lb/keepalived';
export * from './lb/octavia';
export * from './cni/bridge-cni';
export * from './cni/go-template';
