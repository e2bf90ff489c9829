// The checkpointer's loop: observe (API servers, container runtime, disk), decide (state-machine.ts), act (store.ts).
import {
  CheckpointError,
  CheckpointSources,
  KubeObject,
  prepareCheckpoint,
  referencedSources,
  selectParent,
} from './checkpoint';
import { ApiCredentials, apiGet, loadKubeletCredentials, readiness } from './api-client';
import { HostLayout, apiUrl } from './layout';
import { CrictlRuntime } from './runtime';
import {
  CheckpointerDecision,
  CheckpointerObservations,
  CheckpointerState,
  CheckpointerTimings,
  DEFAULT_CHECKPOINTER_TIMINGS,
  ParentObservation,
  RuntimeObservation,
  decide,
  initialCheckpointerState,
} from './state-machine';
import { CheckpointStore } from './store';

/** A log line's level. */
export type CheckpointerLogLevel = 'info' | 'warning' | 'error';

/** Options of `Checkpointer`. */
export interface CheckpointerOptions {
  /** This node's name (the kubelet's node name: the host name). */
  readonly node: string;
  /** This master's API server port (`spec.apiServerPort`). */
  readonly port: number;
  /**
   * This node's IP: its API server is also asked there (it may not listen on 127.0.0.1).
   * @default - 127.0.0.1 only
   */
  readonly nodeIp?: string;
  /**
   * The other masters' API servers (`https://<ip>:<port>`).
   * @default [] (a one-master cluster)
   */
  readonly peers?: readonly string[];
  /**
   * The directory standing for `/` (tests).
   * @default /
   */
  readonly root?: string;
  /**
   * Namespace of the DaemonSet.
   * @default kube-system
   */
  readonly namespace?: string;
  /**
   * The DaemonSet whose pod on this node is checkpointed.
   * @default kube-apiserver
   */
  readonly daemonSet?: string;
  /** How crictl is run. */
  readonly runtime?: CrictlRuntime;
  /**
   * Timeout of each API request.
   * @default 5000
   */
  readonly requestTimeoutMs?: number;
  /** Dwell times (defaults: `DEFAULT_CHECKPOINTER_TIMINGS`). */
  readonly timings?: Partial<CheckpointerTimings>;
  /** Where log lines go. @default stdout (info) and stderr (warnings, errors) */
  readonly log?: (level: CheckpointerLogLevel, message: string) => void;
  /** The clock (tests). @default Date.now */
  readonly now?: () => number;
}

/**
 * The host service behind `hacp checkpointer run`: keeps the last good copy of this master's self-hosted API server
 * pod on disk and starts it as a static pod when no API server answers (see `decide()` and docs/self-hosted.md).
 * `tick()` is one round; `run()` loops until its signal aborts.
 */
export class Checkpointer {
  /** Where the host's files are (`options.root`). */
  public readonly layout: HostLayout;
  /** The checkpoints on disk. */
  public readonly store: CheckpointStore;
  /** The parent DaemonSet's namespace. */
  public readonly namespace: string;
  /** The parent DaemonSet's name. */
  public readonly daemonSet: string;
  /** The dwell times in effect: the defaults with `options.timings` over them. */
  public readonly timings: CheckpointerTimings;
  /** The state after the last round (undefined before the first). */
  public state?: CheckpointerState;
  private readonly runtime: CrictlRuntime;
  private readonly localUrls: string[];
  private readonly peers: readonly string[];
  private readonly requestTimeoutMs: number;
  private readonly now: () => number;
  private readonly logLine: (level: CheckpointerLogLevel, message: string) => void;
  /** How many errors the last round had (logged errors and failed actions). */
  public lastRoundErrors = 0;
  /** Messages of the previous round: a condition that persists is logged once, not every round. */
  private lastMessages = new Set<string>();

  /** Validates the options (node name, port, peer URLs); throws naming the bad one. */
  constructor(
    /** The options it was made with. */
    public readonly options: CheckpointerOptions,
  ) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(options.node))
      throw new Error(`node: ${JSON.stringify(options.node)} is not a node name`);
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)
      throw new Error(`port: ${options.port} is not a TCP port`);
    for (const p of options.peers ?? []) {
      if (!/^https:\/\/[^/]+$/.test(p)) throw new Error(`peer: ${JSON.stringify(p)} must be https://<host>:<port>`);
    }
    this.layout = new HostLayout(options.root ?? '/');
    this.namespace = options.namespace ?? 'kube-system';
    this.daemonSet = options.daemonSet ?? 'kube-apiserver';
    this.store = new CheckpointStore(this.layout, this.namespace, this.daemonSet);
    this.timings = { ...DEFAULT_CHECKPOINTER_TIMINGS, ...options.timings };
    this.runtime = options.runtime ?? new CrictlRuntime();
    this.localUrls = [
      apiUrl('127.0.0.1', options.port),
      ...(options.nodeIp ? [apiUrl(options.nodeIp, options.port)] : []),
    ];
    this.peers = options.peers ?? [];
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.logLine =
      options.log ??
      ((level, message) =>
        (level === 'info' ? process.stdout : process.stderr).write(
          `${level === 'info' ? '' : `${level}: `}${message}\n`,
        ));
  }

  /** One round: observe, decide, act. Returns the decision (its actions were carried out). */
  public async tick(): Promise<CheckpointerDecision> {
    const obs = await this.observe();
    const now = this.now();
    const state = this.state ?? initialCheckpointerState(obs.disk, now);
    const decision = decide(state, obs, now, this.timings);
    const messages = new Set<string>();
    let errors = 0;
    const log = (level: CheckpointerLogLevel, message: string) => {
      if (level === 'error') errors++;
      messages.add(message);
      if (!this.lastMessages.has(message)) this.logLine(level, message);
    };
    for (const action of decision.actions) {
      try {
        switch (action.kind) {
          case 'log':
            log(action.level, action.message);
            break;
          case 'write': {
            const generation = this.store.write(action.checkpoint, new Date(now));
            log(
              'info',
              `wrote checkpoint ${generation} (${action.checkpoint.digest.slice(0, 19)}…) from ${action.checkpoint.parent.name}`,
            );
            const removed = this.store.gc();
            if (removed.length) log('info', `removed old checkpoints ${removed.join(', ')}`);
            break;
          }
          case 'activate':
            this.store.activate(action.generation);
            log('info', `activated checkpoint ${action.generation}: ${this.layout.activeManifest}`);
            break;
          case 'deactivate':
            if (this.store.deactivate())
              log('info', `deactivated the checkpoint: removed ${this.layout.activeManifest}`);
            break;
          case 'discard':
            this.store.discard(action.generations);
            break;
          case 'remove-all':
            this.store.removeAll();
            log('info', `removed every checkpoint of ${this.namespace}/${this.daemonSet}`);
            break;
        }
      } catch (e) {
        // A failed write or activation leaves the previous state on disk; the next round observes it and tries again.
        log('error', `${action.kind} failed: ${(e as Error).message}`);
      }
    }
    this.lastMessages = messages;
    this.lastRoundErrors = errors;
    this.state = decision.next;
    return decision;
  }

  /** Rounds every `intervalMs` (after the previous round ended) until `signal` aborts. */
  public async run(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick();
      await sleep(intervalMs, signal);
    }
  }

  /** Everything `decide()` needs, gathered concurrently where possible. Never throws for an unreachable API or runtime. */
  public async observe(): Promise<CheckpointerObservations> {
    const runtimeP = this.runtime.observe(this.namespace);
    let creds: ApiCredentials | undefined;
    let credError: string | undefined;
    try {
      creds = loadKubeletCredentials(this.layout);
    } catch (e) {
      credError = (e as Error).message;
    }
    const ask = async (url: string) => (creds ? readiness(url, creds, this.requestTimeoutMs) : ('not-ready' as const));
    const [local, peers, runtime] = await Promise.all([
      Promise.all(this.localUrls.map(ask)),
      Promise.all(this.peers.map(ask)),
      runtimeP,
    ]);
    // "Refused credentials" (401/403) counts as answering: a server that runs must never look like an outage.
    const answers = (r: string) => r !== 'not-ready';
    const firstReady = (urls: readonly string[], results: readonly string[]) => urls[results.indexOf('ready')];
    const readFrom = firstReady(this.localUrls, local) ?? firstReady(this.peers, peers);
    const api = {
      localReady: local.some(answers),
      peersReady: peers.filter(answers).length,
      peersConfigured: this.peers.length,
      ...(credError ? { error: credError } : {}),
    };
    let parent: ParentObservation;
    if (!creds) parent = { state: 'unknown', reason: credError! };
    else if (!readFrom) {
      const refused = [...local, ...peers].includes('refused-credentials');
      parent = {
        state: 'unknown',
        reason: refused
          ? `the API servers refuse the kubelet's credentials (${creds.source})`
          : 'no API server answers',
      };
    } else parent = await this.observeParent(readFrom, creds, api.localReady, runtime);
    return { api, parent, runtime, disk: this.store.inspect() };
  }

  /** This node's parent pod from the API and, while it runs and serves here, the checkpoint made from it. */
  private async observeParent(
    base: string,
    creds: ApiCredentials,
    localReady: boolean,
    runtime: RuntimeObservation,
  ): Promise<ParentObservation> {
    const ns = encodeURIComponent(this.namespace);
    const list = await this.getJson(
      base,
      `/api/v1/namespaces/${ns}/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${this.options.node}`)}`,
      creds,
    );
    if ('error' in list) return { state: 'unknown', reason: `listing the pods of ${this.options.node}: ${list.error}` };
    const parent = selectParent(list.value.items ?? [], this.options.node, this.daemonSet);
    if (!parent) return { state: 'absent' };
    const known = { state: 'present' as const, name: parent.name, uid: parent.uid, ready: parent.ready };
    const runsHere = runtime.ok && runtime.apiServers.some((c) => c.podUid === parent.uid);
    if (!(parent.ready && localReady && runsHere)) return known;
    const secrets: Record<string, KubeObject> = {};
    const configMaps: Record<string, KubeObject> = {};
    for (const ref of referencedSources(parent.pod)) {
      const plural = ref.kind === 'Secret' ? 'secrets' : 'configmaps';
      const r = await this.getJson(
        base,
        `/api/v1/namespaces/${ns}/${plural}/${encodeURIComponent(ref.name)}`,
        creds,
        true,
      );
      if ('error' in r) return { ...known, checkpointError: `reading ${ref.kind} ${ref.name}: ${r.error}` };
      if (r.value) (ref.kind === 'Secret' ? secrets : configMaps)[ref.name] = r.value;
    }
    try {
      const sources: CheckpointSources = { secrets, configMaps };
      return { ...known, checkpoint: prepareCheckpoint(parent, sources, this.daemonSet) };
    } catch (e) {
      if (e instanceof CheckpointError) return { ...known, checkpointError: e.message };
      throw e;
    }
  }

  /** A GET returning parsed JSON; with `notFoundOk`, 404 gives `{ value: undefined }`. */
  private async getJson(
    base: string,
    path: string,
    creds: ApiCredentials,
    notFoundOk = false,
  ): Promise<{ value: any } | { error: string }> {
    const r = await apiGet(base, path, creds, this.requestTimeoutMs);
    if ('error' in r) return r;
    if (r.status === 404 && notFoundOk) return { value: undefined };
    if (r.status !== 200)
      return { error: `HTTP ${r.status} from ${base}${path.replace(/\?.*/, '')}: ${statusMessage(r.body)}` };
    try {
      return { value: JSON.parse(r.body) };
    } catch {
      return { error: `${base}${path.replace(/\?.*/, '')}: the answer is not JSON` };
    }
  }
}

function statusMessage(body: string): string {
  try {
    return JSON.parse(body)?.message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
