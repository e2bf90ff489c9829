// The checkpointer's decisions as a pure function of what it observed: no I/O, no clock. The runner (runner.ts)
// gathers the observations, calls `decide()` and carries out the actions; the tests drive it with fakes.
import { PreparedCheckpoint } from './checkpoint';

/**
 * Where the checkpoint stands.
 * - `inactive`: the checkpoint (if any) waits on disk; the DaemonSet's pod serves, or nothing needs serving yet.
 * - `active`: the checkpoint's manifest is in the kubelet's static pod directory: it is this node's API server.
 * - `handover`: the manifest was just removed so that the DaemonSet's pod can take the port; activation is held off
 *   for `handoverTimeoutMs` while the kubelet (re)starts that pod (its crash-loop back-off can reach 5 minutes).
 */
export type CheckpointerPhase = 'inactive' | 'active' | 'handover';

/** The state carried from one decision to the next (times in milliseconds since the epoch). */
export interface CheckpointerState {
  /** The phase the checkpointer is in. */
  readonly phase: CheckpointerPhase;
  /** When `phase` was entered. */
  readonly since: number;
  /** Since when no API server, this node's or a peer's, has answered `/readyz`, without a break. */
  readonly apiDownSince?: number;
  /** Since when the handover conditions have held without a break (phase `active` only). */
  readonly handoverReadySince?: number;
  /** Since when the API has said, without a break, that no parent pod is bound to this node. */
  readonly parentAbsentSince?: number;
}

/** The dwell times that keep the checkpointer from flapping. */
export interface CheckpointerTimings {
  /**
   * How long no API server (this node's or a peer's) may answer `/readyz` before the checkpoint is started.
   * @default 30 s
   */
  readonly activateAfterMs: number;
  /**
   * How long the handover conditions must hold before the checkpoint is stopped. The unit renderer staggers it per
   * master (`+ index × 60 s`) so the masters of a cluster that rebooted at once hand over one after the other.
   * @default 30 s
   */
  readonly handoverAfterMs: number;
  /**
   * How long after a handover the checkpoint stays off even when no API server answers: the kubelet retries the
   * DaemonSet's pod with a back-off of up to 5 minutes.
   * @default 6 min
   */
  readonly handoverTimeoutMs: number;
  /**
   * How long the API must say, without a break, that no parent pod is bound to this node before the checkpoints are
   * deleted (a rolling update deletes and re-creates the pod; the DaemonSet may have left this node for good).
   * @default 5 min
   */
  readonly parentGraceMs: number;
}

/** The defaults of `CheckpointerTimings`. */
export const DEFAULT_CHECKPOINTER_TIMINGS: CheckpointerTimings = Object.freeze({
  activateAfterMs: 30_000,
  handoverAfterMs: 30_000,
  handoverTimeoutMs: 360_000,
  parentGraceMs: 300_000,
});

/** What the API servers said this round. */
export interface ApiObservation {
  /** This node's API server answers `/readyz` (on 127.0.0.1 or the node's IP). */
  readonly localReady: boolean;
  /** How many of the other masters' API servers answer `/readyz`. */
  readonly peersReady: number;
  /** How many other masters there are (0: a one-master cluster). */
  readonly peersConfigured: number;
  /** Why the API servers could not be asked at all (the kubelet's credentials are unreadable): nothing is started then. */
  readonly error?: string;
}

/** This node's parent pod according to the API. */
export type ParentObservation =
  /** No API server answered, or the answer could not be read. */
  | {
      /** The API could not be asked. */
      readonly state: 'unknown';
      /** Why not (no API server answered, the answer could not be parsed). */
      readonly reason: string;
    }
  /** An API server answered: no pod of the DaemonSet is bound to this node. */
  | {
      /** The API says there is none. */
      readonly state: 'absent';
    }
  /** An API server answered with the parent pod bound to this node. */
  | {
      /** The API lists it. */
      readonly state: 'present';
      /** The pod's name. */
      readonly name: string;
      /** The pod's UID. */
      readonly uid: string;
      /** Its `Ready` condition is `True`. */
      readonly ready: boolean;
      /** The checkpoint made from it and its Secrets/ConfigMaps; read only while it runs here and is ready. */
      readonly checkpoint?: PreparedCheckpoint;
      /** Why no checkpoint could be made from it (a missing Secret, an unsupported field). */
      readonly checkpointError?: string;
    };

/** A running container whose name contains `kube-apiserver`, as the container runtime lists it. */
export interface RunningApiServer {
  /** The container's name (its CRI metadata name). */
  readonly container: string;
  /** Name of the pod it belongs to (`io.kubernetes.pod.name`). */
  readonly podName: string;
  /** Namespace of that pod (`io.kubernetes.pod.namespace`). */
  readonly podNamespace: string;
  /** UID of that pod (`io.kubernetes.pod.uid`): tells the DaemonSet's pod from the checkpoint's mirror. */
  readonly podUid: string;
}

/** What the container runtime (CRI, through crictl) said this round. */
export type RuntimeObservation =
  /** crictl failed: the runtime's state is unknown this round. */
  | {
      /** crictl failed. */
      readonly ok: false;
      /** Its error, for the log. */
      readonly error: string;
    }
  /** crictl answered. */
  | {
      /** crictl answered. */
      readonly ok: true;
      /** Every running API server container on this node: the DaemonSet's, the checkpoint's, the bootstrap one. */
      readonly apiServers: readonly RunningApiServer[];
      /** UIDs of the ready pod sandboxes in the parent's namespace: a sandbox means the kubelet has taken the pod on. */
      readonly readySandboxUids: readonly string[];
    };

/** The checkpoints on disk. */
export interface DiskObservation {
  /** The newest generation whose files match their recorded digests. */
  readonly good?: {
    /** Its directory name (`gen-000042`). */
    readonly generation: string;
    /** Its `PreparedCheckpoint.digest`: compared with a fresh checkpoint to skip rewriting an unchanged one. */
    readonly digest: string;
  };
  /** Generations that fail verification (missing or changed files, unreadable metadata). */
  readonly corrupt: ReadonlyArray<{
    /** The generation's directory name. */
    readonly generation: string;
    /** What failed, for the log. */
    readonly reason: string;
  }>;
  /** The checkpoint manifest in the kubelet's static pod directory, if present. */
  readonly active?: {
    /** The generation it names (its annotation), if it can be read. */
    readonly generation?: string;
    /** The manifest equals its generation's pod and that generation verifies. */
    readonly intact: boolean;
  };
}

/** Everything `decide()` looks at. */
export interface CheckpointerObservations {
  /** What the API servers said. */
  readonly api: ApiObservation;
  /** This node's parent pod according to the API. */
  readonly parent: ParentObservation;
  /** What the container runtime said. */
  readonly runtime: RuntimeObservation;
  /** The checkpoints on disk. */
  readonly disk: DiskObservation;
}

/** What the runner must do, in order. */
export type CheckpointerAction =
  /** Write `checkpoint` as a new generation (atomically; the previous good one stays). */
  | {
      /** Write a generation. */
      readonly kind: 'write';
      /** The checkpoint to write. */
      readonly checkpoint: PreparedCheckpoint;
    }
  /** Put `generation`'s manifest into the kubelet's static pod directory. */
  | {
      /** Activate a generation. */
      readonly kind: 'activate';
      /** The generation's directory name. */
      readonly generation: string;
    }
  /** Remove the checkpoint manifest from the static pod directory (the generations stay). */
  | {
      /** Deactivate the checkpoint. */
      readonly kind: 'deactivate';
    }
  /** Delete these corrupt generations. */
  | {
      /** Delete corrupt generations. */
      readonly kind: 'discard';
      /** Their directory names. */
      readonly generations: readonly string[];
    }
  /** Delete every generation (the parent left this node for good). */
  | {
      /** Delete every generation. */
      readonly kind: 'remove-all';
    }
  /** Log a line. */
  | {
      /** Log a line. */
      readonly kind: 'log';
      /** Its level. */
      readonly level: 'info' | 'warning' | 'error';
      /** The line. */
      readonly message: string;
    };

/** The result of one decision. */
export interface CheckpointerDecision {
  /** What the runner must do, in order. */
  readonly actions: readonly CheckpointerAction[];
  /** The state for the next decision. */
  readonly next: CheckpointerState;
}

/** The state to start from: `active` when a checkpoint manifest is already in the static pod directory. */
export function initialCheckpointerState(disk: DiskObservation, now: number): CheckpointerState {
  return { phase: disk.active ? 'active' : 'inactive', since: now };
}

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

/**
 * One decision of the checkpointer. The rules (docs/self-hosted.md has them as a table):
 *
 * 1. **Refresh.** While the parent pod runs on this node (the runtime shows its container), is Ready and this node's API
 *    server answers, a checkpoint whose digest differs from the newest good one is written (a new spec, a rotated
 *    Secret). Only a spec that demonstrably serves becomes a checkpoint.
 * 2. **Activate** (`inactive` → `active`): a good checkpoint exists, no API server (this node's or a peer's) has
 *    answered for `activateAfterMs`, and the runtime shows no API server container running here. Not while the
 *    runtime cannot be asked.
 * 3. **Hand over** (`active` → `handover`): this node's API server (the checkpoint) answers, the API lists the parent
 *    pod for this node, the kubelet has a ready sandbox for it, and at least one peer API server answers (so the
 *    cluster keeps an API while this node switches; a one-master cluster cannot avoid the gap), all for
 *    `handoverAfterMs`. The checkpoint manifest is removed; the kubelet stops it and its next restart of the
 *    DaemonSet's pod gets the port.
 * 4. **Settle** (`handover` → `inactive`): the parent's container runs and this node's API answers; or
 *    `handoverTimeoutMs` passed (then rule 2 may start the checkpoint again).
 * 5. `active` → `inactive` at once when the parent's own container runs and this node's API answers.
 * 6. **Parent gone**: when the API says for `parentGraceMs` that no parent is bound here, the checkpoints are deleted
 *    (an active one only while a peer API server answers: the last API server of a cluster is never stopped).
 * 7. Corrupt generations are discarded (never the one an active manifest uses) and never activated; the newest good
 *    one stays in use. A damaged active manifest is replaced by the good one when rule 2's conditions hold.
 *
 * "Unknown" never counts as "absent": an API error, a timeout or a failing runtime changes nothing on disk.
 */
export function decide(
  state: CheckpointerState,
  obs: CheckpointerObservations,
  now: number,
  timings: CheckpointerTimings = DEFAULT_CHECKPOINTER_TIMINGS,
): CheckpointerDecision {
  const actions: CheckpointerAction[] = [];
  const log = (level: 'info' | 'warning' | 'error', message: string) => actions.push({ kind: 'log', level, message });
  const { api, parent, runtime: rt, disk } = obs;

  const anyReady = api.localReady || api.peersReady > 0;
  const apiDownSince = anyReady ? undefined : (state.apiDownSince ?? now);
  const apiDownLongEnough = apiDownSince !== undefined && now - apiDownSince >= timings.activateAfterMs;
  const parentAbsentSince = parent.state === 'absent' ? (state.parentAbsentSince ?? now) : undefined;
  const parentGone = parentAbsentSince !== undefined && now - parentAbsentSince >= timings.parentGraceMs;
  const present = parent.state === 'present' ? parent : undefined;
  const parentRunning = rt.ok && present !== undefined && rt.apiServers.some((c) => c.podUid === present.uid);
  const apiServerRunning = rt.ok && rt.apiServers.length > 0;
  const good = disk.good;
  const activeGeneration = disk.active?.generation;

  // 7. Corrupt generations: never activated, discarded (except the one a running checkpoint still mounts).
  const corrupt = disk.corrupt.filter((c) => c.generation !== activeGeneration);
  for (const c of corrupt)
    log(
      'warning',
      `checkpoint ${c.generation} is corrupt (${c.reason}); discarding it${good ? `, ${good.generation} stays in use` : ''}`,
    );
  if (corrupt.length) actions.push({ kind: 'discard', generations: corrupt.map((c) => c.generation) });

  if (api.error)
    log('error', `cannot ask the API servers (${api.error}); nothing is started or changed until this is fixed`);
  if (parent.state === 'unknown' && anyReady)
    log('warning', `an API server answers, but this node's pods cannot be read: ${parent.reason}`);

  // 1. Refresh from a parent that runs here and serves.
  if (present?.ready && parentRunning && api.localReady) {
    if (present.checkpointError)
      log(
        'warning',
        `cannot checkpoint ${present.name}: ${present.checkpointError}; ${good ? `keeping ${good.generation}` : 'no checkpoint yet'}`,
      );
    else if (present.checkpoint && present.checkpoint.digest !== good?.digest) {
      log('info', `checkpointing ${present.name} (${good ? `changed since ${good.generation}` : 'first checkpoint'})`);
      actions.push({ kind: 'write', checkpoint: present.checkpoint });
    }
  }

  let phase = state.phase;
  let since = state.since;
  const enter = (p: CheckpointerPhase, why: string) => {
    log('info', `${phase} -> ${p}: ${why}`);
    phase = p;
    since = now;
  };
  if (disk.active && phase !== 'active') enter('active', 'the checkpoint manifest is in the static pod directory');
  if (!disk.active && phase === 'active')
    enter('inactive', 'the checkpoint manifest was removed from the static pod directory by someone else');

  const canActivate = (): boolean => {
    if (!good) {
      if (apiDownLongEnough) log('warning', 'no API server answers and there is no good checkpoint to start');
      return false;
    }
    if (!apiDownLongEnough) return false;
    if (api.error) return false; // logged above
    if (!rt.ok) {
      log(
        'warning',
        `no API server answers, but the container runtime cannot be asked (${rt.error}); not starting the checkpoint`,
      );
      return false;
    }
    if (apiServerRunning) return false; // an API server container runs here (starting, or waiting for etcd): leave it.
    return true;
  };

  let handoverReadySince: number | undefined;
  if (phase === 'active') {
    if (parentRunning && api.localReady) {
      actions.push({ kind: 'deactivate' });
      enter('inactive', `${present!.name} runs and serves again`);
    } else if (parentGone) {
      if (api.peersReady > 0) {
        actions.push({ kind: 'deactivate' }, { kind: 'remove-all' });
        enter('inactive', `the API has listed no parent pod for this node for ${seconds(now - parentAbsentSince!)}`);
      } else {
        log(
          'warning',
          'the API lists no parent pod for this node, but no other API server answers: keeping the active checkpoint',
        );
      }
    } else {
      if (disk.active && !disk.active.intact && good && canActivate()) {
        log(
          'warning',
          `the active checkpoint manifest (${activeGeneration ?? 'unreadable'}) is damaged; replacing it with ${good.generation}`,
        );
        actions.push({ kind: 'activate', generation: good.generation });
      }
      const ready =
        api.localReady &&
        present !== undefined &&
        rt.ok &&
        rt.readySandboxUids.includes(present.uid) &&
        (api.peersConfigured === 0 || api.peersReady > 0);
      if (ready) {
        handoverReadySince = state.handoverReadySince ?? now;
        if (now - handoverReadySince >= timings.handoverAfterMs) {
          actions.push({ kind: 'deactivate' });
          enter(
            'handover',
            `the kubelet has taken on ${present!.name} and ${api.peersConfigured ? `${api.peersReady} other API server(s) answer` : 'this is the only master'}`,
          );
        }
      }
    }
  } else {
    if (phase === 'handover') {
      if (parentRunning && api.localReady) enter('inactive', `handover done: ${present!.name} serves`);
      else if (now - since >= timings.handoverTimeoutMs)
        enter(
          'inactive',
          `handover timed out after ${seconds(now - since)}: ${present ? `${present.name} does not serve` : 'no parent pod'}`,
        );
    }
    if (phase === 'inactive') {
      if (parentGone && good) {
        actions.push({ kind: 'remove-all' });
        log(
          'info',
          `the API has listed no parent pod for this node for ${seconds(now - parentAbsentSince!)}: deleting the checkpoints`,
        );
      } else if (canActivate()) {
        actions.push({ kind: 'activate', generation: good!.generation });
        enter(
          'active',
          `no API server has answered for ${seconds(now - apiDownSince!)} and none runs here: starting checkpoint ${good!.generation}`,
        );
      }
    }
  }

  return { actions, next: { phase, since, apiDownSince, handoverReadySince, parentAbsentSince } };
}
