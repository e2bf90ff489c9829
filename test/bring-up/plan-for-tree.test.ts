/**
 * `planForTree()` (the `cluster` check's `bringUpPlan()`) on the real synthesized trees, and the small helpers of the
 * engine.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  Deadline,
  Kubectl,
  MAX_TIMER_MS,
  SELF_HOSTED_COMPONENTS,
  executePlan,
  kubectlSeconds,
  parseDuration,
  planForTree,
  readObjects,
  resolvePlanFile,
  timerMs,
  treeLayout,
} from '../../lib/bring-up';
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

  test("static-pod tree: the cluster check's plan: etcd, API servers, the load balancer, cluster/, the role labels", () => {
    const plan = planForTree(staticTree, STATIC_SPEC);
    const steps = plan.phases.flatMap((p) => p.steps);
    const ids = steps.map((s) => s.id);
    expect(ids.indexOf('etcd')).toBeLessThan(ids.indexOf('api-servers'));
    expect(steps.find((s) => s.id === 'etcd')!.filesByNode).toEqual(
      Object.fromEntries(['master0', 'master1', 'master2'].map((m) => [m, [`${m}/etcd.yaml`]])),
    );
    // Every file of cluster/ is applied by exactly one step, after the API answers.
    const applied = steps.filter((s) => s.kind === 'apply').flatMap((s) => s.files ?? []);
    expect(applied.sort()).toEqual(
      fs
        .readdirSync(path.join(staticTree, 'cluster'))
        .map((f) => `cluster/${f}`)
        .sort(),
    );
    const phaseOf = (id: string) => plan.phases.findIndex((p) => p.steps.some((s) => s.id === id));
    for (const s of steps.filter((x) => x.kind === 'apply'))
      expect(phaseOf(s.id)).toBeGreaterThan(phaseOf('api-servers'));
    expect(steps.find((s) => s.id === 'node-roles')!.labels).toEqual(
      ['master0', 'master1', 'master2'].map((node) => ({
        node,
        labels: { 'node-role.kubernetes.io/control-plane': '' },
      })),
    );
  });

  test('bootkube asset dir: the bootstrap control plane first, every file of manifests/ applied once, the pivot on Running pods, the self-hosted rollouts after it', () => {
    const plan = planForTree(bootkubeTree, BOOTKUBE_SPEC);
    const steps = plan.phases.flatMap((p) => p.steps);
    // Each master's etcd member (masters/<master>/etcd.yaml) first: the bootstrap API server dials them.
    expect(plan.phases[0].steps.map((s) => s.id)).toEqual(['etcd']);
    expect(plan.phases[1].steps.map((s) => s.id)).toContain('bootstrap-control-plane');
    expect(steps.find((s) => s.id === 'bootstrap-control-plane')!.filesByNode).toEqual({
      master01: [
        'bootstrap-manifests/bootstrap-apiserver.yaml',
        'bootstrap-manifests/bootstrap-controller-manager.yaml',
        'bootstrap-manifests/bootstrap-scheduler.yaml',
      ],
    });
    const applied = steps.filter((s) => s.kind === 'apply').flatMap((s) => s.files ?? []);
    expect(applied.sort()).toEqual(
      fs
        .readdirSync(path.join(bootkubeTree, 'manifests'))
        .map((f) => `manifests/${f}`)
        .sort(),
    );
    // Namespaces come before what lives in them.
    const phaseOfFile = (f: string) => plan.phases.findIndex((p) => p.steps.some((s) => (s.files ?? []).includes(f)));
    const withNs = applied.filter((f) => readObjects(path.join(bootkubeTree, f)).some((o) => o.kind === 'Namespace'));
    for (const f of applied.filter(
      (x) =>
        !withNs.includes(x) &&
        readObjects(path.join(bootkubeTree, x)).some((o) => o.metadata?.namespace === 'tds-cloud'),
    )) {
      expect(phaseOfFile(f)).toBeGreaterThan(phaseOfFile(withNs[0]));
    }
    // The pivot: a Running pod of each self-hosted component (the one on the bootstrap master cannot be Ready while
    // the bootstrap pods hold its ports), the bootstrap pods removed, then the rollouts; no rollout of them before.
    const pivot = steps.find((s) => s.id === 'pivot')!;
    expect(plan.phases.at(-1)!.steps.map((s) => s.id)).toEqual(['pivot']);
    expect(pivot.removes).toEqual(steps.find((s) => s.id === 'bootstrap-control-plane')!.files);
    const kinds: Record<string, string> = {
      'kube-apiserver': 'DaemonSet',
      'kube-controller-manager': 'Deployment',
      'kube-scheduler': 'Deployment',
    };
    expect(pivot.waits).toEqual(
      SELF_HOSTED_COMPONENTS.map((name) => ({
        for: 'running',
        kind: kinds[name],
        namespace: 'kube-system',
        name,
        selector: { 'k8s-app': name, tier: 'control-plane' },
      })),
    );
    expect(pivot.thenWaits).toEqual(
      SELF_HOSTED_COMPONENTS.map((name) => ({ for: 'rollout', kind: kinds[name], namespace: 'kube-system', name })),
    );
    const before = steps.filter((s) => s !== pivot).flatMap((s) => s.waits ?? []);
    for (const name of SELF_HOSTED_COMPONENTS) {
      expect(before.filter((w) => w.name === name)).toEqual([]);
      expect(steps.find((s) => s.id === name)!.notes).toEqual([
        `${kinds[name]} kube-system/${name} rolls out only after the pivot (step pivot waits for it): until then the bootstrap pods hold its ports on master01`,
      ]);
    }
    // the add-ons' rollouts stay in their steps (the dashboard's retired images still run: their rollouts are waited for)
    expect(steps.find((s) => s.id === 'dns')!.waits).toEqual([
      { for: 'rollout', kind: 'Deployment', namespace: 'kube-system', name: 'coredns' },
    ]);
    expect(steps.find((s) => s.id === 'kube-dashboard')!.waits).toHaveLength(2);
  });

  test('CRDs get a step of their own that waits until they are established; a file also holding other objects is applied whole after it', async () => {
    const dir = path.join(tmp.dir, 'crds');
    fs.cpSync(staticTree, dir, { recursive: true });
    const crd = (plural: string, kind: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${plural}.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: ${plural}, singular: ${kind.toLowerCase()}, kind: ${kind}}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`;
    // a chart's file: the CRD and an object of its kind together (cdk8s writes one file per chart)
    fs.writeFileSync(
      path.join(dir, 'cluster/widgets.yaml'),
      `${crd('widgets', 'Widget')}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: kube-system}\n`,
    );
    // a file of CRDs only, and the objects of its kind in another file
    fs.writeFileSync(path.join(dir, 'cluster/gadget-crds.yaml'), crd('gadgets', 'Gadget'));
    fs.writeFileSync(
      path.join(dir, 'cluster/gadgets.yaml'),
      'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1, namespace: kube-system}\n',
    );
    const plan = planForTree(dir, STATIC_SPEC);
    const steps = plan.phases.flatMap((p) => p.steps);
    const phaseOf = (id: string) => plan.phases.findIndex((p) => p.steps.some((s) => s.id === id));
    expect(steps.find((s) => s.id === 'widgets-crds')).toMatchObject({
      kind: 'apply',
      files: ['cluster/widgets.yaml'],
      kinds: ['CustomResourceDefinition'],
      waits: [{ for: 'established', kind: 'CustomResourceDefinition', name: 'widgets.example.com' }],
    });
    expect(steps.find((s) => s.id === 'widgets')).toMatchObject({
      kind: 'apply',
      files: ['cluster/widgets.yaml'],
      after: ['widgets-crds'],
    });
    expect(steps.find((s) => s.id === 'widgets')!.waits).toBeUndefined();
    expect(steps.find((s) => s.id === 'gadget-crds')).toMatchObject({
      files: ['cluster/gadget-crds.yaml'],
      waits: [{ for: 'established', kind: 'CustomResourceDefinition', name: 'gadgets.example.com' }],
    });
    expect(steps.find((s) => s.id === 'gadget-crds')!.kinds).toBeUndefined();
    expect(phaseOf('widgets')).toBeGreaterThan(phaseOf('widgets-crds'));
    expect(phaseOf('gadgets')).toBeGreaterThan(phaseOf('gadget-crds'));
    // what the executor makes of it: the CRDs alone on stdin, established, then the file whole
    const lines: string[] = [];
    const kubectl = new Kubectl({ kubeconfig: '/k', bin: 'kubectl', dryRun: true, log: (l) => lines.push(l) });
    await executePlan(plan, {
      kubectl,
      root: dir,
      masterServer: 'https://10.180.0.10:6443',
      log: (l) => lines.push(l),
    });
    const at = (x: string) => lines.indexOf(x);
    const stdin = at(`# on stdin: the CustomResourceDefinition objects of ${path.join(dir, 'cluster/widgets.yaml')}`);
    expect(stdin).toBeGreaterThan(0);
    expect(lines[stdin + 1]).toBe(
      'kubectl --kubeconfig=/k apply --server-side --field-manager=hacp --force-conflicts -f -',
    );
    expect(at('kubectl --kubeconfig=/k wait --for=condition=Established crd/widgets.example.com --timeout=300s')).toBe(
      stdin + 2,
    );
    expect(
      at(
        `kubectl --kubeconfig=/k apply --server-side --field-manager=hacp --force-conflicts -f ${path.join(dir, 'cluster/widgets.yaml')}`,
      ),
    ).toBeGreaterThan(stdin + 2);
  });

  test('no rollout wait kubectl refuses (updateStrategy OnDelete) or that cannot end (an image that cannot run): a note says why', () => {
    const dir = path.join(tmp.dir, 'no-rollout');
    fs.cpSync(staticTree, dir, { recursive: true });
    const ds = (name: string, image: string, extra = '') => `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${name}, namespace: kube-system}
spec:
  selector: {matchLabels: {app: ${name}}}${extra}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      hostNetwork: true
      tolerations: [{operator: Exists}]
      containers: [{name: ${name}, image: ${image}}]
`;
    fs.writeFileSync(
      path.join(dir, 'cluster/on-delete.yaml'),
      ds('on-delete', 'registry.k8s.io/pause:3.10', '\n  updateStrategy: {type: OnDelete}'),
    );
    fs.writeFileSync(
      path.join(dir, 'cluster/checkpointer.yaml'),
      ds('checkpointer', 'quay.io/coreos/pod-checkpointer:83e25e5968391b9eb342042c435d1b3eeddb2be1'),
    );
    fs.writeFileSync(path.join(dir, 'cluster/agent.yaml'), ds('agent', 'registry.k8s.io/pause:3.10'));
    const steps = planForTree(dir, STATIC_SPEC).phases.flatMap((p) => p.steps);
    expect(steps.find((s) => s.id === 'on-delete')!.waits).toBeUndefined();
    expect(steps.find((s) => s.id === 'on-delete')!.notes).toEqual([
      'no rollout wait for DaemonSet kube-system/on-delete: its updateStrategy is OnDelete, whose rollout `kubectl rollout status` does not follow',
    ]);
    expect(steps.find((s) => s.id === 'checkpointer')!.waits).toBeUndefined();
    expect(steps.find((s) => s.id === 'checkpointer')!.notes![0]).toMatch(
      /^no rollout wait for DaemonSet kube-system\/checkpointer: it runs quay\.io\/coreos\/pod-checkpointer:83e25e5968391b9eb342042c435d1b3eeddb2be1, which cannot run \(bootkube's pod-checkpointer/,
    );
    expect(steps.find((s) => s.id === 'agent')!.waits).toEqual([
      { for: 'rollout', kind: 'DaemonSet', namespace: 'kube-system', name: 'agent' },
    ]);
  });

  test('a folder that is neither tree, and a file that is not YAML, are named', () => {
    expect(() => treeLayout(tmp.dir)).toThrow(
      `${tmp.dir}: neither a static-pod tree (no cluster/ folder) nor a bootkube asset dir (no manifests/ and bootstrap-manifests/); run \`npm run synth\` first?`,
    );
    const bad = path.join(tmp.dir, 'bad.yaml');
    fs.writeFileSync(bad, 'kind: [\n');
    expect(() => readObjects(bad)).toThrow(`${bad}: not valid YAML`);
    fs.writeFileSync(bad, 'foo: 1\n');
    expect(() => readObjects(bad)).toThrow(`${bad}: a document without apiVersion, kind and metadata.name`);
  });

  test('resolvePlanFile: relative to the tree, or to the tree the check verified (first folder dropped); never outside', () => {
    expect(resolvePlanFile(staticTree, 'cluster/rbac.yaml')).toBe(path.join(staticTree, 'cluster/rbac.yaml'));
    expect(resolvePlanFile(staticTree, 'static-pods/cluster/rbac.yaml')).toBe(
      path.join(staticTree, 'cluster/rbac.yaml'),
    );
    expect(resolvePlanFile(bootkubeTree, 'bootkube/manifests/kube-apiserver.yaml')).toBe(
      path.join(bootkubeTree, 'manifests/kube-apiserver.yaml'),
    );
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
    expect(() => parseDuration('--timeout', 'soon')).toThrow(
      '--timeout: "soon" is not a duration (seconds, or e.g. 300s, 5m, 1h)',
    );
    expect(() => parseDuration('--timeout', '300h')).toThrow('--timeout: "300h" is more than 24h');
    expect(kubectlSeconds(0.2)).toBe('1s');
    expect(kubectlSeconds(299.5)).toBe('300s');
  });
  test('timers get whole milliseconds within what Node takes (execFile throws on a fraction; above 2^31-1 it fires at once)', () => {
    expect(timerMs(61.0004 * 1000)).toBe(61001);
    expect(timerMs(0.3)).toBe(1);
    expect(timerMs((24 * 3600 + 60) * 1000)).toBe(86460000);
    expect(timerMs(40 * 24 * 3600 * 1000)).toBe(MAX_TIMER_MS);
    expect(Number.isInteger(timerMs(1234.5678))).toBe(true);
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
