/**
 * `planForTree()` (the `cluster` check's `bringUpPlan()`) on the real synthesized trees, and the small helpers of the
 * engine.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Deadline, SELF_HOSTED_COMPONENTS, kubectlSeconds, parseDuration, planForTree, readObjects, resolvePlanFile, treeLayout } from '../../lib/bring-up';
import { tempDir } from '../support/kubectl';
import { BOOTKUBE_SPEC, STATIC_SPEC, synthBootkubeTree, synthStaticTree } from './_trees';

jest.setTimeout(120_000);

describe('planForTree', () => {
  let tmp: { dir: string; remove: () => void };
  let staticTree: string;
  let bootkubeTree: string;
  beforeAll(async () => {
    tmp = tempDir('hacp-plan-');
    staticTree = await synthStaticTree(tmp.dir);
    bootkubeTree = await synthBootkubeTree(tmp.dir);
  });
  afterAll(() => tmp.remove());

  test('static-pod tree: the cluster check\'s plan: etcd, API servers, the load balancer, cluster/, the role labels', () => {
    const plan = planForTree(staticTree, STATIC_SPEC);
    const steps = plan.phases.flatMap((p) => p.steps);
    const ids = steps.map((s) => s.id);
    expect(ids.indexOf('etcd')).toBeLessThan(ids.indexOf('api-servers'));
    expect(steps.find((s) => s.id === 'etcd')!.filesByNode).toEqual(Object.fromEntries(['master0', 'master1', 'master2'].map((m) => [m, [`${m}/etcd.yaml`]])));
    // Every file of cluster/ is applied by exactly one step, after the API answers.
    const applied = steps.filter((s) => s.kind === 'apply').flatMap((s) => s.files ?? []);
    expect(applied.sort()).toEqual(fs.readdirSync(path.join(staticTree, 'cluster')).map((f) => `cluster/${f}`).sort());
    const phaseOf = (id: string) => plan.phases.findIndex((p) => p.steps.some((s) => s.id === id));
    for (const s of steps.filter((x) => x.kind === 'apply')) expect(phaseOf(s.id)).toBeGreaterThan(phaseOf('api-servers'));
    expect(steps.find((s) => s.id === 'node-roles')!.labels).toEqual(['master0', 'master1', 'master2'].map((node) => ({ node, labels: { 'node-role.kubernetes.io/control-plane': '' } })));
  });

  test('bootkube asset dir: the bootstrap control plane first, every file of manifests/ applied once, the self-hosted rollouts', () => {
    const plan = planForTree(bootkubeTree, BOOTKUBE_SPEC);
    const steps = plan.phases.flatMap((p) => p.steps);
    // Each master's etcd member (masters/<master>/etcd.yaml) first: the bootstrap API server dials them.
    expect(plan.phases[0].steps.map((s) => s.id)).toEqual(['etcd']);
    expect(plan.phases[1].steps.map((s) => s.id)).toContain('bootstrap-control-plane');
    expect(steps.find((s) => s.id === 'bootstrap-control-plane')!.filesByNode).toEqual({
      master01: ['bootstrap-manifests/bootstrap-apiserver.yaml', 'bootstrap-manifests/bootstrap-controller-manager.yaml', 'bootstrap-manifests/bootstrap-scheduler.yaml'],
    });
    const applied = steps.filter((s) => s.kind === 'apply').flatMap((s) => s.files ?? []);
    expect(applied.sort()).toEqual(fs.readdirSync(path.join(bootkubeTree, 'manifests')).map((f) => `manifests/${f}`).sort());
    // Namespaces come before what lives in them.
    const phaseOfFile = (f: string) => plan.phases.findIndex((p) => p.steps.some((s) => (s.files ?? []).includes(f)));
    const withNs = applied.filter((f) => readObjects(path.join(bootkubeTree, f)).some((o) => o.kind === 'Namespace'));
    for (const f of applied.filter((x) => !withNs.includes(x) && readObjects(path.join(bootkubeTree, x)).some((o) => o.metadata?.namespace === 'tds-cloud'))) {
      expect(phaseOfFile(f)).toBeGreaterThan(phaseOfFile(withNs[0]));
    }
    const waits = steps.flatMap((s) => s.waits ?? []);
    for (const name of SELF_HOSTED_COMPONENTS) expect(waits).toContainEqual(expect.objectContaining({ for: 'rollout', namespace: 'kube-system', name }));
  });

  test('a folder that is neither tree, and a file that is not YAML, are named', () => {
    expect(() => treeLayout(tmp.dir)).toThrow(`${tmp.dir}: neither a static-pod tree (no cluster/ folder) nor a bootkube asset dir (no manifests/ and bootstrap-manifests/); run \`npm run synth\` first?`);
    const bad = path.join(tmp.dir, 'bad.yaml');
    fs.writeFileSync(bad, 'kind: [\n');
    expect(() => readObjects(bad)).toThrow(`${bad}: not valid YAML`);
    fs.writeFileSync(bad, 'foo: 1\n');
    expect(() => readObjects(bad)).toThrow(`${bad}: a document without apiVersion, kind and metadata.name`);
  });

  test('resolvePlanFile: relative to the tree, or to the tree the check verified (first folder dropped); never outside', () => {
    expect(resolvePlanFile(staticTree, 'cluster/rbac.yaml')).toBe(path.join(staticTree, 'cluster/rbac.yaml'));
    expect(resolvePlanFile(staticTree, 'static-pods/cluster/rbac.yaml')).toBe(path.join(staticTree, 'cluster/rbac.yaml'));
    expect(resolvePlanFile(bootkubeTree, 'bootkube/manifests/kube-apiserver.yaml')).toBe(path.join(bootkubeTree, 'manifests/kube-apiserver.yaml'));
    expect(resolvePlanFile(staticTree, '../bootkube/manifests/kube-apiserver.yaml')).toBeUndefined();
    expect(resolvePlanFile(staticTree, path.join(staticTree, 'cluster/rbac.yaml'))).toBeUndefined();
    expect(resolvePlanFile(staticTree, 'cluster/none.yaml')).toBeUndefined();
  });
});

describe('durations', () => {
  test('seconds or Go-style durations; never 0', () => {
    expect(parseDuration('--timeout', '300')).toBe(300);
    expect(parseDuration('--timeout', '90s')).toBe(90);
    expect(parseDuration('--timeout', '5m')).toBe(300);
    expect(parseDuration('--timeout', '1h30m')).toBe(5400);
    expect(parseDuration('--timeout', '1.5m')).toBe(90);
    expect(parseDuration('--poll-interval', '500ms')).toBe(0.5);
    expect(() => parseDuration('--timeout', '0')).toThrow('--timeout: "0" must be more than 0 seconds');
    expect(() => parseDuration('--timeout', 'soon')).toThrow('--timeout: "soon" is not a duration (seconds, or e.g. 300s, 5m, 1h)');
    expect(kubectlSeconds(0.2)).toBe('1s');
    expect(kubectlSeconds(299.5)).toBe('300s');
  });
  test('a deadline counts down', () => {
    let now = 1000;
    const d = new Deadline(2, () => now);
    expect(d.remaining()).toBe(2);
    now += 1500;
    expect(d.passed()).toBe(false);
    now += 600;
    expect([d.remaining(), d.passed()]).toEqual([0, true]);
  });
});
