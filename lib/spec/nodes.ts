import { NodeSpec, ResolvedClusterSpec } from './cluster-spec';

/** A node of the cluster and its role. */
export interface HostNode {
  readonly node: NodeSpec;
  readonly role: 'master' | 'worker';
  /** True for `masters[0]`, the node that bootstraps (runs `bootkube start`). */
  readonly first: boolean;
}

/** The message for a node name that is not in the spec, listing the valid names. */
function unknownNodeMessage(spec: ResolvedClusterSpec, name: string): string {
  const names = [...spec.masters, ...spec.workers].map((n) => n.name);
  return `unknown node ${JSON.stringify(name)}: the cluster spec has ${names.join(', ')}`;
}

/** Finds a master or worker by name; throws naming the node and listing the valid ones. */
export function findNode(spec: ResolvedClusterSpec, name: string): HostNode {
  const mi = spec.masters.findIndex((m) => m.name === name);
  if (mi >= 0) return { node: spec.masters[mi], role: 'master', first: mi === 0 };
  const worker = spec.workers.find((w) => w.name === name);
  if (worker) return { node: worker, role: 'worker', first: false };
  throw new Error(unknownNodeMessage(spec, name));
}
