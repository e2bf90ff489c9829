/**
 * The `cluster` check on the static-pod tree as `synthStaticPods()` writes it (no hand-completion, unlike
 * good-tree.test.ts): 0 errors in the pod network modes `flannel` and `cloud-routes` (the OpenStack CCM's route
 * controller plus the host CNI config of `hacp kubelet-unit`), a warning and no error with `none`. Then the check
 * still fails the written tree when a piece of the pod network is taken away.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
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
  synthStaticPods({ spec, pki: await pkiFor(spec), encryptionKey: ENCRYPTION_KEY, outdir: dir, addons: { env: credentialEnv() } });
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
    const network = mode === 'flannel' ? ['flannel.yaml'] : ['cloud-config.yaml', 'openstack-cloud-controller-manager.yaml'];
    expect(clusterFiles(dir)).toEqual(['coredns.yaml', 'kube-proxy.yaml', 'metrics-server.yaml', 'rbac.yaml', ...network].sort());
  });

  test('the plan brings up kube-proxy, the pod network and DNS after the nodes registered', () => {
    const plan = report.plans![0].plan;
    expect(plan.partial).toBeUndefined();
    const phaseOf = (file: string) => plan.phases.find((p) => p.steps.some((s) => (s.files ?? []).includes(`static-pods/cluster/${file}`)))?.index ?? -1;
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
    expect(checkCluster(dir, spec).findings.filter((f) => f.severity === 'error').map((f) => f.id)).toContain('pod-network-missing');
  });

  test('cloud-routes: without the CCM nothing adds the router routes', async () => {
    const spec = resolveSpec(staticModeInput('cloud-routes', 3, 2));
    const dir = await writeStaticTree(spec);
    fs.rmSync(path.join(dir, 'static-pods', 'cluster', 'openstack-cloud-controller-manager.yaml'));
    expect(checkCluster(dir, spec).findings.filter((f) => f.severity === 'error').map((f) => f.id)).toContain('pod-network-routes');
  });

  test('none: a warning (bring your own CNI), no error', async () => {
    const spec = resolveSpec(staticModeInput('none', 3, 2));
    const report = checkCluster(await writeStaticTree(spec), spec);
    expect(errorLines(report)).toEqual([]);
    expect(report.findings.map((f) => `${f.severity} ${f.id}`)).toEqual(['warning pod-network-missing']);
  });
});
