/**
 * The `cluster` check: reads a synthesized tree as an operator would, as one cluster that must come up, over a model
 * built from the tree and its spec (model.ts): where every pod can run (placement.ts), whether every address a
 * component dials is served with a certificate it trusts (endpoints.ts), the services every node and pod needs
 * (services.ts), whether every reference resolves (references.ts), whether a self-hosted API server comes back after a
 * full reboot (checkpoints.ts), and the order things can start in (plan.ts).
 */
import { ResolvedClusterSpec } from '../../spec';
import { Finding } from '../finding';
import { AssetTree } from '../tree';
import { checkpointFindings } from './checkpoints';
import { endpointFindings } from './endpoints';
import { ClusterModel, buildClusterModel, findClusterRoots, under } from './model';
import { BringUpPlan, derivePlan, planFindings } from './plan';
import { placementFindings } from './placement';
import { referenceFindings } from './references';
import { serviceFindings } from './services';

export * from './builtins';
export * from './model';
export * from './placement';
export * from './endpoints';
export * from './services';
export * from './references';
export * from './checkpoints';
export * from './plan';

/** Options of `clusterFindings()`. */
export interface ClusterCheckOptions {
  /** The spec a file of the tree was synthesized from (by tree-relative path). */
  readonly specFor: (rel: string) => ResolvedClusterSpec | undefined;
}

/** The outcome of the `cluster` check over a tree: its findings and each cluster's bring-up plan. */
export interface ClusterCheckResult {
  /** Findings over every cluster of the tree (placement, endpoints, services, references, checkpoints, plan cycles). */
  readonly findings: Finding[];
  /** The bring-up plan of each cluster that has a spec. */
  readonly plans: Array<{
    /** Tree-relative folder of the cluster (`static-pods`, `bootkube`; `.` for the tree root). */
    readonly root: string;
    /** Its bring-up plan. */
    readonly plan: BringUpPlan;
  }>;
  /** The model of each cluster that has a spec, in the order of `plans`. */
  readonly models: ClusterModel[];
}

/** Runs the `cluster` check over every cluster of a tree (`dist/` holds two: static-pods and bootkube). */
export function clusterCheck(tree: AssetTree, options: ClusterCheckOptions): ClusterCheckResult {
  const findings: Finding[] = [];
  const plans: ClusterCheckResult['plans'] = [];
  const models: ClusterModel[] = [];
  const roots = findClusterRoots(tree);
  if (!roots.length) {
    if (tree.files.some((f) => f.docs.some((d) => typeof d.kind === 'string' && typeof d.apiVersion === 'string'))) {
      findings.push({
        severity: 'warning',
        check: 'cluster',
        id: 'no-cluster',
        message:
          'no static-pod folders (<root>/<master>/) or bootkube asset dir (bootstrap-manifests/, manifests/ + auth/) in the tree: the cluster check has nothing to model',
      });
    }
    return { findings, plans, models };
  }
  for (const { root } of roots) {
    const spec = options.specFor(under(root, '.x'));
    if (!spec) {
      findings.push({
        severity: 'warning',
        check: 'cluster',
        id: 'no-spec',
        file: root,
        message: `no cluster spec for ${root}: the cluster check needs one (--cluster FILE or --example)`,
      });
      continue;
    }
    const model = buildClusterModel(tree, spec, { root });
    models.push(model);
    findings.push(
      ...placementFindings(model),
      ...endpointFindings(model),
      ...serviceFindings(model),
      ...referenceFindings(model),
      ...checkpointFindings(model),
      ...planFindings(model),
    );
    plans.push({ root, plan: derivePlan(model).plan });
  }
  return { findings, plans, models };
}
