/**
 * The bring-up plan: cycles are errors naming each edge (and the plan is still derived, marked partial), the public
 * `bringUpPlan()` takes a tree and its spec, `formatPlan()` prints phase by phase and node by node, and `hacp verify
 * --plan` prints it (also in --json).
 */
import * as fs from 'fs';
import * as path from 'path';
import { VerifyReport, bringUpPlan, formatPlan, loadTree } from '../../../lib/verify';
import { hacp } from '../../support/hacp';
import {
  FROZEN_DIST,
  TreeFiles,
  checkCluster,
  editDocs,
  frozenSpecFor,
  goodStaticTree,
  pkiFor,
  staticInput,
  staticSpec,
  writeFiles,
} from './_trees';

jest.setTimeout(600_000);

const spec = staticSpec(3, 1);
let base: TreeFiles;
const dirs: string[] = [];
beforeAll(async () => {
  base = goodStaticTree(spec, await pkiFor(spec));
});
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function planted(change: (files: TreeFiles) => void): { dir: string; report: VerifyReport } {
  const files = structuredClone(base);
  change(files);
  const dir = writeFiles(files);
  dirs.push(dir);
  return { dir, report: checkCluster(dir, spec) };
}

describe('dependency cycles', () => {
  test('kube-proxy off the host network needs the pod network, which needs kube-proxy: both edges named', () => {
    const { report } = planted((f) =>
      editDocs(f, 'static-pods/cluster/kube-proxy.yaml', (docs) => {
        docs.find((d) => d.kind === 'DaemonSet').spec.template.spec.hostNetwork = false;
      }),
    );
    const cycles = report.findings.filter((f) => f.id === 'plan-cycle');
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toMatchObject({ severity: 'error', check: 'cluster', file: 'static-pods/cluster' });
    expect(cycles[0].message).toContain(
      'kube-proxy waits for pod-network (DaemonSet kube-system/kube-proxy needs pod IPs: nodes are Ready only once the pod network runs)',
    );
    expect(cycles[0].message).toContain(
      'pod-network waits for kube-proxy (DaemonSet kube-system/kube-flannel (in-cluster config: the `kubernetes` Service) dials https://10.180.1.1:443 (Service default/kubernetes))',
    );
    const plan = report.plans![0].plan;
    expect(plan.partial).toBe(true);
    expect(plan.phases.flatMap((p) => p.steps).map((s) => s.id)).toEqual(
      expect.arrayContaining(['kube-proxy', 'pod-network', 'dns']),
    );
  });

  test('kube-proxy reaching the API through a ClusterIP only it makes routable', () => {
    const { report } = planted((f) =>
      editDocs(f, 'static-pods/cluster/kube-proxy.yaml', (docs) => {
        const cm = docs.find((d) => d.kind === 'ConfigMap');
        cm.data.kubeconfig = cm.data.kubeconfig.replace('https://10.47.40.33:443', 'https://10.180.1.1:443');
      }),
    );
    expect(report.findings.filter((f) => f.id === 'plan-cycle').map((f) => f.message)).toEqual([
      'bring-up cycle: nothing in it can start first: kube-proxy waits for kube-proxy (DaemonSet kube-system/kube-proxy (ConfigMap kube-system/kube-proxy-kubeconfig key kubeconfig) dials https://10.180.1.1:443 (Service default/kubernetes), which only it makes reachable)',
    ]);
  });
});

describe('bringUpPlan()', () => {
  test('takes a loaded tree and its spec; a tree of several clusters needs the folder', () => {
    const dir = writeFiles(base);
    dirs.push(dir);
    const tree = loadTree(dir);
    expect(bringUpPlan({ tree, spec }).phases[0].steps.map((s) => s.id)).toEqual(['etcd']);
    const both = loadTree(FROZEN_DIST);
    expect(() => bringUpPlan({ tree: both, spec: frozenSpecFor('bootkube/x') })).toThrow(
      /holds several clusters; choose one of bootkube, static-pods/,
    );
    const plan = bringUpPlan({ tree: both, spec: frozenSpecFor('bootkube/x'), root: 'bootkube' });
    expect(plan.root).toBe('bootkube');
  });

  test('formatPlan() prints phase by phase, step by step, node by node', () => {
    const dir = writeFiles(base);
    dirs.push(dir);
    const text = formatPlan(bringUpPlan({ tree: loadTree(dir), spec }));
    expect(text).toMatch(
      /^bring-up plan of static-pods \(static-pods\)\nphase 1\n {2}etcd \[static-pods\]: etcd members \(static pods\)\n {4}master0: static-pods\/master0\/etcd.yaml\n {4}master1: static-pods\/master1\/etcd.yaml\n {4}master2: static-pods\/master2\/etcd.yaml\n {4}wait: readyz etcd\nphase 2\n {2}api-servers \[static-pods\]/,
    );
    // the controller managers and schedulers have no wait of their own: a note says what shows they work
    expect(text).toContain(
      '    note: no wait of its own: the rollouts of later steps show it works (the scheduler places their pods)\n',
    );
    expect(text).toContain('  kube-proxy [apply via endpoint]: DaemonSet kube-proxy (after ');
    expect(text).toContain('    wait: rollout DaemonSet kube-system/kube-proxy\n');
  });
});

describe('hacp verify --plan', () => {
  test("prints the plan, then the report; --json carries it as plans; the exit code is the report's", async () => {
    const { dir } = planted(() => undefined);
    const clusterFile = path.join(dir, 'cluster.yaml');
    fs.writeFileSync(clusterFile, JSON.stringify(staticInput(3, 1)));
    const r = await hacp(['verify', dir, '--cluster', clusterFile, '--checks', 'cluster', '--plan']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^bring-up plan of static-pods \(static-pods\)\nphase 1\n/);
    expect(r.out).toContain('  node-roles [label via endpoint]: label the Nodes');
    expect(r.out).toMatch(/0 errors, 2 warnings\n$/);
    const json = await hacp(['verify', dir, '--cluster', clusterFile, '--checks', 'cluster', '--plan', '--json']);
    const report = JSON.parse(json.out);
    expect(report.plans.map((p: any) => p.root)).toEqual(['static-pods']);
    expect(report.plans[0].plan.phases[0].steps[0]).toMatchObject({
      id: 'etcd',
      kind: 'static-pods',
      nodes: ['master0', 'master1', 'master2'],
    });

    fs.rmSync(path.join(dir, 'static-pods/cluster/kube-proxy.yaml'));
    const bad = await hacp(['verify', dir, '--cluster', clusterFile, '--checks', 'cluster']);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('error   cluster/service-proxy-missing: ');
    expect(bad.out).not.toContain('bring-up plan');
  });

  test('the cluster check is one of the --checks and runs by default', async () => {
    const { dir } = planted((f) => delete f['static-pods/cluster/coredns.yaml']);
    const clusterFile = path.join(dir, 'cluster.yaml');
    fs.writeFileSync(clusterFile, JSON.stringify(staticInput(3, 1)));
    const all = await hacp(['verify', dir, '--cluster', clusterFile, '--json']);
    expect(JSON.parse(all.out).findings).toContainEqual(
      expect.objectContaining({ check: 'cluster', id: 'dns-missing' }),
    );
    const without = await hacp(['verify', dir, '--cluster', clusterFile, '--json', '--checks', 'schema']);
    expect(JSON.parse(without.out).findings.filter((f: any) => f.check === 'cluster')).toEqual([]);
  });
});
