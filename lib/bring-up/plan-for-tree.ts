/**
 * The plan `hacp cluster apply` and `hacp bootstrap` execute: the `cluster` check's `bringUpPlan()` (lib/verify/cluster)
 * for the tree in `dir`, which derives the order from the dependencies it models (who dials which address, what each
 * pod needs), plus the layout helpers the commands share.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ResolvedClusterSpec } from '../spec';
import type { BringUpPlan } from '../verify/cluster/plan';

/** Which layout a tree has. */
export type TreeLayout = 'static-pods' | 'bootkube';

/** `bootkube` when `dir` has `manifests/` and `bootstrap-manifests/`, `static-pods` when it has `cluster/`. */
export function treeLayout(dir: string): TreeLayout {
  const has = (sub: string) => fs.existsSync(path.join(dir, sub)) && fs.statSync(path.join(dir, sub)).isDirectory();
  if (has('manifests') && has('bootstrap-manifests')) return 'bootkube';
  if (has('cluster')) return 'static-pods';
  throw new Error(
    `${dir}: neither a static-pod tree (no cluster/ folder) nor a bootkube asset dir (no manifests/ and bootstrap-manifests/); run \`npm run synth\` first?`,
  );
}

/** The self-hosted control plane workloads of a bootkube tree (kube-system DaemonSet/Deployments by name). */
export const SELF_HOSTED_COMPONENTS: readonly string[] = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
];

/**
 * The bring-up plan of the tree in `dir` (a static-pod tree, `dist/static-pods`, or a bootkube asset dir): the
 * `cluster` check's `bringUpPlan()` of that tree. Files in the plan are relative to `dir`.
 */
export function planForTree(dir: string, spec: ResolvedClusterSpec): BringUpPlan {
  // Loaded here: the verify modules (the tree loader, the model) are needed only when a plan is made.
  const { loadTree } = require('../verify/tree') as typeof import('../verify/tree');
  const { bringUpPlan } = require('../verify/cluster/plan') as typeof import('../verify/cluster/plan');
  return bringUpPlan({ tree: loadTree(dir), spec });
}
