import type { BringUpPlan, BringUpStep, BringUpWait } from '../verify/cluster/plan';
import { Kubectl, KubectlError, shellQuote } from './kubectl';
import { resolvePlanFile } from './tree-files';
import { WaitContext, WaitError, describeWait, runWait, waitProblem } from './waits';

/** The field manager of every server-side apply: re-running hacp owns the same fields and changes nothing else. */
export const FIELD_MANAGER = 'hacp';

/** A step or plan that cannot run: names the step, the command and kubectl's stderr tail. Exit code 1 in the CLI. */
export class BringUpError extends Error {
  constructor(message: string, public readonly stepId?: string) {
    super(message);
    this.name = 'BringUpError';
  }
}

/** Options of `executePlan()`. */
export interface ExecutePlanOptions {
  /** The kubectl runner (kubeconfig, binary, dry-run). */
  readonly kubectl: Kubectl;
  /** The tree the plan's files are relative to (or relative to its parent, see `resolvePlanFile()`). */
  readonly root: string;
  /**
   * Bound of each wait, in seconds.
   * @default 300
   */
  readonly timeoutSeconds?: number;
  /**
   * Seconds between polls of `/readyz`.
   * @default 5
   */
  readonly pollSeconds?: number;
  /**
   * The master's own API server (`https://<master ip>:<apiServerPort>`) for `via: master` steps.
   * @default - none: a plan with a `via: master` step is refused
   */
  readonly masterServer?: string;
  /**
   * Progress lines; in dry-run mode the command lines and `#` comments.
   * @default - nowhere
   */
  readonly log?: (line: string) => void;
  /**
   * Waits to leave out and hand back in the result (`hacp bootstrap` defers the rollouts of the self-hosted control
   * plane until the bootstrap control plane is gone).
   * @default - none
   */
  readonly deferWait?: (wait: BringUpWait, step: BringUpStep) => boolean;
}

/** A wait left out by `deferWait`, with what is needed to run it later. */
export interface DeferredWait {
  readonly step: BringUpStep;
  readonly wait: BringUpWait;
  readonly server?: string;
}

/** What `executePlan()` did. */
export interface PlanRunResult {
  /** Ids of the steps run, in order. */
  readonly steps: readonly string[];
  readonly deferred: readonly DeferredWait[];
}

/** The steps of a plan in execution order: phases by index, steps of a phase in their order. */
export function orderedSteps(plan: BringUpPlan): Array<{ phase: number; step: BringUpStep }> {
  return [...plan.phases].sort((a, b) => a.index - b.index).flatMap((p) => p.steps.map((step) => ({ phase: p.index, step })));
}

/** Nodes a step concerns: its label changes' nodes, else its `nodes`. */
export function stepNodes(step: BringUpStep): string[] {
  const fromLabels = (step.labels ?? []).map((l) => l.node);
  return fromLabels.length ? [...new Set(fromLabels)] : [...(step.nodes ?? [])];
}

/**
 * Checks a plan before anything runs (so a bad plan changes nothing): unique step ids, `after` only naming steps of
 * earlier phases, every `apply` file present, `via: master` only with a master server, waits well formed. Returns
 * the absolute files of each apply step.
 */
export function checkPlan(plan: BringUpPlan, root: string, masterServer?: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  const seen = new Map<string, number>();
  const problems: string[] = [];
  for (const { phase, step } of orderedSteps(plan)) {
    const where = `step '${step.id}' (${step.title})`;
    if (seen.has(step.id)) problems.push(`${where}: the id is used twice`);
    for (const dep of step.after ?? []) {
      const at = seen.get(dep);
      if (at === undefined) problems.push(`${where}: runs after '${dep}', which is not an earlier step of the plan`);
      else if (at >= phase) problems.push(`${where}: runs after '${dep}', which is in the same phase (${phase})`);
    }
    seen.set(step.id, phase);
    if (step.via === 'master' && !masterServer) {
      problems.push(`${where}: must use a master's own API server (via: master), but no master server is known`);
    }
    if (step.kind === 'apply') {
      if (!step.files?.length) problems.push(`${where}: an apply step without files`);
      const abs: string[] = [];
      for (const f of step.files ?? []) {
        const p = resolvePlanFile(root, f);
        if (p) abs.push(p);
        else problems.push(`${where}: file ${f} not found under ${root}`);
      }
      files.set(step.id, abs);
    }
    if (step.kind === 'label') {
      if (!step.labels?.length) problems.push(`${where}: a label step without labels`);
      for (const l of step.labels ?? []) if (!l.node || !Object.keys(l.labels ?? {}).length) problems.push(`${where}: a label change needs a node and at least one label`);
    }
    for (const w of step.waits ?? []) {
      const p = waitProblem(w, stepNodes(step));
      if (p) problems.push(`${where}: ${p}`);
    }
  }
  if (problems.length) throw new BringUpError(`the bring-up plan cannot run:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return files;
}

/**
 * Executes a bring-up plan with the real kubectl, phase by phase, each step in order:
 * - `static-pods` and `external`: nothing to apply (the kubelets start static pods themselves; a load balancer is
 *   outside Kubernetes): the step's waits, or by default a bounded poll of `/readyz`,
 * - `apply`: `kubectl apply --server-side --field-manager=hacp --force-conflicts -f <file>...` (server-side apply:
 *   re-running it leaves the same objects), then its waits,
 * - `label`: for each node, wait (bounded) until the Node is registered, then
 *   `kubectl label node <n> k=v... --overwrite`, then the step's waits,
 * - `wait`: its waits only.
 * `via: master` and `static-pods` steps send every call to `masterServer` (`--server=`). Every wait is bounded by `timeoutSeconds`
 * and says what it waits for. A failure throws `BringUpError` naming the step, the command and kubectl's stderr tail.
 */
export async function executePlan(plan: BringUpPlan, options: ExecutePlanOptions): Promise<PlanRunResult> {
  const log = options.log ?? (() => undefined);
  const kubectl = options.kubectl;
  const dry = kubectl.dryRun;
  const timeoutSeconds = options.timeoutSeconds ?? 300;
  const pollSeconds = options.pollSeconds ?? 5;
  if (!(timeoutSeconds > 0)) throw new BringUpError(`timeout: ${timeoutSeconds} must be more than 0 seconds`);
  if (!(pollSeconds > 0)) throw new BringUpError(`poll interval: ${pollSeconds} must be more than 0 seconds`);
  const files = checkPlan(plan, options.root, options.masterServer);
  const steps = orderedSteps(plan);
  const done: string[] = [];
  const deferred: DeferredWait[] = [];
  const phases = [...new Set(steps.map((s) => s.phase))];

  for (const { phase, step } of steps) {
    // Static pods are the masters' own: their waits ask a master's API server, since the API endpoint (a load balancer
    // or VIP, a later step) may not answer yet.
    const server = step.via === 'master' || step.kind === 'static-pods' ? options.masterServer : undefined;
    const ctx: WaitContext = { kubectl, server, timeoutSeconds, pollSeconds, log: (l) => log(dry ? l : `    ${l}`) };
    const head = `phase ${phases.indexOf(phase) + 1}/${phases.length}, step '${step.id}' (${step.kind}): ${step.title}`;
    log(dry ? `\n# ${head}${server ? ` [via ${server}]` : ''}` : `${head}${server ? ` [via ${server}]` : ''}`);
    const run = async (what: string, call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (e) {
        if (e instanceof WaitError || e instanceof KubectlError) {
          throw new BringUpError(`step '${step.id}' (${step.title}) failed ${what}: ${e.message}`, step.id);
        }
        throw e;
      }
    };
    const waits = [...(step.waits ?? [])];
    switch (step.kind) {
      case 'static-pods':
      case 'external': {
        const nodes = step.nodes?.length ? ` on ${step.nodes.join(', ')}` : '';
        const note = step.kind === 'static-pods'
          ? `the kubelets${nodes} start ${step.files?.length ? [...new Set(step.files.map((f) => f.split('/').pop()))].join(', ') : 'these static pods'} from their manifest directories; nothing to apply`
          : 'a service outside Kubernetes; nothing to apply';
        log(dry ? `# ${note}` : `    ${note}`);
        if (!waits.length) waits.push({ for: 'readyz' });
        break;
      }
      case 'apply': {
        const args = ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', ...files.get(step.id)!.flatMap((f) => ['-f', f])];
        await run(`applying ${step.files!.join(', ')}`, async () => {
          const { stdout } = await kubectl.run({ args, server, show: true });
          for (const line of stdout.split('\n').filter(Boolean)) log(`    ${line}`);
        });
        break;
      }
      case 'label':
        for (const change of step.labels ?? []) {
          await run(`waiting for Node ${change.node}`, () => runWait({ for: 'nodes-registered', name: change.node }, ctx));
          const pairs = Object.entries(change.labels ?? {}).map(([k, v]) => `${k}=${v}`);
          await run(`labelling Node ${change.node}`, async () => {
            const { stdout } = await kubectl.run({ args: ['label', 'node', change.node, ...pairs, '--overwrite'], server, show: true });
            for (const line of stdout.split('\n').filter(Boolean)) log(`    ${line}`);
          });
        }
        break;
      case 'wait':
        if (!waits.length) log(dry ? '# (no waits)' : '    (no waits)');
        break;
      default:
        throw new BringUpError(`step '${(step as BringUpStep).id}': unknown kind ${JSON.stringify((step as BringUpStep).kind)}`, (step as BringUpStep).id);
    }
    for (const wait of waits) {
      if (options.deferWait?.(wait, step)) {
        deferred.push({ step, wait, server });
        log(dry ? `# deferred: ${describeWait(wait, stepNodes(step))}` : `    deferred: ${describeWait(wait, stepNodes(step))}`);
        continue;
      }
      await run(`waiting for ${describeWait(wait, stepNodes(step))}`, () => runWait(wait, ctx, stepNodes(step)));
    }
    done.push(step.id);
  }
  return { steps: done, deferred };
}

/** Runs waits `executePlan()` deferred, each bounded by `timeoutSeconds`. */
export async function runDeferredWaits(deferred: readonly DeferredWait[], options: Pick<ExecutePlanOptions, 'kubectl' | 'timeoutSeconds' | 'pollSeconds' | 'log'>): Promise<void> {
  const log = options.log ?? (() => undefined);
  for (const d of deferred) {
    const ctx: WaitContext = {
      kubectl: options.kubectl, server: d.server, timeoutSeconds: options.timeoutSeconds ?? 300, pollSeconds: options.pollSeconds ?? 5,
      log: (l) => log(options.kubectl.dryRun ? l : `    ${l}`),
    };
    try {
      await runWait(d.wait, ctx, stepNodes(d.step));
    } catch (e) {
      if (e instanceof WaitError || e instanceof KubectlError) {
        throw new BringUpError(`step '${d.step.id}' (${d.step.title}) failed waiting for ${describeWait(d.wait, stepNodes(d.step))}: ${e.message}`, d.step.id);
      }
      throw e;
    }
  }
}

/** One line per step of a plan (for `--help`-like listings and logs). */
export function describePlan(plan: BringUpPlan): string[] {
  return orderedSteps(plan).map(({ phase, step }) => {
    const what = step.kind === 'apply' ? ` ${step.files!.map(shellQuote).join(' ')}` : step.kind === 'label' ? ` ${(step.labels ?? []).map((l) => l.node).join(', ')}` : '';
    const waits = (step.waits ?? []).map((w) => describeWait(w, stepNodes(step)));
    return `phase ${phase}: ${step.id} (${step.kind})${what}${waits.length ? `; waits for ${waits.join('; ')}` : ''}`;
  });
}
