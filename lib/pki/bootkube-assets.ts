// The bootkube asset layout: pure data, so that the self-hosted constructs can name their Secret keys without
// loading the PKI code.

/** PEM strings for the self-hosted (bootkube) control plane's Secrets and `bootkube start`. */
export interface BootkubeTlsAssets {
  /** Cluster CA certificate. */
  readonly caCrt: string;
  /** The cluster CA key: only because the self-hosted controller manager's Secret needs it (csrsigning). */
  readonly caKey: string;
  /** The API server's serving certificate (one for every master: the DaemonSet runs the same pod everywhere). */
  readonly apiserverCrt: string;
  /** Its key. */
  readonly apiserverKey: string;
  /** Service-account token signing key. */
  readonly serviceAccountKey: string;
  /** Its public key (PKIX PEM). */
  readonly serviceAccountPub: string;
  /** The etcd CA certificate. */
  readonly etcdClientCaCrt: string;
  /** The API server's etcd client certificate (`kube-apiserver-etcd-client`). */
  readonly etcdClientCrt: string;
  /** Its key. */
  readonly etcdClientKey: string;
  /** Kubelet client identity of the first master (where `bootkube start` runs): `system:node:<master>`. */
  readonly kubeletCrt: string;
  /** Its key. */
  readonly kubeletKey: string;
  /** The front-proxy (aggregation layer) CA certificate. */
  readonly frontProxyCaCrt: string;
  /** The front-proxy client certificate. */
  readonly frontProxyClientCrt: string;
  /** Its key. */
  readonly frontProxyClientKey: string;
  /** The API server's client identity towards kubelets (`kube-apiserver-kubelet-client`, no group). */
  readonly apiserverKubeletClientCrt: string;
  /** Its key. */
  readonly apiserverKubeletClientKey: string;
  /** `auth/admin.conf`: the admin identity (group `kubeadm:cluster-admins`), server = the API endpoint. */
  readonly kubeconfig: string;
  /** `auth/kubeconfig`: break-glass kubeconfig (`system:masters`), needed to create the cluster-admins binding itself. */
  readonly superAdminKubeconfig: string;
}

/**
 * The bootkube asset layout (`bootkube start --asset-dir`): where each asset goes, in bootkube's order. `tls/` is
 * what `bootkube start` copies for the bootstrap control plane; its file names are also the keys of the
 * self-hosted Secrets (`BOOTKUBE_TLS_FILES`).
 */
export const BOOTKUBE_ASSET_PATHS: { readonly [K in keyof BootkubeTlsAssets]: string } = {
  caCrt: 'tls/ca.crt',
  caKey: 'tls/ca.key',
  apiserverCrt: 'tls/apiserver.crt',
  apiserverKey: 'tls/apiserver.key',
  serviceAccountKey: 'tls/service-account.key',
  serviceAccountPub: 'tls/service-account.pub',
  etcdClientCaCrt: 'tls/etcd-client-ca.crt',
  etcdClientCrt: 'tls/etcd-client.crt',
  etcdClientKey: 'tls/etcd-client.key',
  kubeletCrt: 'tls/kubelet.crt',
  kubeletKey: 'tls/kubelet.key',
  frontProxyCaCrt: 'tls/front-proxy-ca.crt',
  frontProxyClientCrt: 'tls/front-proxy-client.crt',
  frontProxyClientKey: 'tls/front-proxy-client.key',
  apiserverKubeletClientCrt: 'tls/apiserver-kubelet-client.crt',
  apiserverKubeletClientKey: 'tls/apiserver-kubelet-client.key',
  superAdminKubeconfig: 'auth/kubeconfig',
  kubeconfig: 'auth/admin.conf',
};

/** The assets that go to bootkube's `tls/` directory (the others are kubeconfigs in `auth/`). */
export type BootkubeTlsFile = Exclude<keyof BootkubeTlsAssets, 'kubeconfig' | 'superAdminKubeconfig'>;

/**
 * File names in bootkube's `tls/` directory, by asset (`caCrt` → `ca.crt`): also the keys of the self-hosted control
 * plane's Secrets. Each field is documented with the asset it names.
 */
export const BOOTKUBE_TLS_FILES = Object.freeze(Object.fromEntries(Object.entries(BOOTKUBE_ASSET_PATHS)
  .filter(([, assetPath]) => assetPath.startsWith('tls/'))
  .map(([asset, assetPath]) => [asset, assetPath.slice('tls/'.length)]))) as { readonly [K in keyof Pick<BootkubeTlsAssets, BootkubeTlsFile>]: string };
