// Semantic checks shared by the add-on, self-hosted and bootkube app tests.
import { SCHEMA_MINORS, validateObject } from '../../lib/verify';

const BUILT_IN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const CONTROL_PLANE = 'node-role.kubernetes.io/control-plane';

export function find(objs: any[], kind: string, name: string): any {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

/** Schema errors (unknown fields are errors) for every supported minor. */
export function schemaErrors(objs: any[]): string[] {
  return SCHEMA_MINORS.flatMap((m) => objs.flatMap((o) => validateObject(o, m).map((e) => `v${m}: ${e}`)));
}

const subset = (sel: Record<string, string> = {}, labels: Record<string, string> = {}) =>
  Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
const workloads = (objs: any[]) => objs.filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(o.kind));

/**
 * Selector problems: a workload whose selector does not match its pod labels, a PDB that selects no Deployment, a
 * Service (with a selector) that selects no pods, a `cdk8s.io/metadata.addr` hash label anywhere.
 */
export function selectorProblems(objs: any[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objs)) {
    if (!subset(w.spec.selector?.matchLabels, w.spec.template.metadata?.labels))
      problems.push(`${w.kind} ${w.metadata.name}: selector does not match its pod labels`);
  }
  const podsIn = (ns: string) => workloads(objs).filter((w) => (w.metadata.namespace ?? 'default') === ns);
  for (const pdb of objs.filter((o) => o.kind === 'PodDisruptionBudget')) {
    if (
      !podsIn(pdb.metadata.namespace).some(
        (w) => w.kind === 'Deployment' && subset(pdb.spec.selector?.matchLabels, w.spec.template.metadata.labels),
      )
    ) {
      problems.push(`PodDisruptionBudget ${pdb.metadata.name} selects no Deployment`);
    }
  }
  for (const svc of objs.filter((o) => o.kind === 'Service' && o.spec.selector)) {
    if (!podsIn(svc.metadata.namespace).some((w) => subset(svc.spec.selector, w.spec.template.metadata.labels))) {
      problems.push(`Service ${svc.metadata.name} selects no pods`);
    }
  }
  if (JSON.stringify(objs).includes('cdk8s.io/metadata.addr'))
    problems.push('a cdk8s.io/metadata.addr hash label is left');
  return problems;
}

/** Namespaced objects whose namespace is neither built in nor created among `objs`. */
export function missingNamespaces(objs: any[], alsoExisting: string[] = []): string[] {
  const created = new Set([
    ...BUILT_IN_NAMESPACES,
    ...alsoExisting,
    ...objs.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name),
  ]);
  return objs
    .filter((o) => o.metadata.namespace && !created.has(o.metadata.namespace))
    .map((o) => `${o.kind} ${o.metadata.name}: namespace ${o.metadata.namespace}`);
}

/** Bindings that give a ServiceAccount (or anyone) cluster-admin. */
export function clusterAdminGrants(objs: any[]): string[] {
  return objs
    .filter((o) => ['ClusterRoleBinding', 'RoleBinding'].includes(o.kind) && o.roleRef.name === 'cluster-admin')
    .flatMap((o) =>
      o.subjects
        .filter((s: any) => s.kind === 'ServiceAccount')
        .map((s: any) => `${o.metadata.name}: ${s.namespace}/${s.name}`),
    );
}

/** Images not pinned by a tag or digest. */
export function unpinnedImages(objs: any[]): string[] {
  return podSpecs(objs)
    .flatMap(({ spec }) => [...spec.containers, ...(spec.initContainers ?? [])])
    .map((c: any) => c.image)
    .filter((i: string) => !/(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(i.split('/').pop()!) || i.endsWith(':latest'));
}

/** Every pod spec with its owner. */
export function podSpecs(objs: any[]): Array<{ owner: any; spec: any }> {
  return objs.flatMap((o) =>
    o.kind === 'Pod'
      ? [{ owner: o, spec: o.spec }]
      : workloads([o]).map((w) => ({ owner: w, spec: w.spec.template.spec })),
  );
}

/** True when the pod spec tolerates the masters' NoSchedule taint. */
export function toleratesControlPlane(spec: any): boolean {
  return (spec.tolerations ?? []).some(
    (t: any) =>
      (t.operator === 'Exists' && !t.key && (!t.effect || t.effect === 'NoSchedule')) ||
      (t.key === CONTROL_PLANE && (!t.effect || t.effect === 'NoSchedule')),
  );
}

/** Pods pinned to the masters that do not tolerate their taint. */
export function mastersWithoutToleration(objs: any[]): string[] {
  return podSpecs(objs)
    .filter(({ spec }) => spec.nodeSelector?.[CONTROL_PLANE] !== undefined && !toleratesControlPlane(spec))
    .map(({ owner }) => `${owner.kind} ${owner.metadata.name}`);
}

/** Every semantic problem at once (empty when all is well). */
export function allProblems(objs: any[]): string[] {
  return [
    ...schemaErrors(objs),
    ...selectorProblems(objs),
    ...missingNamespaces(objs),
    ...clusterAdminGrants(objs),
    ...unpinnedImages(objs),
    ...mastersWithoutToleration(objs),
  ];
}

/** Synthesizes what `build` adds to a fresh chart (the shared helper, under the name these tests use). */
export { argMap, synthObjects as synth } from '../support/synth';
