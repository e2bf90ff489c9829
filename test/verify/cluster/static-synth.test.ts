/**
 * The `cluster` check on the static-pod tree as `synthStaticPods()` writes it (no hand-completion, unlike
 * good-tree.test.ts): 0 errors in the pod network modes `flannel` and `cloud-routes` (the OpenStack CCM's route
 * controller plus the host CNI config of `hacp kubelet-unit`), a warning and no error with `none`. Then the check
 * still fails the written tree when a piece of the pod network is taken away or misconfigured (planted defects).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { ClusterPki } from '../../../lib/pki';
import { PodNetwork, ResolvedClusterSpec, resolveSpec } from '../../../lib/spec';
import { synthStaticPods } from '../../../lib/synth';
import { VerifyReport } from '../../../lib/verify';
import { credentialEnv, staticModeInput } from '../../support/cluster-specs';
import { checkCluster, errorLines, pkiFor } from './_trees';

// One shared PKI (see _trees.ts pkiFor) for the whole file; no test times key generation.
jest.setTimeout(600_000);

const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Writes the static-pod tree of `spec` as `npm run synth` does (the credential from a test variable); returns its root. */
async function writeStaticTree(spec: ResolvedClusterSpec): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-static-synth-'));
  dirs.push(dir);
  synthStaticPods({
    spec,
    pki: await pkiFor(spec),
    encryptionKey: ENCRYPTION_KEY,
    outdir: dir,
    addons: { env: credentialEnv() },
  });
  return dir;
}

const clusterFiles = (dir: string) => fs.readdirSync(path.join(dir, 'static-pods', 'cluster')).sort();

describe.each<[PodNetwork, number]>([
  ['flannel', 0],
  ['flannel', 2],
  ['cloud-routes', 0],
  ['cloud-routes', 2],
])('the written static-pod tree, pod network %s, 3 masters and %i workers', (mode, workers) => {
  const spec = resolveSpec(staticModeInput(mode, 3, workers));
  let dir: string;
  let report: VerifyReport;
  beforeAll(async () => {
    dir = await writeStaticTree(spec);
    report = checkCluster(dir, spec);
  });

  test('has 0 cluster errors and no warning', () => {
    expect(errorLines(report)).toEqual([]);
    expect(report.findings.map((f) => `${f.severity} ${f.id}`)).toEqual([]);
  });

  test('cluster/ holds one file per component of the mode', () => {
    const network =
      mode === 'flannel' ? ['flannel.yaml'] : ['cloud-config.yaml', 'openstack-cloud-controller-manager.yaml'];
    expect(clusterFiles(dir)).toEqual(
      ['coredns.yaml', 'kube-proxy.yaml', 'metrics-server.yaml', 'rbac.yaml', ...network].sort(),
    );
  });

  test('the plan brings up kube-proxy, the pod network and DNS after the nodes registered', () => {
    const plan = report.plans![0].plan;
    expect(plan.partial).toBeUndefined();
    const phaseOf = (file: string) =>
      plan.phases.find((p) => p.steps.some((s) => (s.files ?? []).includes(`static-pods/cluster/${file}`)))?.index ??
      -1;
    const nodes = plan.phases.find((p) => p.steps.some((s) => s.id === 'nodes-registered'))!.index;
    const network = mode === 'flannel' ? 'flannel.yaml' : 'openstack-cloud-controller-manager.yaml';
    for (const f of ['kube-proxy.yaml', network, 'coredns.yaml']) expect(phaseOf(f)).toBeGreaterThan(nodes);
    expect(phaseOf('coredns.yaml')).toBeGreaterThan(phaseOf(network));
  });
});

describe('the check still fails the written tree', () => {
  test('flannel: without flannel.yaml the pod network is missing', async () => {
    const spec = resolveSpec(staticModeInput('flannel', 3, 2));
    const dir = await writeStaticTree(spec);
    fs.rmSync(path.join(dir, 'static-pods', 'cluster', 'flannel.yaml'));
    expect(
      checkCluster(dir, spec)
        .findings.filter((f) => f.severity === 'error')
        .map((f) => f.id),
    ).toContain('pod-network-missing');
  });

  test('cloud-routes: without the CCM nothing adds the router routes', async () => {
    const spec = resolveSpec(staticModeInput('cloud-routes', 3, 2));
    const dir = await writeStaticTree(spec);
    fs.rmSync(path.join(dir, 'static-pods', 'cluster', 'openstack-cloud-controller-manager.yaml'));
    expect(
      checkCluster(dir, spec)
        .findings.filter((f) => f.severity === 'error')
        .map((f) => f.id),
    ).toContain('pod-network-routes');
  });

  describe('cloud-routes, planted defects', () => {
    const spec = resolveSpec(staticModeInput('cloud-routes', 3, 2));
    let base: string;
    beforeAll(async () => {
      base = await writeStaticTree(spec);
    });
    /** A copy of the written tree with `edit` applied to the documents of one file; the cluster check's error lines. */
    const plant = (rel: string, edit: (docs: any[]) => void): string[] => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-static-plant-'));
      dirs.push(dir);
      fs.cpSync(base, dir, { recursive: true });
      const file = path.join(dir, 'static-pods', rel);
      const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
      edit(docs);
      fs.writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
      return errorLines(checkCluster(dir, spec));
    };
    const args = (docs: any[], kind: string) =>
      docs.find((d) => d.kind === kind).spec.template?.spec.containers[0].args ??
      docs.find((d) => d.kind === kind).spec.containers[0].args;

    test('the CCM without its route controller', () => {
      const lines = plant('cluster/openstack-cloud-controller-manager.yaml', (docs) => {
        const a: string[] = args(docs, 'DaemonSet');
        a[a.indexOf('--configure-cloud-routes=true')] = '--configure-cloud-routes=false';
      });
      expect(lines).toEqual([
        expect.stringMatching(
          /pod-network-routes: .*DaemonSet kube-system\/openstack-cloud-controller-manager: --configure-cloud-routes is false/,
        ),
      ]);
    });

    test('the cloud config naming another router', () => {
      const lines = plant('cluster/cloud-config.yaml', (docs) => {
        docs[0].stringData['cloud.conf'] = docs[0].stringData['cloud.conf'].replace(
          /router-id = "[^"]*"/,
          'router-id = "00000000-0000-4000-8000-000000000000"',
        );
      });
      expect(lines).toEqual([
        expect.stringMatching(
          /pod-network-routes: .*router 00000000-0000-4000-8000-000000000000, but .*openstack\.routerId 29635b60/,
        ),
      ]);
    });

    test('a controller manager that allocates no node CIDRs', () => {
      const lines = plant('master1/kube-controller-manager.yaml', (docs) => {
        const a: string[] = args(docs, 'Pod');
        a[a.indexOf('--allocate-node-cidrs=true')] = '--allocate-node-cidrs=false';
      });
      expect(lines).toEqual(
        expect.arrayContaining([expect.stringMatching(/pod-network-node-cidrs: .*--allocate-node-cidrs=false/)]),
      );
    });

    test('flannel beside the host CNI config', () => {
      const flannel = resolveSpec(staticModeInput('flannel', 3, 2));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-static-plant-'));
      dirs.push(dir);
      fs.cpSync(base, dir, { recursive: true });
      synthStaticPods({
        spec: flannel,
        pki: ClusterPki.forTesting(flannel),
        encryptionKey: ENCRYPTION_KEY,
        outdir: path.join(dir, 'flannel'),
      });
      fs.copyFileSync(
        path.join(dir, 'flannel', 'static-pods', 'cluster', 'flannel.yaml'),
        path.join(dir, 'static-pods', 'cluster', 'flannel.yaml'),
      );
      fs.rmSync(path.join(dir, 'flannel'), { recursive: true });
      expect(errorLines(checkCluster(dir, spec))).toEqual([
        expect.stringMatching(
          /flannel\.yaml pod-network-conflict: DaemonSet kube-system\/kube-flannel writes the nodes' CNI config/,
        ),
      ]);
    });
  });

  test('none: a warning (bring your own CNI), no error', async () => {
    const spec = resolveSpec(staticModeInput('none', 3, 2));
    const report = checkCluster(await writeStaticTree(spec), spec);
    expect(errorLines(report)).toEqual([]);
    expect(report.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['warning pod-network-missing']);
  });
});
