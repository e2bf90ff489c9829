/**
 * Fakes for the checkpointer tests. Nothing here is a real Kubernetes component:
 *
 * - `fakeApiServerPod()` is what a FAKE API server would return for the DaemonSet's pod on a node: the template of the
 *   real `SelfHostedApiServer` DaemonSet plus what the DaemonSet controller and API defaulting add (owner reference,
 *   node affinity, tolerations, hostPort defaulting, nodeName, status).
 * - `FakeCheckpointDisk` is an in-memory FAKE of the checkpoint store (generations, corrupt marks, the active manifest).
 * - `FakeControlPlane` is a FAKE cluster of masters for the state machine: per master a FAKE kubelet and FAKE container
 *   runtime (static pods, the DaemonSet's pod with the kubelet's crash-loop back-off, one API server per port), FAKE
 *   etcd quorum, and the FAKE API (pods and Secrets in "etcd", answering only while some API server is ready).
 *   Every master runs the real `decide()` each round.
 */
import { App, Chart } from 'cdk8s';
import {
  CheckpointerAction,
  CheckpointerState,
  CheckpointerTimings,
  DEFAULT_CHECKPOINTER_TIMINGS,
  DiskObservation,
  KubeObject,
  PreparedCheckpoint,
  decide,
  initialCheckpointerState,
  prepareCheckpoint,
  selectParent,
} from '../../../lib/host/checkpointer';
import { SelfHostedApiServer } from '../../../lib/self-hosted';
import { BOOTKUBE_EXAMPLE_CLUSTER, resolveSpec } from '../../../lib/spec';
import { dummyTls } from '../../self-hosted/_tls';

export const spec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);

/** The real self-hosted API server objects (DaemonSet, Secret, ConfigMap) of the bootkube example. */
export function apiServerObjects(extraArgs?: Record<string, string>): { daemonSet: any; secret: any; configMap: any } {
  const chart = new Chart(new App(), 'c');
  new SelfHostedApiServer(chart, 'api', { cluster: spec, tls: dummyTls(), extraArgs });
  const objs = chart.toJson();
  const find = (kind: string) => objs.find((o: any) => o.kind === kind && o.metadata.name.startsWith('kube-apiserver'));
  return { daemonSet: find('DaemonSet'), secret: find('Secret'), configMap: find('ConfigMap') };
}

/** The Secret as a FAKE API server returns it: `stringData` folded into base64 `data`. */
export function fakeApiServerSecret(secret: any, overrides: Record<string, string> = {}): KubeObject {
  const strings = { ...secret.stringData, ...overrides };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...secret.metadata, uid: 'secret-uid', resourceVersion: '1' },
    type: secret.type,
    data: Object.fromEntries(Object.entries<string>(strings).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

/** The DaemonSet's pod on `node` as a FAKE API server returns it (controller and defaulting fields added). */
export function fakeApiServerPod(
  daemonSet: any,
  node: string,
  uid: string,
  options: { name?: string; ready?: boolean; deleting?: boolean; created?: string } = {},
): KubeObject {
  const template = JSON.parse(JSON.stringify(daemonSet.spec.template));
  const podSpec = template.spec;
  // API defaulting for host-network pods: every container port becomes a host port.
  for (const c of podSpec.containers) for (const p of c.ports ?? []) p.hostPort ??= p.containerPort;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name ?? `kube-apiserver-${uid.slice(0, 5)}`,
      generateName: 'kube-apiserver-',
      namespace: daemonSet.metadata.namespace,
      uid,
      creationTimestamp: options.created ?? '2026-01-01T00:00:00Z',
      ...(options.deleting ? { deletionTimestamp: '2026-01-01T01:00:00Z' } : {}),
      labels: { ...template.metadata.labels, 'controller-revision-hash': '5d8f7b9c', 'pod-template-generation': '1' },
      annotations: template.metadata.annotations,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: daemonSet.metadata.name,
          uid: 'ds-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...podSpec,
      nodeName: node,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
          },
        },
      },
      tolerations: [
        ...podSpec.tolerations,
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      ],
      schedulerName: 'default-scheduler',
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 2000001000,
      serviceAccount: podSpec.serviceAccountName,
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }],
      hostIP: '172.17.5.101',
      podIP: '172.17.5.101',
    },
  };
}

/** An in-memory FAKE of `CheckpointStore`: what `decide()` sees of the disk, and its actions applied. */
export class FakeCheckpointDisk {
  public readonly generations: Array<{ generation: string; digest: string; corrupt?: string }> = [];
  public active?: { generation?: string; intact: boolean };
  private sequence = 0;

  public observe(): DiskObservation {
    const newestFirst = [...this.generations].reverse();
    const good = newestFirst.find((g) => !g.corrupt);
    return {
      good: good ? { generation: good.generation, digest: good.digest } : undefined,
      corrupt: newestFirst.filter((g) => g.corrupt).map((g) => ({ generation: g.generation, reason: g.corrupt! })),
      active: this.active ? { ...this.active } : undefined,
    };
  }

  public apply(action: CheckpointerAction): void {
    switch (action.kind) {
      case 'write':
        this.generations.push({
          generation: `gen-${String(++this.sequence).padStart(6, '0')}`,
          digest: action.checkpoint.digest,
        });
        break;
      case 'activate':
        if (this.generations.find((g) => g.generation === action.generation)?.corrupt !== undefined)
          throw new Error(`FAKE disk: activated corrupt ${action.generation}`);
        this.active = { generation: action.generation, intact: true };
        break;
      case 'deactivate':
        this.active = undefined;
        break;
      case 'discard':
        for (const g of action.generations)
          this.generations.splice(
            this.generations.findIndex((x) => x.generation === g),
            1,
          );
        break;
      case 'remove-all':
        this.generations.length = 0;
        break;
      case 'log':
        break;
    }
  }

  /** The digest of the newest good generation. */
  get goodDigest(): string | undefined {
    return this.observe().good?.digest;
  }
}

/** What runs in a master's API server port. */
export type FakeServer = 'none' | 'parent' | 'checkpoint' | 'bootstrap';

/** One master of `FakeControlPlane`. */
export interface FakeMaster {
  readonly name: string;
  readonly index: number;
  booted: boolean;
  readonly disk: FakeCheckpointDisk;
  state?: CheckpointerState;
  /** The API server container holding the port (its kind, and the parent pod's UID for `parent`). */
  running: FakeServer;
  runningUid?: string;
  /** The FAKE kubelet has taken the parent pod on (it has a sandbox for it). */
  knowsParent?: string;
  /** The FAKE kubelet's crash-loop back-off for the DaemonSet's container. */
  backoffMs: number;
  nextParentStartAt: number;
  /** Every action decide() asked for, with the time. */
  readonly history: Array<{ at: number; action: CheckpointerAction }>;
}

/** A pod of the DaemonSet in the FAKE API. */
interface FakePod {
  readonly uid: string;
  readonly name: string;
  /** Its spec does not start (a broken new spec): the container exits at once. */
  readonly broken?: boolean;
}

/**
 * A FAKE self-hosted control plane of `count` masters (see the file comment). `round()` advances the FAKE clock by
 * one checkpointer interval: every booted master observes and decides, then every FAKE kubelet acts.
 */
export class FakeControlPlane {
  public now = 0;
  public readonly masters: FakeMaster[];
  /** The DaemonSet's pods in the FAKE API, by node (absent: the DaemonSet has no pod there). */
  public readonly pods = new Map<string, FakePod>();
  public daemonSet: any;
  public secretOverrides: Record<string, string> = {};
  /** The node whose FAKE kubelet runs the bootstrap API server (first boot), if any. */
  public bootstrapOn?: string;
  /** Rounds in which no API server was ready after one had been (a full outage). */
  public outageRounds: number[] = [];
  private everReady = false;
  private uidCounter = 0;
  private readonly objects = apiServerObjects();

  constructor(
    count = 3,
    public readonly timings: CheckpointerTimings = DEFAULT_CHECKPOINTER_TIMINGS,
    public readonly tickMs = 10_000,
    public readonly staggerMs = 60_000,
  ) {
    this.daemonSet = this.objects.daemonSet;
    this.masters = Array.from({ length: count }, (_, index) => ({
      name: `master0${index + 1}`,
      index,
      booted: true,
      disk: new FakeCheckpointDisk(),
      running: 'none' as FakeServer,
      backoffMs: 0,
      nextParentStartAt: 0,
      history: [],
    }));
  }

  /** Creates (or replaces, as a rolling update does) the DaemonSet's pod on `node`. */
  public schedule(node: string, options: { broken?: boolean } = {}): FakePod {
    const uid = `uid-${++this.uidCounter}`;
    const pod = { uid, name: `kube-apiserver-${node.slice(-2)}${this.uidCounter}`, broken: options.broken };
    this.pods.set(node, pod);
    return pod;
  }

  public scheduleAll(): void {
    for (const m of this.masters) this.schedule(m.name);
  }

  public master(name: string): FakeMaster {
    return this.masters.find((m) => m.name === name)!;
  }

  /** Power off: containers gone, the FAKE kubelet forgets its pods; the disk stays. */
  public powerOff(name: string): void {
    const m = this.master(name);
    Object.assign(m, {
      booted: false,
      running: 'none',
      runningUid: undefined,
      knowsParent: undefined,
      state: undefined,
      backoffMs: 0,
      nextParentStartAt: 0,
    });
  }

  public powerOn(name: string): void {
    this.master(name).booted = true;
  }

  /** Starts watching for outages afresh: `outageRounds` lists rounds without any ready API server after the next one. */
  public watchOutages(): void {
    this.everReady = false;
    this.outageRounds = [];
  }

  public etcdQuorum(): boolean {
    return this.masters.filter((m) => m.booted).length * 2 > this.masters.length;
  }

  /** The master's API server answers /readyz: something holds the port, it started, and etcd has quorum. */
  public ready(m: FakeMaster): boolean {
    if (!m.booted || m.running === 'none' || !this.etcdQuorum()) return false;
    return m.running !== 'parent' || !this.pods.get(m.name)?.broken;
  }

  public anyReady(): boolean {
    return this.masters.some((m) => this.ready(m));
  }

  /** The checkpoint `decide()` would be handed for the parent on `node` (the real `prepareCheckpoint()`). */
  public checkpointFor(node: string, pod: FakePod): PreparedCheckpoint {
    const apiPod = fakeApiServerPod(this.daemonSet, node, pod.uid, { name: pod.name });
    const parent = selectParent([apiPod], node, 'kube-apiserver')!;
    return prepareCheckpoint(
      parent,
      {
        secrets: { 'kube-apiserver': fakeApiServerSecret(this.objects.secret, this.secretOverrides) },
        configMaps: { 'kube-apiserver-config': this.objects.configMap },
      },
      'kube-apiserver',
    );
  }

  /** Changes the API server's spec (a new flag): what a DaemonSet update does to the template. */
  public changeSpec(extraArgs: Record<string, string>): void {
    this.daemonSet = apiServerObjects(extraArgs).daemonSet;
  }

  /** One checkpointer interval on every master, then every FAKE kubelet acts. */
  public round(): void {
    const readyBefore = new Map(this.masters.map((m) => [m.name, this.ready(m)]));
    const anyReady = [...readyBefore.values()].some(Boolean);
    for (const m of this.masters.filter((x) => x.booted)) {
      const pod = this.pods.get(m.name);
      const peersReady = this.masters.filter((x) => x !== m && readyBefore.get(x.name)).length;
      const parentReady =
        pod !== undefined && m.running === 'parent' && m.runningUid === pod.uid && readyBefore.get(m.name)!;
      const obs = {
        api: { localReady: readyBefore.get(m.name)!, peersReady, peersConfigured: this.masters.length - 1 },
        parent: !anyReady
          ? { state: 'unknown' as const, reason: 'FAKE: no API server answers' }
          : pod
            ? {
                state: 'present' as const,
                name: pod.name,
                uid: pod.uid,
                ready: parentReady,
                ...(parentReady ? { checkpoint: this.checkpointFor(m.name, pod) } : {}),
              }
            : { state: 'absent' as const },
        runtime: {
          ok: true as const,
          apiServers:
            m.running === 'none'
              ? []
              : [
                  {
                    container: m.running === 'bootstrap' ? 'bootstrap-kube-apiserver' : 'kube-apiserver',
                    podName:
                      m.running === 'parent'
                        ? this.podName(m)
                        : m.running === 'checkpoint'
                          ? `kube-apiserver-checkpoint-${m.name}`
                          : `bootstrap-kube-apiserver-${m.name}`,
                    podNamespace: 'kube-system',
                    podUid: m.running === 'parent' ? m.runningUid! : `${m.running}-${m.name}`,
                  },
                ],
          readySandboxUids: m.knowsParent ? [m.knowsParent] : [],
        },
        disk: m.disk.observe(),
      };
      const timings = { ...this.timings, handoverAfterMs: this.timings.handoverAfterMs + m.index * this.staggerMs };
      const state = m.state ?? initialCheckpointerState(obs.disk, this.now);
      const decision = decide(state, obs, this.now, timings);
      for (const action of decision.actions) {
        m.disk.apply(action);
        if (action.kind !== 'log') m.history.push({ at: this.now, action });
      }
      m.state = decision.next;
    }
    for (const m of this.masters) this.kubelet(m, anyReady);
    const nowReady = this.anyReady();
    if (this.everReady && !nowReady) this.outageRounds.push(this.now);
    this.everReady ||= nowReady;
    this.now += this.tickMs;
  }

  /** Rounds until `until()` holds (checked after each), at most `max`; returns how many ran. */
  public runUntil(until: () => boolean, max = 200): number {
    for (let i = 1; i <= max; i++) {
      this.round();
      if (until()) return i;
    }
    throw new Error(
      `FAKE control plane: condition not reached in ${max} rounds (t=${this.now / 1000}s): ${this.describe()}`,
    );
  }

  public rounds(n: number): void {
    for (let i = 0; i < n; i++) this.round();
  }

  /** Actions (not logs) of a master, by kind. */
  public actions(name: string, kind: CheckpointerAction['kind']): Array<{ at: number; action: CheckpointerAction }> {
    return this.master(name).history.filter((h) => h.action.kind === kind);
  }

  public allServeFromDaemonSet(): boolean {
    return this.masters.every(
      (m) => m.running === 'parent' && m.runningUid === this.pods.get(m.name)?.uid && !m.disk.active && this.ready(m),
    );
  }

  public describe(): string {
    return this.masters
      .map(
        (m) =>
          `${m.name}[${m.booted ? 'up' : 'off'} ${m.state?.phase ?? '-'} runs=${m.running} active=${m.disk.active?.generation ?? 'no'} ready=${this.ready(m)}]`,
      )
      .join(' ');
  }

  private podName(m: FakeMaster): string {
    return this.pods.get(m.name)?.name ?? 'gone';
  }

  /** The FAKE kubelet and runtime of one master. */
  private kubelet(m: FakeMaster, apiReachable: boolean): void {
    if (!m.booted) return;
    const pod = this.pods.get(m.name);
    // Static pods: the checkpoint manifest, the bootstrap manifest.
    if (!m.disk.active && m.running === 'checkpoint') m.running = 'none';
    if (this.bootstrapOn !== m.name && m.running === 'bootstrap') m.running = 'none';
    if (m.disk.active && m.running === 'none') m.running = 'checkpoint';
    if (this.bootstrapOn === m.name && m.running === 'none') m.running = 'bootstrap';
    // Pods from the API: the kubelet learns them only while an API server answers, and keeps running them after.
    if (apiReachable) {
      if (m.knowsParent !== pod?.uid) {
        if (m.running === 'parent') m.running = 'none';
        m.knowsParent = pod?.uid;
        m.backoffMs = 0;
        m.nextParentStartAt = this.now;
      }
    }
    if (
      m.knowsParent &&
      !(m.running === 'parent' && m.runningUid === m.knowsParent) &&
      this.now >= m.nextParentStartAt
    ) {
      if (m.running === 'none' && !pod?.broken) {
        m.running = 'parent';
        m.runningUid = m.knowsParent;
        m.backoffMs = 0;
      } else {
        // The port is taken (or the spec is broken): the container exits; CrashLoopBackOff 10 s, doubling, at most 5 min.
        m.backoffMs = Math.min(m.backoffMs ? m.backoffMs * 2 : 10_000, 300_000);
        m.nextParentStartAt = this.now + m.backoffMs;
      }
    }
  }
}
