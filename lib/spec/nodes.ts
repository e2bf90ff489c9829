import { NodeSpec, ResolvedClusterSpec } from './cluster-spec';

/** A node of the cluster and its role. */
export interface HostNode {
  /** The node as the spec lists it (name and IP). */
  readonly node: NodeSpec;
  /** `master` for a node of `masters`, `worker` for one of `workers`. */
  readonly role: 'master' | 'worker';
  /** True for `masters[0]`, the node that bootstraps (runs `bootkube start`). */
  readonly first: boolean;
}

/** The message for a node name that is not in the spec, listing the valid names. */
function unknownNodeMessage(spec: ResolvedClusterSpec, name: string): string {
  const names = [...spec.masters, ...spec.workers].map((n) => n.name);
  return `unknown node ${JSON.stringify(name)}: the cluster spec has ${names.join(', ')}`;
}

/** Finds a master or worker by name. Throws an `Error` naming the node and listing the valid names when it is unknown. */
export function findNode(spec: ResolvedClusterSpec, name: string): HostNode {
  const masterIndex = spec.masters.findIndex((m) => m.name === name);
  if (masterIndex >= 0) return { node: spec.masters[masterIndex], role: 'master', first: masterIndex === 0 };
  const worker = spec.workers.find((w) => w.name === name);
  if (worker) return { node: worker, role: 'worker', first: false };
  throw new Error(unknownNodeMessage(spec, name));
}
