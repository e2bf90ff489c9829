/**
 * The bring-up plan: the order in which the parts of a synthesized tree can start, derived by the `cluster` check
 * from the dependencies it models (who dials which address, what each pod needs), and executed by
 * `hacp cluster apply` (static pods) and `hacp bootstrap` (self-hosted). Pure data.
 */

/** What a step does. */
export type BringUpStepKind =
  /** The kubelets start these static pods by themselves from their manifest directory (nothing to apply). */
  | 'static-pods'
  /** A service outside Kubernetes objects that must answer first (an Octavia/HAProxy load balancer). */
  | 'external'
  /** `kubectl apply --server-side` of tree files, then the step's waits. */
  | 'apply'
  /** Labels (or taints) set on Nodes through the API. */
  | 'label'
  /** Only waits (e.g. for the self-hosted control plane to take over). */
  | 'wait';

/** Something a step waits for once its objects are applied, each wait bounded by the executor's timeout. */
export interface BringUpWait {
  /** `ready`: Deployment/DaemonSet/StatefulSet rolled out; `established`: a CRD is served; `readyz`: the API answers. */
  readonly for: 'rollout' | 'established' | 'readyz' | 'nodes-registered';
  /** Object kind (`Deployment`, `DaemonSet`, `CustomResourceDefinition`), for `rollout` and `established`. */
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** A label (with value) or taint change on a Node, for `label` steps. */
export interface NodeLabelChange {
  readonly node: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** One step of the plan. */
export interface BringUpStep {
  /** Stable id (`etcd`, `api-servers`, `kube-vip-rbac`, `load-balancer`, `rbac`, `pod-network`, `kube-proxy`, `dns`, ...). */
  readonly id: string;
  /** What it is, for a human. */
  readonly title: string;
  readonly kind: BringUpStepKind;
  /** Ids of the steps that must be done first. */
  readonly after: readonly string[];
  /** Tree-relative files applied by an `apply` step (in this order), or holding the static pods of a `static-pods` step. */
  readonly files?: readonly string[];
  /** Nodes a `static-pods` step runs on. */
  readonly nodes?: readonly string[];
  /**
   * Which address an `apply`/`label` step must use: `master` (a master's own API server, for steps that make the API
   * endpoint itself work, e.g. the kube-vip RBAC) or `endpoint` (the cluster's API endpoint).
   */
  readonly via?: 'master' | 'endpoint';
  readonly waits?: readonly BringUpWait[];
  readonly labels?: readonly NodeLabelChange[];
}

/** The plan: phases in order; the steps of one phase can run together. */
export interface BringUpPlan {
  readonly phases: ReadonlyArray<{ readonly index: number; readonly steps: readonly BringUpStep[] }>;
}
