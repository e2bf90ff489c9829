// Host paths of every certificate, key and kubeconfig, in kubeadm's layout. The control-plane pods reference these
// paths; the PKI writes its files at the same paths relative to `/etc/kubernetes` (see `hostPathToAssetPath`).

/** The Kubernetes configuration directory on every host (kubeadm's): kubeconfigs, `pki/`, `manifests/`. */
export const KUBERNETES_DIR = '/etc/kubernetes';
/** Certificates and keys (kubeadm's `certificatesDir`). */
export const PKI_DIR = `${KUBERNETES_DIR}/pki`;
/** etcd's certificates and keys. */
export const ETCD_PKI_DIR = `${PKI_DIR}/etcd`;
/** Static pod manifests (the kubelet's `staticPodPath`). */
export const MANIFESTS_DIR = `${KUBERNETES_DIR}/manifests`;

/** Certificate and key paths (`/etc/kubernetes/pki/...`). */
export const PkiPaths = {
  /** Cluster CA certificate. */
  caCert: `${PKI_DIR}/ca.crt`,
  /** Cluster CA key (csrsigning in the controller manager). */
  caKey: `${PKI_DIR}/ca.key`,
  /** API server serving certificate. */
  apiServerCert: `${PKI_DIR}/apiserver.crt`,
  /** Its key. */
  apiServerKey: `${PKI_DIR}/apiserver.key`,
  /** API server's client certificate towards the kubelets. */
  apiServerKubeletClientCert: `${PKI_DIR}/apiserver-kubelet-client.crt`,
  /** Its key. */
  apiServerKubeletClientKey: `${PKI_DIR}/apiserver-kubelet-client.key`,
  /** API server's client certificate towards etcd. */
  apiServerEtcdClientCert: `${PKI_DIR}/apiserver-etcd-client.crt`,
  /** Its key. */
  apiServerEtcdClientKey: `${PKI_DIR}/apiserver-etcd-client.key`,
  /** Front-proxy (aggregation layer) CA certificate. */
  frontProxyCaCert: `${PKI_DIR}/front-proxy-ca.crt`,
  /** Its key (never on a host: see docs/pki.md). */
  frontProxyCaKey: `${PKI_DIR}/front-proxy-ca.key`,
  /** Front-proxy client certificate. */
  frontProxyClientCert: `${PKI_DIR}/front-proxy-client.crt`,
  /** Its key. */
  frontProxyClientKey: `${PKI_DIR}/front-proxy-client.key`,
  /** Service-account token signing key. */
  serviceAccountKey: `${PKI_DIR}/sa.key`,
  /** Its public key. */
  serviceAccountPub: `${PKI_DIR}/sa.pub`,
  /** etcd CA certificate. */
  etcdCaCert: `${ETCD_PKI_DIR}/ca.crt`,
  /** Its key (never on a host: see docs/pki.md). */
  etcdCaKey: `${ETCD_PKI_DIR}/ca.key`,
  /** etcd serving certificate. */
  etcdServerCert: `${ETCD_PKI_DIR}/server.crt`,
  /** Its key. */
  etcdServerKey: `${ETCD_PKI_DIR}/server.key`,
  /** etcd peer certificate. */
  etcdPeerCert: `${ETCD_PKI_DIR}/peer.crt`,
  /** Its key. */
  etcdPeerKey: `${ETCD_PKI_DIR}/peer.key`,
  /** etcd health-check client certificate (the etcd pod's probes). */
  etcdHealthcheckClientCert: `${ETCD_PKI_DIR}/healthcheck-client.crt`,
  /** Its key. */
  etcdHealthcheckClientKey: `${ETCD_PKI_DIR}/healthcheck-client.key`,
} as const;

/** Kubeconfig paths (`/etc/kubernetes/*.conf`). */
export const KubeconfigPaths = {
  /** The everyday admin kubeconfig (group kubeadm:cluster-admins). */
  admin: `${KUBERNETES_DIR}/admin.conf`,
  /** The break-glass kubeconfig (system:masters), first master only. */
  superAdmin: `${KUBERNETES_DIR}/super-admin.conf`,
  /** The controller manager's kubeconfig (its own master's API server). */
  controllerManager: `${KUBERNETES_DIR}/controller-manager.conf`,
  /** The scheduler's kubeconfig (its own master's API server). */
  scheduler: `${KUBERNETES_DIR}/scheduler.conf`,
  /** The kubelet's kubeconfig (names its rotating client pair by path). */
  kubelet: `${KUBERNETES_DIR}/kubelet.conf`,
  /** kube-vip's own identity (`loadBalancer.type: kube-vip`): user `hacp:kube-vip`, its master's own API server. */
  kubeVip: `${KUBERNETES_DIR}/kube-vip.conf`,
} as const;

/** Other host files the control plane reads or writes. */
export const HostPaths = {
  /** Configuration files the API server reads (audit policy, authentication and encryption configuration). */
  apiServerConfigDir: `${KUBERNETES_DIR}/apiserver`,
  /** The API server's audit policy. */
  auditPolicy: `${KUBERNETES_DIR}/apiserver/audit-policy.yaml`,
  /** The API server's authentication configuration. */
  authenticationConfig: `${KUBERNETES_DIR}/apiserver/authentication-config.yaml`,
  /** The API server's encryption-at-rest configuration (holds the key: 0600). */
  encryptionConfig: `${KUBERNETES_DIR}/apiserver/encryption-config.yaml`,
  /** Where the API server writes its audit log. */
  auditLogDir: '/var/log/kubernetes/audit',
  /** etcd's data directory. */
  etcdDataDir: '/var/lib/etcd',
  /** The kubelet's KubeletConfiguration. */
  kubeletConfig: '/var/lib/kubelet/config.yaml',
  /** The kubelet's certificate directory (`--cert-dir`). */
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
  /** The kubelet's client certificate (kubelet.conf names it). */
  clientCert: `${HostPaths.kubeletPkiDir}/kubelet-client.crt`,
  /** Its key. */
  clientKey: `${HostPaths.kubeletPkiDir}/kubelet-client.key`,
  /** The kubelet's CA-signed serving certificate. */
  servingCert: `${HostPaths.kubeletPkiDir}/kubelet.crt`,
  /** Its key. */
  servingKey: `${HostPaths.kubeletPkiDir}/kubelet.key`,
} as const;
