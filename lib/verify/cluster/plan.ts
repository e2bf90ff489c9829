/**
 * The bring-up plan: the order in which the parts of a synthesized tree can start, derived by the `cluster` check
 * from the dependencies it models (who dials which address, what each pod needs), and executed by
 * `hacp cluster apply` (static pods) and `hacp bootstrap` (self-hosted). The types are pure data; `bringUpPlan()`
 * (below) derives a plan from a tree and its spec.
 */

import * as path from 'path';
import { ResolvedClusterSpec } from '../../spec';
import { Finding } from '../finding';
import { AssetTree } from '../tree';
import { RETIRED_IMAGES, RetiredImage, imageRepository } from './builtins';
import { leaseAuthorization, resolve, resolveDial } from './endpoints';
import { ClusterModel, ModelObject, Workload, buildClusterModel, parseAddress } from './model';
import { listNames, selectorMatches, tolerates } from './placement';
import { podNetworkMode, routeControllers } from './services';

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
  /**
   * `rollout`: Deployment/DaemonSet/StatefulSet rolled out; `established`: a CRD is served; `readyz`: the API answers
   * (`check`: one check of it); `nodes-registered`: the step's Nodes exist; `running`: a pod of the workload is
   * Running, not necessarily Ready (bootkube's pivot criterion: the self-hosted pod on the bootstrap master cannot be
   * Ready while the bootstrap pod holds its port).
   */
  readonly for: 'rollout' | 'established' | 'readyz' | 'nodes-registered' | 'running';
  /** Object kind (`Deployment`, `DaemonSet`, `CustomResourceDefinition`), for `rollout`, `established` and `running`. */
  readonly kind?: string;
  /**
   * Namespace of the object, for `rollout` and `running`.
   * @default 'default'
   */
  readonly namespace?: string;
  /**
   * Name of the object (the workload, or the CRD for `established`); for `nodes-registered`, the one Node to wait for.
   * @default - `nodes-registered`: the step's nodes (those of its label changes, else its `nodes`)
   */
  readonly name?: string;
  /**
   * `readyz`: the one check to ask for (`etcd`: `/readyz/etcd`, the API server reaches an etcd quorum).
   * @default - the whole /readyz
   */
  readonly check?: string;
  /** `running`: the labels of the workload's pods (its `spec.selector.matchLabels`). */
  readonly selector?: Readonly<Record<string, string>>;
}

/** Labels to set on one Node, for `label` steps (`kubectl label node --overwrite`, once the Node is registered). */
export interface NodeLabelChange {
  /** Name of the Node. */
  readonly node: string;
  /** Labels to set (key → value; `''` for a role label such as `node-role.kubernetes.io/control-plane`). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** One step of the plan. */
export interface BringUpStep {
  /** Stable id (`etcd`, `api-servers`, `kube-vip-rbac`, `load-balancer`, `rbac`, `pod-network`, `kube-proxy`, `dns`, ...). */
  readonly id: string;
  /** What it is, for a human. */
  readonly title: string;
  /** What the step does (how the executor runs it). */
  readonly kind: BringUpStepKind;
  /** Ids of the steps that must be done first. */
  readonly after: readonly string[];
  /** Tree-relative files applied by an `apply` step (in this order), or holding the static pods of a `static-pods` step. */
  readonly files?: readonly string[];
  /** Nodes a `static-pods` step runs on. */
  readonly nodes?: readonly string[];
  /**
   * Which address an `apply`/`label` step must use: `master` (a master's own API server, for steps that make the API
   * endpoint itself work, e.g. the kube-vip RBAC) or `endpoint` (the cluster's API endpoint). A `static-pods` step's
   * waits ask a master's own API server unless it says `endpoint` (kube-vip: its wait is for the VIP itself).
   */
  readonly via?: 'master' | 'endpoint';
  /** What to wait for once the step's files are applied, its static pods placed or its labels set, in this order. */
  readonly waits?: readonly BringUpWait[];
  /** `label` steps: the label changes, one per Node. */
  readonly labels?: readonly NodeLabelChange[];
  /**
   * Tree-relative static-pod files taken out of the kubelets' manifest directory once the step's waits pass
   * (bootkube's `pivot`: the bootstrap control plane, once each self-hosted component runs). Only `hacp bootstrap`,
   * on the bootstrap master, does it; `hacp cluster apply` says so and goes on.
   */
  readonly removes?: readonly string[];
  /** Waits that run once the `removes` are done (the self-hosted control plane rolls out once the bootstrap pods have freed its ports). */
  readonly thenWaits?: readonly BringUpWait[];
  /** `static-pods` steps: the files of each node (node name → tree-relative files). */
  readonly filesByNode?: Readonly<Record<string, readonly string[]>>;
  /**
   * `apply` steps: only the objects of these kinds from `files` (the CustomResourceDefinitions of a file that also
   * holds other objects: the objects of their kinds can be applied only once they are established, so the file as a
   * whole is applied by a later step).
   * @default - every object of the files
   */
  readonly kinds?: readonly string[];
  /** What a human should know about the step: a workload it does not wait for, and why. */
  readonly notes?: readonly string[];
}

/** The plan: phases in order; the steps of one phase can run together. */
export interface BringUpPlan {
  /** The phases, in the order they run; a phase starts once every step of the one before it is done. */
  readonly phases: ReadonlyArray<{
    /** Position of the phase, counted from 1. */
    readonly index: number;
    /** Its steps (none depends on another of the same phase). */
    readonly steps: readonly BringUpStep[];
  }>;
  /** Tree-relative folder of the cluster the plan is for (`static-pods`, `bootkube`). */
  readonly root?: string;
  /** `static-pods` or `bootkube`. */
  readonly flavor?: 'static-pods' | 'bootkube';
  /** True when the order could not be fully derived (a dependency cycle was cut; the `cluster` findings say where). */
  readonly partial?: boolean;
  /** Every dependency the order was derived from: `to` runs after `from`, because of `reason`. */
  readonly edges?: ReadonlyArray<{
    /** Id of the step that must be done first. */
    readonly from: string;
    /** Id of the step that waits for it. */
    readonly to: string;
    /** Why, for a human (`Deployment kube-system/coredns is placed by the scheduler`). */
    readonly reason: string;
  }>;
}

// =================================================================================================================
// Deriving the plan from the model

/** What `bringUpPlan()` accepts: a model, or a loaded tree with its spec (and the cluster's folder if it holds several). */
export type BringUpPlanInput =
  | ClusterModel
  | {
      /** The loaded tree. */
      readonly tree: AssetTree;
      /** The spec the tree was synthesized from. */
      readonly spec: ResolvedClusterSpec;
      /**
       * Tree-relative folder of the cluster (`static-pods`, `bootkube`).
       * @default - the only cluster of the tree
       */
      readonly root?: string;
    };

interface Unit {
  readonly id: string;
  readonly title: string;
  readonly kind: BringUpStepKind;
  readonly rank: number;
  readonly files: string[];
  readonly filesByNode?: Record<string, string[]>;
  /** The nodes a step is about, when they are not the keys of `filesByNode` (the Nodes a `nodes-registered` wait waits for). */
  readonly nodes?: string[];
  readonly workloads: Workload[];
  readonly objects: ModelObject[];
  readonly waits: BringUpWait[];
  readonly labels?: NodeLabelChange[];
  readonly removes?: string[];
  thenWaits?: BringUpWait[];
  readonly kinds?: string[];
  readonly notes: string[];
  via?: 'master' | 'endpoint';
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** The derived plan with the dependency cycles that had to be cut. */
export interface DerivedPlan {
  readonly plan: BringUpPlan;
  /** Each cycle as the list of its edges. */
  readonly cycles: ReadonlyArray<readonly Edge[]>;
}

/** Order of the well-known steps within a phase. */
const RANK = [
  'external-etcd',
  'bootstrap-control-plane',
  'etcd',
  'api-servers',
  'kube-vip',
  'load-balancer',
  'controller-manager',
  'scheduler',
  'nodes-registered',
  'node-roles',
];
const rankOf = (id: string) => (RANK.includes(id) ? RANK.indexOf(id) : RANK.length);

/**
 * The bring-up plan of a cluster tree: the order in which its parts can start, phase by phase, derived from the
 * dependencies the `cluster` check models (who dials which address and what serves it, what each pod needs: nodes,
 * scheduling, the pod network, the Service proxy, the objects it references, its RBAC). `hacp cluster apply` (static
 * pods) and `hacp bootstrap` (self-hosted) execute it:
 * - `static-pods` steps are started by the kubelets themselves (`filesByNode`: which files go to which master's
 *   manifest directory); `external` steps are load balancers made by `hacp lb apply`;
 * - `apply` steps list tree-relative files in apply order (`kubectl apply --server-side`), through a master's own API
 *   server (`via: master`, for what the API endpoint itself needs, e.g. kube-vip's RBAC) or the API endpoint;
 * - `label` steps label Nodes through the API; `wait` steps only wait; every step's `waits` name the workloads to wait
 *   for; `removes` lists static-pod files to take out once its waits pass (bootkube's pivot).
 * A tree that is incomplete still gets a plan (of what is there); the `cluster` findings say what is missing, and
 * `partial` is set when a dependency cycle had to be cut.
 */
export function bringUpPlan(input: BringUpPlanInput): BringUpPlan {
  return derivePlan(toModel(input)).plan;
}

function toModel(input: BringUpPlanInput): ClusterModel {
  return 'workloads' in input ? input : buildClusterModel(input.tree, input.spec, { root: input.root });
}

const derived = new WeakMap<ClusterModel, DerivedPlan>();

/** The plan of a model and the cycles cut to derive it (computed once per model). */
export function derivePlan(model: ClusterModel): DerivedPlan {
  const hit = derived.get(model);
  if (hit) return hit;
  const result = new PlanBuilder(model).build();
  derived.set(model, result);
  return result;
}

/** `plan-cycle` findings: each dependency cycle, naming every edge. */
export function planFindings(model: ClusterModel): Finding[] {
  return derivePlan(model).cycles.map((cycle) => ({
    severity: 'error' as const,
    check: 'cluster' as const,
    id: 'plan-cycle',
    file: model.applyDir,
    message: `bring-up cycle: nothing in it can start first: ${cycle.map((e) => `${e.to} waits for ${e.from} (${e.reason})`).join('; ')}`,
  }));
}

class PlanBuilder {
  private readonly units = new Map<string, Unit>();
  private readonly unitOfWorkload = new Map<Workload, string>();
  private readonly unitOfObject = new Map<ModelObject, string>();
  private readonly edges = new Map<string, Edge>();
  private lbUnits: string[] = [];
  /** Dials a workload can only make once it runs itself (kube-proxy reaching the API through a ClusterIP). */
  private readonly selfCycles: Edge[][] = [];
  private masterApiUnits: string[] = [];

  constructor(private readonly model: ClusterModel) {}

  build(): DerivedPlan {
    this.staticUnits();
    this.externalUnits();
    this.applyUnits();
    this.dialEdges();
    this.workloadEdges();
    this.referenceEdges();
    this.apiAccessEdges();
    this.pivot();
    const cycles = [...this.selfCycles, ...this.cutCycles()];
    return { plan: this.toPlan(cycles.length > 0), cycles };
  }

  private addUnit(u: Unit): void {
    this.units.set(u.id, u);
    for (const w of u.workloads) this.unitOfWorkload.set(w, u.id);
    for (const o of u.objects) this.unitOfObject.set(o, u.id);
  }

  private edge(from: string | undefined, to: string | undefined, reason: string): void {
    if (!from || !to || from === to) return;
    const key = `${from}>${to}`;
    if (!this.edges.has(key)) this.edges.set(key, { from, to, reason });
  }

  // -- units --------------------------------------------------------------------------------------------------------

  private staticUnits(): void {
    const m = this.model;
    const groups = new Map<string, Workload[]>();
    for (const w of m.workloads.filter((x) => x.obj.delivery === 'static')) {
      const bootstrap = w.phases.length === 1 && w.phases[0] === 'bootstrap';
      const role = bootstrap
        ? 'bootstrap-control-plane'
        : w.components.has('etcd')
          ? 'etcd'
          : w.components.has('kube-apiserver')
            ? 'api-servers'
            : w.components.has('kube-vip')
              ? 'kube-vip'
              : w.components.has('kube-controller-manager')
                ? 'controller-manager'
                : w.components.has('kube-scheduler')
                  ? 'scheduler'
                  : `static-${w.name}`;
      groups.set(role, [...(groups.get(role) ?? []), w]);
    }
    const titles: Record<string, string> = {
      'bootstrap-control-plane': `bootstrap control plane on ${m.bootstrapMaster} (bootstrap-manifests/ in its kubelet's manifest directory, until the pivot)`,
      etcd: 'etcd members (static pods)',
      'api-servers': 'API servers (static pods)',
      'kube-vip': 'kube-vip, holding the API VIP (static pods)',
      'controller-manager': 'controller managers (static pods)',
      scheduler: 'schedulers (static pods)',
    };
    for (const [id, ws] of groups) {
      const filesByNode: Record<string, string[]> = {};
      for (const w of ws) {
        const node = w.staticNode ?? '?';
        const list = (filesByNode[node] ??= []);
        if (!list.includes(w.obj.file.rel)) list.push(w.obj.file.rel);
      }
      const files = [...new Set(ws.map((w) => w.obj.file.rel))].sort();
      const objects = m.objects.filter((o) => o.delivery === 'static' && files.includes(o.file.rel));
      // What can be seen of them through the API: the API servers answer /readyz (and reach an etcd quorum before
      // that); kube-vip holds the VIP once the API endpoint answers through it. The controller managers and schedulers
      // have no wait of their own: the rollouts of the steps that need them wait for them.
      const waits: BringUpWait[] =
        id === 'api-servers' || id === 'bootstrap-control-plane' || id === 'kube-vip'
          ? [{ for: 'readyz' }]
          : id === 'etcd'
            ? [{ for: 'readyz', check: 'etcd' }]
            : [];
      const notes =
        id === 'controller-manager' || id === 'scheduler'
          ? [
              `no wait of its own: the rollouts of later steps show it works (${id === 'scheduler' ? 'the scheduler places their pods' : 'the controller manager creates their pods'})`,
            ]
          : [];
      this.addUnit({
        id,
        title: titles[id] ?? `static pod ${ws[0].name}`,
        kind: 'static-pods',
        rank: rankOf(id),
        files,
        filesByNode,
        workloads: ws,
        objects,
        waits,
        notes,
        // kube-vip's wait is for the VIP: through the API endpoint, not a master's own API server
        ...(id === 'kube-vip' ? { via: 'endpoint' as const } : {}),
      });
    }
    this.masterApiUnits = ['bootstrap-control-plane', 'api-servers'].filter((id) => this.units.has(id));
  }

  private externalUnits(): void {
    const m = this.model;
    // Only when something dials it (the static-pod app runs stacked etcd whatever the spec says).
    const dialed = m.dials.some(
      (d) =>
        d.kind === 'etcd' &&
        m.phases.some((phase) => resolveDial(m, d, phase).some((x) => x.resolution.external?.length)),
    );
    if (dialed) {
      this.addUnit({
        id: 'external-etcd',
        title: `etcd outside the cluster (spec etcd.external, run by you): ${m.externalServers.map((x) => `${x.host}:${x.port}`).join(', ')}`,
        kind: 'external',
        rank: rankOf('external-etcd'),
        files: [],
        workloads: [],
        objects: [],
        // Seen through the first API server that runs: it reaches an etcd quorum.
        waits: [{ for: 'readyz', check: 'etcd' }],
        notes: [],
      });
    }
    for (const lb of m.loadBalancers) {
      if (lb.type === 'kube-vip') {
        if (this.units.has('kube-vip')) this.lbUnits.push('kube-vip');
        continue;
      }
      this.addUnit({
        id: 'load-balancer',
        title: `${lb.source}: ${lb.address}:${lb.port} → ${lb.backends.map((b) => `${b.address}:${b.port}`).join(', ')}`,
        kind: 'external',
        rank: rankOf('load-balancer'),
        files: [],
        workloads: [],
        objects: [],
        waits: [{ for: 'readyz' }],
        notes: [],
      });
      this.lbUnits.push('load-balancer');
      for (const phase of m.phases.slice(0, 1)) {
        for (const b of lb.backends) {
          const r = resolve(m, b.address, b.port, undefined, phase, ['kube-apiserver']);
          for (const s of r.servers)
            this.edge(this.unitOfWorkload.get(s.workload), 'load-balancer', `the load balancer forwards to ${s.name}`);
        }
      }
    }
    // The bring-up waits for the masters' Nodes: the control plane and everything pinned to masters need them. Workers
    // join whenever they boot; the placement check says whether a workload needs one.
    const masters = m.nodes.filter((n) => n.role === 'master').map((n) => n.name);
    this.addUnit({
      id: 'nodes-registered',
      title: `every kubelet registers its Node (${m.nodes.length}: ${listNames(m.nodes.map((n) => n.name))}; the bring-up waits for the masters')`,
      kind: 'wait',
      rank: rankOf('nodes-registered'),
      files: [],
      nodes: masters,
      workloads: [],
      objects: [],
      waits: [{ for: 'nodes-registered' }],
      notes: [],
    });
    const byStep = new Map<string, NodeLabelChange[]>();
    for (const n of m.nodes) {
      for (const l of n.appliedLabels) {
        const list = byStep.get(l.step) ?? [];
        const entry = list.find((c) => c.node === n.name);
        if (entry) (entry.labels as Record<string, string>)[l.key] = l.value;
        else list.push({ node: n.name, labels: { [l.key]: l.value } });
        byStep.set(l.step, list);
      }
    }
    for (const [id, labels] of byStep) {
      this.addUnit({
        id,
        title: `label the Nodes (${[...new Set(labels.flatMap((l) => Object.keys(l.labels ?? {})))].join(', ')}: kubelets may not set these themselves)`,
        kind: 'label',
        rank: rankOf(id),
        files: [],
        workloads: [],
        objects: [],
        waits: [],
        labels,
        notes: [],
      });
      this.edge('nodes-registered', id, 'the Nodes must exist to be labeled');
    }
  }

  /** One unit per file of the apply folder; files that only serve one other file's workloads join that file's unit. */
  private applyUnits(): void {
    const m = this.model;
    const applied = m.objects.filter((o) => o.delivery === 'apply');
    const files = [...new Set(applied.map((o) => o.file.rel))].sort();
    const objectsOf = (f: string) => applied.filter((o) => o.file.rel === f);
    const workloadsOf = (f: string) => m.workloads.filter((w) => w.obj.file.rel === f && w.obj.delivery === 'apply');
    // Which files' workloads use each file's objects.
    const consumers = new Map<string, Set<string>>();
    const use = (o: ModelObject, consumerFile: string) => {
      if (o.file.rel === consumerFile) return;
      const set = consumers.get(o.file.rel) ?? new Set<string>();
      set.add(consumerFile);
      consumers.set(o.file.rel, set);
    };
    const used = new Set<ModelObject>();
    for (const [o, w] of this.references()) {
      if (w.obj.delivery !== 'apply') {
        consumers.set(o.file.rel, new Set([...(consumers.get(o.file.rel) ?? []), `static:${w.id}`]));
        used.add(o);
        continue;
      }
      use(o, w.obj.file.rel);
      used.add(o);
    }
    const mergeInto = new Map<string, string>();
    for (const f of files) {
      if (workloadsOf(f).length) continue;
      const objs = objectsOf(f);
      const c = consumers.get(f);
      if (!c || c.size !== 1 || !objs.every((o) => used.has(o))) continue;
      const target = [...c][0];
      if (!target.startsWith('static:') && workloadsOf(target).length) mergeInto.set(f, target);
    }
    const taken = new Set(this.units.keys());
    const uniqueId = (id: string) => {
      let unique = id;
      for (let i = 2; taken.has(unique); i++) unique = `${id}-${i}`;
      taken.add(unique);
      return unique;
    };
    for (const f of files.filter((x) => !mergeInto.has(x))) {
      const group = [...files.filter((x) => mergeInto.get(x) === f), f];
      const all = group.flatMap(objectsOf);
      const workloads = group.flatMap(workloadsOf);
      const has = (c: string) => workloads.some((w) => w.components.has(c));
      let id = has('cni')
        ? 'pod-network'
        : has('kube-proxy') || has('service-proxy')
          ? 'kube-proxy'
          : has('dns')
            ? 'dns'
            : has('ccm')
              ? 'cloud-controller-manager'
              : path.posix.basename(f).replace(/\.(ya?ml|json)$/, '');
      if (this.kubeVipNeeds(all)) id = 'kube-vip-rbac';
      // CustomResourceDefinitions go first, in a step of their own that waits until they are established: objects of
      // their kinds (in the same file or another) can be applied only then, and whatever watches them (an operator)
      // crash-loops until then. A file that holds other objects too is applied whole by its own step after that one
      // (the CRDs again: server-side apply of unchanged objects changes nothing).
      const crds = all.filter((o) => o.kind === 'CustomResourceDefinition');
      const objects = crds.length < all.length ? all.filter((o) => o.kind !== 'CustomResourceDefinition') : all;
      const establish = crds.map((o) => ({ for: 'established' as const, kind: o.kind, name: o.name }));
      let crdUnit: string | undefined;
      if (crds.length && crds.length < all.length) {
        crdUnit = uniqueId(`${id}-crds`);
        const crdFiles = group.filter((x) => crds.some((o) => o.file.rel === x));
        this.addUnit({
          id: crdUnit,
          title: `CustomResourceDefinitions of ${listNames(crdFiles.map((x) => path.posix.basename(x)))}: ${listNames(crds.map((o) => o.name))}`,
          kind: 'apply',
          rank: rankOf(crdUnit),
          files: crdFiles,
          kinds: ['CustomResourceDefinition'],
          workloads: [],
          objects: crds,
          waits: establish,
          notes: [],
        });
      }
      const unique = uniqueId(id);
      const notes: string[] = [];
      const waits: BringUpWait[] = [
        ...(crdUnit ? [] : establish),
        ...workloads.flatMap((w) => this.rolloutWait(w, notes)),
      ];
      let what = workloads.length
        ? listNames([...new Set(workloads.map((w) => `${w.kind} ${w.name}`))])
        : listNames([...new Set(objects.map((o) => o.kind))].map((k) => `${k}s`));
      if (id === 'kube-vip-rbac')
        what = `kube-vip's right to take its Lease (${what}): the VIP answers only once kube-vip holds it`;
      this.addUnit({
        id: unique,
        title: what,
        kind: 'apply',
        rank: rankOf(unique),
        files: group,
        workloads,
        objects,
        waits,
        notes,
      });
      if (crdUnit)
        this.edge(
          crdUnit,
          unique,
          `${listNames(group.filter((x) => crds.some((o) => o.file.rel === x)))} is applied whole once its CustomResourceDefinitions are established`,
        );
    }
  }

  /**
   * The rollout wait of a workload, or none, with a note saying why: `kubectl rollout status` refuses a DaemonSet or
   * StatefulSet with `updateStrategy: OnDelete`, and a workload running an image that cannot run (the `cluster`
   * check's retired images of severity error) would hold the bring-up until the bound for nothing.
   */
  private rolloutWait(w: Workload, notes: string[]): BringUpWait[] {
    if (!['Deployment', 'DaemonSet', 'StatefulSet'].includes(w.kind)) return [];
    if (w.kind !== 'Deployment' && w.obj.object.spec?.updateStrategy?.type === 'OnDelete') {
      notes.push(
        `no rollout wait for ${w.id}: its updateStrategy is OnDelete, whose rollout \`kubectl rollout status\` does not follow`,
      );
      return [];
    }
    const dead = [...(w.spec.initContainers ?? []), ...(w.spec.containers ?? [])]
      .map((c: any) => ({
        image: String(c.image ?? ''),
        retired: RETIRED_IMAGES.find(
          (r) => r.severity === 'error' && r.repository === imageRepository(String(c.image ?? '')),
        ),
      }))
      .find((x: { retired?: RetiredImage }) => x.retired);
    if (dead) {
      notes.push(`no rollout wait for ${w.id}: it runs ${dead.image}, which cannot run (${dead.retired!.reason})`);
      return [];
    }
    return [{ for: 'rollout', kind: w.kind, namespace: w.namespace, name: w.name }];
  }

  /** True when these objects hold a binding kube-vip needs for its Lease. */
  private kubeVipNeeds(objects: ModelObject[]): boolean {
    for (const d of this.model.dials.filter((x) => x.kind === 'kube-vip')) {
      const auth = leaseAuthorization(this.model, d);
      if (auth.binding && objects.includes(auth.binding)) return true;
    }
    return false;
  }

  // -- references (shared by unit merging and edges) ------------------------------------------------------------------

  private refCache?: Array<[ModelObject, Workload, string]>;

  /** Every object a workload needs, with why. */
  private references(): Array<[ModelObject, Workload, string]> {
    if (this.refCache) return this.refCache;
    const m = this.model;
    const out: Array<[ModelObject, Workload, string]> = [];
    const find = (kind: string, name: string, ns?: string) =>
      m.objects.find((o) => o.kind === kind && o.name === name && (ns === undefined || o.namespace === ns));
    const push = (o: ModelObject | undefined, w: Workload, why: string) => {
      if (o) out.push([o, w, why]);
    };
    for (const w of m.workloads) {
      const s = w.spec;
      if (w.obj.delivery === 'apply') {
        const sa = s.serviceAccountName ?? 'default';
        push(find('ServiceAccount', sa, w.namespace), w, `runs as ServiceAccount ${w.namespace}/${sa}`);
        for (const b of m.objects.filter(
          (o) =>
            (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') &&
            (o.object.subjects ?? []).some(
              (x: any) => x.kind === 'ServiceAccount' && x.name === sa && (x.namespace ?? o.namespace) === w.namespace,
            ),
        )) {
          push(b, w, `its ServiceAccount ${sa} gets its rights from ${b.kind} ${b.name}`);
        }
        push(find('Namespace', w.namespace), w, `lives in namespace ${w.namespace}`);
      }
      if (s.priorityClassName)
        push(find('PriorityClass', s.priorityClassName), w, `uses PriorityClass ${s.priorityClassName}`);
      for (const v of s.volumes ?? []) {
        if (v.secret) push(find('Secret', v.secret.secretName, w.namespace), w, `mounts Secret ${v.secret.secretName}`);
        if (v.configMap)
          push(find('ConfigMap', v.configMap.name, w.namespace), w, `mounts ConfigMap ${v.configMap.name}`);
        for (const src of v.projected?.sources ?? []) {
          if (src.secret) push(find('Secret', src.secret.name, w.namespace), w, `mounts Secret ${src.secret.name}`);
          if (src.configMap)
            push(find('ConfigMap', src.configMap.name, w.namespace), w, `mounts ConfigMap ${src.configMap.name}`);
        }
      }
      for (const c of [...(s.initContainers ?? []), ...s.containers]) {
        for (const e of c.env ?? []) {
          if (e.valueFrom?.secretKeyRef)
            push(
              find('Secret', e.valueFrom.secretKeyRef.name, w.namespace),
              w,
              `reads Secret ${e.valueFrom.secretKeyRef.name}`,
            );
          if (e.valueFrom?.configMapKeyRef)
            push(
              find('ConfigMap', e.valueFrom.configMapKeyRef.name, w.namespace),
              w,
              `reads ConfigMap ${e.valueFrom.configMapKeyRef.name}`,
            );
        }
        for (const ef of c.envFrom ?? []) {
          if (ef.secretRef)
            push(find('Secret', ef.secretRef.name, w.namespace), w, `reads Secret ${ef.secretRef.name}`);
          if (ef.configMapRef)
            push(find('ConfigMap', ef.configMapRef.name, w.namespace), w, `reads ConfigMap ${ef.configMapRef.name}`);
        }
      }
      // Services and disruption budgets that select its pods belong with it.
      for (const o of m.objects.filter(
        (x) =>
          x.namespace === w.namespace &&
          ((x.kind === 'Service' &&
            x.object.spec?.selector &&
            selectorMatches({ matchLabels: x.object.spec.selector }, w.labels)) ||
            (x.kind === 'PodDisruptionBudget' && selectorMatches(x.object.spec?.selector, w.labels))),
      )) {
        push(o, w, `${o.kind} ${o.name} selects its pods`);
      }
    }
    return (this.refCache = out);
  }

  // -- edges --------------------------------------------------------------------------------------------------------

  /**
   * The units that provide what a resolution found: the earliest of the alternative servers (static pods before
   * applied workloads: bootkube's bootstrap API server before the self-hosted one), every load balancer on the way,
   * and everything a Service needs (its proxy, its endpoints).
   */
  private providers(r: ReturnType<typeof resolve>): string[] {
    const out = new Set<string>();
    for (const lb of r.loadBalancers) {
      if (lb.type === 'kube-vip') {
        if (this.units.has('kube-vip')) out.add('kube-vip');
      } else if (this.units.has('load-balancer')) out.add('load-balancer');
    }
    if (r.external?.length && this.units.has('external-etcd')) out.add('external-etcd');
    if (!r.loadBalancers.length) {
      const servers = [
        ...new Set(r.servers.map((s) => this.unitOfWorkload.get(s.workload)).filter(Boolean) as string[]),
      ];
      const early = servers.filter((u) => this.units.get(u)!.kind !== 'apply');
      for (const u of early.length ? early : servers) out.add(u);
    }
    for (const w of r.workloads) {
      const u = this.unitOfWorkload.get(w);
      if (u) out.add(u);
    }
    return [...out];
  }

  private clientUnits(d: (typeof this.model.dials)[number]): string[] {
    if (d.workload) return [this.unitOfWorkload.get(d.workload)].filter(Boolean) as string[];
    if (d.users?.length)
      return [...new Set(d.users.map((w) => this.unitOfWorkload.get(w)).filter(Boolean) as string[])];
    if (d.kind === 'kubelet' || (d.kind === 'kubeconfig' && d.file && path.posix.basename(d.file) === 'kubelet.conf'))
      return ['nodes-registered'];
    return [];
  }

  private dialEdges(): void {
    const m = this.model;
    for (const d of m.dials) {
      if (d.kind === 'kube-vip') continue; // below: one speaker is enough
      const clients = this.clientUnits(d);
      if (!clients.length) continue;
      for (const phase of d.phases) {
        const results = resolveDial(m, d, phase);
        if (!results.every((x) => x.resolution.served)) continue;
        for (const { resolution } of results) {
          const reason = `${d.client} dials ${d.address}${resolution.service ? ` (Service ${resolution.service})` : ''}`;
          const own =
            d.workload &&
            (resolution.workloads.includes(d.workload) || resolution.servers.some((s) => s.workload === d.workload));
          for (const p of this.providers(resolution)) {
            for (const c of clients) {
              if (p === c && own && !this.selfCycles.some((x) => x[0].to === c))
                this.selfCycles.push([{ from: p, to: c, reason: `${reason}, which only it makes reachable` }]);
              else this.edge(p, c, reason);
            }
          }
        }
        break; // the earliest phase that serves it decides when it can start
      }
    }
    // kube-vip holds the VIP as soon as one of its speakers (a static pod per master) reaches its own master's API
    // server: the earliest ones count (bootkube: the bootstrap master's, before the self-hosted API servers exist).
    const speakers = m.dials.filter((d) => d.kind === 'kube-vip');
    for (const phase of m.phases) {
      const served = speakers.flatMap((d) =>
        resolveDial(m, d, phase)
          .filter((x) => x.resolution.served)
          .map((x) => ({ d, providers: this.providers(x.resolution) })),
      );
      if (!served.length) continue;
      const early = served.filter((x) => x.providers.every((p) => this.units.get(p)?.kind !== 'apply'));
      for (const { d, providers } of early.length ? early : served) {
        for (const p of providers)
          for (const c of this.clientUnits(d)) this.edge(p, c, `${d.client} dials ${d.address}`);
      }
      break;
    }
    // kube-vip holds the VIP only once it may take its Lease.
    for (const lb of m.loadBalancers.filter((x) => x.type === 'kube-vip')) {
      for (const d of m.dials.filter((x) => x.kind === 'kube-vip')) {
        const auth = leaseAuthorization(m, d);
        if (auth.binding)
          this.edge(
            this.unitOfObject.get(auth.binding),
            'kube-vip',
            `kube-vip takes its Lease for ${lb.address} with the rights of ${auth.binding.kind} ${auth.binding.name}`,
          );
      }
    }
  }

  private workloadEdges(): void {
    const m = this.model;
    const first = m.phases[0];
    const providersOf = (component: string) => {
      const ws = m.workloads.filter((w) => w.components.has(component) && w.phases.includes(first) && w.nodes.length);
      const early = ws.filter((w) => w.obj.delivery === 'static');
      return (early.length ? early : ws).map((w) => this.unitOfWorkload.get(w)).filter(Boolean) as string[];
    };
    const schedulers = providersOf('kube-scheduler');
    const controllers = providersOf('kube-controller-manager');
    const network = m.workloads
      .filter((w) => w.components.has('cni'))
      .map((w) => this.unitOfWorkload.get(w))
      .filter(Boolean) as string[];
    // cloud-routes: pods get their addresses from the host CNI config as soon as the Node has a pod CIDR, but reach
    // pods and host-network servers on other nodes only over the router routes the CCM's route controller adds.
    const routes =
      podNetworkMode(m) === 'cloud-routes'
        ? routeControllers(m)
            .filter((r) => !r.problem)
            .map((r) => [r.workload, this.unitOfWorkload.get(r.workload)] as const)
            .filter(([, u]) => u)
        : [];
    const notReady = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' as const };
    for (const w of m.workloads.filter((x) => x.obj.delivery === 'apply')) {
      const u = this.unitOfWorkload.get(w);
      this.edge('nodes-registered', u, `${w.id} needs Nodes to run on`);
      for (const s of schedulers) this.edge(s, u, `${w.id} is placed by the scheduler`);
      for (const c of controllers) this.edge(c, u, `the controller manager creates the pods of ${w.id}`);
      if (!w.components.has('cni') && (!w.hostNetwork || !tolerates(w.spec.tolerations ?? [], notReady))) {
        for (const n of network)
          this.edge(
            n,
            u,
            `${w.id} ${w.hostNetwork ? 'does not tolerate NotReady nodes' : 'needs pod IPs'}: nodes are Ready only once the pod network runs`,
          );
      }
      if (!w.hostNetwork) {
        for (const [r, ru] of routes)
          if (r !== w)
            this.edge(
              ru,
              u,
              `${w.id} needs pod IPs reachable from other nodes: ${r.id}'s route controller adds the router routes for the node pod CIDRs`,
            );
      }
      // A taint some workload removes (the CCM: the cloud `uninitialized` taint) holds back only the pods that do not
      // tolerate it; what tolerates it may well run before its remover (kube-proxy, which the CCM needs).
      for (const [key, r] of m.removedTaints) {
        if (r === w) continue;
        const taints = m.nodes.flatMap((n) => n.taints.filter((t) => t.key === key && t.effect !== 'PreferNoSchedule'));
        if (taints.some((t) => !tolerates(w.spec.tolerations ?? [], t)))
          this.edge(this.unitOfWorkload.get(r), u, `${r.id} removes the taint ${key} that ${w.id} does not tolerate`);
      }
    }
  }

  private referenceEdges(): void {
    const m = this.model;
    for (const [o, w, why] of this.references())
      this.edge(this.unitOfObject.get(o), this.unitOfWorkload.get(w), `${w.id} ${why}`);
    const find = (kind: string, name: string, ns?: string) =>
      m.objects.find((x) => x.kind === kind && x.name === name && (ns === undefined || x.namespace === ns));
    for (const o of m.objects.filter((x) => x.delivery === 'apply')) {
      const u = this.unitOfObject.get(o);
      if (o.namespace)
        this.edge(
          this.unitOfObject.get(find('Namespace', o.namespace)!),
          u,
          `${o.kind} ${o.name} lives in namespace ${o.namespace}`,
        );
      if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
        const ref = o.object.roleRef ?? {};
        this.edge(
          this.unitOfObject.get(find(ref.kind, ref.name, ref.kind === 'Role' ? o.namespace : undefined)!),
          u,
          `${o.kind} ${o.name} binds ${ref.kind} ${ref.name}`,
        );
      }
      const group = String(o.object.apiVersion ?? '').split('/');
      if (group.length === 2) {
        const crd = m.objects.find(
          (x) =>
            x.kind === 'CustomResourceDefinition' &&
            x.object.spec?.group === group[0] &&
            x.object.spec?.names?.kind === o.kind,
        );
        if (crd) this.edge(this.unitOfObject.get(crd), u, `${o.kind} ${o.name} is a ${crd.name} resource`);
      }
      if (o.kind === 'APIService' && o.object.spec?.service) {
        const svc = find('Service', o.object.spec.service.name, o.object.spec.service.namespace);
        if (svc)
          this.edge(
            this.unitOfObject.get(svc),
            u,
            `APIService ${o.name} is served by Service ${svc.namespace}/${svc.name}`,
          );
      }
    }
  }

  /** Apply and label steps need an API: a master's own (for what the endpoint needs) or the endpoint. */
  private apiAccessEdges(): void {
    const m = this.model;
    const needsApi = [...this.units.values()].filter((u) => u.kind === 'apply' || u.kind === 'label');
    const beforeEndpoint = this.ancestors(this.lbUnits);
    const endpoint = parseAddress(m.spec.apiServerUrl)!;
    let endpointProviders: string[] = [];
    for (const phase of m.phases) {
      const r = resolve(m, endpoint.host, endpoint.port, undefined, phase, ['kube-apiserver']);
      if (r.served) {
        endpointProviders = this.providers(r);
        break;
      }
    }
    for (const u of needsApi) {
      if (beforeEndpoint.has(u.id) && this.masterApiUnits.length) {
        u.via = 'master';
        for (const p of this.masterApiUnits)
          this.edge(
            p,
            u.id,
            `applied through a master's own API server: the API endpoint ${m.spec.apiServerUrl} needs it first`,
          );
      } else {
        u.via = 'endpoint';
        for (const p of endpointProviders)
          this.edge(p, u.id, `applied through the API endpoint ${m.spec.apiServerUrl}`);
        // The endpoint is not served (the findings say why): still no earlier than the API servers.
        if (!endpointProviders.length)
          for (const p of this.masterApiUnits)
            this.edge(p, u.id, `needs an API server (the API endpoint ${m.spec.apiServerUrl} is not served)`);
      }
    }
  }

  /**
   * bootkube: once the self-hosted control plane runs, the bootstrap one goes. The criterion is bootkube's: a Running
   * pod of each self-hosted component, not a rollout: on the bootstrap master the self-hosted pods share the host
   * ports of the bootstrap pods and crash-loop until these are gone, so their rollouts (taken out of their apply steps)
   * can finish only after the removal (`thenWaits`).
   */
  private pivot(): void {
    const boot = this.units.get('bootstrap-control-plane');
    if (!boot) return;
    const selfHosted = this.model.workloads.filter(
      (w) =>
        w.obj.delivery === 'apply' &&
        ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].some((c) => w.components.has(c)) &&
        ['Deployment', 'DaemonSet', 'StatefulSet'].includes(w.kind),
    );
    const running: BringUpWait[] = [];
    const notes: string[] = [];
    for (const w of selfHosted) {
      const selector = w.obj.object.spec?.selector;
      const labels = selector?.matchLabels;
      if (!labels || !Object.keys(labels).length || selector.matchExpressions?.length) {
        notes.push(`no Running-pod wait for ${w.id}: its spec.selector is not plain matchLabels`);
        continue;
      }
      running.push({ for: 'running', kind: w.kind, namespace: w.namespace, name: w.name, selector: { ...labels } });
    }
    const rollouts: BringUpWait[] = [];
    for (const w of selfHosted) {
      const u = this.units.get(this.unitOfWorkload.get(w) ?? '');
      if (u)
        u.waits.splice(
          0,
          u.waits.length,
          ...u.waits.filter(
            (x) => !(x.for === 'rollout' && x.kind === w.kind && x.namespace === w.namespace && x.name === w.name),
          ),
        );
      u?.notes.push(
        `${w.id} rolls out only after the pivot (step pivot waits for it): until then the bootstrap pods hold its ports on ${this.model.bootstrapMaster}`,
      );
      rollouts.push(...this.rolloutWait(w, notes));
    }
    this.addUnit({
      id: 'pivot',
      title:
        'the self-hosted control plane takes over: remove the bootstrap control plane once each self-hosted component runs, then wait for their rollouts',
      kind: 'wait',
      rank: RANK.length + 1,
      files: [],
      workloads: [],
      objects: [],
      removes: [...boot.files],
      waits: running,
      thenWaits: rollouts,
      notes,
    });
    for (const w of selfHosted)
      this.edge(this.unitOfWorkload.get(w), 'pivot', `${w.id} must run before the bootstrap control plane goes`);
    this.edge('bootstrap-control-plane', 'pivot', 'the pivot removes the bootstrap control plane');
  }

  // -- graph --------------------------------------------------------------------------------------------------------

  private ancestors(ids: string[]): Set<string> {
    const seen = new Set<string>();
    const stack = [...ids];
    while (stack.length) {
      const id = stack.pop()!;
      for (const e of this.edges.values()) {
        if (e.to === id && !seen.has(e.from)) {
          seen.add(e.from);
          stack.push(e.from);
        }
      }
    }
    return seen;
  }

  /** Finds strongly connected components (Tarjan); removes the edges inside each and returns them. */
  private cutCycles(): Edge[][] {
    const ids = [...this.units.keys()];
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const e of this.edges.values()) out.get(e.from)?.push(e.to);
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const sccs: string[][] = [];
    const strong = (v: string) => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      for (const w of out.get(v) ?? []) {
        if (!idx.has(w)) {
          strong(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== v);
        if (scc.length > 1) sccs.push(scc);
      }
    };
    for (const id of ids) if (!idx.has(id)) strong(id);
    const cycles: Edge[][] = [];
    for (const scc of sccs) {
      const members = new Set(scc);
      const inside = [...this.edges.entries()].filter(([, e]) => members.has(e.from) && members.has(e.to));
      cycles.push(inside.map(([, e]) => e));
      for (const [k] of inside) this.edges.delete(k);
    }
    return cycles;
  }

  private toPlan(partial: boolean): BringUpPlan {
    const ids = [...this.units.keys()];
    const preds = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]));
    for (const e of this.edges.values()) preds.get(e.to)?.add(e.from);
    const level = new Map<string, number>();
    const depth = (id: string, trail = new Set<string>()): number => {
      if (level.has(id)) return level.get(id)!;
      trail.add(id);
      let d = 1;
      for (const p of preds.get(id) ?? []) if (!trail.has(p)) d = Math.max(d, depth(p, trail) + 1);
      trail.delete(id);
      level.set(id, d);
      return d;
    };
    ids.forEach((id) => depth(id));
    // Transitive reduction of `after`: drop a predecessor reachable through another one.
    const reach = (from: string, to: string, skipDirect: boolean): boolean => {
      const stack = [...(preds.get(to) ?? [])].filter((p) => !(skipDirect && p === from));
      const seen = new Set<string>();
      while (stack.length) {
        const x = stack.pop()!;
        if (x === from) return true;
        if (seen.has(x)) continue;
        seen.add(x);
        stack.push(...(preds.get(x) ?? []));
      }
      return false;
    };
    const phases = new Map<number, BringUpStep[]>();
    for (const id of ids) {
      const u = this.units.get(id)!;
      const after = [...(preds.get(id) ?? [])].filter((p) => !reach(p, id, true)).sort();
      const step: BringUpStep = {
        id,
        title: u.title,
        kind: u.kind,
        after,
        ...(u.files.length ? { files: u.files } : {}),
        ...(u.filesByNode
          ? { nodes: Object.keys(u.filesByNode), filesByNode: u.filesByNode }
          : u.nodes
            ? { nodes: u.nodes }
            : {}),
        ...(u.via ? { via: u.via } : {}),
        ...(u.waits.length ? { waits: u.waits } : {}),
        ...(u.labels ? { labels: u.labels } : {}),
        ...(u.removes ? { removes: u.removes } : {}),
        ...(u.thenWaits?.length ? { thenWaits: u.thenWaits } : {}),
        ...(u.kinds ? { kinds: u.kinds } : {}),
        ...(u.notes.length ? { notes: u.notes } : {}),
      };
      const l = level.get(id)!;
      phases.set(l, [...(phases.get(l) ?? []), step]);
    }
    return {
      root: this.model.root,
      flavor: this.model.flavor,
      ...(partial ? { partial } : {}),
      phases: [...phases.keys()]
        .sort((a, b) => a - b)
        .map((l, i) => ({
          index: i + 1,
          steps: phases.get(l)!.sort((a, b) => rankOf(a.id) - rankOf(b.id) || a.id.localeCompare(b.id)),
        })),
      edges: [...this.edges.values()].sort((a, b) => a.to.localeCompare(b.to) || a.from.localeCompare(b.from)),
    };
  }
}

/** The plan for a human: phase by phase, step by step, node by node. */
export function formatPlan(plan: BringUpPlan): string {
  const lines: string[] = [];
  lines.push(
    `bring-up plan of ${plan.root ?? 'the tree'}${plan.flavor ? ` (${plan.flavor})` : ''}${plan.partial ? ' — partial: a dependency cycle was cut, see the cluster findings' : ''}`,
  );
  for (const phase of plan.phases) {
    lines.push(`phase ${phase.index}`);
    for (const s of phase.steps) {
      const how = s.kind === 'apply' || s.kind === 'label' ? `${s.kind} via ${s.via ?? 'endpoint'}` : s.kind;
      lines.push(`  ${s.id} [${how}]: ${s.title}${s.after.length ? ` (after ${s.after.join(', ')})` : ''}`);
      if (s.filesByNode) {
        for (const [node, files] of Object.entries(s.filesByNode)) lines.push(`    ${node}: ${files.join(', ')}`);
      } else {
        for (const f of s.files ?? [])
          lines.push(`    ${f}${s.kinds ? ` (only its ${s.kinds.join(', ')} objects)` : ''}`);
      }
      for (const l of s.labels ?? [])
        lines.push(
          `    ${l.node}: ${Object.entries(l.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`,
        );
      const wait = (w: BringUpWait) =>
        `${w.for}${w.check ? ` ${w.check}` : ''}${w.kind ? ` ${w.kind}` : ''}${w.name ? ` ${w.namespace ? `${w.namespace}/` : ''}${w.name}` : ''}`;
      for (const w of s.waits ?? []) lines.push(`    wait: ${wait(w)}`);
      for (const f of s.removes ?? []) lines.push(`    then remove: ${f}`);
      for (const w of s.thenWaits ?? []) lines.push(`    then wait: ${wait(w)}`);
      for (const n of s.notes ?? []) lines.push(`    note: ${n}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
