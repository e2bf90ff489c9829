/**
 * Host paths of every certificate, key and kubeconfig, in kubeadm's layout. The control-plane pods reference these
 * paths; the PKI writes its files at the same paths relative to `/etc/kubernetes` (see `hostPathToAssetPath`).
 */
export const KUBERNETES_DIR = '/etc/kubernetes';
export const PKI_DIR = `${KUBERNETES_DIR}/pki`;
export const ETCD_PKI_DIR = `${PKI_DIR}/etcd`;
export const MANIFESTS_DIR = `${KUBERNETES_DIR}/manifests`;

/** Certificate and key paths (`/etc/kubernetes/pki/...`). */
export const PkiPaths = {
  caCert: `${PKI_DIR}/ca.crt`,
  caKey: `${PKI_DIR}/ca.key`,
  apiServerCert: `${PKI_DIR}/apiserver.crt`,
  apiServerKey: `${PKI_DIR}/apiserver.key`,
  apiServerKubeletClientCert: `${PKI_DIR}/apiserver-kubelet-client.crt`,
  apiServerKubeletClientKey: `${PKI_DIR}/apiserver-kubelet-client.key`,
  apiServerEtcdClientCert: `${PKI_DIR}/apiserver-etcd-client.crt`,
  apiServerEtcdClientKey: `${PKI_DIR}/apiserver-etcd-client.key`,
  frontProxyCaCert: `${PKI_DIR}/front-proxy-ca.crt`,
  frontProxyCaKey: `${PKI_DIR}/front-proxy-ca.key`,
  frontProxyClientCert: `${PKI_DIR}/front-proxy-client.crt`,
  frontProxyClientKey: `${PKI_DIR}/front-proxy-client.key`,
  serviceAccountKey: `${PKI_DIR}/sa.key`,
  serviceAccountPub: `${PKI_DIR}/sa.pub`,
  etcdCaCert: `${ETCD_PKI_DIR}/ca.crt`,
  etcdCaKey: `${ETCD_PKI_DIR}/ca.key`,
  etcdServerCert: `${ETCD_PKI_DIR}/server.crt`,
  etcdServerKey: `${ETCD_PKI_DIR}/server.key`,
  etcdPeerCert: `${ETCD_PKI_DIR}/peer.crt`,
  etcdPeerKey: `${ETCD_PKI_DIR}/peer.key`,
  etcdHealthcheckClientCert: `${ETCD_PKI_DIR}/healthcheck-client.crt`,
  etcdHealthcheckClientKey: `${ETCD_PKI_DIR}/healthcheck-client.key`,
} as const;

/** Kubeconfig paths (`/etc/kubernetes/*.conf`). */
export const KubeconfigPaths = {
  admin: `${KUBERNETES_DIR}/admin.conf`,
  superAdmin: `${KUBERNETES_DIR}/super-admin.conf`,
  controllerManager: `${KUBERNETES_DIR}/controller-manager.conf`,
  scheduler: `${KUBERNETES_DIR}/scheduler.conf`,
  kubelet: `${KUBERNETES_DIR}/kubelet.conf`,
  /** kube-vip's own identity (`loadBalancer.type: kube-vip`): user `hacp:kube-vip`, its master's own API server. */
  kubeVip: `${KUBERNETES_DIR}/kube-vip.conf`,
} as const;

/** Other host files the control plane reads or writes. */
export const HostPaths = {
  /** Configuration files the API server reads (audit policy, authentication and encryption configuration). */
  apiServerConfigDir: `${KUBERNETES_DIR}/apiserver`,
  auditPolicy: `${KUBERNETES_DIR}/apiserver/audit-policy.yaml`,
  authenticationConfig: `${KUBERNETES_DIR}/apiserver/authentication-config.yaml`,
  encryptionConfig: `${KUBERNETES_DIR}/apiserver/encryption-config.yaml`,
  auditLogDir: '/var/log/kubernetes/audit',
  etcdDataDir: '/var/lib/etcd',
  kubeletConfig: '/var/lib/kubelet/config.yaml',
  kubeletPkiDir: '/var/lib/kubelet/pki',
} as const;

/**
 * Where a host path under `/etc/kubernetes` lives in a master's synthesized folder `dist/static-pods/<master>/`:
 * the folder mirrors `/etc/kubernetes`, except that the static pod manifests sit at its top level (they go to
 * `/etc/kubernetes/manifests`). Returns undefined for paths outside `/etc/kubernetes`.
 */
export function hostPathToAssetPath(hostPath: string): string | undefined {
  if (hostPath === KUBERNETES_DIR) return '.';
  if (!hostPath.startsWith(`${KUBERNETES_DIR}/`)) return undefined;
  const rel = hostPath.slice(KUBERNETES_DIR.length + 1);
  return rel.startsWith('manifests/') ? rel.slice('manifests/'.length) : rel;
}

/**
 * The kubelet's own certificates, in its certificate directory (`--cert-dir`, default `/var/lib/kubelet/pki`). The
 * kubelet finds both pairs there without extra flags: `kubelet.crt/.key` is the serving pair it would otherwise
 * self-sign, `kubelet-client.crt/.key` the legacy initial client pair its certificate store falls back to.
 */
export const KubeletPkiPaths = {
  clientCert: `${HostPaths.kubeletPkiDir}/kubelet-client.crt`,
  clientKey: `${HostPaths.kubeletPkiDir}/kubelet-client.key`,
  servingCert: `${HostPaths.kubeletPkiDir}/kubelet.crt`,
  servingKey: `${HostPaths.kubeletPkiDir}/kubelet.key`,
} as const;
