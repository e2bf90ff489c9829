/**
 * Placement: where the pods of each workload can run. Static pods run on the node whose folder holds them (bootkube's
 * bootstrap pods on the bootstrap master); every other pod on the nodes whose kubelet-registered labels satisfy its
 * `nodeSelector` and required node affinity and whose taints it tolerates. Then: required pod anti-affinity and host
 * ports against the replica count, and PodDisruptionBudgets that could never allow an eviction.
 */
import { NodeTaint } from '../../spec/node-roles';
import { Finding } from '../finding';
import type { ClusterModel, ModelNode, Workload } from './model';
import { taintText } from './model';

/**
 * True when a kubelet may set this label on its own Node under the NodeRestriction admission plugin (KEP-279):
 * anything outside the `kubernetes.io`/`k8s.io` domains (except `node-restriction.kubernetes.io`), inside them only
 * the `kubelet.kubernetes.io` and `node.kubernetes.io` namespaces and a fixed list of keys.
 */
export function kubeletMaySetLabel(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return true;
  const domain = key.slice(0, slash);
  const inDomain = (d: string) => domain === d || domain.endsWith(`.${d}`);
  if (inDomain('node-restriction.kubernetes.io')) return false;
  if (!inDomain('kubernetes.io') && !inDomain('k8s.io')) return true;
  if (inDomain('kubelet.kubernetes.io') || inDomain('node.kubernetes.io')) return true;
  return [
    'kubernetes.io/hostname',
    'kubernetes.io/os',
    'kubernetes.io/arch',
    'beta.kubernetes.io/os',
    'beta.kubernetes.io/arch',
    'beta.kubernetes.io/instance-type',
    'node.kubernetes.io/instance-type',
    'topology.kubernetes.io/zone',
    'topology.kubernetes.io/region',
    'failure-domain.beta.kubernetes.io/zone',
    'failure-domain.beta.kubernetes.io/region',
  ].includes(key);
}

/** The labels of a node: what its kubelet registers, plus (optionally) what steps apply later. */
function labelsOf(node: ModelNode, withApplied: boolean): Record<string, string> {
  if (!withApplied) return node.labels as Record<string, string>;
  return { ...node.labels, ...Object.fromEntries(node.appliedLabels.map((l) => [l.key, l.value])) };
}

type Requirement = { key: string; operator: string; values?: string[] };

/** Why a node's labels fail one requirement, or undefined when they meet it. */
function requirementMisfit(node: ModelNode, labels: Record<string, string>, r: Requirement): string | undefined {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const any = node.anyValue.has(r.key);
  const value = labels[r.key];
  const values = (r.values ?? []).map(String);
  switch (r.operator) {
    case 'In':
      if (!has) return `lacks ${r.key}`;
      return any || values.includes(value)
        ? undefined
        : `has ${r.key}=${JSON.stringify(value)}, not ${values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'NotIn':
      return !has || any || !values.includes(value) ? undefined : `has ${r.key}=${JSON.stringify(value)}`;
    case 'Exists':
      return has ? undefined : `lacks ${r.key}`;
    case 'DoesNotExist':
      return has ? `has ${r.key}` : undefined;
    case 'Gt':
    case 'Lt': {
      if (!has) return `lacks ${r.key}`;
      if (any) return undefined;
      const ok = r.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
      return ok
        ? undefined
        : `has ${r.key}=${JSON.stringify(value)}, not ${r.operator === 'Gt' ? '>' : '<'} ${values[0]}`;
    }
    default:
      return `unknown operator ${r.operator} on ${r.key}`;
  }
}

/** The nodeSelector as requirements. */
function nodeSelectorRequirements(w: Workload): Requirement[] {
  return Object.entries(w.spec.nodeSelector ?? {}).map(([key, v]) => ({ key, operator: 'In', values: [String(v)] }));
}

function requiredTerms(w: Workload): any[] {
  return w.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
}

/** True when a toleration list tolerates a taint. */
export function tolerates(tolerations: readonly any[], taint: NodeTaint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || String(t.value ?? '') === String(taint.value ?? '');
  });
}

/** Why a workload's pods cannot run on a node (undefined: they can). */
export function misfit(model: ClusterModel, w: Workload, node: ModelNode, withApplied = false): string | undefined {
  const labels = labelsOf(node, withApplied);
  const reasons: string[] = [];
  for (const r of nodeSelectorRequirements(w)) {
    const why = requirementMisfit(node, labels, r);
    if (why) reasons.push(why);
  }
  const terms = requiredTerms(w);
  if (terms.length) {
    const whys = terms.map((t: any) => {
      const parts = (t.matchExpressions ?? [])
        .map((r: Requirement) => requirementMisfit(node, labels, r))
        .concat(
          (t.matchFields ?? []).map((r: Requirement) =>
            r.key === 'metadata.name' ? requirementMisfit(node, { 'metadata.name': node.name }, r) : undefined,
          ),
        )
        .filter(Boolean);
      return parts.length ? parts.join(' and ') : undefined;
    });
    if (whys.every(Boolean))
      reasons.push(whys.length === 1 ? whys[0]! : `matches no required node affinity term (${whys.join('; ')})`);
  }
  for (const t of node.taints) {
    if (t.effect === 'PreferNoSchedule') continue;
    // A taint that a running workload removes (the CCM: the cloud `uninitialized` taint) does not keep pods off for
    // good; the plan orders them after their remover. A remover that fits no node removes nothing.
    const remover = model.removedTaints.get(t.key);
    if (remover && remover !== w && remover.nodes.length) continue;
    if (!tolerates(w.spec.tolerations ?? [], t)) reasons.push(`taint ${taintText(t)} is not tolerated`);
  }
  return reasons.length ? reasons.join(', ') : undefined;
}

/** Sets `nodes` and `misfits` of every workload of the model (the taints' removers first: others depend on them). */
export function placeWorkloads(model: ClusterModel): void {
  const removers = new Set(model.removedTaints.values());
  for (const w of [...model.workloads].sort((a, b) => Number(removers.has(b)) - Number(removers.has(a)))) {
    w.misfits = new Map();
    if (w.staticNode !== undefined) {
      w.nodes = model.nodes.some((n) => n.name === w.staticNode) ? [w.staticNode] : [];
      continue;
    }
    if (w.obj.delivery === 'static') {
      w.nodes = [];
      continue;
    }
    w.nodes = [];
    for (const n of model.nodes) {
      const why = misfit(model, w, n);
      if (why) w.misfits.set(n.name, why);
      else w.nodes.push(n.name);
    }
  }
}

/** `nodeSelector a=b, required node affinity ...` of a workload, for messages. */
export function selectorText(w: Workload): string {
  const parts: string[] = [];
  const sel = Object.entries(w.spec.nodeSelector ?? {});
  if (sel.length) parts.push(`nodeSelector ${sel.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`);
  const terms = requiredTerms(w);
  if (terms.length) {
    parts.push(
      `required node affinity ${terms.map((t: any) => (t.matchExpressions ?? []).map((r: Requirement) => `${r.key} ${r.operator}${r.values?.length ? ` ${r.values.join('|')}` : ''}`).join(' and ')).join(' or ')}`,
    );
  }
  if (w.spec.tolerations?.length)
    parts.push(
      `tolerations ${w.spec.tolerations.map((t: any) => (t.key ? `${t.key}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}${t.effect ? `:${t.effect}` : ''}` : 'everything')).join(', ')}`,
    );
  return parts.length ? parts.join('; ') : 'no node constraints';
}

/** Label keys the workload requires (nodeSelector, In/Exists/Gt/Lt of every required term). */
function requiredLabelKeys(w: Workload): string[] {
  const keys = nodeSelectorRequirements(w).map((r) => r.key);
  for (const t of requiredTerms(w))
    for (const r of t.matchExpressions ?? []) if (['In', 'Exists', 'Gt', 'Lt'].includes(r.operator)) keys.push(r.key);
  return [...new Set(keys)];
}

/** Nodes listed compactly (`master01, master02 and worker01`). */
export function listNames(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** True when a label selector (`matchLabels`, `matchExpressions`) selects these labels. */
export function selectorMatches(selector: any, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = (e.values ?? []).map(String);
    if (e.operator === 'In' && !(has && values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Number of pods a workload wants (a DaemonSet: one per fitting node). */
export function podCount(w: Workload): number {
  return w.replicas === 'per-node' ? w.nodes.length : w.replicas;
}

/** The placement findings of a model. */
export function placementFindings(model: ClusterModel): Finding[] {
  const findings: Finding[] = [];
  const add = (severity: Finding['severity'], id: string, file: string | undefined, message: string) =>
    findings.push({ severity, check: 'cluster', id, file, message });

  if (model.flavor === 'static-pods') {
    for (const m of model.spec.masters) {
      if (!model.nodeFolders.has(m.name)) {
        add(
          'error',
          'master-missing',
          model.root,
          `master ${m.name} (${m.ip}) of the spec has no folder ${model.root === '.' ? '' : `${model.root}/`}${m.name}/: its etcd member, API server, controller manager and scheduler are not in the tree`,
        );
      }
    }
  }
  for (const folder of model.unknownFolders) {
    add(
      'error',
      'node-unknown',
      folder,
      `${folder}/ holds static pods, but no node of the spec is named ${folder.split('/').pop()}: no kubelet reads them`,
    );
  }

  const registered = (key: string) => model.nodes.some((n) => Object.prototype.hasOwnProperty.call(n.labels, key));
  for (const w of model.workloads) {
    if (w.obj.delivery === 'static' || w.replicas === 0) continue;
    if (!w.nodes.length) {
      const byReason = new Map<string, string[]>();
      for (const [node, why] of w.misfits) byReason.set(why, [...(byReason.get(why) ?? []), node]);
      const why = [...byReason].map(([reason, nodes]) => `${listNames(nodes)}: ${reason}`).join('; ');
      const unset = requiredLabelKeys(w).filter((k) => !registered(k));
      const notes = unset.map((key) => {
        const steps = [
          ...new Set(model.nodes.flatMap((n) => n.appliedLabels.filter((l) => l.key === key).map((l) => l.step))),
        ];
        const restricted = kubeletMaySetLabel(key)
          ? ''
          : ' (NodeRestriction forbids a kubelet to set it on its own Node)';
        const by = steps.length
          ? `only plan step ${steps.join(', ')} sets it, through the API once it answers: a pod that needs it cannot help bring the API up, and a Node that re-registers lacks it until someone labels it again`
          : 'no step of the tree sets it';
        return `${key} is registered by no kubelet${restricted}; ${by}`;
      });
      const id = unset.length ? 'label-unset' : 'unschedulable';
      add(
        'error',
        id,
        w.obj.file.rel,
        `${w.id}: no node fits ${selectorText(w)}: ${why}${notes.length ? `. ${notes.join('. ')}` : ''}`,
      );
      continue;
    }
    // Required pod anti-affinity against itself, and host ports: at most one pod per topology domain / node.
    const replicas = w.replicas === 'per-node' ? undefined : w.replicas;
    for (const term of w.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (!selectorMatches(term.labelSelector, w.labels)) continue;
      const key = String(term.topologyKey ?? '');
      const nodes = model.nodes.filter((n) => w.nodes.includes(n.name));
      if (!nodes.some((n) => Object.prototype.hasOwnProperty.call(n.labels, key))) {
        add(
          'error',
          'anti-affinity',
          w.obj.file.rel,
          `${w.id}: required pod anti-affinity on topology key ${key}, which no node's kubelet registers: no pod can be placed`,
        );
        continue;
      }
      const domains = new Set(
        nodes.filter((n) => key in n.labels).map((n) => (n.anyValue.has(key) ? n.name : n.labels[key])),
      );
      if (replicas !== undefined && replicas > domains.size) {
        add(
          'error',
          'anti-affinity',
          w.obj.file.rel,
          `${w.id}: ${replicas} replicas with required pod anti-affinity on ${key}, but only ${domains.size} ${key === 'kubernetes.io/hostname' ? 'node(s)' : 'topology domain(s)'} fit (${listNames(nodes.map((n) => n.name))}): ${replicas - domains.size} pod(s) stay Pending`,
        );
      }
    }
    const hostPorts = w.spec.containers.flatMap((c: any) =>
      (c.ports ?? []).filter((p: any) => w.hostNetwork || p.hostPort).map((p: any) => p.hostPort ?? p.containerPort),
    );
    if (hostPorts.length && replicas !== undefined && replicas > w.nodes.length) {
      add(
        'error',
        'host-port',
        w.obj.file.rel,
        `${w.id}: ${replicas} replicas bind host port(s) ${[...new Set(hostPorts)].join(', ')}${w.hostNetwork ? ' (host network)' : ''}, so at most one runs per node, and only ${w.nodes.length} node(s) fit (${listNames(w.nodes)})`,
      );
    }
  }

  for (const pdb of model.objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const sel = pdb.object.spec?.selector;
    const matched = model.workloads.filter(
      (w) => w.namespace === pdb.namespace && w.obj.delivery === 'apply' && selectorMatches(sel, w.labels),
    );
    const what = `PodDisruptionBudget ${pdb.namespace}/${pdb.name}`;
    if (!matched.length) {
      add(
        'warning',
        'pdb-selector',
        pdb.file.rel,
        `${what}: selector ${JSON.stringify(sel ?? {})} matches no workload of the tree`,
      );
      continue;
    }
    const total = matched.reduce((s, w) => s + podCount(w), 0);
    const spec = pdb.object.spec ?? {};
    const amount = (v: any, roundUp: boolean) => {
      if (typeof v === 'string' && v.endsWith('%')) {
        const n = (Number(v.slice(0, -1)) * total) / 100;
        return roundUp ? Math.ceil(n) : Math.floor(n);
      }
      return Number(v);
    };
    const pods = `${total} pod(s) of ${listNames(matched.map((w) => w.id))}`;
    if (spec.minAvailable !== undefined && amount(spec.minAvailable, true) >= total) {
      add(
        'error',
        'pdb-blocks-eviction',
        pdb.file.rel,
        `${what}: minAvailable ${spec.minAvailable} with ${pods}: no pod may ever be evicted, so draining their nodes blocks; minAvailable must be below the replicas`,
      );
    } else if (spec.maxUnavailable !== undefined && amount(spec.maxUnavailable, false) < 1) {
      add(
        'error',
        'pdb-blocks-eviction',
        pdb.file.rel,
        `${what}: maxUnavailable ${spec.maxUnavailable} with ${pods}: no pod may ever be evicted, so draining their nodes blocks`,
      );
    }
  }
  return findings;
}
