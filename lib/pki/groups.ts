/**
 * The Kubernetes groups and user names the PKI puts in client certificates, and the RBAC bindings refer to. Pure
 * data, so that the constructs can import it without loading the PKI code (node-forge).
 */

/** Group bound to ClusterRole cluster-admin by a ClusterRoleBinding (admin.conf's group; kubeadm's name). */
export const CLUSTER_ADMINS_GROUP = 'kubeadm:cluster-admins';
/** The group every kubelet identity is in. */
export const NODES_GROUP = 'system:nodes';
/** The break-glass group RBAC never checks: only super-admin.conf carries it. */
export const MASTERS_GROUP = 'system:masters';

/**
 * The user of kube-vip's client certificate (`/etc/kubernetes/kube-vip.conf` on every master with
 * `loadBalancer.type: kube-vip`). No group: RBAC grants it only what a RoleBinding names (its leader-election Lease).
 */
export const KUBE_VIP_USER = 'hacp:kube-vip';
