import type { BringUpWait } from '../verify/cluster/plan';
import { Deadline, kubectlSeconds, timerMs } from './duration';
import { Kubectl, KubectlError } from './kubectl';

/** A wait that ran out of time or failed: says what it waited for and the last thing it saw. */
export class WaitError extends Error {
  constructor(
    /** What was waited for, for a human (`Deployment kube-system/coredns to roll out`). */
    public readonly what: string,
    message: string,
  ) {
    super(message);
    this.name = 'WaitError';
  }
}

/** How waits run: through which kubectl and address, how long, how often. */
export interface WaitContext {
  /** The kubectl runner every call of the wait goes through (its kubeconfig, binary and dry-run mode). */
  readonly kubectl: Kubectl;
  /** `--server=` for every call (a master's own API server), or the kubeconfig's server. */
  readonly server?: string;
  /** The kubeconfig's server (the API endpoint), only to name it in messages. @default - not named */
  readonly endpoint?: string;
  /** The bound of one wait, in seconds. */
  readonly timeoutSeconds: number;
  /** Seconds between two polls of a polled wait (`/readyz`, pods). */
  readonly pollSeconds: number;
  /** Progress lines. */
  readonly log: (line: string) => void;
}

/** Where a wait's calls go, for messages: `through <server>` or `through the API endpoint <url> (the kubeconfig's server)`. */
export function through(ctx: Pick<WaitContext, 'server' | 'endpoint'>): string {
  if (ctx.server) return `through ${ctx.server}`;
  return ctx.endpoint
    ? `through the API endpoint ${ctx.endpoint} (the kubeconfig's server)`
    : "through the kubeconfig's server (the API endpoint)";
}

/** What a plan wait waits for, for a human. `nodes` are the step's nodes (for `nodes-registered` without a name). */
export function describeWait(w: BringUpWait, nodes: readonly string[] = []): string {
  switch (w.for) {
    case 'rollout':
      return `${w.kind} ${w.namespace ?? 'default'}/${w.name} to roll out (all pods updated and available)`;
    case 'established':
      return `CustomResourceDefinition ${w.name} to be Established (its resource served)`;
    case 'readyz':
      if (w.check === 'etcd') return 'etcd to serve (the API server reaches a quorum: /readyz/etcd)';
      return w.check ? `the API server's /readyz/${w.check} check to pass` : 'the API server to answer /readyz';
    case 'running':
      return `a pod of ${w.kind} ${w.namespace ?? 'default'}/${w.name} to run (Running, not necessarily Ready)`;
    case 'nodes-registered': {
      const names = w.name ? [w.name] : nodes;
      if (names.length === 1) return `Node ${names[0]} to register (its kubelet creates it)`;
      return names.length
        ? `Nodes ${names.join(', ')} to register (their kubelets create them)`
        : 'the Nodes to register';
    }
    default:
      return `an unknown wait ${JSON.stringify(w)}`;
  }
}

/** Checks a plan wait before anything runs; returns the problem, or undefined. */
export function waitProblem(w: BringUpWait, nodes: readonly string[]): string | undefined {
  switch (w.for) {
    case 'rollout':
      if (!w.kind || !w.name) return 'a rollout wait needs kind and name';
      if (!ROLLOUT_KINDS.includes(w.kind))
        return `a rollout wait on kind ${w.kind}: kubectl rollout status knows ${ROLLOUT_KINDS.join(', ')}`;
      return undefined;
    case 'established':
      if (!w.name) return 'an established wait needs the CRD name';
      if (w.kind && w.kind !== 'CustomResourceDefinition')
        return `an established wait on kind ${w.kind}: only CustomResourceDefinition has it`;
      return undefined;
    case 'readyz':
      return w.check === undefined || /^[a-z0-9][a-z0-9-]*$/.test(w.check)
        ? undefined
        : `a readyz check name ${JSON.stringify(w.check)} (a /readyz check is lowercase letters, digits and -)`;
    case 'running':
      if (!w.kind || !w.name) return 'a running wait needs kind and name';
      if (!w.selector || !Object.keys(w.selector).length)
        return `a running wait on ${w.kind} ${w.name} needs the selector of its pods`;
      return undefined;
    case 'nodes-registered':
      return w.name || nodes.length
        ? undefined
        : 'a nodes-registered wait needs a node name (or a step with nodes or labels)';
    default:
      return `unknown wait ${JSON.stringify((w as BringUpWait).for)}`;
  }
}

const ROLLOUT_KINDS = ['Deployment', 'DaemonSet', 'StatefulSet'];

/**
 * Runs one plan wait, bounded by `ctx.timeoutSeconds`:
 * - `rollout`: `kubectl rollout status <kind>/<name> -n <ns> --timeout=<T>s`,
 * - `established`: `kubectl wait --for=condition=Established crd/<name> --timeout=<T>s`,
 * - `readyz`: `kubectl get --raw=/readyz` (or `/readyz/<check>`) every `pollSeconds` until it answers `ok`,
 * - `running`: `kubectl get pods -n <ns> -l <selector> -o json` every `pollSeconds` until one is Running,
 * - `nodes-registered`: `kubectl wait --for=create node/<n> --timeout=<left>s` for each node, one shared deadline.
 */
export async function runWait(w: BringUpWait, ctx: WaitContext, nodes: readonly string[] = []): Promise<void> {
  const what = describeWait(w, nodes);
  const t = kubectlSeconds(ctx.timeoutSeconds);
  switch (w.for) {
    case 'rollout':
      return kubectlWait(
        ctx,
        what,
        ['rollout', 'status', `${w.kind!.toLowerCase()}/${w.name}`, '-n', w.namespace ?? 'default', `--timeout=${t}`],
        ctx.timeoutSeconds,
      );
    case 'established':
      return kubectlWait(
        ctx,
        what,
        ['wait', '--for=condition=Established', `crd/${w.name}`, `--timeout=${t}`],
        ctx.timeoutSeconds,
      );
    case 'readyz':
      return waitForReadyz(ctx, what, w.check);
    case 'running': {
      const selector = Object.entries(w.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return poll(
        ctx,
        what,
        {
          args: [
            'get',
            'pods',
            '-n',
            w.namespace ?? 'default',
            '-l',
            selector,
            '-o',
            'json',
            `--request-timeout=${requestTimeout(ctx)}s`,
          ],
          server: ctx.server,
          timeoutSeconds: requestTimeout(ctx),
        },
        runningPods,
      );
    }
    case 'nodes-registered': {
      const deadline = new Deadline(ctx.timeoutSeconds);
      for (const node of w.name ? [w.name] : nodes) {
        const left = ctx.kubectl.dryRun ? ctx.timeoutSeconds : deadline.remaining();
        if (left <= 0)
          throw new WaitError(
            what,
            `timed out after ${kubectlSeconds(ctx.timeoutSeconds)}: Node ${node} is not registered yet`,
          );
        await kubectlWait(
          ctx,
          what,
          ['wait', '--for=create', `node/${node}`, `--timeout=${kubectlSeconds(left)}`],
          left,
        );
      }
      return undefined;
    }
    default:
      throw new WaitError(what, `cannot wait for ${what}`);
  }
}

/** A wait kubectl bounds itself (`--timeout=`); its failure becomes a `WaitError` naming what was waited for. */
async function kubectlWait(ctx: WaitContext, what: string, args: string[], timeoutSeconds: number): Promise<void> {
  if (!ctx.kubectl.dryRun) ctx.log(`waiting for ${what} (at most ${kubectlSeconds(timeoutSeconds)}, ${through(ctx)})`);
  const started = Date.now();
  let stdout: string;
  try {
    ({ stdout } = await ctx.kubectl.run({ args, server: ctx.server, timeoutSeconds }));
  } catch (e) {
    if (e instanceof KubectlError) throw new WaitError(what, e.message);
    throw e;
  }
  if (ctx.kubectl.dryRun) return;
  // rollout status prints its progress ("Waiting for ... 1 of 2 updated"): the last line says how it ended
  const last = stdout.trim().split('\n').pop();
  ctx.log(`  done after ${elapsed(started)}${last ? `: ${last}` : ''}`);
}

/** The bound of one polled request, in whole seconds: 10, or the wait's own bound when shorter. */
function requestTimeout(ctx: Pick<WaitContext, 'timeoutSeconds'>): number {
  return Math.max(1, Math.min(10, Math.ceil(ctx.timeoutSeconds)));
}

/** Polls `kubectl get --raw=/readyz` (or `/readyz/<check>`) until it prints `ok`. */
export async function waitForReadyz(
  ctx: WaitContext,
  what = 'the API server to answer /readyz',
  check?: string,
): Promise<void> {
  const request = requestTimeout(ctx);
  await poll(
    ctx,
    what,
    {
      args: ['get', `--raw=/readyz${check ? `/${check}` : ''}`, `--request-timeout=${request}s`],
      server: ctx.server,
      timeoutSeconds: request,
    },
    (out) => ({ done: out.trim() === 'ok', detail: out.trim() }),
  );
}

/** Done when at least one pod of a `kubectl get pods -o json` list is Running; otherwise says what the pods are doing. */
export function runningPods(stdout: string): PollOutcome {
  let items: any[];
  try {
    items = JSON.parse(stdout).items ?? [];
  } catch {
    return { done: false, detail: `kubectl printed no pod list: ${stdout.slice(0, 200)}` };
  }
  const running = items.filter((p) => p.status?.phase === 'Running');
  const detail = items.length
    ? items
        .map(
          (p) =>
            `${p.metadata?.name} ${p.status?.phase ?? 'Unknown'}${p.spec?.nodeName ? ` on ${p.spec.nodeName}` : ' (not scheduled)'}`,
        )
        .join(', ')
    : 'no pods yet';
  return { done: running.length > 0, detail };
}

/** Result of one poll attempt. */
export interface PollOutcome {
  /** True when the condition holds and polling stops; false to poll again. */
  readonly done: boolean;
  /** What this attempt saw (for the timeout message). */
  readonly detail?: string;
}

/**
 * Runs a kubectl call every `ctx.pollSeconds` until `check(stdout)` says done, at most `ctx.timeoutSeconds`. A failing
 * call counts as "not yet" (the API may still be starting); its stderr tail is what the timeout message reports.
 * In dry-run mode it prints the call once, with the poll interval and bound as a comment.
 */
export async function poll(
  ctx: WaitContext,
  what: string,
  call: { args: string[]; server?: string; timeoutSeconds?: number },
  check: (stdout: string) => PollOutcome,
): Promise<void> {
  if (ctx.kubectl.dryRun) {
    ctx.log(
      `# until it succeeds (${what}, ${through(ctx)}): every ${ctx.pollSeconds}s, at most ${kubectlSeconds(ctx.timeoutSeconds)}`,
    );
    await ctx.kubectl.run(call);
    return;
  }
  ctx.log(
    `waiting for ${what} (at most ${kubectlSeconds(ctx.timeoutSeconds)}, ${through(ctx)}, polling every ${ctx.pollSeconds}s)`,
  );
  const started = Date.now();
  const deadline = new Deadline(ctx.timeoutSeconds);
  let last: string; // every attempt sets it: the loop ends only after one
  for (;;) {
    try {
      const { stdout } = await ctx.kubectl.run(call);
      const outcome = check(stdout);
      if (outcome.done) {
        ctx.log(`  done after ${elapsed(started)}`);
        return;
      }
      last = outcome.detail || 'not yet';
    } catch (e) {
      if (!(e instanceof KubectlError)) throw e;
      last = e.stderrTail || e.how;
    }
    if (deadline.passed()) break;
    // the last attempt falls on the deadline itself
    await sleep(Math.min(ctx.pollSeconds, deadline.remaining()) * 1000);
  }
  throw new WaitError(
    what,
    `timed out after ${kubectlSeconds(ctx.timeoutSeconds)} (${through(ctx)}); last answer:\n${last
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n')}`,
  );
}

function elapsed(started: number): string {
  return `${Math.round((Date.now() - started) / 100) / 10}s`;
}

/** Resolves after `ms` milliseconds (whole, and at most a timer's limit of about 24.8 days). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, timerMs(ms)));
}
