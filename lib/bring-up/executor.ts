import * as fs from 'fs';
import { parseAllDocuments, stringify } from 'yaml';
import type { BringUpPlan, BringUpStep, BringUpWait } from '../verify/cluster/plan';
import { Kubectl, KubectlError, kubeconfigServer, shellQuote } from './kubectl';
import { resolvePlanFile } from './tree-files';
import { WaitContext, WaitError, describeWait, runWait, waitProblem } from './waits';

/** The field manager of every server-side apply: re-running hacp owns the same fields and changes nothing else. */
export const FIELD_MANAGER = 'hacp';

/** A step or plan that cannot run: names the step, the command and kubectl's stderr tail. Exit code 1 in the CLI. */
export class BringUpError extends Error {
  constructor(
    message: string,
    /**
     * Id of the plan or bootstrap step that failed; undefined when no one step is at fault (a plan that cannot run,
     * a bad state file).
     */
    public readonly stepId?: string,
  ) {
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
   * The master's own API server (`https://<master ip>:<apiServerPort>`) for `via: master` steps and the waits of
   * `static-pods` steps.
   * @default - none: a plan with such a step is refused
   */
  readonly masterServer?: string;
  /**
   * Progress lines; in dry-run mode the command lines and `#` comments.
   * @default - nowhere
   */
  readonly log?: (line: string) => void;
  /**
   * Which steps this run executes: `true` runs the step, `false` leaves it out without a word (another run executes
   * it), a string leaves it out and is logged in its place (who does it instead). `hacp bootstrap` runs the plan's
   * bootstrap control plane and pivot itself, and the steps after the pivot only once it is done.
   * @default - every step
   */
  readonly only?: (step: BringUpStep) => boolean | string;
}

/** What `executePlan()` did. */
export interface PlanRunResult {
  /** Ids of the steps run, in order. */
  readonly steps: readonly string[];
}

/** The steps of a plan in execution order: phases by index, steps of a phase in their order. */
export function orderedSteps(plan: BringUpPlan): Array<{
  /** The `index` of the step's phase. */
  phase: number;
  /** The step itself. */
  step: BringUpStep;
}> {
  return [...plan.phases]
    .sort((a, b) => a.index - b.index)
    .flatMap((p) => p.steps.map((step) => ({ phase: p.index, step })));
}

/** Nodes a step concerns: its label changes' nodes, else its `nodes`. */
export function stepNodes(step: BringUpStep): string[] {
  const fromLabels = (step.labels ?? []).map((l) => l.node);
  return fromLabels.length ? [...new Set(fromLabels)] : [...(step.nodes ?? [])];
}

/**
 * The API server a step's calls go to (`--server=`): a master's own for `via: master` steps and for the waits of
 * `static-pods` steps (the masters' own pods: the API endpoint, a load balancer or VIP, is a later step), unless a
 * `static-pods` step says `via: endpoint` (kube-vip: its wait is for the VIP itself); otherwise the kubeconfig's.
 */
export function stepServer(step: BringUpStep, masterServer: string | undefined): string | undefined {
  return step.via === 'master' || (step.kind === 'static-pods' && step.via !== 'endpoint') ? masterServer : undefined;
}

/** What an `apply` step sends: its files, or (with `kinds`) only those objects of its files, on stdin. */
interface ApplyInput {
  readonly files: readonly string[];
  /** The selected documents (`kinds`), sent with `-f -`. */
  readonly stdin?: string;
}

/**
 * Checks a plan before anything runs (so a bad plan changes nothing): unique step ids, `after` only naming steps of
 * earlier phases, every `apply` file present (and holding the step's `kinds`), `via: master` and `static-pods` waits
 * only with a master server, waits well formed. Returns the absolute files of each apply step.
 */
export function checkPlan(plan: BringUpPlan, root: string, masterServer?: string): Map<string, string[]> {
  return new Map([...checkPlanInputs(plan, root, masterServer)].map(([id, input]) => [id, [...input.files]]));
}

function checkPlanInputs(plan: BringUpPlan, root: string, masterServer?: string): Map<string, ApplyInput> {
  const inputs = new Map<string, ApplyInput>();
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
    } else if (step.kind === 'static-pods' && step.via !== 'endpoint' && step.waits?.length && !masterServer) {
      problems.push(`${where}: its waits ask a master's own API server (static pods), but no master server is known`);
    }
    if (step.kind === 'apply') {
      if (!step.files?.length) problems.push(`${where}: an apply step without files`);
      const abs: string[] = [];
      for (const f of step.files ?? []) {
        const p = resolvePlanFile(root, f);
        if (p) abs.push(p);
        else problems.push(`${where}: file ${f} not found under ${root}`);
      }
      let stdin: string | undefined;
      if (step.kinds && abs.length === (step.files ?? []).length) {
        try {
          stdin = selectDocuments(abs, step.kinds);
          if (!stdin) problems.push(`${where}: no ${step.kinds.join(' or ')} in ${step.files!.join(', ')}`);
        } catch (e) {
          problems.push(`${where}: ${(e as Error).message}`);
        }
      }
      inputs.set(step.id, { files: abs, ...(stdin ? { stdin } : {}) });
    }
    if (step.kind === 'label') {
      if (!step.labels?.length) problems.push(`${where}: a label step without labels`);
      for (const l of step.labels ?? [])
        if (!l.node || !Object.keys(l.labels ?? {}).length)
          problems.push(`${where}: a label change needs a node and at least one label`);
    }
    for (const w of [...(step.waits ?? []), ...(step.thenWaits ?? [])]) {
      const p = waitProblem(w, stepNodes(step));
      if (p) problems.push(`${where}: ${p}`);
    }
  }
  if (problems.length)
    throw new BringUpError(`the bring-up plan cannot run:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return inputs;
}

/** The documents of `files` whose kind is one of `kinds`, as one YAML stream (empty when none). */
function selectDocuments(files: readonly string[], kinds: readonly string[]): string {
  const docs: string[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      if (doc.errors.length) throw new Error(`${file}: not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
      const obj = doc.toJS();
      if (obj && typeof obj === 'object' && kinds.includes(obj.kind)) docs.push(stringify(obj));
    }
  }
  return docs.map((d) => `---\n${d}`).join('');
}

/**
 * Executes a bring-up plan with the real kubectl, phase by phase, each step in order:
 * - `static-pods`: nothing to apply (the kubelets start static pods themselves): the step's waits, through a master's
 *   own API server (none when the step has none: the API does not show everything, e.g. whether a scheduler runs),
 * - `external`: nothing to apply (a load balancer is outside Kubernetes): its waits, by default a bounded poll of
 *   `/readyz` through the API endpoint,
 * - `apply`: `kubectl apply --server-side --field-manager=hacp --force-conflicts -f <file>...` (server-side apply:
 *   re-running it leaves the same objects; with `kinds`, only those documents, on stdin), then its waits,
 * - `label`: for each node, wait (bounded) until the Node is registered (unless an earlier step of this run saw it),
 *   then `kubectl label node <n> k=v... --overwrite`, then the step's waits,
 * - `wait`: its waits only.
 * Then a step's `removes`: only `hacp bootstrap` can take static pods out of a master's manifest directory (it runs
 * the pivot itself, see `only`), so here they are named and left; then its `thenWaits`.
 * `via: master` steps and the waits of `static-pods` steps go to `masterServer` (`--server=`). Every wait is bounded
 * by `timeoutSeconds` and says what it waits for. A failure throws `BringUpError` naming the step, the command and
 * kubectl's stderr tail.
 */
export async function executePlan(plan: BringUpPlan, options: ExecutePlanOptions): Promise<PlanRunResult> {
  const log = options.log ?? (() => undefined);
  const kubectl = options.kubectl;
  const dry = kubectl.dryRun;
  const timeoutSeconds = options.timeoutSeconds ?? 300;
  const pollSeconds = options.pollSeconds ?? 5;
  if (!(timeoutSeconds > 0)) throw new BringUpError(`timeout: ${timeoutSeconds} must be more than 0 seconds`);
  if (!(pollSeconds > 0)) throw new BringUpError(`poll interval: ${pollSeconds} must be more than 0 seconds`);
  const inputs = checkPlanInputs(plan, options.root, options.masterServer);
  const endpoint = kubeconfigServer(kubectl.kubeconfig);
  const steps = orderedSteps(plan);
  const done: string[] = [];
  const phases = [...new Set(steps.map((s) => s.phase))];
  /** Nodes a wait of this run found registered: a later label step does not wait for them again. */
  const registered = new Set<string>();
  const note = (line: string) => log(dry ? `# ${line}` : `    ${line}`);

  for (const { phase, step } of steps) {
    const server = stepServer(step, options.masterServer);
    const head = `phase ${phases.indexOf(phase) + 1}/${phases.length}, step '${step.id}' (${step.kind}): ${step.title}`;
    const selected = options.only ? options.only(step) : true;
    if (selected === false) continue;
    if (typeof selected === 'string') {
      log(dry ? `\n# ${head}\n# ${selected}` : `${head}\n    ${selected}`);
      continue;
    }
    const ctx: WaitContext = {
      kubectl,
      server,
      endpoint,
      timeoutSeconds,
      pollSeconds,
      log: (l) => log(dry ? l : `    ${l}`),
    };
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
    const waitFor = async (wait: BringUpWait) => {
      const nodes = stepNodes(step);
      await run(`waiting for ${describeWait(wait, nodes)}`, () => runWait(wait, ctx, nodes));
      if (wait.for === 'nodes-registered') for (const n of wait.name ? [wait.name] : nodes) registered.add(n);
    };
    const waits = [...(step.waits ?? [])];
    switch (step.kind) {
      case 'static-pods':
      case 'external': {
        const nodes = step.nodes?.length ? ` on ${step.nodes.join(', ')}` : '';
        note(
          step.kind === 'static-pods'
            ? `the kubelets${nodes} start ${step.files?.length ? [...new Set(step.files.map((f) => f.split('/').pop()))].join(', ') : 'these static pods'} from their manifest directories; nothing to apply`
            : 'a service outside Kubernetes; nothing to apply',
        );
        if (!waits.length && step.kind === 'external') waits.push({ for: 'readyz' });
        if (!waits.length && !step.notes?.length) note('no wait of its own');
        break;
      }
      case 'apply': {
        const input = inputs.get(step.id)!;
        const args = [
          'apply',
          '--server-side',
          `--field-manager=${FIELD_MANAGER}`,
          '--force-conflicts',
          ...(input.stdin !== undefined ? ['-f', '-'] : input.files.flatMap((f) => ['-f', f])),
        ];
        const what = step.kinds
          ? `the ${step.kinds.join(', ')} objects of ${step.files!.join(', ')}`
          : step.files!.join(', ');
        if (input.stdin !== undefined)
          note(`on stdin: the ${step.kinds!.join(', ')} objects of ${input.files.join(', ')}`);
        await run(`applying ${what}`, async () => {
          const { stdout } = await kubectl.run({ args, server, show: true, input: input.stdin });
          for (const line of stdout.split('\n').filter(Boolean)) log(`    ${line}`);
        });
        break;
      }
      case 'label':
        for (const change of step.labels ?? []) {
          if (!registered.has(change.node)) {
            await run(`waiting for Node ${change.node}`, () =>
              runWait({ for: 'nodes-registered', name: change.node }, ctx),
            );
            registered.add(change.node);
          }
          const pairs = Object.entries(change.labels ?? {}).map(([k, v]) => `${k}=${v}`);
          await run(`labelling Node ${change.node}`, async () => {
            const { stdout } = await kubectl.run({
              args: ['label', 'node', change.node, ...pairs, '--overwrite'],
              server,
              show: true,
            });
            for (const line of stdout.split('\n').filter(Boolean)) log(`    ${line}`);
          });
        }
        break;
      case 'wait':
        if (!waits.length && !step.removes?.length && !step.thenWaits?.length) note('(no waits)');
        break;
      default:
        throw new BringUpError(
          `step '${(step as BringUpStep).id}': unknown kind ${JSON.stringify((step as BringUpStep).kind)}`,
          (step as BringUpStep).id,
        );
    }
    for (const n of step.notes ?? []) note(`note: ${n}`);
    for (const wait of waits) await waitFor(wait);
    if (step.removes?.length) {
      note(
        `${step.removes.join(', ')} must leave the manifest directory of the master that runs them: only \`hacp bootstrap\` (its pivot step, on that master) removes them; not done here`,
      );
    }
    for (const wait of step.thenWaits ?? []) await waitFor(wait);
    done.push(step.id);
  }
  return { steps: done };
}

/** One line per step of a plan (for `--help`-like listings and logs). */
export function describePlan(plan: BringUpPlan): string[] {
  return orderedSteps(plan).map(({ phase, step }) => {
    const what =
      step.kind === 'apply'
        ? ` ${step.files!.map(shellQuote).join(' ')}${step.kinds ? ` (only ${step.kinds.join(', ')})` : ''}`
        : step.kind === 'label'
          ? ` ${(step.labels ?? []).map((l) => l.node).join(', ')}`
          : '';
    const waits = (step.waits ?? []).map((w) => describeWait(w, stepNodes(step)));
    const then = [
      ...(step.removes?.length ? [`removes ${step.removes.join(', ')}`] : []),
      ...(step.thenWaits ?? []).map((w) => `waits for ${describeWait(w, stepNodes(step))}`),
    ];
    return `phase ${phase}: ${step.id} (${step.kind})${what}${waits.length ? `; waits for ${waits.join('; ')}` : ''}${then.length ? `; then ${then.join('; ')}` : ''}`;
  });
}
