/**
 * The model the `cluster` check reasons about, built from a synthesized tree and the spec it was made from: the
 * nodes (with the labels and taints their kubelets register with), every object and workload and where its pods
 * run, the servers (API servers, etcd members, load balancers) with the certificates they present, and every address
 * a component dials. Nothing here reports; placement.ts, endpoints.ts, services.ts, references.ts and plan.ts do.
 *
 * Layouts recognised (any folder of the checked tree, so `hacp verify dist` and `hacp verify dist/static-pods` both
 * work):
 * - static pods: `<root>/<master>/` mirrors /etc/kubernetes on that master (static pods at its top level),
 *   `<root>/cluster/` holds the objects applied once the API answers;
 * - bootkube: `<root>/bootstrap-manifests/` (static pods of the bootstrap master, before the pivot only),
 *   `<root>/manifests/` (applied through the API), `<root>/tls/`, `<root>/auth/`; a folder named after a master
 *   anywhere under the root holds that master's own static pods.
 * Workers have no folder: they are modeled from the spec and the kubelet functions of `hacp kubelet-unit`.
 */
import * as crypto from 'crypto';
import * as path from 'path';
import * as ipaddr from 'ipaddr.js';
import { parse as parseYaml } from 'yaml';
import { NodeCniFile, nodePodNetworkFiles } from '../../host/cni/bridge-cni';
import { kubeletConfiguration } from '../../host/kubelet/kubelet-config';
import { renderKubeletUnit } from '../../host/kubelet/kubelet-unit';
import { renderHaproxyConfig } from '../../host/lb/haproxy';
import { haproxyVip } from '../../host/lb/keepalived';
import { octaviaSettings } from '../../host/lb/octavia';
import { CLOUD_UNINITIALIZED_TAINT, CONTROL_PLANE_ROLE_LABEL, NodeTaint } from '../../spec/node-roles';
import { ResolvedClusterSpec, isIp } from '../../spec';
import { assetPathFor, componentOf, etcdSetting, hostPathOf } from '../_workloads';
import { FlagComponent, parseFlags } from '../flags';
import { AssetFile, AssetTree, fileAt, objectsOf } from '../tree';
import { BuiltinObjects, KUBERNETES_SERVICE, builtinObjects, imageRepository } from './builtins';
import { placeWorkloads } from './placement';
import type { X509Certificate } from '../../util/x509';

/** Which kind of tree a cluster root is. */
export type ClusterFlavor = 'static-pods' | 'bootkube';

/**
 * A period of the bring-up in which the set of running servers is fixed: `bootstrap` (bootkube, before the pivot:
 * the bootstrap control plane runs on the bootstrap master) and `running` (the cluster as it stays).
 */
export type Phase = 'bootstrap' | 'running';

/** Human words for a phase, for messages. */
export const PHASE_WORDS: Record<Phase, string> = { bootstrap: 'before the pivot', running: 'once running' };

/** A label a step of the bring-up sets through the API (not the kubelet). */
export interface AppliedLabel {
  /** Label key (`node-role.kubernetes.io/control-plane`). */
  readonly key: string;
  /** Label value (`''` for a role label). */
  readonly value: string;
  /** Id of the plan step that sets it. */
  readonly step: string;
}

/** A master or worker. */
export interface ModelNode {
  /** Node name as in the spec (also the `kubernetes.io/hostname` label: kubelets run without --hostname-override). */
  readonly name: string;
  /** The node's IP from the spec. */
  readonly ip: string;
  /** `master` for `spec.masters`, `worker` for `spec.workers`. */
  readonly role: 'master' | 'worker';
  /** Labels the kubelet registers the Node with (its built-in ones and `--node-labels`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Label keys whose value the model does not know (`kubernetes.io/arch`): any value is assumed to match. */
  readonly anyValue: ReadonlySet<string>;
  /** Labels set later through the API by a step (never by the kubelet). */
  readonly appliedLabels: readonly AppliedLabel[];
  /** Taints the kubelet registers the Node with. */
  readonly taints: readonly NodeTaint[];
  /** The kubelet's cluster DNS server IPs (`clusterDNS` of its KubeletConfiguration). */
  readonly clusterDns: readonly string[];
  /**
   * The pod network files `hacp kubelet-unit` writes on the node (`nodePodNetworkFiles()`: with `networking.podNetwork`
   * `cloud-routes`, the CNI config template containerd renders with the node's pod CIDR, its drop-in and
   * `pod-masquerade.service`); empty when the pod network is a DaemonSet's (or the user's).
   */
  readonly hostCni: readonly NodeCniFile[];
  /** Where its labels and taints come from, for messages. */
  readonly source: string;
}

/** An object of the tree. */
export interface ModelObject {
  /** The file of the tree the object is in. */
  readonly file: AssetFile;
  /** The parsed object as written. */
  readonly object: any;
  /** Its `kind`. */
  readonly kind: string;
  /** Its `metadata.name` (`''` when unset). */
  readonly name: string;
  /** Namespace (namespaced kinds only; `default` when unset). */
  readonly namespace?: string;
  /** `static`: a static pod manifest a kubelet reads; `apply`: applied through the API. */
  readonly delivery: 'static' | 'apply';
}

/** Something that runs pods: a static Pod, a DaemonSet, Deployment, StatefulSet, ReplicaSet or Job. */
export interface Workload {
  /** The object it is (the Pod, DaemonSet, ...). */
  readonly obj: ModelObject;
  /** `DaemonSet kube-system/kube-proxy`, `Pod kube-system/etcd on master0`. */
  readonly id: string;
  /** Kind of the object (`Pod`, `DaemonSet`, ...). */
  readonly kind: string;
  /** Name of the object. */
  readonly name: string;
  /** Namespace of the object (`default` when unset). */
  readonly namespace: string;
  /** The pod spec of the template (or of the Pod). */
  readonly spec: any;
  /** Labels of the pods. */
  readonly labels: Readonly<Record<string, string>>;
  /** The node of a static pod. */
  readonly staticNode?: string;
  /** Phases in which it runs. */
  readonly phases: readonly Phase[];
  /** Pods wanted: a number, or one per fitting node (DaemonSet). */
  readonly replicas: number | 'per-node';
  /** True when its pods use the host's network namespace (`hostNetwork: true`). */
  readonly hostNetwork: boolean;
  /** Components of its containers (`kube-apiserver`, `etcd`, ...; `kube-vip`, `dns`, `cni`, `ccm`). */
  readonly components: ReadonlySet<string>;
  /** Nodes its pods can run on (set by placement). */
  nodes: string[];
  /** Why it fits no node, per node (set by placement). */
  misfits: Map<string, string>;
}

/** A file as a container sees it. */
export interface ContainerFile {
  readonly text?: string;
  readonly certs: X509Certificate[];
  /** Where it comes from, for messages (`static-pods/master0/pki/ca.crt`, `Secret kube-system/kube-apiserver key ca.crt`). */
  readonly where: string;
}

/** A trusted CA certificate and where it came from. */
export interface Trust {
  /** The CA certificate (the first of the file when it holds several). */
  readonly cert: X509Certificate;
  /** Where it comes from, for messages (a tree-relative file, a Secret key, a kubeconfig's `certificate-authority-data`). */
  readonly where: string;
}

/** A process listening on an address. */
export interface Server {
  /** What it serves: the API server's secure port, etcd's client port or etcd's peer port. */
  readonly kind: 'kube-apiserver' | 'etcd-client' | 'etcd-peer';
  /** `kube-apiserver on master0 (static-pods/master0/kube-apiserver.yaml)`. */
  readonly name: string;
  /** The workload whose container listens. */
  readonly workload: Workload;
  /** The node it listens on (one Server per node the workload runs on). */
  readonly node: string;
  /** Addresses bound: node IPs, `127.0.0.1`, or `0.0.0.0`/`::` for all. */
  readonly binds: readonly string[];
  /** TCP port (`--secure-port`, default 6443; the port of etcd's listen URL). */
  readonly port: number;
  /** Phases in which it runs (its workload's). */
  readonly phases: readonly Phase[];
  /** The certificate presented. */
  readonly cert?: X509Certificate;
  /** Where `cert` comes from, for messages; undefined when the tree does not hold it. */
  readonly certWhere?: string;
  /** etcd member name. */
  readonly etcdName?: string;
  /** API server: the address it advertises (endpoint of the `kubernetes` Service). */
  readonly advertise?: string;
}

/**
 * A server outside the tree that the spec says is there: the members of an external etcd (`etcd.external.endpoints`,
 * run by the operator, e.g. as systemd services set up by an Ansible role). The bring-up plan has an `external` step
 * for them; the model cannot see their certificates.
 */
export interface ExternalServer {
  /** What it serves: etcd's client port. */
  readonly kind: 'etcd-client';
  /** `external etcd member https://10.0.0.5:2379 (spec etcd.external.endpoints[0])`. */
  readonly name: string;
  /** The host as written (an IP or a DNS name). */
  readonly host: string;
  /** The port of the endpoint URL. */
  readonly port: number;
}

/**
 * A master's host service that keeps the self-hosted API server alive across a full reboot: `hacp-checkpointer.service`
 * (`hacp kubelet-unit --self-hosted` writes it on every master of a self-hosted cluster). It checkpoints the pods of
 * one DaemonSet that carry the checkpoint annotation.
 */
export interface HostCheckpointer {
  /** The master it runs on. */
  readonly node: string;
  /** Namespace of the DaemonSet whose pods it checkpoints (`kube-system`). */
  readonly namespace: string;
  /** Name of that DaemonSet (`kube-apiserver`). */
  readonly daemonSet: string;
  /** Where it comes from, for messages. */
  readonly source: string;
}

/** A load balancer (or VIP) in front of the API servers. */
export interface LoadBalancer {
  /** Which kind (the spec's `loadBalancer.type`). */
  readonly type: 'octavia' | 'haproxy' | 'kube-vip';
  /** Address clients use (floating IP, VIP, or the endpoint's DNS name). */
  readonly address: string;
  /** TCP port clients dial (Octavia listener port, HAProxy bind port, kube-vip's port). */
  readonly port: number;
  /** Further addresses it answers on (HAProxy binds `*` on every master). */
  readonly alsoOn: readonly string[];
  /** DNS names that resolve to it (the spec's `apiEndpoint.host` when it is a name). */
  readonly names: readonly string[];
  /** Backends (Octavia members, HAProxy servers); empty for kube-vip, whose leader serves the VIP itself. */
  readonly backends: ReadonlyArray<{
    /** Member or server name. */
    readonly name: string;
    /** Address traffic is sent to. */
    readonly address: string;
    /** Port traffic is sent to. */
    readonly port: number;
  }>;
  /** kube-vip: its static pods. */
  readonly speakers: readonly Workload[];
  /** Where it comes from, for messages. */
  readonly source: string;
}

/** An address a component dials. */
export interface Dial {
  /**
   * Where the address comes from: `kubeconfig` (a kubeconfig of the tree or embedded in a ConfigMap/Secret), `etcd`
   * (an API server's `--etcd-servers`), `etcd-peer` (an etcd member's initial cluster), `kubelet` (the kubelet.conf
   * `hacp kubelet-unit` writes), `in-cluster` (a pod's in-cluster config: the `kubernetes` Service), `dns` (a
   * kubelet's cluster DNS), `kube-vip` (kube-vip's leader-election client).
   */
  readonly kind: 'kubeconfig' | 'etcd' | 'etcd-peer' | 'kubelet' | 'in-cluster' | 'dns' | 'kube-vip';
  /** Who dials, for messages. */
  readonly client: string;
  /** Tree-relative file the address is written in; undefined when it comes from the spec (hacp kubelet-unit). */
  readonly file?: string;
  /** The workload that dials; undefined for kubelets and for kubeconfig files of the tree (see `users`). */
  readonly workload?: Workload;
  /** Static pods that read this kubeconfig file of the tree (through a `--kubeconfig`-style flag). */
  readonly users?: readonly Workload[];
  /** Nodes it dials from (empty: off-cluster, or a workload that runs nowhere). */
  readonly nodes: readonly string[];
  /** As written (`https://10.0.0.1:6443`, `10.96.0.10:53`). */
  readonly address: string;
  /** The host of the address as written (an IP or a DNS name, IPv6 without brackets). */
  readonly host: string;
  /** The port of the address (the scheme's default when the URL has none). */
  readonly port: number;
  /** The address actually connected to (after host aliases). */
  readonly connectHost: string;
  /** The name the certificate must carry (TLS only). */
  readonly tlsName?: string;
  /** The CA it verifies the server with; undefined when it has none or the tree does not hold it. */
  readonly trust?: Trust;
  /** Client certificate subject. */
  readonly identity?: {
    /** The certificate's CN: the user name the API server sees. */
    readonly user?: string;
    /** The certificate's O values: the groups the API server sees. */
    readonly groups: readonly string[];
    /** Tree-relative file of the kubeconfig it was read from, for messages. */
    readonly where: string;
  };
  /** Phases in which it dials. */
  readonly phases: readonly Phase[];
  /** etcd peer dials: the member name expected there. */
  readonly expectEtcdName?: string;
}

/** The model of one cluster of the tree. */
export interface ClusterModel {
  /** The tree the model was built from. */
  readonly tree: AssetTree;
  /** The spec the cluster was synthesized from. */
  readonly spec: ResolvedClusterSpec;
  /** Tree-relative folder of the cluster (`static-pods`, `bootkube`; `.` for the tree root). */
  readonly root: string;
  /** Which kind of tree the cluster is. */
  readonly flavor: ClusterFlavor;
  /** Phases of its bring-up: `['bootstrap', 'running']` for bootkube, `['running']` for static pods. */
  readonly phases: readonly Phase[];
  /** Objects the cluster has without the tree (made by the API server and controllers) at the spec's Kubernetes minor. */
  readonly builtins: BuiltinObjects;
  /** Masters and workers of the spec. */
  readonly nodes: readonly ModelNode[];
  /** Static-pod folders by node name (tree-relative). */
  readonly nodeFolders: ReadonlyMap<string, string>;
  /** Folders holding static pods whose name is no node of the spec. */
  readonly unknownFolders: readonly string[];
  /** Folder of the objects applied through the API (`<root>/cluster`, `<root>/manifests`), if any. */
  readonly applyDir: string;
  /** bootkube: the master running the bootstrap control plane. */
  readonly bootstrapMaster?: string;
  /** Every object of the cluster's folders: static pods, bootstrap manifests, objects applied through the API. */
  readonly objects: readonly ModelObject[];
  /** The objects that run pods, with where they run (placement). */
  readonly workloads: readonly Workload[];
  /** API server and etcd listeners, one per node their workload runs on. */
  readonly servers: readonly Server[];
  /** The load balancer (or VIP) in front of the API servers, from the spec (none with `loadBalancer.type: none`). */
  readonly loadBalancers: readonly LoadBalancer[];
  /** Every address a component dials. */
  readonly dials: readonly Dial[];
  /** The cluster CA (what kubelets and the root-CA publisher hand out), when the tree has it. */
  readonly clusterCa?: Trust;
  /** Taint keys something in the tree removes once it runs (the CCM removes the cloud `uninitialized` taint). */
  readonly removedTaints: ReadonlyMap<string, Workload>;
  /** Servers outside the tree the spec names (an external etcd's members). */
  readonly externalServers: readonly ExternalServer[];
  /** Host checkpointers of the masters (self-hosted clusters: `hacp-checkpointer.service`). */
  readonly checkpointers: readonly HostCheckpointer[];
}

/** Kinds that are not namespaced. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'CustomResourceDefinition',
  'APIService',
  'PersistentVolume',
  'StorageClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'CSIDriver',
  'IngressClass',
  'RuntimeClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'Node',
  'VolumeAttachment',
  'CSINode',
]);

const WORKLOAD_KINDS = new Set(['Pod', 'DaemonSet', 'Deployment', 'StatefulSet', 'ReplicaSet', 'Job']);

/** Labels every kubelet registers by itself (`kubernetes.io/hostname` is the node name, no --hostname-override). */
const KUBELET_OS = 'linux';

/** Where the service account volume is mounted in every pod that automounts it. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The tree-relative join of a root and a path (`.` root: the path itself). */
export function under(root: string, rel: string): string {
  return root === '.' || root === '' ? rel : `${root}/${rel}`;
}

/** True when `rel` is `dir` or below it. */
export function isUnder(rel: string, dir: string): boolean {
  return dir === '.' || dir === '' || rel === dir || rel.startsWith(`${dir}/`);
}

/** A cluster found in a tree: its folder and flavor. */
export interface ClusterRoot {
  /** Tree-relative folder of the cluster (`.` for the tree root). */
  readonly root: string;
  /** Which kind of tree it is. */
  readonly flavor: ClusterFlavor;
}

/** The clusters a tree holds (`dist/` holds two: `static-pods` and `bootkube`). */
export function findClusterRoots(tree: AssetTree): ClusterRoot[] {
  const roots = new Map<string, ClusterFlavor>();
  for (const dir of tree.dirs) {
    const base = path.posix.basename(dir);
    if (
      base === 'bootstrap-manifests' ||
      (base === 'manifests' && tree.dirs.has(path.posix.join(path.posix.dirname(dir), 'auth')))
    ) {
      roots.set(path.posix.dirname(dir), 'bootkube');
    }
  }
  // Static pods: kube-system Pods at the top of a folder (a consumer's chart writing some Pod is not a master folder).
  const bootkube = [...roots.keys()];
  for (const file of tree.files) {
    if (!file.docs.some((d) => d.kind === 'Pod' && d.apiVersion === 'v1' && d.metadata?.namespace === 'kube-system'))
      continue;
    const folder = path.posix.dirname(file.rel);
    if (folder === '.' || bootkube.some((r) => isUnder(folder, r))) continue;
    if (['bootstrap-manifests', 'manifests', 'cluster'].includes(path.posix.basename(folder))) continue;
    roots.set(path.posix.dirname(folder), 'static-pods');
  }
  return [...roots].map(([root, flavor]) => ({ root, flavor })).sort((a, b) => a.root.localeCompare(b.root));
}

/** Options of `buildClusterModel()`. */
export interface ClusterModelOptions {
  /** The cluster's folder in the tree. @default - the only cluster of the tree */
  readonly root?: string;
}

/**
 * Builds the model of one cluster of `tree` from its files and the spec it was synthesized from. Throws when the
 * tree holds no cluster, or several and `root` does not say which.
 */
export function buildClusterModel(
  tree: AssetTree,
  spec: ResolvedClusterSpec,
  options: ClusterModelOptions = {},
): ClusterModel {
  const roots = findClusterRoots(tree);
  const found =
    options.root !== undefined
      ? roots.find((r) => r.root === path.posix.normalize(options.root!))
      : roots.length === 1
        ? roots[0]
        : undefined;
  if (!found) {
    throw new Error(
      roots.length
        ? `${tree.root}: ${options.root === undefined ? 'holds several clusters' : `has no cluster at '${options.root}'`}; choose one of ${roots.map((r) => r.root).join(', ')}`
        : `${tree.root}: no cluster tree (static-pod folders or a bootkube asset dir) found`,
    );
  }
  return new ModelBuilder(tree, spec, found).build();
}

class ModelBuilder {
  private readonly root: string;
  private readonly flavor: ClusterFlavor;
  private readonly phases: Phase[];
  private readonly nodes: ModelNode[];
  private readonly nodeFolders = new Map<string, string>();
  private readonly unknownFolders: string[] = [];
  private readonly applyDir: string;
  private objects: ModelObject[] = [];
  private workloads: Workload[] = [];
  private bootstrapMaster?: string;
  private model!: { -readonly [K in keyof ClusterModel]: ClusterModel[K] } & {
    servers: Server[];
    loadBalancers: LoadBalancer[];
    dials: Dial[];
  };

  constructor(
    private readonly tree: AssetTree,
    private readonly spec: ResolvedClusterSpec,
    found: ClusterRoot,
  ) {
    this.root = found.root;
    this.flavor = found.flavor;
    this.phases = this.flavor === 'bootkube' ? ['bootstrap', 'running'] : ['running'];
    this.applyDir = under(this.root, this.flavor === 'bootkube' ? 'manifests' : 'cluster');
    this.nodes = modelNodes(spec, this.flavor);
  }

  build(): ClusterModel {
    this.collectObjects();
    const removedTaints = new Map<string, Workload>();
    const ccm = this.workloads.find((w) => w.components.has('ccm'));
    if (ccm) removedTaints.set(CLOUD_UNINITIALIZED_TAINT.key, ccm);
    this.model = {
      tree: this.tree,
      spec: this.spec,
      root: this.root,
      flavor: this.flavor,
      phases: this.phases,
      builtins: builtinObjects(this.spec.kubernetesVersion),
      nodes: this.nodes,
      nodeFolders: this.nodeFolders,
      unknownFolders: this.unknownFolders,
      applyDir: this.applyDir,
      bootstrapMaster: this.bootstrapMaster,
      objects: this.objects,
      workloads: this.workloads,
      servers: [],
      loadBalancers: [],
      dials: [],
      removedTaints,
      externalServers: externalServers(this.spec),
      checkpointers: hostCheckpointers(this.spec, this.flavor),
    };
    placeWorkloads(this.model);
    this.model.clusterCa = this.findClusterCa();
    this.model.servers.push(...this.collectServers());
    this.model.loadBalancers.push(...this.collectLoadBalancers());
    this.model.dials.push(...this.collectDials());
    return this.model;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Objects and workloads

  private collectObjects(): void {
    const nodeNames = new Set(this.nodes.map((n) => n.name));
    const bootstrapDir = under(this.root, 'bootstrap-manifests');
    const pending: Array<{ obj: ModelObject; node?: string; phases: Phase[] }> = [];
    for (const file of this.tree.files) {
      if (!isUnder(file.rel, this.root)) continue;
      const objs = objectsOf(file);
      if (!objs.length) continue;
      const folder = path.posix.dirname(file.rel);
      let delivery: 'static' | 'apply';
      let node: string | undefined;
      let phases: Phase[] = this.phases;
      if (folder === bootstrapDir) {
        delivery = 'static';
        phases = ['bootstrap'];
      } else if (isUnder(file.rel, this.applyDir)) {
        delivery = 'apply';
      } else if (objs.some((o) => o.kind === 'Pod' && o.metadata?.namespace === 'kube-system')) {
        const name = path.posix.basename(folder);
        const isNodeFolder =
          this.flavor === 'static-pods' ? path.posix.dirname(folder) === this.root : nodeNames.has(name);
        if (!isNodeFolder) continue;
        delivery = 'static';
        if (nodeNames.has(name)) {
          node = name;
          this.nodeFolders.set(name, folder);
        } else if (!this.unknownFolders.includes(folder)) {
          this.unknownFolders.push(folder);
        }
      } else {
        continue;
      }
      for (const object of objs) {
        const kind = String(object.kind);
        const name = String(object.metadata?.name ?? '');
        const namespace = CLUSTER_SCOPED.has(kind) ? undefined : String(object.metadata?.namespace ?? 'default');
        const obj: ModelObject = { file, object, kind, name, namespace, delivery };
        this.objects.push(obj);
        if (WORKLOAD_KINDS.has(kind)) pending.push({ obj, node, phases });
      }
    }
    // The bootstrap control plane runs on the master whose address its API server advertises (else the first).
    const bootstrapApi = pending.find(
      (p) => p.phases.length === 1 && p.phases[0] === 'bootstrap' && componentsOf(p.obj.object).has('kube-apiserver'),
    );
    if (pending.some((p) => p.phases.length === 1 && p.phases[0] === 'bootstrap')) {
      const c = bootstrapApi?.obj.object.spec.containers.find((x: any) => componentOf(x) === 'kube-apiserver');
      const advertise = c ? containerFlags(c, 'kube-apiserver').get('--advertise-address') : undefined;
      this.bootstrapMaster = this.spec.masters.find((m) => m.ip === advertise)?.name ?? this.spec.masters[0].name;
    }
    for (const p of pending) {
      const node = p.phases.length === 1 && p.phases[0] === 'bootstrap' ? this.bootstrapMaster : p.node;
      const w = this.workload(p.obj, node, p.phases);
      if (w) this.workloads.push(w);
    }
  }

  private workload(obj: ModelObject, staticNode: string | undefined, phases: Phase[]): Workload | undefined {
    const o = obj.object;
    const template = obj.kind === 'Pod' ? o : o.spec?.template;
    const spec = template?.spec;
    if (!spec || !Array.isArray(spec.containers)) return undefined;
    const components = componentsOf(o);
    const namespace = obj.namespace ?? 'default';
    const replicas: number | 'per-node' =
      obj.kind === 'DaemonSet'
        ? 'per-node'
        : obj.kind === 'Pod'
          ? 1
          : obj.kind === 'Job'
            ? Number(o.spec?.parallelism ?? 1)
            : Number(o.spec?.replicas ?? 1);
    return {
      obj,
      kind: obj.kind,
      name: obj.name,
      namespace,
      spec,
      labels: template.metadata?.labels ?? o.metadata?.labels ?? {},
      id: `${obj.kind} ${namespace}/${obj.name}${staticNode ? ` on ${staticNode}` : ''}`,
      staticNode,
      phases,
      replicas,
      hostNetwork: spec.hostNetwork === true,
      components,
      nodes: [],
      misfits: new Map(),
    };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Servers

  private collectServers(): Server[] {
    const out: Server[] = [];
    for (const w of this.model.workloads) {
      for (const c of w.spec.containers) {
        const comp = componentOf(c);
        if (comp === 'kube-apiserver') {
          const flags = containerFlags(c, 'kube-apiserver');
          const bind = flags.get('--bind-address') ?? '0.0.0.0';
          const port = Number(flags.get('--secure-port') ?? 6443);
          const certFile = flags.get('--tls-cert-file');
          const cert = certFile ? readInContainer(this.model, w, c, certFile) : undefined;
          for (const node of w.nodes) {
            const n = this.nodes.find((x) => x.name === node)!;
            const adv = flags.get('--advertise-address');
            out.push({
              kind: 'kube-apiserver',
              name: `kube-apiserver ${w.staticNode ? `on ${node}` : `of ${w.kind} ${w.namespace}/${w.name} on ${node}`} (${w.obj.file.rel})`,
              workload: w,
              node,
              binds: [hostOnly(bind, n)],
              port,
              phases: w.phases,
              cert: cert?.certs[0],
              certWhere: cert?.where,
              advertise: adv && !adv.startsWith('$(') ? adv : n.ip,
            });
          }
        } else if (comp === 'etcd') {
          const ctx: any = {
            pod: { object: w.obj.object },
            container: c,
            flags: containerFlags(c, 'etcd'),
            env: envOf(c),
          };
          const name = etcdSetting(ctx, 'name') ?? 'default';
          const certOf = (flag: string) => {
            const file = etcdSetting(ctx, flag);
            return file ? readInContainer(this.model, w, c, file) : undefined;
          };
          const clientCert = certOf('cert-file');
          const peerCert = certOf('peer-cert-file');
          for (const node of w.nodes) {
            const n = this.nodes.find((x) => x.name === node)!;
            for (const [kind, flag, cert] of [
              ['etcd-client', 'listen-client-urls', clientCert],
              ['etcd-peer', 'listen-peer-urls', peerCert],
            ] as const) {
              const urls = (
                etcdSetting(ctx, flag) ?? (kind === 'etcd-client' ? 'http://localhost:2379' : 'http://localhost:2380')
              ).split(',');
              for (const u of urls) {
                const p = parseAddress(u.trim());
                if (!p) continue;
                out.push({
                  kind,
                  name: `etcd member ${name} on ${node} (${w.obj.file.rel})`,
                  workload: w,
                  node,
                  binds: [hostOnly(p.host, n)],
                  port: p.port,
                  phases: w.phases,
                  cert: cert?.certs[0],
                  certWhere: cert?.where,
                  etcdName: name,
                });
              }
            }
          }
        }
      }
    }
    return out;
  }

  private collectLoadBalancers(): LoadBalancer[] {
    const spec = this.spec;
    const lb = spec.loadBalancer;
    const out: LoadBalancer[] = [];
    // A name as API endpoint is the operator's DNS record for the load balancer.
    const names = isIp(spec.apiEndpoint.host) ? [] : [spec.apiEndpoint.host.toLowerCase()];
    if (lb.type === 'octavia' && lb.octavia) {
      try {
        const s = octaviaSettings(spec);
        out.push({
          type: 'octavia',
          address: s.floatingIp ?? spec.apiEndpoint.host,
          port: s.listenerPort,
          alsoOn: [],
          names,
          backends: s.members.map((m) => ({ name: m.name, address: m.address, port: s.memberPort })),
          speakers: [],
          source: `Octavia load balancer ${s.loadBalancer} (spec loadBalancer.octavia, made by \`hacp lb apply\`)`,
        });
      } catch {
        // The spec's own validation reports it.
      }
    } else if (lb.type === 'haproxy') {
      try {
        const cfg = renderHaproxyConfig(spec);
        const bind = /^\s*bind\s+(\S+)$/m.exec(cfg)?.[1] ?? `*:${spec.apiEndpoint.port}`;
        const port = Number(bind.slice(bind.lastIndexOf(':') + 1));
        const backends = [...cfg.matchAll(/^\s*server\s+(\S+)\s+(\S+)\s/gm)].map((m) => {
          const p = parseAddress(`tcp://${m[2]}`)!;
          return { name: m[1], address: p.host, port: p.port };
        });
        out.push({
          type: 'haproxy',
          address: haproxyVip(spec),
          port,
          alsoOn: bind.startsWith('*') ? spec.masters.map((m) => m.ip) : [],
          names,
          backends,
          speakers: [],
          source: 'HAProxy + keepalived on the masters (spec loadBalancer.haproxy, `hacp lb haproxy`)',
        });
      } catch {
        // haproxyVip() throws for a spec without a usable VIP; the spec's validation names it.
      }
    } else if (lb.type === 'kube-vip') {
      const speakers = this.model.workloads.filter((w) => w.components.has('kube-vip'));
      const env = speakers.length
        ? envOf(
            speakers[0].spec.containers.find((c: any) => /kube-vip$/.test(imageRepository(String(c.image ?? '')))) ??
              {},
          )
        : {};
      const address = env.address ?? env.vip_address ?? lb.kubeVip?.vip ?? spec.apiEndpoint.host;
      const port = Number(env.port ?? spec.apiServerPort);
      out.push({
        type: 'kube-vip',
        address,
        port,
        alsoOn: [],
        names,
        backends: [],
        speakers,
        source: speakers.length
          ? `kube-vip VIP held by the kube-vip static pods (${speakers.map((w) => w.staticNode).join(', ')})`
          : 'kube-vip VIP (spec loadBalancer.type kube-vip)',
      });
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Dials

  private collectDials(): Dial[] {
    const out: Dial[] = [];
    const model = this.model;
    // 1. Kubeconfig files of the tree.
    const kubeletFiles = new Map<string, string>();
    for (const file of this.tree.files) {
      if (!isUnder(file.rel, this.root)) continue;
      for (const cfg of file.docs.filter((d) => d.kind === 'Config' && Array.isArray(d.clusters))) {
        const folder = path.posix.dirname(file.rel);
        const node = [...this.nodeFolders].find(([, f]) => f === folder)?.[0];
        const base = path.posix.basename(file.rel);
        let client = `kubeconfig ${file.rel}`;
        if (node && base === 'kubelet.conf') {
          client = `the kubelet of ${node} (${file.rel})`;
          kubeletFiles.set(node, file.rel);
        } else if (node && base === 'controller-manager.conf')
          client = `kube-controller-manager on ${node} (${file.rel})`;
        else if (node && base === 'scheduler.conf') client = `kube-scheduler on ${node} (${file.rel})`;
        const users = this.kubeconfigUsers(file.rel);
        if (users.length) client = `${listWords(users.map((w) => w.id))} (${file.rel})`;
        const readHost = (p: string) => readTreePath(this.tree, file.rel, p);
        const nodes = users.length ? [...new Set(users.flatMap((w) => w.nodes))] : node ? [node] : [];
        const phases = users.length ? this.phases.filter((p) => users.some((w) => w.phases.includes(p))) : this.phases;
        out.push(...kubeconfigDials(cfg, { client, file: file.rel, users, nodes, phases, read: readHost }));
      }
    }
    // 2. Kubeconfigs embedded in ConfigMaps and Secrets, dialed by the workloads that mount them.
    for (const obj of model.objects.filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret')) {
      for (const [key, text] of Object.entries(objectData(obj.object))) {
        if (!/\bkind:\s*Config\b/.test(text) || !/\bclusters:/.test(text)) continue;
        let cfg: any;
        try {
          cfg = parseYaml(text);
        } catch {
          continue;
        }
        if (cfg?.kind !== 'Config') continue;
        const users = model.workloads.filter(
          (w) => w.namespace === obj.namespace && mountsObject(w, obj.kind, obj.name),
        );
        const where = `${obj.kind} ${obj.namespace}/${obj.name} key ${key}`;
        if (!users.length) {
          out.push(
            ...kubeconfigDials(cfg, {
              client: where,
              file: obj.file.rel,
              nodes: [],
              phases: this.phases,
              read: () => undefined,
            }),
          );
        }
        for (const w of users) {
          const c =
            w.spec.containers.find((x: any) =>
              (x.volumeMounts ?? []).some(
                (m: any) => volumeOf(w, m.name) && refersTo(volumeOf(w, m.name), obj.kind, obj.name),
              ),
            ) ?? w.spec.containers[0];
          out.push(
            ...kubeconfigDials(cfg, {
              client: `${w.id} (${where})`,
              file: obj.file.rel,
              workload: w,
              nodes: w.nodes,
              phases: w.phases,
              read: (p) => readInContainer(model, w, c, p),
            }),
          );
        }
      }
    }
    // 3. Kubelets without a kubelet.conf in the tree: the one `hacp kubelet-unit` writes (the API endpoint, the CA).
    for (const n of this.nodes) {
      if (!kubeletFiles.has(n.name)) {
        const p = parseAddress(this.spec.apiServerUrl)!;
        out.push({
          kind: 'kubelet',
          client: `the kubelet of ${n.name} (kubelet.conf from \`hacp kubelet-unit\`)`,
          nodes: [n.name],
          address: this.spec.apiServerUrl,
          host: p.host,
          port: p.port,
          connectHost: p.host,
          tlsName: p.host,
          trust: model.clusterCa,
          phases: this.phases,
        });
      }
      for (const ip of n.clusterDns) {
        out.push({
          kind: 'dns',
          client: `the kubelet of ${n.name} (clusterDNS, written into every pod's resolv.conf)`,
          nodes: [n.name],
          address: `${ip}:53`,
          host: ip,
          port: 53,
          connectHost: ip,
          phases: this.phases,
        });
      }
    }
    // 4. Workloads: etcd servers, etcd peers, kube-vip, in-cluster clients.
    for (const w of model.workloads) {
      const nodes = w.nodes;
      let usesKubeconfig = false;
      for (const c of [...(w.spec.initContainers ?? []), ...w.spec.containers]) {
        const comp = componentOf(c) as FlagComponent | undefined;
        const flags = comp ? containerFlags(c, comp) : new Map<string, string | undefined>();
        const tokens = [...(c.command ?? []), ...(c.args ?? [])].map(String);
        if (tokens.some((t) => /^--(kubeconfig|master)(=|$)/.test(t))) usesKubeconfig = true;
        if (comp === 'kube-apiserver') {
          const servers = flags.get('--etcd-servers');
          const ca = flags.get('--etcd-cafile');
          const trust = ca ? toTrust(readInContainer(model, w, c, ca)) : undefined;
          for (const url of (servers ?? '')
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)) {
            const p = parseAddress(url);
            if (!p) continue;
            out.push({
              kind: 'etcd',
              client: `${w.id} (--etcd-servers)`,
              file: w.obj.file.rel,
              workload: w,
              nodes,
              address: url,
              host: p.host,
              port: p.port,
              connectHost: p.host,
              tlsName: p.scheme === 'https' ? p.host : undefined,
              trust,
              phases: w.phases,
            });
          }
        } else if (comp === 'etcd') {
          const ctx: any = { pod: { object: w.obj.object }, container: c, flags, env: envOf(c) };
          const self = etcdSetting(ctx, 'name') ?? 'default';
          const ca = etcdSetting(ctx, 'peer-trusted-ca-file');
          const trust = ca ? toTrust(readInContainer(model, w, c, ca)) : undefined;
          for (const entry of (etcdSetting(ctx, 'initial-cluster') ?? '')
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)) {
            const eq = entry.indexOf('=');
            const name = entry.slice(0, eq);
            const url = entry.slice(eq + 1);
            const p = parseAddress(url);
            if (!p || name === self) continue;
            out.push({
              kind: 'etcd-peer',
              client: `etcd member ${self} (${w.id}, initial cluster)`,
              file: w.obj.file.rel,
              workload: w,
              nodes,
              address: url,
              host: p.host,
              port: p.port,
              connectHost: p.host,
              tlsName: p.scheme === 'https' ? p.host : undefined,
              trust,
              phases: w.phases,
              expectEtcdName: name,
            });
          }
        }
        if (/(^|\/)kube-vip$/.test(imageRepository(String(c.image ?? '')))) {
          usesKubeconfig = true;
          out.push(...this.kubeVipDials(w, c));
        }
      }
      if (!usesKubeconfig && automountsToken(w, model) && !w.components.has('kube-apiserver') && !w.staticNode) {
        const host = this.spec.apiServiceIp;
        out.push({
          kind: 'in-cluster',
          client: `${w.id} (in-cluster config: the \`kubernetes\` Service)`,
          file: w.obj.file.rel,
          workload: w,
          nodes,
          address: `https://${urlHostOf(host)}:${KUBERNETES_SERVICE.port}`,
          host,
          port: KUBERNETES_SERVICE.port,
          connectHost: host,
          tlsName: host,
          trust: rootCa(model),
          phases: w.phases,
        });
      }
    }
    return out;
  }

  /** Static pods whose kubeconfig flags name this file of the tree. */
  private kubeconfigUsers(rel: string): Workload[] {
    return this.model.workloads.filter(
      (w) =>
        w.obj.delivery === 'static' &&
        w.spec.containers.some((c: any) => {
          const comp = componentOf(c);
          if (!comp) return false;
          return [...containerFlags(c, comp)].some(
            ([flag, value]) =>
              /kubeconfig$/.test(flag) &&
              value?.startsWith('/') &&
              assetPathFor(w.obj.file.rel, hostPathOf({ spec: w.spec } as any, c, value) ?? '') === rel,
          );
        }),
    );
  }

  /** kube-vip's control plane client: `https://kubernetes:<port>` (it rewrites the kubeconfig's server), through its host aliases. */
  private kubeVipDials(w: Workload, c: any): Dial[] {
    const env = envOf(c);
    const port = Number(env.port ?? this.spec.apiServerPort);
    const configPath = env.k8s_config_file ?? '/etc/kubernetes/admin.conf';
    const file = readInContainer(this.model, w, c, configPath);
    let cfg: any;
    try {
      cfg = file?.text ? parseYaml(file.text) : undefined;
    } catch {
      cfg = undefined;
    }
    const alias = (w.spec.hostAliases ?? []).find((a: any) => (a.hostnames ?? []).includes('kubernetes'));
    const base = cfg
      ? kubeconfigDials(cfg, {
          client: '',
          file: w.obj.file.rel,
          nodes: w.nodes,
          phases: w.phases,
          read: (p) => readInContainer(this.model, w, c, p),
        })[0]
      : undefined;
    return [
      {
        kind: 'kube-vip',
        client: `${w.id} (leader election, through ${file?.where ?? configPath})`,
        file: w.obj.file.rel,
        workload: w,
        nodes: w.nodes,
        address: `https://kubernetes:${port}`,
        host: 'kubernetes',
        port,
        connectHost: alias?.ip ?? 'kubernetes',
        tlsName: 'kubernetes',
        trust: base?.trust,
        identity: base?.identity,
        phases: w.phases,
      },
    ];
  }

  private findClusterCa(): Trust | undefined {
    for (const folder of this.nodeFolders.values()) {
      const f = fileAt(this.tree, `${folder}/pki/ca.crt`);
      if (f?.certs.length) return { cert: f.certs[0], where: f.rel };
    }
    const tls = fileAt(this.tree, under(this.root, 'tls/ca.crt'));
    if (tls?.certs.length) return { cert: tls.certs[0], where: tls.rel };
    return rootCa(this.model);
  }
}

/**
 * What the containers of an object's pods run: the flag components (`kube-apiserver`, `etcd`, ...) and `kube-vip`,
 * `dns` (CoreDNS, kube-dns), `ccm` (a cloud controller manager), `service-proxy` (a kube-proxy replacement:
 * Cilium `--kube-proxy-replacement=true`, kube-router `--run-service-proxy=true`), `cni` (a pod writing the host's
 * CNI configuration directory: the pod network).
 */
export function componentsOf(o: any): Set<string> {
  const spec = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
  const components = new Set<string>();
  if (!spec || !Array.isArray(spec.containers)) return components;
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const comp = componentOf(c);
    if (comp) components.add(comp);
    const repo = imageRepository(String(c.image ?? ''));
    const cmd = [...(c.command ?? []), ...(c.args ?? [])].map(String).join(' ');
    if (/(^|\/)kube-vip$/.test(repo)) components.add('kube-vip');
    if (/(^|\/)coredns$|k8s-dns-kube-dns/.test(repo)) components.add('dns');
    if (/cloud-controller-manager/.test(repo) || /cloud-controller-manager/.test(cmd)) components.add('ccm');
    if (/--kube-proxy-replacement(=|\s+)(true|strict)|--run-service-proxy(=|\s+)true/.test(cmd))
      components.add('service-proxy');
  }
  if ((spec.volumes ?? []).some((v: any) => /^\/etc\/cni(\/net\.d)?\/?$/.test(String(v.hostPath?.path ?? ''))))
    components.add('cni');
  return components;
}

// -----------------------------------------------------------------------------------------------------------------
// Outside the tree: an external etcd, the masters' host checkpointers

/** The members of `etcd.external` (none without it). */
export function externalServers(spec: ResolvedClusterSpec): ExternalServer[] {
  return (spec.etcd.external?.endpoints ?? []).flatMap((url, i) => {
    const p = parseAddress(url);
    return p
      ? [
          {
            kind: 'etcd-client' as const,
            name: `external etcd member ${url} (spec etcd.external.endpoints[${i}])`,
            host: p.host,
            port: p.port,
          },
        ]
      : [];
  });
}

/**
 * The host checkpointers of a self-hosted cluster: `hacp-checkpointer.service` on every master (what
 * `hacp kubelet-unit --self-hosted` writes; workers get none), checkpointing the DaemonSet kube-system/kube-apiserver.
 * None for the static-pod topology (its API servers are static pods the kubelet keeps on disk).
 */
export function hostCheckpointers(spec: ResolvedClusterSpec, flavor: ClusterFlavor): HostCheckpointer[] {
  if (flavor !== 'bootkube') return [];
  return spec.masters.map((m) => ({
    node: m.name,
    namespace: 'kube-system',
    daemonSet: 'kube-apiserver',
    source: `hacp-checkpointer.service on ${m.name} (\`hacp kubelet-unit --node ${m.name} --self-hosted\`)`,
  }));
}

// -----------------------------------------------------------------------------------------------------------------
// Nodes

/** The node roles of the spec, with the labels and taints their kubelets register with and their host CNI config. */
export function modelNodes(spec: ResolvedClusterSpec, flavor: ClusterFlavor): ModelNode[] {
  const hostCni = nodePodNetworkFiles(spec); // the same on every node: containerd fills in the node's pod CIDR
  return [
    ...spec.masters.map((n) => ({ n, role: 'master' as const })),
    ...spec.workers.map((n) => ({ n, role: 'worker' as const })),
  ].map(({ n, role }) => {
    const unit = renderKubeletUnit(spec, n.name, { selfHosted: flavor === 'bootkube' });
    const argv = execStartArgs(unit);
    const config = kubeletConfiguration(spec, n.name) as any;
    const labels: Record<string, string> = {
      'kubernetes.io/hostname': n.name,
      'kubernetes.io/os': KUBELET_OS,
      'beta.kubernetes.io/os': KUBELET_OS,
      'kubernetes.io/arch': '',
      'beta.kubernetes.io/arch': '',
    };
    const taints: NodeTaint[] = [...(config.registerWithTaints ?? [])];
    for (const arg of argv) {
      const m = /^--(node-labels|register-with-taints)=(.*)$/.exec(arg);
      if (m?.[1] === 'node-labels') {
        for (const kv of m[2].split(',').filter(Boolean)) {
          const eq = kv.indexOf('=');
          labels[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
        }
      } else if (m?.[1] === 'register-with-taints') {
        for (const t of m[2].split(',').filter(Boolean)) {
          const [kv, effect] = t.split(':');
          const [key, value] = kv.split('=');
          taints.push({ key, ...(value ? { value } : {}), effect: effect as NodeTaint['effect'] });
        }
      }
    }
    if (argv.includes('--cloud-provider=external') && !taints.some((t) => t.key === CLOUD_UNINITIALIZED_TAINT.key))
      taints.push(CLOUD_UNINITIALIZED_TAINT);
    const appliedLabels: AppliedLabel[] =
      role === 'master' ? [{ key: CONTROL_PLANE_ROLE_LABEL, value: '', step: 'node-roles' }] : [];
    return {
      name: n.name,
      ip: n.ip,
      role,
      labels,
      anyValue: new Set(['kubernetes.io/arch', 'beta.kubernetes.io/arch']),
      appliedLabels,
      taints,
      clusterDns: (config.clusterDNS ?? []).map(String),
      hostCni,
      source: `its kubelet (\`hacp kubelet-unit --node ${n.name}\`: ${argv.filter((a) => /^--(node-labels|register-with-taints|cloud-provider)=/.test(a)).join(' ') || 'no --node-labels'}${taints.length ? `, registerWithTaints ${taints.map(taintText).join(', ')}` : ''})`,
    };
  });
}

/** `key=value:Effect`. */
export function taintText(t: NodeTaint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

/** The arguments of a unit's `ExecStart=` (continuation lines joined, systemd quoting undone). */
export function execStartArgs(unit: string): string[] {
  const joined = unit.replace(/\\\n\s*/g, ' ');
  const line = /^ExecStart=(.*)$/m.exec(joined)?.[1] ?? '';
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re))
    args.push((m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]).replace(/%%/g, '%').replace(/\$\$/g, '$'));
  return args;
}

// -----------------------------------------------------------------------------------------------------------------
// Reading what containers see

/** Flags of a container (`--name` → value, last wins). */
export function containerFlags(c: any, component: FlagComponent): Map<string, string | undefined> {
  const tokens = [...(c.command ?? []), ...(c.args ?? [])].map(String);
  return new Map(parseFlags(component, tokens).map((f) => [f.name, f.value]));
}

/** Literal environment variables of a container. */
export function envOf(c: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c?.env ?? []) if (typeof e?.value === 'string') env[e.name] = e.value;
  return env;
}

/** The value of one flag of a workload's container running `component`. */
export function flagOf(w: Workload, component: FlagComponent, flag: string): string | undefined {
  const c = w.spec.containers.find((x: any) => componentOf(x) === component);
  return c ? containerFlags(c, component).get(flag) : undefined;
}

/** The data of a ConfigMap or Secret as strings (`data` base64-decoded for Secrets). */
export function objectData(o: any): Record<string, string> {
  const out: Record<string, string> = {};
  if (o.kind === 'Secret') {
    for (const [k, v] of Object.entries(o.data ?? {})) out[k] = Buffer.from(String(v), 'base64').toString('utf8');
    for (const [k, v] of Object.entries(o.stringData ?? {})) out[k] = String(v);
  } else {
    for (const [k, v] of Object.entries(o.data ?? {})) out[k] = String(v);
    for (const [k, v] of Object.entries(o.binaryData ?? {})) out[k] = Buffer.from(String(v), 'base64').toString('utf8');
  }
  return out;
}

function volumeOf(w: Workload, name: string): any {
  return (w.spec.volumes ?? []).find((v: any) => v.name === name);
}

function refersTo(v: any, kind: string, name: string): boolean {
  if (kind === 'Secret' && v.secret?.secretName === name) return true;
  if (kind === 'ConfigMap' && v.configMap?.name === name) return true;
  return (v.projected?.sources ?? []).some(
    (s: any) => (kind === 'Secret' ? s.secret?.name : s.configMap?.name) === name,
  );
}

function mountsObject(w: Workload, kind: string, name: string): boolean {
  return (w.spec.volumes ?? []).some((v: any) => refersTo(v, kind, name));
}

const pemCache = new Map<string, crypto.X509Certificate[]>();

/** PEM certificates in a text (parsed once per distinct text: the same CA is embedded in many files). */
export function pemCerts(text: string | undefined): X509Certificate[] {
  if (!text || !text.includes('-----BEGIN CERTIFICATE-----')) return [];
  const hit = pemCache.get(text);
  if (hit) return hit;
  const out: crypto.X509Certificate[] = [];
  for (const block of text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    try {
      out.push(new crypto.X509Certificate(block));
    } catch {
      // an unreadable certificate is the consistency check's finding
    }
  }
  if (pemCache.size > 2000) pemCache.clear();
  pemCache.set(text, out);
  return out;
}

function toTrust(f: ContainerFile | undefined): Trust | undefined {
  return f?.certs.length ? { cert: f.certs[0], where: f.where } : undefined;
}

function fileContent(f: AssetFile): ContainerFile {
  return { text: f.text, certs: f.certs.length ? f.certs : pemCerts(f.text), where: f.rel };
}

/** A host path a file of the tree refers to, resolved in the tree (`/etc/kubernetes/pki/ca.crt` from a master folder). */
function readTreePath(tree: AssetTree, fromFile: string, hostPath: string): ContainerFile | undefined {
  const rel = assetPathFor(fromFile, hostPath);
  const f = rel ? fileAt(tree, rel) : undefined;
  return f ? fileContent(f) : undefined;
}

const rootCaCache = new WeakMap<object, Trust | null>();

/**
 * The CA every pod gets as `ca.crt` of its service account volume (the `kube-root-ca.crt` ConfigMap the controller
 * manager publishes from its `--root-ca-file`).
 */
export function rootCa(model: ClusterModel): Trust | undefined {
  if (rootCaCache.has(model)) return rootCaCache.get(model) ?? undefined;
  rootCaCache.set(model, null);
  let found: Trust | undefined;
  const cms = [...model.workloads]
    .filter((w) => w.components.has('kube-controller-manager'))
    .sort((a, b) => Number(!!b.staticNode) - Number(!!a.staticNode));
  for (const w of cms) {
    const c = w.spec.containers.find((x: any) => componentOf(x) === 'kube-controller-manager');
    const file = containerFlags(c, 'kube-controller-manager').get('--root-ca-file');
    const read = file ? readInContainer(model, w, c, file) : undefined;
    if (read?.certs.length) {
      found = { cert: read.certs[0], where: `${read.where} (--root-ca-file of ${w.id})` };
      break;
    }
  }
  rootCaCache.set(model, found ?? null);
  return found;
}

/**
 * A file as a container of a workload sees it, resolved through its volume mounts: hostPath volumes into the tree
 * (static pods: their folder mirrors /etc/kubernetes; bootstrap pods: `bootstrap-secrets/` is `tls/`), Secret and
 * ConfigMap volumes into the objects of the tree, the service account's `ca.crt` to the root CA. Undefined when the
 * tree does not hold it.
 */
export function readInContainer(model: ClusterModel, w: Workload, c: any, p: string): ContainerFile | undefined {
  let best: { mount: any; volume: any } | undefined;
  for (const m of c.volumeMounts ?? []) {
    const mp = String(m.mountPath).replace(/\/$/, '');
    if (!(p === mp || p.startsWith(`${mp}/`))) continue;
    if (!best || mp.length > String(best.mount.mountPath).replace(/\/$/, '').length)
      best = { mount: m, volume: volumeOf(w, m.name) };
  }
  if (!best) {
    if (p === `${SERVICE_ACCOUNT_DIR}/ca.crt` && automountsToken(w, model)) return trustFile(rootCa(model));
    return undefined;
  }
  const { mount, volume } = best;
  if (!volume) return undefined;
  const mp = String(mount.mountPath).replace(/\/$/, '');
  const sub = path.posix.join(mount.subPath ?? '', p.slice(mp.length).replace(/^\//, ''));
  if (volume.hostPath) {
    const host = path.posix.join(String(volume.hostPath.path), sub);
    return readTreePath(model.tree, w.obj.file.rel, host);
  }
  const fromObject = (
    kind: 'Secret' | 'ConfigMap',
    name: string,
    items: any[] | undefined,
    key: string,
  ): ContainerFile | undefined => {
    const mapped = items?.length ? items.find((i) => i.path === key)?.key : key;
    if (mapped === undefined) return undefined;
    if (kind === 'ConfigMap' && name === 'kube-root-ca.crt' && mapped === 'ca.crt') return trustFile(rootCa(model));
    const obj = model.objects.find((o) => o.kind === kind && o.name === name && o.namespace === w.namespace);
    const text = obj ? objectData(obj.object)[mapped] : undefined;
    return text === undefined
      ? undefined
      : { text, certs: pemCerts(text), where: `${kind} ${w.namespace}/${name} key ${mapped} (${obj!.file.rel})` };
  };
  if (volume.secret) return fromObject('Secret', volume.secret.secretName, volume.secret.items, sub);
  if (volume.configMap) return fromObject('ConfigMap', volume.configMap.name, volume.configMap.items, sub);
  if (volume.projected) {
    for (const s of volume.projected.sources ?? []) {
      const src = s.secret
        ? fromObject('Secret', s.secret.name, s.secret.items, sub)
        : s.configMap
          ? fromObject('ConfigMap', s.configMap.name, s.configMap.items, sub)
          : undefined;
      if (src) return src;
    }
  }
  return undefined;
}

function trustFile(t: Trust | undefined): ContainerFile | undefined {
  return t ? { certs: [t.cert], where: t.where, text: t.cert.toString() } : undefined;
}

/** True when the pods mount a service account token (pod setting, else the ServiceAccount's, else true). */
export function automountsToken(w: Workload, model: ClusterModel): boolean {
  if (w.staticNode || w.obj.delivery === 'static') return false;
  if (typeof w.spec.automountServiceAccountToken === 'boolean') return w.spec.automountServiceAccountToken;
  const sa = model.objects.find(
    (o) =>
      o.kind === 'ServiceAccount' && o.namespace === w.namespace && o.name === (w.spec.serviceAccountName ?? 'default'),
  );
  return sa?.object.automountServiceAccountToken !== false;
}

// -----------------------------------------------------------------------------------------------------------------
// Kubeconfigs and addresses

interface KubeconfigContext {
  readonly client: string;
  readonly file: string;
  readonly workload?: Workload;
  readonly users?: readonly Workload[];
  readonly nodes: readonly string[];
  readonly phases: readonly Phase[];
  readonly read: (p: string) => ContainerFile | undefined;
}

/** The dial of a kubeconfig: its current context's cluster (else its first). */
function kubeconfigDials(cfg: any, ctx: KubeconfigContext): Dial[] {
  const current = (cfg.contexts ?? []).find((c: any) => c.name === cfg['current-context'])?.context;
  const clusters: any[] = cfg.clusters ?? [];
  const chosen = clusters.find((c) => c.name === current?.cluster) ?? clusters[0];
  if (!chosen) return [];
  const server = String(chosen.cluster?.server ?? '');
  const p = parseAddress(server);
  if (!p) return [];
  let trust: Trust | undefined;
  const data = chosen.cluster?.['certificate-authority-data'];
  if (data)
    trust = toTrust({
      certs: pemCerts(Buffer.from(String(data), 'base64').toString('utf8')),
      where: `${ctx.file} certificate-authority-data`,
    });
  else if (chosen.cluster?.['certificate-authority'])
    trust = toTrust(ctx.read(String(chosen.cluster['certificate-authority'])));
  const users: any[] = cfg.users ?? [];
  const user = (users.find((u) => u.name === current?.user) ?? users[0])?.user;
  let identity: Dial['identity'];
  const certText = user?.['client-certificate-data']
    ? Buffer.from(String(user['client-certificate-data']), 'base64').toString('utf8')
    : user?.['client-certificate']
      ? ctx.read(String(user['client-certificate']))?.text
      : undefined;
  const cert = pemCerts(certText)[0];
  if (cert) {
    const parts = cert.subject.split('\n');
    identity = {
      user: parts.find((s) => s.startsWith('CN='))?.slice(3),
      groups: parts.filter((s) => s.startsWith('O=')).map((s) => s.slice(2)),
      where: ctx.file,
    };
  }
  return [
    {
      kind: 'kubeconfig',
      client: ctx.client,
      file: ctx.file,
      workload: ctx.workload,
      users: ctx.users,
      nodes: ctx.nodes,
      address: server,
      host: p.host,
      port: p.port,
      connectHost: p.host,
      tlsName: p.scheme === 'https' ? p.host : undefined,
      trust,
      identity,
      phases: ctx.phases,
    },
  ];
}

/** `scheme://host:port` (brackets around IPv6; default port by scheme); undefined when it is not a URL. */
export function parseAddress(url: string): { scheme: string; host: string; port: number } | undefined {
  const m = /^([a-z]+):\/\/(\[[^\]]+\]|[^/:]+)(?::(\d+))?/i.exec(url);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  const host = m[2].replace(/^\[|\]$/g, '');
  const port = m[3] ? Number(m[3]) : scheme === 'https' ? 443 : scheme === 'http' ? 80 : 0;
  return { scheme, host, port };
}

/** The host part of a URL for an address (brackets around IPv6). */
function urlHostOf(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** A bind address as the node's: `localhost` is 127.0.0.1, `$(POD_IP)`-style values the node's address (host network). */
function hostOnly(bind: string, n: ModelNode): string {
  if (bind === 'localhost') return '127.0.0.1';
  if (bind.startsWith('$(')) return n.ip;
  return normaliseIp(bind);
}

const ipCache = new Map<string, string>();

/** A normalised IP (lower case, shortest IPv6 form); anything else unchanged. */
export function normaliseIp(v: string): string {
  let hit = ipCache.get(v);
  if (hit === undefined) {
    try {
      hit = /^[\d.]+$|:/.test(v) ? ipaddr.parse(v).toString().toLowerCase() : v.toLowerCase();
    } catch {
      hit = v.toLowerCase();
    }
    if (ipCache.size > 5000) ipCache.clear();
    ipCache.set(v, hit);
  }
  return hit;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(host)) return true;
  return host.includes(':') && normaliseIp(host) === '::1';
}

/** Words listed (`a, b and c`). */
export function listWords(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** True for `0.0.0.0` and `::`. */
export function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
