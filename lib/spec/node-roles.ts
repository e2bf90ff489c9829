/**
 * How nodes say what they are. A kubelet registers its Node with labels and taints; under the NodeRestriction
 * admission plugin it may set only labels outside `kubernetes.io`/`k8s.io`, or inside the `node.kubernetes.io` and
 * `kubelet.kubernetes.io` namespaces (KEP-279). So everything that must run on masters selects `CONTROLLER_LABEL`,
 * which the master's kubelet sets itself (`--node-labels`, written by `hacp kubelet-unit`); the
 * `node-role.kubernetes.io/control-plane` label that `kubectl get nodes` shows is applied later through the API by
 * `hacp cluster apply` / `hacp bootstrap` and is never required by a selector.
 */

/** Label every master's kubelet sets on its own Node (value `CONTROLLER_LABEL_VALUE`), as Typhoon's controllers do. */
export const CONTROLLER_LABEL = 'node.kubernetes.io/controller';
/** Value of `CONTROLLER_LABEL`. */
export const CONTROLLER_LABEL_VALUE = 'true';
/** Label every worker's kubelet sets on its own Node (value `'true'`), as Typhoon's workers do. */
export const WORKER_LABEL = 'node.kubernetes.io/node';
/** `nodeSelector` that pins a pod to the masters. */
export const CONTROLLER_NODE_SELECTOR: Readonly<Record<string, string>> = {
  [CONTROLLER_LABEL]: CONTROLLER_LABEL_VALUE,
};

/**
 * The role label `kubectl get nodes` shows for masters. A kubelet may not set it on itself (NodeRestriction), so it is
 * applied through the API once the Node exists; no selector requires it.
 */
export const CONTROL_PLANE_ROLE_LABEL = 'node-role.kubernetes.io/control-plane';

/** A taint as a kubelet registers it (`registerWithTaints`). */
export interface NodeTaint {
  /** Taint key, e.g. `node-role.kubernetes.io/control-plane`. */
  readonly key: string;
  /** Taint value; undefined for a taint without one (`key:effect`). */
  readonly value?: string;
  /** What the taint does to pods that do not tolerate it: not scheduled, avoided, or evicted. */
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** The taint every master registers with, so that only pods tolerating it run there. */
export const CONTROL_PLANE_TAINT: NodeTaint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

/**
 * The taint a kubelet started with `--cloud-provider=external` registers with; the cloud controller manager removes it
 * once it has initialised the Node (addresses, provider ID, zone).
 */
export const CLOUD_UNINITIALIZED_TAINT: NodeTaint = {
  key: 'node.cloudprovider.kubernetes.io/uninitialized',
  value: 'true',
  effect: 'NoSchedule',
};
