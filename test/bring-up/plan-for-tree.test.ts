/**
 * The FALLBACK plan `planForTree()` (replaced by the `cluster` check's `bringUpPlan()` when it lands) on the real
 * synthesized trees, and the small helpers of the engine.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Deadline, describePlan, kubectlSeconds, parseDuration, planForTree, readObjects, resolvePlanFile, treeLayout } from '../../lib/bring-up';
import { tempDir } from '../support/kubectl';
import { BOOTKUBE_SPEC, STATIC_SPEC, synthBootkubeTree, synthStaticTree } from './_trees';

jest.setTimeout(120_000);

describe('planForTree (fallback)', () => {
  let tmp: { dir: string; remove: () => void };
  let staticTree: string;
  let bootkubeTree: string;
  beforeAll(async () => {
    tmp = tempDir('hacp-plan-');
    staticTree = await synthStaticTree(tmp.dir);
    bootkubeTree = await synthBootkubeTree(tmp.dir);
  });
  afterAll(() => tmp.remove());

  test('static-pod tree: the control plane, then cluster/ in name order with its rollouts, then the role labels', () => {
    fs.writeFileSync(path.join(staticTree, 'cluster', 'crd.yaml'), 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {}\n');
    fs.writeFileSync(path.join(staticTree, 'cluster', 'addon.yaml'), 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: kube-system}\nspec: {}\n');
    try {
      const plan = planForTree(staticTree, STATIC_SPEC);
      expect(describePlan(plan)).toEqual([
        'phase 0: control-plane (static-pods); waits for the API server to answer /readyz',
        'phase 1: crds (apply) cluster/crd.yaml; waits for CustomResourceDefinition widgets.example.com to be Established (its resource served)',
        'phase 2: cluster (apply) cluster/addon.yaml cluster/rbac.yaml; waits for DaemonSet kube-system/agent to roll out (all pods updated and available)',
        'phase 3: node-roles (label) master0, master1, master2',
      ]);
      const cp = plan.phases[0].steps[0];
      expect(cp.nodes).toEqual(['master0', 'master1', 'master2']);
      expect(cp.files).toEqual(['master0', 'master1', 'master2'].flatMap((m) => ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((p) => `${m}/${p}.yaml`)));
      expect(plan.phases[3].steps[0].labels).toEqual(['master0', 'master1', 'master2'].map((node) => ({ node, labels: { 'node-role.kubernetes.io/control-plane': '' } })));
    } finally {
      fs.rmSync(path.join(staticTree, 'cluster', 'crd.yaml'));
      fs.rmSync(path.join(staticTree, 'cluster', 'addon.yaml'));
    }
  });

  test('bootkube asset dir: the bootstrap control plane, manifests/ with Namespaces first, the self-hosted control plane\'s rollouts', () => {
    const plan = planForTree(bootkubeTree, BOOTKUBE_SPEC);
    expect(plan.phases.map((p) => p.steps.map((s) => `${s.id} (${s.kind})`))).toEqual([['bootstrap-control-plane (static-pods)'], ['manifests (apply)'], ['node-roles (label)']]);
    expect(plan.phases[0].steps[0]).toMatchObject({ nodes: ['master01'], files: ['bootstrap-manifests/bootstrap-apiserver.yaml', 'bootstrap-manifests/bootstrap-controller-manager.yaml', 'bootstrap-manifests/bootstrap-scheduler.yaml'] });
    const apply = plan.phases[1].steps[0];
    // every file holding a Namespace comes before the files of what lives in it
    const withNs = apply.files!.filter((f) => readObjects(path.join(bootkubeTree, f)).some((o) => o.kind === 'Namespace'));
    expect(withNs.length).toBeGreaterThan(0);
    expect(apply.files!.slice(0, withNs.length)).toEqual(withNs);
    expect(apply.files!.length).toBe(fs.readdirSync(path.join(bootkubeTree, 'manifests')).length);
    expect(apply.waits).toEqual([
      { for: 'rollout', kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-apiserver' },
      { for: 'rollout', kind: 'Deployment', namespace: 'kube-system', name: 'kube-controller-manager' },
      { for: 'rollout', kind: 'Deployment', namespace: 'kube-system', name: 'kube-scheduler' },
    ]);
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
