// Command-line flags of the control-plane components, as `name → value` maps (names without `--`). One source of
// truth for both topologies: the static pods use them with kubeadm's paths, the self-hosted control plane with the
// paths of its Secrets. Every flag here exists in the component's reference for the supported versions (tested).
import { EnvVars, Flags } from '../common/component-flags';
import { HostPaths, KubeconfigPaths, PkiPaths } from '../pki/paths';
import { NodeSpec, ResolvedClusterSpec, atLeast, urlHost } from '../spec';

export { EnvVars, Flags, flagValue, renderFlags } from '../common/component-flags';

/** The TLS cipher suites of every serving component, comma-separated: strong ciphers only (CIS 1.2.29 / 4.2.12). */
export const TLS_CIPHER_SUITES = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
].join(',');

/** The controller manager's secure port (HTTPS, bound to 127.0.0.1): health checks and metrics. */
export const CONTROLLER_MANAGER_PORT = 10257;
/** The scheduler's secure port (HTTPS, bound to 127.0.0.1): health checks and metrics. */
export const SCHEDULER_PORT = 10259;
/** etcd's client port (mTLS): the API servers dial it. */
export const ETCD_CLIENT_PORT = 2379;
/** etcd's peer port (mTLS): the members replicate over it. */
export const ETCD_PEER_PORT = 2380;
/** etcd's metrics and health port: plain HTTP on loopback only, for the pod's probes. */
export const ETCD_METRICS_PORT = 2381;

/** Certificate and config paths the API server reads. */
export interface ApiServerPaths {
  /** Cluster CA certificate: client certificates are verified against it, kubelets' serving certificates too. */
  readonly caCert: string;
  /** The API server's serving certificate. */
  readonly tlsCert: string;
  /** Its key. */
  readonly tlsKey: string;
  /** The client certificate the API server presents to kubelets. */
  readonly kubeletClientCert: string;
  /** Its key. */
  readonly kubeletClientKey: string;
  /** etcd CA certificate: etcd's serving certificates are verified against it. */
  readonly etcdCaCert: string;
  /** The client certificate the API server presents to etcd. */
  readonly etcdClientCert: string;
  /** Its key. */
  readonly etcdClientKey: string;
  /** Front-proxy CA certificate: aggregated API servers' requests are verified against it. */
  readonly frontProxyCaCert: string;
  /** The client certificate the API server presents to aggregated API servers. */
  readonly frontProxyClientCert: string;
  /** Its key. */
  readonly frontProxyClientKey: string;
  /** Service-account public key: tokens are verified with it. */
  readonly serviceAccountPub: string;
  /** Service-account private key: tokens are signed with it. */
  readonly serviceAccountKey: string;
  /** Audit policy file; no audit log when undefined. */
  readonly auditPolicy?: string;
  /** Directory of the audit log. */
  readonly auditLogDir?: string;
  /** Structured authentication configuration; plain `--anonymous-auth=false` when undefined. */
  readonly authenticationConfig?: string;
  /** Encryption at rest configuration; none when undefined. */
  readonly encryptionConfig?: string;
}

/** kubeadm's layout for the API server (`/etc/kubernetes/pki/...`, `/etc/kubernetes/apiserver/...`). */
export const KUBEADM_API_SERVER_PATHS: ApiServerPaths = {
  caCert: PkiPaths.caCert,
  tlsCert: PkiPaths.apiServerCert,
  tlsKey: PkiPaths.apiServerKey,
  kubeletClientCert: PkiPaths.apiServerKubeletClientCert,
  kubeletClientKey: PkiPaths.apiServerKubeletClientKey,
  etcdCaCert: PkiPaths.etcdCaCert,
  etcdClientCert: PkiPaths.apiServerEtcdClientCert,
  etcdClientKey: PkiPaths.apiServerEtcdClientKey,
  frontProxyCaCert: PkiPaths.frontProxyCaCert,
  frontProxyClientCert: PkiPaths.frontProxyClientCert,
  frontProxyClientKey: PkiPaths.frontProxyClientKey,
  serviceAccountPub: PkiPaths.serviceAccountPub,
  serviceAccountKey: PkiPaths.serviceAccountKey,
  auditPolicy: HostPaths.auditPolicy,
  auditLogDir: HostPaths.auditLogDir,
  authenticationConfig: HostPaths.authenticationConfig,
  encryptionConfig: HostPaths.encryptionConfig,
};

/** Options for `apiServerFlags()`. */
export interface ApiServerFlagsOptions {
  /** The address the API server advertises to the cluster (a master IP, or `$(POD_IP)` in a DaemonSet). */
  readonly advertiseAddress: string;
  /** etcd client URLs. @default - the local member, `https://127.0.0.1:2379` (stacked etcd, as kubeadm) */
  readonly etcdServers?: string[];
  /** File paths. @default KUBEADM_API_SERVER_PATHS */
  readonly paths?: ApiServerPaths;
}

/** kube-apiserver flags: kubeadm's set plus the CIS Kubernetes Benchmark v1.12 section 1.2 settings. */
export function apiServerFlags(spec: ResolvedClusterSpec, options: ApiServerFlagsOptions): Flags {
  const paths = options.paths ?? KUBEADM_API_SERVER_PATHS;
  const flags: Flags = {
    'advertise-address': options.advertiseAddress,
    'allow-privileged': 'true',
    'authorization-mode': 'Node,RBAC',
    'client-ca-file': paths.caCert,
    'enable-admission-plugins': 'NodeRestriction',
    'enable-bootstrap-token-auth': 'true',
    'etcd-cafile': paths.etcdCaCert,
    'etcd-certfile': paths.etcdClientCert,
    'etcd-keyfile': paths.etcdClientKey,
    'etcd-servers': (options.etcdServers ?? [`https://127.0.0.1:${ETCD_CLIENT_PORT}`]).join(','),
    'kubelet-certificate-authority': paths.caCert,
    'kubelet-client-certificate': paths.kubeletClientCert,
    'kubelet-client-key': paths.kubeletClientKey,
    'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
    profiling: 'false',
    'proxy-client-cert-file': paths.frontProxyClientCert,
    'proxy-client-key-file': paths.frontProxyClientKey,
    'requestheader-allowed-names': 'front-proxy-client',
    'requestheader-client-ca-file': paths.frontProxyCaCert,
    'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
    'requestheader-group-headers': 'X-Remote-Group',
    'requestheader-username-headers': 'X-Remote-User',
    'secure-port': String(spec.apiServerPort),
    // Projected tokens keep their real lifetime instead of being extended to a year (CIS 1.2.30).
    'service-account-extend-token-expiration': 'false',
    'service-account-issuer': `https://kubernetes.default.svc.${spec.networking.clusterDomain}`,
    'service-account-key-file': paths.serviceAccountPub,
    'service-account-lookup': 'true',
    'service-account-signing-key-file': paths.serviceAccountKey,
    'service-cluster-ip-range': spec.networking.serviceCidr,
    'tls-cert-file': paths.tlsCert,
    'tls-cipher-suites': TLS_CIPHER_SUITES,
    'tls-min-version': 'VersionTLS12',
    'tls-private-key-file': paths.tlsKey,
  };
  if (paths.authenticationConfig) {
    // Anonymous requests only for the health endpoints (kubelet probes and load balancer checks carry no
    // credentials); `--anonymous-auth` and an `anonymous` section in the file are mutually exclusive.
    flags['authentication-config'] = paths.authenticationConfig;
  } else {
    flags['anonymous-auth'] = 'false';
  }
  if (paths.auditPolicy && paths.auditLogDir) {
    Object.assign(flags, {
      'audit-log-maxage': '30',
      'audit-log-maxbackup': '10',
      'audit-log-maxsize': '100',
      'audit-log-path': `${paths.auditLogDir}/audit.log`,
      'audit-policy-file': paths.auditPolicy,
    });
  }
  if (paths.encryptionConfig) flags['encryption-provider-config'] = paths.encryptionConfig;
  return flags;
}

/** Paths the controller manager reads. */
export interface ControllerManagerPaths {
  /** Its kubeconfig; empty for in-cluster credentials (its ServiceAccount's token, as the self-hosted pods use). */
  readonly kubeconfig: string;
  /** Cluster CA certificate: client CA, root CA put in ServiceAccount token volumes, and csrsigning's certificate. */
  readonly caCert: string;
  /** CA key for the csrsigning controller (kubelet certificate rotation). */
  readonly caKey: string;
  /** Front-proxy CA certificate (`--requestheader-client-ca-file`). */
  readonly frontProxyCaCert: string;
  /** Service-account private key: tokens of the controllers' ServiceAccounts are signed with it. */
  readonly serviceAccountKey: string;
}

/** kubeadm's layout for the controller manager (`/etc/kubernetes/controller-manager.conf`, `/etc/kubernetes/pki/...`). */
export const KUBEADM_CONTROLLER_MANAGER_PATHS: ControllerManagerPaths = {
  kubeconfig: KubeconfigPaths.controllerManager,
  caCert: PkiPaths.caCert,
  caKey: PkiPaths.caKey,
  frontProxyCaCert: PkiPaths.frontProxyCaCert,
  serviceAccountKey: PkiPaths.serviceAccountKey,
};

/** kube-controller-manager flags: kubeadm's set plus CIS section 1.3. */
export function controllerManagerFlags(
  spec: ResolvedClusterSpec,
  paths: ControllerManagerPaths = KUBEADM_CONTROLLER_MANAGER_PATHS,
): Flags {
  const flags: Flags = {
    'allocate-node-cidrs': 'true',
    ...kubeconfigFlags(paths.kubeconfig),
    'bind-address': '127.0.0.1',
    'client-ca-file': paths.caCert,
    'cluster-cidr': spec.networking.podCidr,
    'cluster-name': spec.name,
    'cluster-signing-cert-file': paths.caCert,
    'cluster-signing-key-file': paths.caKey,
    controllers: '*,bootstrapsigner,tokencleaner',
    'leader-elect': 'true',
    'node-cidr-mask-size': String(spec.networking.nodeCidrMaskSize),
    profiling: 'false',
    'requestheader-client-ca-file': paths.frontProxyCaCert,
    'root-ca-file': paths.caCert,
    'secure-port': String(CONTROLLER_MANAGER_PORT),
    'service-account-private-key-file': paths.serviceAccountKey,
    'service-cluster-ip-range': spec.networking.serviceCidr,
    'terminated-pod-gc-threshold': '12500',
    'tls-cipher-suites': TLS_CIPHER_SUITES,
    'tls-min-version': 'VersionTLS12',
    'use-service-account-credentials': 'true',
  };
  if (spec.cloudProvider === 'external') flags['cloud-provider'] = 'external';
  // Pod network cloud-routes: the OpenStack CCM's route controller adds the Neutron routes for the node CIDRs this
  // controller manager allocates (--allocate-node-cidrs, --cluster-cidr); it must never try to do so itself.
  if (spec.networking.podNetwork === 'cloud-routes') flags['configure-cloud-routes'] = 'false';
  return flags;
}

/**
 * kube-scheduler flags: kubeadm's set plus CIS section 1.4. An empty `kubeconfig` means in-cluster credentials (no
 * kubeconfig flags).
 */
export function schedulerFlags(_spec: ResolvedClusterSpec, kubeconfig: string = KubeconfigPaths.scheduler): Flags {
  return {
    ...kubeconfigFlags(kubeconfig),
    'bind-address': '127.0.0.1',
    'leader-elect': 'true',
    profiling: 'false',
    'secure-port': String(SCHEDULER_PORT),
    'tls-cipher-suites': TLS_CIPHER_SUITES,
    'tls-min-version': 'VersionTLS12',
  };
}

/**
 * `--kubeconfig`, `--authentication-kubeconfig` and `--authorization-kubeconfig` pointing at `kubeconfig`; none for an
 * empty path (in-cluster credentials: the self-hosted pods use their ServiceAccount).
 */
function kubeconfigFlags(kubeconfig: string): Flags {
  return kubeconfig
    ? { 'authentication-kubeconfig': kubeconfig, 'authorization-kubeconfig': kubeconfig, kubeconfig: kubeconfig }
    : {};
}

/** Paths etcd reads. */
export interface EtcdPaths {
  /** The member's data directory. */
  readonly dataDir: string;
  /** etcd CA certificate: client and peer certificates are verified against it. */
  readonly caCert: string;
  /** The member's serving certificate (client port). */
  readonly serverCert: string;
  /** Its key. */
  readonly serverKey: string;
  /** The member's peer certificate (peer port, both directions). */
  readonly peerCert: string;
  /** Its key. */
  readonly peerKey: string;
}

/** kubeadm's layout for etcd (`/var/lib/etcd`, `/etc/kubernetes/pki/etcd/...`). */
export const KUBEADM_ETCD_PATHS: EtcdPaths = {
  dataDir: HostPaths.etcdDataDir,
  caCert: PkiPaths.etcdCaCert,
  serverCert: PkiPaths.etcdServerCert,
  serverKey: PkiPaths.etcdServerKey,
  peerCert: PkiPaths.etcdPeerCert,
  peerKey: PkiPaths.etcdPeerKey,
};

/** The loopback address of `ip`'s family: `::1` for IPv6, `127.0.0.1` otherwise. */
export function loopbackAddress(ip: string): string {
  return ip.includes(':') ? '::1' : '127.0.0.1';
}

/** etcd URL of a member on a port. */
export function etcdUrl(ip: string, port: number, scheme = 'https'): string {
  return `${scheme}://${urlHost(ip)}:${port}`;
}

/** `ETCD_INITIAL_CLUSTER`: every master, `name=https://ip:2380`. */
export function etcdInitialCluster(spec: ResolvedClusterSpec): string {
  return spec.masters.map((master) => `${master.name}=${etcdUrl(master.ip, ETCD_PEER_PORT)}`).join(',');
}

/**
 * etcd settings of one stacked member as `ETCD_*` environment variables. etcd exits when a setting is given both as
 * variable and as flag, so the pod passes no flags at all. mTLS for clients and
 * peers (CIS 2.1-2.6), metrics and health on plain HTTP bound to loopback only.
 */
export function etcdEnvironment(
  spec: ResolvedClusterSpec,
  member: NodeSpec,
  paths: EtcdPaths = KUBEADM_ETCD_PATHS,
): EnvVars {
  const loopback = loopbackAddress(member.ip);
  const env: EnvVars = {
    ETCD_NAME: member.name,
    ETCD_DATA_DIR: paths.dataDir,
    ETCD_INITIAL_CLUSTER: etcdInitialCluster(spec),
    ETCD_INITIAL_CLUSTER_STATE: 'new',
    ETCD_INITIAL_CLUSTER_TOKEN: spec.name,
    ETCD_INITIAL_ADVERTISE_PEER_URLS: etcdUrl(member.ip, ETCD_PEER_PORT),
    ETCD_ADVERTISE_CLIENT_URLS: etcdUrl(member.ip, ETCD_CLIENT_PORT),
    ETCD_LISTEN_PEER_URLS: etcdUrl(member.ip, ETCD_PEER_PORT),
    ETCD_LISTEN_CLIENT_URLS: `${etcdUrl(loopback, ETCD_CLIENT_PORT)},${etcdUrl(member.ip, ETCD_CLIENT_PORT)}`,
    ETCD_LISTEN_METRICS_URLS: etcdUrl(loopback, ETCD_METRICS_PORT, 'http'),
    ETCD_CERT_FILE: paths.serverCert,
    ETCD_KEY_FILE: paths.serverKey,
    ETCD_TRUSTED_CA_FILE: paths.caCert,
    ETCD_CLIENT_CERT_AUTH: 'true',
    ETCD_AUTO_TLS: 'false',
    ETCD_PEER_CERT_FILE: paths.peerCert,
    ETCD_PEER_KEY_FILE: paths.peerKey,
    ETCD_PEER_TRUSTED_CA_FILE: paths.caCert,
    ETCD_PEER_CLIENT_CERT_AUTH: 'true',
    ETCD_PEER_AUTO_TLS: 'false',
    ETCD_SNAPSHOT_COUNT: '10000',
    ETCD_CIPHER_SUITES: TLS_CIPHER_SUITES,
  };
  if (atLeast(spec.etcdVersion, '3.6')) {
    env.ETCD_FEATURE_GATES = 'InitialCorruptCheck=true';
    env.ETCD_WATCH_PROGRESS_NOTIFY_INTERVAL = '5s';
  } else {
    env.ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK = 'true';
    env.ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL = '5s';
  }
  return env;
}
