import { KubeletPkiPaths, PkiPaths, MANIFESTS_DIR } from '../../pki/paths';
import { CONTROL_PLANE_TAINT, ClusterSpec, ResolvedClusterSpec, findNode, resolveSpec } from '../../spec';

/** The CRI endpoint of containerd (the only runtime the units are written for). */
export const CONTAINERD_ENDPOINT = 'unix:///run/containerd/containerd.sock';

/**
 * TLS cipher suites the kubelet's server accepts (TLS 1.2; TLS 1.3 suites are not configurable in Go): the
 * "strong cryptographic ciphers" list of CIS Kubernetes Benchmark 4.2.12 (ECDHE with AES-GCM or ChaCha20-Poly1305).
 */
export const KUBELET_TLS_CIPHER_SUITES = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
] as const;

/**
 * Kernel settings `protectKernelDefaults: true` (a CIS benchmark check up to v1.6) requires: with it the kubelet refuses to start when
 * these differ, instead of silently changing them. Install as `/etc/sysctl.d/90-kubelet.conf`.
 */
export const KUBELET_SYSCTLS: Readonly<Record<string, string>> = {
  'vm.overcommit_memory': '1',
  'vm.panic_on_oom': '0',
  'kernel.panic': '10',
  'kernel.panic_on_oops': '1',
};

/** Options for `kubeletConfiguration()`. */
export interface KubeletConfigOptions {
  /**
   * Maximum number of PIDs per pod (CIS 4.2.13).
   * @default 4096
   */
  readonly podPidsLimit?: number;
  /**
   * Maximum number of pods on the node.
   * @default 110
   */
  readonly maxPods?: number;
  /**
   * Where the kubelet's serving certificate comes from. `pki`: the CA-signed pair `hacp kubelet-unit` writes from the
   * PKI state (`/var/lib/kubelet/pki/kubelet.{crt,key}`), valid at once, renewed with `hacp pki renew`. `bootstrap`:
   * `serverTLSBootstrap`, the kubelet asks for one through a CSR and rotates it, but every CSR must be approved
   * (there is no approver by default) and until then `kubectl logs/exec` to the node fail, since the API servers
   * verify kubelets against the cluster CA (`--kubelet-certificate-authority`).
   * @default pki
   */
  readonly servingCertificate?: 'pki' | 'bootstrap';
}

/**
 * The `KubeletConfiguration` (kubelet.config.k8s.io/v1beta1) of one node, as a plain object. Every field is a field
 * of v1beta1 (v1.33 to v1.36) and secure: anonymous auth off, webhook authentication and authorization, the
 * read-only port off, client certificate rotation, a CA-signed serving certificate (from the PKI, or through
 * `serverTLSBootstrap`), strong ciphers only. Masters register with the control-plane taint.
 */
export function kubeletConfiguration(
  cluster: ClusterSpec | ResolvedClusterSpec,
  nodeName: string,
  options: KubeletConfigOptions = {},
): Record<string, unknown> {
  const spec = resolveSpec(cluster);
  const { node, role } = findNode(spec, nodeName);
  const podPidsLimit = options.podPidsLimit ?? 4096;
  if (!Number.isInteger(podPidsLimit) || podPidsLimit < 1024)
    throw new Error(`podPidsLimit: ${podPidsLimit} must be an integer >= 1024`);
  const maxPods = options.maxPods ?? 110;
  if (!Number.isInteger(maxPods) || maxPods < 1) throw new Error(`maxPods: ${maxPods} must be a positive integer`);
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // Serve the kubelet API on the node's own address only (the API server reaches it through the node's InternalIP).
    address: node.ip,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    staticPodPath: MANIFESTS_DIR,
    containerRuntimeEndpoint: CONTAINERD_ENDPOINT,
    cgroupDriver: 'systemd',
    clusterDNS: [spec.dnsServiceIp],
    clusterDomain: spec.networking.clusterDomain,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true, cacheTTL: '2m0s' },
      x509: { clientCAFile: PkiPaths.caCert },
    },
    authorization: {
      mode: 'Webhook',
      webhook: { cacheAuthorizedTTL: '5m0s', cacheUnauthorizedTTL: '30s' },
    },
    rotateCertificates: true,
    ...(options.servingCertificate === 'bootstrap'
      ? { serverTLSBootstrap: true }
      : { tlsCertFile: KubeletPkiPaths.servingCert, tlsPrivateKeyFile: KubeletPkiPaths.servingKey }),
    tlsMinVersion: 'VersionTLS12',
    tlsCipherSuites: [...KUBELET_TLS_CIPHER_SUITES],
    protectKernelDefaults: true,
    makeIPTablesUtilChains: true,
    eventRecordQPS: 50,
    streamingConnectionIdleTimeout: '4h0m0s',
    podPidsLimit,
    maxPods,
    seccompDefault: true,
    failSwapOn: true,
    shutdownGracePeriod: '45s',
    shutdownGracePeriodCriticalPods: '15s',
    registerNode: true,
    ...(role === 'master' ? { registerWithTaints: [{ ...CONTROL_PLANE_TAINT }] } : {}),
  };
}

/** The node's `KubeletConfiguration` as YAML, for `/var/lib/kubelet/config.yaml`. */
export function renderKubeletConfig(
  cluster: ClusterSpec | ResolvedClusterSpec,
  nodeName: string,
  options: KubeletConfigOptions = {},
): string {
  // YAML through cdk8s's bundled copy (the same library and options as the manifests), loaded only here:
  // kubeletConfiguration() alone (the verify checks' node model) must not pay for loading cdk8s.
  const { Yaml } = require('cdk8s') as typeof import('cdk8s');
  const spec = resolveSpec(cluster);
  const header = `# KubeletConfiguration for ${nodeName} (cluster ${spec.name}, Kubernetes ${spec.kubernetesVersion}). Generated by hacp.\n`;
  return header + Yaml.stringify(kubeletConfiguration(spec, nodeName, options));
}

/** The sysctl file `protectKernelDefaults` needs (`/etc/sysctl.d/90-kubelet.conf`). */
export function renderKubeletSysctl(): string {
  return (
    '# Kernel settings the kubelet checks (protectKernelDefaults: true). Generated by hacp.\n' +
    Object.entries(KUBELET_SYSCTLS)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n') +
    '\n'
  );
}
