/**
 * The CIS Kubernetes Benchmark v1.12 checks that can be decided from the files of a synthesized tree (ids and titles
 * as in the benchmark, cross-checked with kube-bench's cis-1.12 config). "Automated" checks fail with an error,
 * "Manual" ones with a warning. Ownership checks (1.1.2, 1.1.4, ...) and checks of the running host are not decidable
 * from files and are left out.
 */
import * as path from 'path';
import { ComponentContainer, assetPathFor, etcdSetting, hostPathOf } from './_workloads';
import { Finding, Severity } from './finding';
import { describeObject } from './schema';
import { AssetFile, AssetTree, fileAt, objectsOf } from './tree';

/** One CIS check this tool decides. */
export interface CisCheck {
  readonly id: string;
  readonly title: string;
  /** `error` for the benchmark's Automated checks, `warning` for Manual ones. */
  readonly severity: Severity;
  /** How the check is decided from the tree. */
  readonly how: string;
}

const A: Severity = 'error';
const M: Severity = 'warning';

/** Every CIS check `hacp verify` decides (docs/verify.md has the same table). */
export const CIS_CHECKS: readonly CisCheck[] = [
  { id: '1.1.1', title: 'API server pod specification file permissions are 600 or more restrictive', severity: A, how: 'mode of the kube-apiserver static pod file' },
  { id: '1.1.3', title: 'Controller manager pod specification file permissions are 600 or more restrictive', severity: A, how: 'mode of the kube-controller-manager static pod file' },
  { id: '1.1.5', title: 'Scheduler pod specification file permissions are 600 or more restrictive', severity: A, how: 'mode of the kube-scheduler static pod file' },
  { id: '1.1.7', title: 'etcd pod specification file permissions are 600 or more restrictive', severity: A, how: 'mode of the etcd static pod file' },
  { id: '1.1.13', title: 'Default administrative credential file permissions are 600', severity: A, how: 'mode of admin.conf, super-admin.conf, bootkube auth/kubeconfig' },
  { id: '1.1.15', title: 'scheduler.conf file permissions are 600 or more restrictive', severity: A, how: 'mode of scheduler.conf' },
  { id: '1.1.17', title: 'controller-manager.conf file permissions are 600 or more restrictive', severity: A, how: 'mode of controller-manager.conf' },
  { id: '1.1.20', title: 'Kubernetes PKI certificate file permissions are 644 or more restrictive', severity: M, how: 'mode of every *.crt in the tree' },
  { id: '1.1.21', title: 'Kubernetes PKI key file permissions are 600', severity: M, how: 'mode of every *.key in the tree' },
  { id: '1.2.1', title: '--anonymous-auth is set to false', severity: M, how: 'flag, or the --authentication-config file: anonymous off or limited to /livez, /readyz, /healthz' },
  { id: '1.2.2', title: '--token-auth-file is not set', severity: A, how: 'flag' },
  { id: '1.2.3', title: 'DenyServiceExternalIPs admission plugin is set', severity: M, how: '--enable-admission-plugins' },
  { id: '1.2.4', title: '--kubelet-client-certificate and --kubelet-client-key are set', severity: A, how: 'flags' },
  { id: '1.2.5', title: '--kubelet-certificate-authority is set', severity: A, how: 'flag' },
  { id: '1.2.6', title: '--authorization-mode is not AlwaysAllow', severity: A, how: 'flag, or the --authorization-config file' },
  { id: '1.2.7', title: '--authorization-mode includes Node', severity: A, how: 'flag, or the --authorization-config file' },
  { id: '1.2.8', title: '--authorization-mode includes RBAC', severity: A, how: 'flag, or the --authorization-config file' },
  { id: '1.2.9', title: 'EventRateLimit admission plugin is set', severity: M, how: '--enable-admission-plugins' },
  { id: '1.2.10', title: 'AlwaysAdmit admission plugin is not set', severity: A, how: '--enable-admission-plugins' },
  { id: '1.2.11', title: 'AlwaysPullImages admission plugin is set', severity: M, how: '--enable-admission-plugins' },
  { id: '1.2.12', title: 'ServiceAccount admission plugin is set', severity: A, how: 'not in --disable-admission-plugins' },
  { id: '1.2.13', title: 'NamespaceLifecycle admission plugin is set', severity: A, how: 'not in --disable-admission-plugins' },
  { id: '1.2.14', title: 'NodeRestriction admission plugin is set', severity: A, how: '--enable-admission-plugins' },
  { id: '1.2.15', title: '--profiling is set to false', severity: A, how: 'flag' },
  { id: '1.2.16', title: '--audit-log-path is set', severity: A, how: 'flag' },
  { id: '1.2.17', title: '--audit-log-maxage is 30 or as appropriate', severity: A, how: 'flag >= 30' },
  { id: '1.2.18', title: '--audit-log-maxbackup is 10 or as appropriate', severity: A, how: 'flag >= 10' },
  { id: '1.2.19', title: '--audit-log-maxsize is 100 or as appropriate', severity: A, how: 'flag >= 100' },
  { id: '1.2.21', title: '--service-account-lookup is true', severity: A, how: 'flag unset or true' },
  { id: '1.2.22', title: '--service-account-key-file is set', severity: A, how: 'flag' },
  { id: '1.2.23', title: '--etcd-certfile and --etcd-keyfile are set', severity: A, how: 'flags' },
  { id: '1.2.24', title: '--tls-cert-file and --tls-private-key-file are set', severity: A, how: 'flags' },
  { id: '1.2.25', title: '--client-ca-file is set', severity: A, how: 'flag' },
  { id: '1.2.26', title: '--etcd-cafile is set', severity: A, how: 'flag' },
  { id: '1.2.27', title: '--encryption-provider-config is set', severity: M, how: 'flag' },
  { id: '1.2.28', title: 'Encryption providers are appropriately configured', severity: M, how: 'first provider of each resource in the encryption config file is aescbc, kms or secretbox' },
  { id: '1.2.29', title: 'API server only uses strong cryptographic ciphers', severity: M, how: '--tls-cipher-suites set and within the benchmark list' },
  { id: '1.2.30', title: '--service-account-extend-token-expiration is false', severity: A, how: 'flag' },
  { id: '1.3.1', title: '--terminated-pod-gc-threshold is set', severity: M, how: 'flag' },
  { id: '1.3.2', title: 'controller manager --profiling is false', severity: A, how: 'flag' },
  { id: '1.3.3', title: '--use-service-account-credentials is true', severity: A, how: 'flag' },
  { id: '1.3.4', title: '--service-account-private-key-file is set', severity: A, how: 'flag' },
  { id: '1.3.5', title: '--root-ca-file is set', severity: A, how: 'flag' },
  { id: '1.3.6', title: 'RotateKubeletServerCertificate is not disabled', severity: A, how: '--feature-gates' },
  { id: '1.3.7', title: 'controller manager --bind-address is 127.0.0.1', severity: A, how: 'flag unset or 127.0.0.1' },
  { id: '1.4.1', title: 'scheduler --profiling is false', severity: A, how: 'flag' },
  { id: '1.4.2', title: 'scheduler --bind-address is 127.0.0.1', severity: A, how: 'flag unset or 127.0.0.1' },
  { id: '2.1', title: 'etcd --cert-file and --key-file are set', severity: A, how: 'flag or ETCD_* variable' },
  { id: '2.2', title: 'etcd --client-cert-auth is true', severity: A, how: 'flag or ETCD_* variable' },
  { id: '2.3', title: 'etcd --auto-tls is not true', severity: A, how: 'flag or ETCD_* variable' },
  { id: '2.4', title: 'etcd --peer-cert-file and --peer-key-file are set', severity: A, how: 'flag or ETCD_* variable' },
  { id: '2.5', title: 'etcd --peer-client-cert-auth is true', severity: A, how: 'flag or ETCD_* variable' },
  { id: '2.6', title: 'etcd --peer-auto-tls is not true', severity: A, how: 'flag or ETCD_* variable' },
  { id: '2.7', title: 'A unique certificate authority is used for etcd', severity: M, how: 'etcd --trusted-ca-file differs from the API server --client-ca-file (path and content)' },
  { id: '4.2.1', title: 'kubelet anonymous auth is disabled', severity: A, how: 'KubeletConfiguration authentication.anonymous.enabled' },
  { id: '4.2.2', title: 'kubelet authorization mode is not AlwaysAllow', severity: A, how: 'KubeletConfiguration authorization.mode' },
  { id: '4.2.3', title: 'kubelet client CA file is set', severity: A, how: 'KubeletConfiguration authentication.x509.clientCAFile' },
  { id: '4.2.4', title: 'kubelet read-only port is 0', severity: M, how: 'KubeletConfiguration readOnlyPort' },
  { id: '4.2.5', title: 'kubelet streaming connection idle timeout is not 0', severity: M, how: 'KubeletConfiguration streamingConnectionIdleTimeout' },
  { id: '4.2.6', title: 'kubelet makeIPTablesUtilChains is true', severity: A, how: 'KubeletConfiguration makeIPTablesUtilChains' },
  { id: '4.2.8', title: 'kubelet eventRecordQPS is set appropriately', severity: M, how: 'KubeletConfiguration eventRecordQPS is not 0 (unlimited)' },
  { id: '4.2.9', title: 'kubelet TLS certificate and key are set', severity: M, how: 'tlsCertFile and tlsPrivateKeyFile, or serverTLSBootstrap' },
  { id: '4.2.10', title: 'kubelet rotateCertificates is not false', severity: A, how: 'KubeletConfiguration rotateCertificates' },
  { id: '4.2.11', title: 'kubelet RotateKubeletServerCertificate is not disabled', severity: M, how: 'KubeletConfiguration featureGates' },
  { id: '4.2.12', title: 'kubelet only uses strong cryptographic ciphers', severity: M, how: 'KubeletConfiguration tlsCipherSuites within the benchmark list' },
  { id: '4.2.13', title: 'A limit is set on pod PIDs', severity: M, how: 'KubeletConfiguration podPidsLimit' },
  { id: '4.2.14', title: 'kubelet seccompDefault is true', severity: M, how: 'KubeletConfiguration seccompDefault' },
  { id: '4.3.1', title: 'kube-proxy metrics service is bound to localhost', severity: A, how: '--metrics-bind-address flag or KubeProxyConfiguration metricsBindAddress' },
];

const BY_ID = new Map(CIS_CHECKS.map((c) => [c.id, c]));

/** Strong ciphers of CIS 1.2.29 (API server). */
const STRONG_CIPHERS_APISERVER = new Set([
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
]);
/** Strong ciphers of CIS 4.2.12 (kubelet); the `_SHA256` spellings are the same suites. */
const STRONG_CIPHERS_KUBELET = new Set([
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
]);
const HEALTH_PATHS = new Set(['/livez', '/readyz', '/healthz']);

class Collector {
  readonly findings: Finding[] = [];
  fail(id: string, file: string, message: string, severity?: Finding['severity']): void {
    const check = BY_ID.get(id);
    if (!check) throw new Error(`unknown CIS id ${id}`);
    this.findings.push({ severity: severity ?? check.severity, check: 'security', id, file, message: `CIS ${id} (${check.title}): ${message}` });
  }
}

/** Runs every decidable CIS check over the tree. */
export function cisFindings(tree: AssetTree, containers: readonly ComponentContainer[]): Finding[] {
  const out = new Collector();
  filePermissions(tree, containers, out);
  for (const c of containers) {
    const file = c.pod.file.rel;
    const who = `${c.component} in ${describeObject(c.pod.object)}`;
    const flag = (n: string) => c.flags.get(`--${n}`);
    const has = (n: string) => c.flags.has(`--${n}`);
    const list = (n: string) => (flag(n) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const requireFlags = (id: string, ...names: string[]) => {
      const missing = names.filter((n) => !flag(n));
      if (missing.length) out.fail(id, file, `${who}: ${missing.map((n) => `--${n}`).join(', ')} not set`);
    };
    const requireValue = (id: string, name: string, want: string, unsetOk = false) => {
      const v = flag(name);
      if (v === undefined ? !unsetOk : v !== want) out.fail(id, file, `${who}: --${name} is ${v === undefined ? 'not set' : `"${v}"`}, want ${want}`);
    };
    // 1.3.7 / 1.4.2: loopback only. A pod-network (self-hosted) pod binding its own pod IP listens on no other
    // interface, and its loopback is out of the kubelet probe's reach: a warning, not an error.
    const loopbackBind = (id: string) => {
      const v = flag('bind-address');
      if (v === '$(POD_IP)' && !c.pod.spec?.hostNetwork) {
        out.fail(id, file, `${who}: --bind-address is the pod IP (pod network, not the host's interfaces)`, 'warning');
      } else requireValue(id, 'bind-address', '127.0.0.1', true);
    };
    const atLeast = (id: string, name: string, min: number) => {
      const v = Number(flag(name));
      if (!(v >= min)) out.fail(id, file, `${who}: --${name} is ${flag(name) ?? 'not set'}, want >= ${min}`);
    };
    switch (c.component) {
      case 'kube-apiserver': {
        anonymousAuth(tree, c, out, who);
        if (has('token-auth-file')) out.fail('1.2.2', file, `${who}: --token-auth-file is set`);
        const enabled = list('enable-admission-plugins');
        const disabled = list('disable-admission-plugins');
        if (!enabled.includes('DenyServiceExternalIPs')) out.fail('1.2.3', file, `${who}: DenyServiceExternalIPs not in --enable-admission-plugins`);
        requireFlags('1.2.4', 'kubelet-client-certificate', 'kubelet-client-key');
        requireFlags('1.2.5', 'kubelet-certificate-authority');
        authorization(tree, c, out, who);
        if (!enabled.includes('EventRateLimit')) out.fail('1.2.9', file, `${who}: EventRateLimit not in --enable-admission-plugins`);
        if (enabled.includes('AlwaysAdmit')) out.fail('1.2.10', file, `${who}: AlwaysAdmit is in --enable-admission-plugins`);
        if (!enabled.includes('AlwaysPullImages')) out.fail('1.2.11', file, `${who}: AlwaysPullImages not in --enable-admission-plugins`);
        if (disabled.includes('ServiceAccount')) out.fail('1.2.12', file, `${who}: ServiceAccount is in --disable-admission-plugins`);
        if (disabled.includes('NamespaceLifecycle')) out.fail('1.2.13', file, `${who}: NamespaceLifecycle is in --disable-admission-plugins`);
        if (!enabled.includes('NodeRestriction')) out.fail('1.2.14', file, `${who}: NodeRestriction not in --enable-admission-plugins`);
        requireValue('1.2.15', 'profiling', 'false');
        requireFlags('1.2.16', 'audit-log-path');
        atLeast('1.2.17', 'audit-log-maxage', 30);
        atLeast('1.2.18', 'audit-log-maxbackup', 10);
        atLeast('1.2.19', 'audit-log-maxsize', 100);
        requireValue('1.2.21', 'service-account-lookup', 'true', true);
        requireFlags('1.2.22', 'service-account-key-file');
        requireFlags('1.2.23', 'etcd-certfile', 'etcd-keyfile');
        requireFlags('1.2.24', 'tls-cert-file', 'tls-private-key-file');
        requireFlags('1.2.25', 'client-ca-file');
        requireFlags('1.2.26', 'etcd-cafile');
        if (!flag('encryption-provider-config')) out.fail('1.2.27', file, `${who}: --encryption-provider-config not set`);
        else encryptionProviders(tree, c, out, who);
        ciphers('1.2.29', list('tls-cipher-suites'), STRONG_CIPHERS_APISERVER, out, file, who);
        requireValue('1.2.30', 'service-account-extend-token-expiration', 'false');
        break;
      }
      case 'kube-controller-manager':
        requireFlags('1.3.1', 'terminated-pod-gc-threshold');
        requireValue('1.3.2', 'profiling', 'false');
        requireValue('1.3.3', 'use-service-account-credentials', 'true');
        requireFlags('1.3.4', 'service-account-private-key-file');
        requireFlags('1.3.5', 'root-ca-file');
        if (/RotateKubeletServerCertificate=false/.test(flag('feature-gates') ?? '')) out.fail('1.3.6', file, `${who}: --feature-gates disables RotateKubeletServerCertificate`);
        loopbackBind('1.3.7');
        break;
      case 'kube-scheduler':
        requireValue('1.4.1', 'profiling', 'false');
        loopbackBind('1.4.2');
        break;
      case 'etcd':
        etcd(tree, c, containers, out, who);
        break;
      case 'kube-proxy': {
        const bind = flag('metrics-bind-address') ?? proxyConfig(tree, c)?.metricsBindAddress;
        if (bind !== undefined && !/^(127\.0\.0\.1|\[?::1\]?|localhost)(:\d+)?$/.test(bind)) out.fail('4.3.1', file, `${who}: metrics bound to "${bind}"`);
        break;
      }
      default:
        break;
    }
  }
  for (const file of tree.files) {
    for (const obj of objectsOf(file)) if (obj.kind === 'KubeletConfiguration') kubeletConfig(obj, file.rel, out);
  }
  return out.findings;
}

/** The tree file a path in a container maps to (through its hostPath mounts and the layout). */
export function containerFileInTree(tree: AssetTree, c: ComponentContainer, containerPath: string): AssetFile | undefined {
  const host = hostPathOf(c.pod, c.container, containerPath);
  const rel = host ? assetPathFor(c.pod.file.rel, host) : undefined;
  return rel ? fileAt(tree, rel) : undefined;
}

function configDoc(tree: AssetTree, c: ComponentContainer, flagName: string, kind: string): any | undefined {
  const p = c.flags.get(`--${flagName}`);
  const f = p ? containerFileInTree(tree, c, p) : undefined;
  return f?.docs.find((d) => d.kind === kind);
}

function anonymousAuth(tree: AssetTree, c: ComponentContainer, out: Collector, who: string): void {
  const file = c.pod.file.rel;
  const flag = c.flags.get('--anonymous-auth');
  if (flag !== undefined) {
    if (flag !== 'false') out.fail('1.2.1', file, `${who}: --anonymous-auth is "${flag}"`);
    return;
  }
  if (!c.flags.get('--authentication-config')) return out.fail('1.2.1', file, `${who}: --anonymous-auth not set (default true)`);
  const doc = configDoc(tree, c, 'authentication-config', 'AuthenticationConfiguration');
  if (!doc) return out.fail('1.2.1', file, `${who}: --authentication-config file ${c.flags.get('--authentication-config')} not found in the tree`);
  const anon = doc.anonymous;
  if (!anon?.enabled) return;
  const paths = (anon.conditions ?? []).map((x: any) => x.path);
  if (!paths.length || paths.some((p: string) => !HEALTH_PATHS.has(p))) {
    out.fail('1.2.1', file, `${who}: anonymous requests allowed on ${paths.length ? paths.join(', ') : 'every path'} (health endpoints only is acceptable)`);
  }
}

function authorization(tree: AssetTree, c: ComponentContainer, out: Collector, who: string): void {
  const file = c.pod.file.rel;
  let modes: string[];
  if (c.flags.get('--authorization-config')) {
    const doc = configDoc(tree, c, 'authorization-config', 'AuthorizationConfiguration');
    if (!doc) return out.fail('1.2.7', file, `${who}: --authorization-config file not found in the tree`);
    modes = (doc.authorizers ?? []).map((a: any) => a.type);
  } else {
    modes = (c.flags.get('--authorization-mode') ?? 'AlwaysAllow').split(',');
  }
  if (modes.includes('AlwaysAllow')) out.fail('1.2.6', file, `${who}: authorization modes ${modes.join(',')} include AlwaysAllow`);
  if (!modes.includes('Node')) out.fail('1.2.7', file, `${who}: authorization modes ${modes.join(',')} lack Node`);
  if (!modes.includes('RBAC')) out.fail('1.2.8', file, `${who}: authorization modes ${modes.join(',')} lack RBAC`);
}

function encryptionProviders(tree: AssetTree, c: ComponentContainer, out: Collector, who: string): void {
  const doc = configDoc(tree, c, 'encryption-provider-config', 'EncryptionConfiguration');
  if (!doc) return out.fail('1.2.28', c.pod.file.rel, `${who}: encryption config ${c.flags.get('--encryption-provider-config')} not found in the tree`);
  for (const r of doc.resources ?? []) {
    const first = Object.keys(r.providers?.[0] ?? {})[0];
    if (!['aescbc', 'kms', 'secretbox'].includes(first)) {
      out.fail('1.2.28', c.pod.file.rel, `${who}: first provider for ${(r.resources ?? []).join(',')} is "${first}", want aescbc, kms or secretbox`);
    }
  }
}

function ciphers(id: string, suites: string[], strong: Set<string>, out: Collector, file: string, who: string): void {
  if (!suites.length) return out.fail(id, file, `${who}: cipher suites not set (Go defaults include weak suites)`);
  const weak = suites.filter((s) => !strong.has(s));
  if (weak.length) out.fail(id, file, `${who}: weak cipher suites ${weak.join(', ')}`);
}

function etcd(tree: AssetTree, c: ComponentContainer, all: readonly ComponentContainer[], out: Collector, who: string): void {
  const file = c.pod.file.rel;
  const s = (n: string) => etcdSetting(c, n);
  const missing = (...names: string[]) => names.filter((n) => !s(n)).map((n) => `--${n}`).join(', ');
  if (missing('cert-file', 'key-file')) out.fail('2.1', file, `${who}: ${missing('cert-file', 'key-file')} not set`);
  if (s('client-cert-auth') !== 'true') out.fail('2.2', file, `${who}: client-cert-auth is ${s('client-cert-auth') ?? 'not set'}`);
  if (s('auto-tls') === 'true') out.fail('2.3', file, `${who}: auto-tls is true`);
  if (missing('peer-cert-file', 'peer-key-file')) out.fail('2.4', file, `${who}: ${missing('peer-cert-file', 'peer-key-file')} not set`);
  if (s('peer-client-cert-auth') !== 'true') out.fail('2.5', file, `${who}: peer-client-cert-auth is ${s('peer-client-cert-auth') ?? 'not set'}`);
  if (s('peer-auto-tls') === 'true') out.fail('2.6', file, `${who}: peer-auto-tls is true`);
  const etcdCa = s('trusted-ca-file');
  if (!etcdCa) return out.fail('2.7', file, `${who}: trusted-ca-file not set`);
  // The API server next to this member (same folder), else any.
  const api = all.find((a) => a.component === 'kube-apiserver' && path.posix.dirname(a.pod.file.rel) === path.posix.dirname(file))
    ?? all.find((a) => a.component === 'kube-apiserver');
  const clientCa = api?.flags.get('--client-ca-file');
  if (!api || !clientCa) return;
  const etcdCaFile = containerFileInTree(tree, c, etcdCa);
  const clientCaFile = containerFileInTree(tree, api, clientCa);
  if (etcdCa === clientCa || (etcdCaFile?.text && etcdCaFile.text === clientCaFile?.text)) {
    out.fail('2.7', file, `${who}: etcd trusts the cluster CA (${etcdCa}), not a CA of its own`);
  }
}

function proxyConfig(tree: AssetTree, c: ComponentContainer): any | undefined {
  const cfg = c.flags.get('--config');
  if (!cfg) return undefined;
  // kube-proxy reads its config from a ConfigMap: look for a KubeProxyConfiguration in any ConfigMap of the tree.
  for (const f of tree.files) {
    for (const o of objectsOf(f)) {
      if (o.kind !== 'ConfigMap') continue;
      for (const v of Object.values(o.data ?? {})) {
        if (typeof v === 'string' && /kind:\s*KubeProxyConfiguration/.test(v)) {
          const m = /metricsBindAddress:\s*"?([^"\s]+)"?/.exec(v);
          return { metricsBindAddress: m?.[1] };
        }
      }
    }
  }
  return undefined;
}

function kubeletConfig(cfg: any, file: string, out: Collector): void {
  const who = `KubeletConfiguration`;
  if (cfg.authentication?.anonymous?.enabled !== false) out.fail('4.2.1', file, `${who}: authentication.anonymous.enabled is ${cfg.authentication?.anonymous?.enabled ?? 'not set (default true)'}`);
  const mode = cfg.authorization?.mode;
  if (mode !== 'Webhook') out.fail('4.2.2', file, `${who}: authorization.mode is ${mode ?? 'not set (default AlwaysAllow)'}`);
  if (!cfg.authentication?.x509?.clientCAFile) out.fail('4.2.3', file, `${who}: authentication.x509.clientCAFile not set`);
  if (cfg.readOnlyPort !== undefined && cfg.readOnlyPort !== 0) out.fail('4.2.4', file, `${who}: readOnlyPort is ${cfg.readOnlyPort}`);
  if (['0', '0s', 0].includes(cfg.streamingConnectionIdleTimeout)) out.fail('4.2.5', file, `${who}: streamingConnectionIdleTimeout is 0`);
  if (cfg.makeIPTablesUtilChains === false) out.fail('4.2.6', file, `${who}: makeIPTablesUtilChains is false`);
  if (cfg.eventRecordQPS === 0) out.fail('4.2.8', file, `${who}: eventRecordQPS is 0 (unlimited)`);
  if (!(cfg.tlsCertFile && cfg.tlsPrivateKeyFile) && cfg.serverTLSBootstrap !== true) {
    out.fail('4.2.9', file, `${who}: neither tlsCertFile/tlsPrivateKeyFile nor serverTLSBootstrap is set (self-signed serving certificate)`);
  }
  if (cfg.rotateCertificates === false) out.fail('4.2.10', file, `${who}: rotateCertificates is false`);
  if (cfg.featureGates?.RotateKubeletServerCertificate === false) out.fail('4.2.11', file, `${who}: featureGates.RotateKubeletServerCertificate is false`);
  ciphers('4.2.12', cfg.tlsCipherSuites ?? [], STRONG_CIPHERS_KUBELET, out, file, who);
  if (!(cfg.podPidsLimit > 0)) out.fail('4.2.13', file, `${who}: podPidsLimit is ${cfg.podPidsLimit ?? 'not set'}`);
  if (cfg.seccompDefault !== true) out.fail('4.2.14', file, `${who}: seccompDefault is ${cfg.seccompDefault ?? 'not set'}`);
}

/** Component of a static pod file (by the pod's container), for the 1.1.x manifest checks. */
const MANIFEST_IDS: Record<string, string> = {
  'kube-apiserver': '1.1.1', 'kube-controller-manager': '1.1.3', 'kube-scheduler': '1.1.5', 'etcd': '1.1.7',
};
const KUBECONFIG_IDS: Record<string, string> = {
  'admin.conf': '1.1.13', 'super-admin.conf': '1.1.13', 'scheduler.conf': '1.1.15', 'controller-manager.conf': '1.1.17',
};

function modeText(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

function filePermissions(tree: AssetTree, containers: readonly ComponentContainer[], out: Collector): void {
  const tooOpen = (mode: number, max: number) => (mode & ~max) !== 0;
  const staticPods = new Set<string>();
  for (const c of containers) {
    const id = MANIFEST_IDS[c.component];
    if (!id || c.pod.object.kind !== 'Pod' || staticPods.has(c.pod.file.rel)) continue;
    staticPods.add(c.pod.file.rel);
    if (tooOpen(c.pod.file.mode, 0o600)) out.fail(id, c.pod.file.rel, `mode ${modeText(c.pod.file.mode)}, want 0600`);
  }
  for (const f of tree.files) {
    const base = path.posix.basename(f.rel);
    const id = KUBECONFIG_IDS[base] ?? (f.rel.endsWith('auth/kubeconfig') ? '1.1.13' : undefined);
    if (id && tooOpen(f.mode, 0o600)) out.fail(id, f.rel, `mode ${modeText(f.mode)}, want 0600`);
    if (base.endsWith('.crt') && tooOpen(f.mode, 0o644)) out.fail('1.1.20', f.rel, `mode ${modeText(f.mode)}, want 0644 or stricter`);
    if (f.isKey && tooOpen(f.mode, 0o600)) out.fail('1.1.21', f.rel, `mode ${modeText(f.mode)}, want 0600`);
  }
}
