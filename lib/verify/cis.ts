/**
 * The CIS Kubernetes Benchmark v1.12 checks that can be decided from the files of a synthesized tree (ids and titles
 * as in the benchmark, cross-checked with kube-bench's cis-1.12 config). "Automated" checks fail with an error,
 * "Manual" ones with a warning. Ownership checks (1.1.2, 1.1.4, ...) and checks of the running host are not decidable
 * from files and are left out.
 */
import * as path from 'path';
import { CIS_CHECKS, CisFailure, CisFileChecks, cipherSuiteFailures, cisFlagFailures } from '../common/cis-flag-checks';
import { ComponentContainer, assetPathFor, etcdSetting, hostPathOf } from './_workloads';
import { Finding } from './finding';
import { describeObject } from './schema';
import { AssetFile, AssetTree, fileAt, objectsOf } from './tree';

// The checks and the flag rules live in lib/common/cis-flag-checks (the constructs warn with them too).
export { CIS_CHECKS, CisCheck, CisSeverity } from '../common/cis-flag-checks';
export type { ComponentContainer, PodTemplate } from './_workloads';

const BY_ID = new Map(CIS_CHECKS.map((c) => [c.id, c]));

/** Strong ciphers of CIS 4.2.12 (kubelet); the `_SHA256` spellings are the same suites. */
const STRONG_CIPHERS_KUBELET = new Set([
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
]);
const HEALTH_PATHS = new Set(['/livez', '/readyz', '/healthz']);

class Collector {
  readonly findings: Finding[] = [];
  fail(id: string, file: string, message: string, severity?: Finding['severity']): void {
    const check = BY_ID.get(id);
    if (!check) throw new Error(`unknown CIS id ${id}`);
    this.findings.push({
      severity: severity ?? check.severity,
      check: 'security',
      id,
      file,
      message: `CIS ${id} (${check.title}): ${message}`,
    });
  }
}

/** Runs every decidable CIS check over the tree. */
export function cisFindings(tree: AssetTree, containers: readonly ComponentContainer[]): Finding[] {
  const out = new Collector();
  filePermissions(tree, containers, out);
  for (const c of containers) {
    const file = c.pod.file.rel;
    const who = `${c.component} in ${describeObject(c.pod.object)}`;
    const failures = cisFlagFailures({
      component: c.component,
      who,
      flag: (n) => (c.component === 'etcd' ? etcdSetting(c, n) : c.flags.get(`--${n}`)),
      has: (n) => c.flags.has(`--${n}`),
      hostNetwork: !!c.pod.spec?.hostNetwork,
      files: fileChecks(tree, c, who),
    });
    for (const f of failures) out.fail(f.id, file, f.message, f.severity);
    if (c.component === 'etcd') etcdCaUnique(tree, c, containers, out, who);
  }
  for (const file of tree.files) {
    for (const obj of objectsOf(file)) if (obj.kind === 'KubeletConfiguration') kubeletConfig(obj, file.rel, out);
  }
  return out.findings;
}

/** The tree file a path in a container maps to (through its hostPath mounts and the layout). */
export function containerFileInTree(
  tree: AssetTree,
  c: ComponentContainer,
  containerPath: string,
): AssetFile | undefined {
  const host = hostPathOf(c.pod, c.container, containerPath);
  const rel = host ? assetPathFor(c.pod.file.rel, host) : undefined;
  return rel ? fileAt(tree, rel) : undefined;
}

function configDoc(tree: AssetTree, c: ComponentContainer, flagName: string, kind: string): any | undefined {
  const p = c.flags.get(`--${flagName}`);
  const f = p ? containerFileInTree(tree, c, p) : undefined;
  return f?.docs.find((d) => d.kind === kind);
}

/** The checks of the files a container's flags point at, looked up in the tree. */
function fileChecks(tree: AssetTree, c: ComponentContainer, who: string): CisFileChecks {
  const fail = (id: string, message: string): CisFailure => ({ id, message: `${who}: ${message}` });
  return {
    anonymousAuthentication: () => {
      const doc = configDoc(tree, c, 'authentication-config', 'AuthenticationConfiguration');
      if (!doc)
        return [
          fail('1.2.1', `--authentication-config file ${c.flags.get('--authentication-config')} not found in the tree`),
        ];
      const anon = doc.anonymous;
      if (!anon?.enabled) return [];
      const paths = (anon.conditions ?? []).map((x: any) => x.path);
      if (!paths.length || paths.some((p: string) => !HEALTH_PATHS.has(p))) {
        return [
          fail(
            '1.2.1',
            `anonymous requests allowed on ${paths.length ? paths.join(', ') : 'every path'} (health endpoints only is acceptable)`,
          ),
        ];
      }
      return [];
    },
    authorizationModes: () => {
      const doc = configDoc(tree, c, 'authorization-config', 'AuthorizationConfiguration');
      if (!doc) return fail('1.2.7', '--authorization-config file not found in the tree');
      return (doc.authorizers ?? []).map((a: any) => a.type);
    },
    encryptionProviders: () => {
      const doc = configDoc(tree, c, 'encryption-provider-config', 'EncryptionConfiguration');
      if (!doc)
        return [
          fail('1.2.28', `encryption config ${c.flags.get('--encryption-provider-config')} not found in the tree`),
        ];
      const out: CisFailure[] = [];
      for (const r of doc.resources ?? []) {
        const first = Object.keys(r.providers?.[0] ?? {})[0];
        if (!['aescbc', 'kms', 'secretbox'].includes(first)) {
          out.push(
            fail(
              '1.2.28',
              `first provider for ${(r.resources ?? []).join(',')} is "${first}", want aescbc, kms or secretbox`,
            ),
          );
        }
      }
      return out;
    },
    proxyMetricsBindAddress: () => proxyConfig(tree, c)?.metricsBindAddress,
  };
}

/** CIS 2.7 beyond the flag: etcd's CA differs from the API server's client CA, by path and by content. */
function etcdCaUnique(
  tree: AssetTree,
  c: ComponentContainer,
  all: readonly ComponentContainer[],
  out: Collector,
  who: string,
): void {
  const file = c.pod.file.rel;
  const etcdCa = etcdSetting(c, 'trusted-ca-file');
  if (!etcdCa) return; // reported by cisFlagFailures()
  // The API server next to this member (same folder), else any.
  const api =
    all.find(
      (a) => a.component === 'kube-apiserver' && path.posix.dirname(a.pod.file.rel) === path.posix.dirname(file),
    ) ?? all.find((a) => a.component === 'kube-apiserver');
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
  if (cfg.authentication?.anonymous?.enabled !== false)
    out.fail(
      '4.2.1',
      file,
      `${who}: authentication.anonymous.enabled is ${cfg.authentication?.anonymous?.enabled ?? 'not set (default true)'}`,
    );
  const mode = cfg.authorization?.mode;
  if (mode !== 'Webhook')
    out.fail('4.2.2', file, `${who}: authorization.mode is ${mode ?? 'not set (default AlwaysAllow)'}`);
  if (!cfg.authentication?.x509?.clientCAFile)
    out.fail('4.2.3', file, `${who}: authentication.x509.clientCAFile not set`);
  if (cfg.readOnlyPort !== undefined && cfg.readOnlyPort !== 0)
    out.fail('4.2.4', file, `${who}: readOnlyPort is ${cfg.readOnlyPort}`);
  if (['0', '0s', 0].includes(cfg.streamingConnectionIdleTimeout))
    out.fail('4.2.5', file, `${who}: streamingConnectionIdleTimeout is 0`);
  if (cfg.makeIPTablesUtilChains === false) out.fail('4.2.6', file, `${who}: makeIPTablesUtilChains is false`);
  if (cfg.eventRecordQPS === 0) out.fail('4.2.8', file, `${who}: eventRecordQPS is 0 (unlimited)`);
  if (!(cfg.tlsCertFile && cfg.tlsPrivateKeyFile) && cfg.serverTLSBootstrap !== true) {
    out.fail(
      '4.2.9',
      file,
      `${who}: neither tlsCertFile/tlsPrivateKeyFile nor serverTLSBootstrap is set (self-signed serving certificate)`,
    );
  }
  if (cfg.rotateCertificates === false) out.fail('4.2.10', file, `${who}: rotateCertificates is false`);
  if (cfg.featureGates?.RotateKubeletServerCertificate === false)
    out.fail('4.2.11', file, `${who}: featureGates.RotateKubeletServerCertificate is false`);
  for (const f of cipherSuiteFailures('4.2.12', cfg.tlsCipherSuites ?? [], STRONG_CIPHERS_KUBELET, who))
    out.fail(f.id, file, f.message);
  if (!(cfg.podPidsLimit > 0)) out.fail('4.2.13', file, `${who}: podPidsLimit is ${cfg.podPidsLimit ?? 'not set'}`);
  if (cfg.seccompDefault !== true)
    out.fail('4.2.14', file, `${who}: seccompDefault is ${cfg.seccompDefault ?? 'not set'}`);
}

/** Component of a static pod file (by the pod's container), for the 1.1.x manifest checks. */
const MANIFEST_IDS: Record<string, string> = {
  'kube-apiserver': '1.1.1',
  'kube-controller-manager': '1.1.3',
  'kube-scheduler': '1.1.5',
  etcd: '1.1.7',
};
const KUBECONFIG_IDS: Record<string, string> = {
  'admin.conf': '1.1.13',
  'super-admin.conf': '1.1.13',
  'scheduler.conf': '1.1.15',
  'controller-manager.conf': '1.1.17',
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
    if (base.endsWith('.crt') && tooOpen(f.mode, 0o644))
      out.fail('1.1.20', f.rel, `mode ${modeText(f.mode)}, want 0644 or stricter`);
    if (f.isKey && tooOpen(f.mode, 0o600)) out.fail('1.1.21', f.rel, `mode ${modeText(f.mode)}, want 0600`);
  }
}
