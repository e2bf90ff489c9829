/**
 * FALLBACK plan, to be replaced by the `cluster` check's `bringUpPlan()` (lib/verify/cluster) when it lands: the lead
 * wires `planForTree()` to it. Until then this derives a simple plan from the tree's layout alone, without the
 * dependency model of the check (who dials which address):
 *
 * static-pod tree (`<master>/…` folders and `cluster/`):
 *   1. `control-plane` (static-pods): the masters' pod manifests; wait for /readyz.
 *   2. `crds` (apply): files of `cluster/` holding CustomResourceDefinitions; wait until each is Established.
 *   3. `cluster` (apply): the other files of `cluster/` in name order; wait for every Deployment, DaemonSet and
 *      StatefulSet in them to roll out.
 *   4. `node-roles` (label): `node-role.kubernetes.io/control-plane=` on every master, once its Node is registered.
 *
 * bootkube asset dir (`bootstrap-manifests/`, `manifests/`):
 *   1. `bootstrap-control-plane` (static-pods, first master): wait for /readyz.
 *   2. `crds` (apply), as above, from `manifests/`.
 *   3. `manifests` (apply): files holding Namespaces first, then the rest, each group in name order (bootkube's order:
 *      namespaces before what lives in them); wait for the self-hosted API server, controller manager and scheduler
 *      to roll out (add-on rollouts are left to the real plan).
 *   4. `node-roles` (label), as above.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ResolvedClusterSpec } from '../spec';
import { CONTROL_PLANE_ROLE_LABEL } from '../spec/node-roles';
import type { BringUpPlan, BringUpStep, BringUpWait } from '../verify/cluster/plan';
import { TreeObject, WORKLOAD_KINDS, manifestFiles, readObjects } from './tree-files';

/** Which layout a tree has. */
export type TreeLayout = 'static-pods' | 'bootkube';

/** `bootkube` when `dir` has `manifests/` and `bootstrap-manifests/`, `static-pods` when it has `cluster/`. */
export function treeLayout(dir: string): TreeLayout {
  const has = (sub: string) => fs.existsSync(path.join(dir, sub)) && fs.statSync(path.join(dir, sub)).isDirectory();
  if (has('manifests') && has('bootstrap-manifests')) return 'bootkube';
  if (has('cluster')) return 'static-pods';
  throw new Error(`${dir}: neither a static-pod tree (no cluster/ folder) nor a bootkube asset dir (no manifests/ and bootstrap-manifests/); run \`npm run synth\` first?`);
}

/** The self-hosted control plane workloads of a bootkube tree (kube-system DaemonSet/Deployments by name). */
export const SELF_HOSTED_COMPONENTS: readonly string[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/**
 * The bring-up plan of the tree in `dir` (FALLBACK, see the file comment: the lead replaces the body with the
 * `cluster` check's `bringUpPlan()`). Files in the plan are relative to `dir`.
 */
export function planForTree(dir: string, spec: ResolvedClusterSpec): BringUpPlan {
  return treeLayout(dir) === 'bootkube' ? bootkubePlan(dir, spec) : staticPodsPlan(dir, spec);
}

function staticPodsPlan(dir: string, spec: ResolvedClusterSpec): BringUpPlan {
  const podFiles = spec.masters.flatMap((m) => manifestFiles(path.join(dir, m.name))
    .filter((f) => readObjects(path.join(dir, m.name, f)).some((o) => o.kind === 'Pod'))
    .map((f) => `${m.name}/${f}`));
  const cluster = manifestFiles(path.join(dir, 'cluster')).map((f) => `cluster/${f}`);
  const steps: BringUpStep[] = [{
    id: 'control-plane',
    title: 'the static control plane (etcd, API servers, controller managers, schedulers) on every master',
    kind: 'static-pods',
    after: [],
    files: podFiles,
    nodes: spec.masters.map((m) => m.name),
    waits: [{ for: 'readyz' }],
  }];
  return { phases: [...steps.map((s) => [s]), ...applySteps(dir, cluster, 'cluster', 'the cluster objects of cluster/', (ws) => ws, 'control-plane', spec)].map((s, i) => ({ index: i, steps: s })) };
}

function bootkubePlan(dir: string, spec: ResolvedClusterSpec): BringUpPlan {
  const first = spec.masters[0].name;
  const objects = new Map(manifestFiles(path.join(dir, 'manifests')).map((f) => [`manifests/${f}`, readObjects(path.join(dir, 'manifests', f))]));
  const rank = (f: string) => (objects.get(f)!.some((o) => o.kind === 'Namespace') ? 0 : 1);
  const files = [...objects.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const bootstrap: BringUpStep = {
    id: 'bootstrap-control-plane',
    title: `the temporary bootstrap control plane on ${first}`,
    kind: 'static-pods',
    after: [],
    files: manifestFiles(path.join(dir, 'bootstrap-manifests')).map((f) => `bootstrap-manifests/${f}`),
    nodes: [first],
    waits: [{ for: 'readyz' }],
  };
  const controlPlaneOnly = (ws: BringUpWait[]) => ws.filter((w) => w.namespace === 'kube-system' && SELF_HOSTED_COMPONENTS.includes(w.name!));
  return { phases: [[bootstrap], ...applySteps(dir, files, 'manifests', 'the self-hosted control plane and the add-ons of manifests/', controlPlaneOnly, 'bootstrap-control-plane', spec)].map((s, i) => ({ index: i, steps: s })) };
}

/** The crds / apply / node-roles steps for `files` (relative to `dir`), one phase each. */
function applySteps(dir: string, files: string[], id: string, title: string, keepWaits: (ws: BringUpWait[]) => BringUpWait[], after: string, spec: ResolvedClusterSpec): BringUpStep[][] {
  const objects = new Map(files.map((f) => [f, readObjects(path.join(dir, f))]));
  const isCrd = (o: TreeObject) => o.kind === 'CustomResourceDefinition';
  const crdFiles = files.filter((f) => objects.get(f)!.some(isCrd));
  const rest = files.filter((f) => !crdFiles.includes(f));
  const phases: BringUpStep[][] = [];
  let previous = after;
  if (crdFiles.length) {
    phases.push([{
      id: 'crds',
      title: 'the CustomResourceDefinitions',
      kind: 'apply',
      after: [previous],
      files: crdFiles,
      waits: crdFiles.flatMap((f) => objects.get(f)!.filter(isCrd).map((o): BringUpWait => ({ for: 'established', kind: o.kind, name: o.metadata.name }))),
    }]);
    previous = 'crds';
  }
  if (rest.length) {
    const waits = rest.flatMap((f) => objects.get(f)!.filter((o) => WORKLOAD_KINDS.includes(o.kind))
      .map((o): BringUpWait => ({ for: 'rollout', kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name })));
    phases.push([{ id, title, kind: 'apply', after: [previous], files: rest, waits: keepWaits(waits) }]);
    previous = id;
  }
  phases.push([{
    id: 'node-roles',
    title: `the ${CONTROL_PLANE_ROLE_LABEL} role label on the masters (a kubelet may not set it on itself)`,
    kind: 'label',
    after: [previous],
    labels: spec.masters.map((m) => ({ node: m.name, labels: { [CONTROL_PLANE_ROLE_LABEL]: '' } })),
  }]);
  return phases;
}
