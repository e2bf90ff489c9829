/**
 * Test trees for the `cluster` check.
 *
 * - `goodStaticTree(spec)`: a complete static-pod cluster no built-in tree is yet: today's static-pod app (every
 *   master's static pods, kubeconfigs and certificates from the shared test PKI) hand-completed with the add-ons of
 *   lib/addons in `cluster/` (kube-proxy, flannel, CoreDNS at the spec's DNS IP, metrics-server, the dashboard). The
 *   baseline of the planted-defect tests: it must have 0 `cluster` errors. Private keys are left out (the check reads
 *   none).
 * - `FROZEN_DIST`, `FROZEN_KUBE_VIP`: today's output frozen under test/verify/fixtures (see fixtures/README.md).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Yaml } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { Dashboard, Dns, Flannel, KubeProxy, MetricsServer } from '../../../lib/addons';
import { ClusterPki } from '../../../lib/pki';
import { ClusterSpec, ResolvedClusterSpec, resolveSpec } from '../../../lib/spec';
import { buildStaticPodsTree } from '../../../lib/synth';
import { VerifyReport, verifyTree } from '../../../lib/verify';
import { fixturePki } from '../../support/fixture-pki';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export const FROZEN_DIST = path.join(FIXTURES, 'frozen-dist');
export const FROZEN_KUBE_VIP = path.join(FIXTURES, 'frozen-kube-vip');

/** The static example's network with `masters` masters (10.180.0.10...) and `workers` workers (10.180.0.20...). */
export function staticInput(masters: number, workers = 2): ClusterSpec {
  return {
    ...FROZEN_STATIC_SPEC,
    masters: Array.from({ length: masters }, (_, i) => ({ name: `master${i}`, ip: `10.180.0.${10 + i}` })),
    workers: Array.from({ length: workers }, (_, i) => ({ name: `worker${i}`, ip: `10.180.0.${20 + i}` })),
  };
}

/** `staticInput()` resolved. */
export function staticSpec(masters: number, workers = 2): ResolvedClusterSpec {
  return resolveSpec(staticInput(masters, workers));
}

/** The built-in static example as the frozen tree was made from it (a copy: the example may change, the fixture not). */
export const FROZEN_STATIC_SPEC: ClusterSpec = {
  name: 'kubernetes',
  masters: [
    { name: 'master0', ip: '10.180.0.10' },
    { name: 'master1', ip: '10.180.0.11' },
    { name: 'master2', ip: '10.180.0.12' },
  ],
  apiEndpoint: { host: '10.47.40.33', port: 443 },
  apiServerPort: 6443,
  networking: { serviceCidr: '10.180.1.0/24', podCidr: '10.180.128.0/17', clusterDomain: 'cluster.local' },
  loadBalancer: {
    type: 'octavia',
    octavia: { subnet: 'kthw-subnet', floatingIp: '10.47.40.33', namePrefix: 'masters' },
  },
};

/** The built-in bootkube example as the frozen tree was made from it. */
export const FROZEN_BOOTKUBE_SPEC: ClusterSpec = {
  name: 'vagrant',
  masters: [
    { name: 'master01', ip: '172.17.5.101' },
    { name: 'master02', ip: '172.17.5.102' },
    { name: 'master03', ip: '172.17.5.103' },
  ],
  workers: [{ name: 'worker01', ip: '172.17.5.201' }],
  apiEndpoint: { host: '172.17.5.100', port: 443 },
  apiServerPort: 443,
  networking: { serviceCidr: '10.3.0.0/24', podCidr: '10.2.0.0/16', clusterDomain: 'cluster.local' },
  loadBalancer: { type: 'kube-vip', kubeVip: { vip: '172.17.5.100', interface: 'eth1' } },
  namespaces: ['tds-cloud'],
};

/** The spec of each folder of the frozen dist, as the apps chose it. */
export function frozenSpecFor(rel: string): ResolvedClusterSpec {
  return resolveSpec(/(^|\/)bootkube(\/|$)/.test(rel) ? FROZEN_BOOTKUBE_SPEC : FROZEN_STATIC_SPEC);
}

/** The spec of the frozen kube-vip tree (fixtures/freeze.js). */
export const KUBE_VIP_SPEC = resolveSpec({
  ...FROZEN_STATIC_SPEC,
  apiEndpoint: { host: '10.180.0.100', port: 6443 },
  loadBalancer: { type: 'kube-vip', kubeVip: { vip: '10.180.0.100' } },
});

/**
 * One PKI for every spec of these tests: the 5-master one is made once (shared test PKI), smaller specs start from
 * its state files, so only the certificates whose SANs differ get new keys.
 */
export async function pkiFor(spec: ResolvedClusterSpec): Promise<ClusterPki> {
  const base = await fixturePki(staticSpec(5));
  return ClusterPki.inMemory(spec, { files: base.snapshot() });
}

export type TreeFiles = Record<string, [string, number]>;

/** The complete static-pod tree of `spec` (see the file comment). */
export function goodStaticTree(spec: ResolvedClusterSpec, pki: ClusterPki): TreeFiles {
  const files: TreeFiles = {};
  const tree = buildStaticPodsTree(spec);
  for (const { master, objects, hostFiles } of tree.masters) {
    for (const o of objects) files[`static-pods/${master}/${o.metadata.name}.yaml`] = [Yaml.stringify(o), 0o600];
    for (const f of [...hostFiles, ...pki.masterFiles(master)]) {
      if (!f.path.endsWith('.key')) files[`static-pods/${master}/${f.path}`] = [f.content, f.mode];
    }
  }
  const app = new App();
  const chart = (name: string, build: (c: Chart) => void, objects?: any[]) => {
    const c = new Chart(app, name);
    build(c);
    files[`static-pods/cluster/${name}.yaml`] = [Yaml.stringify(...(objects ?? c.toJson())), 0o644];
  };
  chart('rbac', () => undefined, tree.cluster);
  if (tree.kubeVipRbac.length) chart('kube-vip-rbac', () => undefined, tree.kubeVipRbac);
  const net = spec.networking;
  chart(
    'kube-proxy',
    (c) =>
      new KubeProxy(c, 'kube-proxy', {
        podCidr: net.podCidr,
        apiServerUrl: spec.apiServerUrl,
        kubernetesVersion: spec.kubernetesVersion,
      }),
  );
  chart('flannel', (c) => new Flannel(c, 'flannel', { podCidr: net.podCidr }));
  chart('coredns', (c) => new Dns(c, 'dns', { clusterIp: spec.dnsServiceIp, clusterDomain: net.clusterDomain }));
  chart('metrics-server', (c) => new MetricsServer(c, 'metrics-server'));
  chart('dashboard', (c) => new Dashboard(c, 'dashboard'));
  return files;
}

/** Writes tree files into a new temp dir; returns it. */
export function writeFiles(files: TreeFiles): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-cluster-'));
  for (const [rel, [content, mode]] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content, { mode });
  }
  return dir;
}

/** Parses, edits and re-serializes every document of one YAML file of the tree. */
export function editDocs(files: TreeFiles, rel: string, edit: (docs: any[]) => any[] | void): void {
  const docs = parseAllDocuments(files[rel][0]).map((d: any) => d.toJS());
  const out = edit(docs) ?? docs;
  files[rel] = [Yaml.stringify(...out), files[rel][1]];
}

/** The `cluster` check (only) over a directory, with its plans. */
export function checkCluster(
  dir: string,
  spec: ResolvedClusterSpec | ((rel: string) => ResolvedClusterSpec),
): VerifyReport {
  return verifyTree(dir, { spec, checks: ['cluster'], plan: true });
}

/** `file check/id: message` lines of the errors. */
export function errorLines(r: VerifyReport): string[] {
  return r.findings.filter((f) => f.severity === 'error').map((f) => `${f.file} ${f.id}: ${f.message}`);
}
