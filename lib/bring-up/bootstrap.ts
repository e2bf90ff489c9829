/**
 * `hacp bootstrap`: brings up the self-hosted control plane on the first master, in place of the retired
 * `bootkube start` (research round2 §4), with bootkube's promises kept and its traps removed: every step is
 * idempotent (server-side apply instead of POST, copies that overwrite instead of failing), every wait is bounded
 * and says what it waits for, progress is recorded in a state file so a re-run after a crash resumes where it
 * stopped, and no retired pod (pod-checkpointer) is required.
 *
 * Who does what of the bring-up plan (the `cluster` check's `bringUpPlan()` of the asset dir):
 * - its `bootstrap-control-plane` step (static pods) is this command's own: `bootstrap-pods` copies those files into
 *   the manifest directory, `bootstrap-api` runs the step's waits through this master's own API server;
 * - its `pivot` step (the one with `removes`) too: `self-hosted-running` runs its waits (a Running pod of each
 *   self-hosted component), `pivot` removes its files (and the bootstrap secrets), `self-hosted-api` waits for the API
 *   endpoint and runs its `thenWaits` (the rollouts);
 * - every other step runs through `executePlan()`: the steps up to the pivot's phase in `apply`, the steps of later
 *   phases (none today) at the end of `self-hosted-api`.
 * The plan and the asset dir must agree (the same bootstrap pods; a pivot criterion for each self-hosted component),
 * which is checked before anything runs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../util/files';
import { ResolvedClusterSpec } from '../spec';
import { urlHost } from '../spec/network';
import { BOOTSTRAP_SECRETS_DIR } from '../self-hosted/tls';
import type { BringUpPlan, BringUpStep, BringUpWait } from '../verify/cluster/plan';
import { BringUpError, executePlan, orderedSteps, stepNodes, stepServer } from './executor';
import { Kubectl, KubectlError, kubeconfigServer, shellQuote } from './kubectl';
import { SELF_HOSTED_COMPONENTS, planForTree } from './plan-for-tree';
import { WORKLOAD_KINDS, manifestFiles, readObjects } from './tree-files';
import { WaitContext, WaitError, runWait, waitForReadyz } from './waits';

/** The steps of `hacp bootstrap`, in order. */
export const BOOTSTRAP_STEPS = [
  'bootstrap-secrets',
  'bootstrap-pods',
  'bootstrap-api',
  'apply',
  'self-hosted-running',
  'pivot',
  'self-hosted-api',
  'done',
] as const;

/** One step of `hacp bootstrap`. */
export type BootstrapStepId = (typeof BOOTSTRAP_STEPS)[number];

/** What each step does (the `--help` text and the log headers). */
export const BOOTSTRAP_STEP_HELP: Readonly<Record<BootstrapStepId, string>> = {
  'bootstrap-secrets': `copy <asset-dir>/tls/* and <asset-dir>/auth/kubeconfig to ${BOOTSTRAP_SECRETS_DIR} (directory 0700, files 0600; files that differ are replaced, stale ones removed), where the bootstrap pods read them`,
  'bootstrap-pods':
    "copy <asset-dir>/bootstrap-manifests/*.yaml into the kubelet's manifest directory (0600, written atomically; an existing file is replaced, not an error): the kubelet starts the temporary API server, controller manager and scheduler",
  'bootstrap-api':
    "wait until the bootstrap API server answers /readyz on this master's own address (--master-server: the API endpoint, a load balancer or VIP, may not answer yet), polling, bounded by --timeout",
  apply:
    "run the bring-up plan's steps up to the pivot, in order: apply manifests/ with `kubectl apply --server-side --field-manager=hacp --force-conflicts` (idempotent), label the masters, and wait for what each step brings up (rollouts, CRDs, Nodes), each wait bounded by --timeout; the self-hosted control plane rolls out only after the pivot",
  'self-hosted-running':
    "wait until the self-hosted kube-apiserver, kube-controller-manager and kube-scheduler each have a Running pod (the plan's pivot criterion, bootkube's: the one on this master may crash-loop until the bootstrap pod frees its port), bounded by --timeout",
  pivot: `remove the bootstrap pods from the manifest directory and ${BOOTSTRAP_SECRETS_DIR}: the kubelet stops the temporary control plane and the self-hosted one takes its ports`,
  'self-hosted-api':
    "wait until the API answers /readyz again through the API endpoint, then until the self-hosted kube-apiserver, kube-controller-manager and kube-scheduler have rolled out (kubectl rollout status), each bounded by --timeout; then the plan's steps after the pivot, if any",
  done: 'write the done marker (bootkube.service does not run again once it exists)',
};

/** Options of `runBootstrap()`. */
export interface BootstrapOptions {
  /** The cluster. */
  readonly spec: ResolvedClusterSpec;
  /** The asset dir (`dist/bootkube/` copied to the host), a host path (under `root`). */
  readonly assetDir: string;
  /**
   * Prefix for every host path (asset dir, manifest dir, bootstrap secrets, kubeconfig, done marker), for tests.
   * @default /
   */
  readonly root?: string;
  /**
   * The kubelet's static pod directory (host path).
   * @default /etc/kubernetes/manifests
   */
  readonly podManifestPath?: string;
  /**
   * The kubeconfig of every kubectl call (host path). The asset dir's super-admin kubeconfig (`system:masters`), as
   * bootkube used: `admin.conf`'s group has its rights only once `control-plane-rbac.yaml` is applied.
   * @default <assetDir>/auth/kubeconfig
   */
  readonly kubeconfig?: string;
  /**
   * The done marker (host path).
   * @default <parent of assetDir>/init_bootkube.done
   */
  readonly doneMarker?: string;
  /**
   * The bring-up plan.
   * @default planForTree(assetDir, spec)
   */
  readonly plan?: BringUpPlan;
  /**
   * Bound of every wait, in seconds (bootkube waited 20 minutes for the API and for the pods).
   * @default 1200
   */
  readonly timeoutSeconds?: number;
  /**
   * Seconds between polls (`/readyz`, pods).
   * @default 5
   */
  readonly pollSeconds?: number;
  /**
   * This master's own API server, for `via: master` steps.
   * @default https://<first master's IP>:<apiServerPort>
   */
  readonly masterServer?: string;
  /** Print what would be done (commands, file copies) and change nothing. @default false */
  readonly dryRun?: boolean;
  /** The kubectl binary. @default - `$HACP_KUBECTL`, else `kubectl` from PATH */
  readonly kubectlBin?: string;
  /** Environment of kubectl. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines. @default - nowhere */
  readonly log?: (line: string) => void;
  /** Called before a step runs (tests simulate a crash at a step by throwing here). */
  readonly beforeStep?: (step: BootstrapStepId) => void | Promise<void>;
}

/** The state file's content: which steps finished, when. */
export interface BootstrapState {
  /** The state file's format version; a file with another one is refused (remove it to start over). */
  readonly version: 1;
  /** Name of the cluster bootstrapped: a state file of another cluster is refused (the wrong asset dir). */
  readonly cluster: string;
  /** The steps finished, each with the time it finished (ISO 8601, UTC); a re-run skips them. */
  readonly done: Partial<Record<BootstrapStepId, string>>;
}

/** Name of the state file in the asset dir. */
export const BOOTSTRAP_STATE_FILE = '.hacp-bootstrap.json';

/** What `runBootstrap()` did. */
export interface BootstrapResult {
  /** Steps run now (not the ones a previous run finished). */
  readonly ran: readonly BootstrapStepId[];
  /** True when the done marker already existed and nothing ran. */
  readonly alreadyDone: boolean;
}

/** A self-hosted control-plane workload found in manifests/. */
interface Component {
  readonly name: string;
  readonly kind: string;
  readonly selector: string;
}

/**
 * Runs (or resumes) the bootstrap. Throws `BringUpError` naming the step, the command and kubectl's stderr tail;
 * the state file then says which steps are done, and the next run starts at the failed step.
 */
export async function runBootstrap(options: BootstrapOptions): Promise<BootstrapResult> {
  const spec = options.spec;
  const root = path.resolve(options.root ?? '/');
  const host = (p: string) => path.join(root, p);
  for (const [flag, value] of [
    ['asset dir', options.assetDir],
    ['pod manifest path', options.podManifestPath],
    ['kubeconfig', options.kubeconfig],
    ['done marker', options.doneMarker],
  ] as const) {
    if (value !== undefined && !path.isAbsolute(value))
      throw new BringUpError(`${flag}: ${JSON.stringify(value)} must be an absolute path on the host`);
  }
  const assetDir = host(options.assetDir);
  const manifestDir = host(options.podManifestPath ?? '/etc/kubernetes/manifests');
  const secretsDir = host(BOOTSTRAP_SECRETS_DIR);
  const kubeconfig = host(options.kubeconfig ?? path.posix.join(options.assetDir, 'auth/kubeconfig'));
  const doneMarker = host(
    options.doneMarker ?? path.posix.join(path.posix.dirname(options.assetDir), 'init_bootkube.done'),
  );
  const stateFile = path.join(assetDir, BOOTSTRAP_STATE_FILE);
  const dry = options.dryRun ?? false;
  const log = options.log ?? (() => undefined);
  const timeoutSeconds = options.timeoutSeconds ?? 1200;
  const pollSeconds = options.pollSeconds ?? 5;
  const master = spec.masters[0];
  const masterServer = options.masterServer ?? `https://${urlHost(master.ip)}:${spec.apiServerPort}`;

  if (fs.existsSync(doneMarker)) {
    log(`already bootstrapped: ${doneMarker} exists (remove it, and ${stateFile}, to bootstrap again)`);
    return { ran: [], alreadyDone: true };
  }
  // Everything the steps read is checked first, so a bad asset dir changes nothing.
  let bootstrapPods: string[];
  let plan: BringUpPlan;
  let roles: PlanRoles;
  try {
    for (const [what, p, dir] of [
      ['tls/', 'tls', true],
      ['auth/kubeconfig', 'auth/kubeconfig', false],
      ['bootstrap-manifests/', 'bootstrap-manifests', true],
      ['manifests/', 'manifests', true],
    ] as const) {
      const abs = path.join(assetDir, p);
      if (!fs.existsSync(abs) || fs.statSync(abs).isDirectory() !== dir) {
        throw new BringUpError(
          `${assetDir}: no ${what} (copy dist/bootkube/ there: the asset dir \`npm run synth\` writes)`,
        );
      }
    }
    if (!fs.existsSync(kubeconfig)) throw new BringUpError(`kubeconfig ${kubeconfig}: no such file`);
    bootstrapPods = manifestFiles(path.join(assetDir, 'bootstrap-manifests'));
    if (!bootstrapPods.length) throw new BringUpError(`${assetDir}/bootstrap-manifests: no pod manifests`);
    const components = selfHostedComponents(assetDir);
    plan = options.plan ?? planForTree(assetDir, spec);
    roles = planRoles(plan, assetDir, bootstrapPods, components);
  } catch (e) {
    // the asset dir's files (missing, or YAML that does not parse): a user error, named by file
    if (e instanceof BringUpError) throw e;
    throw new BringUpError((e as Error).message);
  }

  const state = readState(stateFile, spec.name);
  const kubectl = new Kubectl({
    kubeconfig,
    bin: options.kubectlBin,
    dryRun: dry,
    log: (l) => log(dry ? l : `    ${l}`),
    env: options.env,
  });
  const endpoint = kubeconfigServer(kubeconfig);
  const ctx = (server?: string): WaitContext => ({
    kubectl,
    server,
    endpoint,
    timeoutSeconds,
    pollSeconds,
    log: (l) => log(dry ? l : `    ${l}`),
  });
  const { boot, pivot, pivotPhase } = roles;
  const phaseOf = new Map(orderedSteps(plan).map(({ phase, step }) => [step, phase]));
  const afterPivot = (step: BringUpStep) => phaseOf.get(step)! > pivotPhase;
  const planOptions = {
    kubectl,
    root: assetDir,
    timeoutSeconds,
    pollSeconds,
    masterServer,
    log: (l: string) => log(dry ? l : `  ${l}`),
  };
  const ran: BootstrapStepId[] = [];

  const steps: Record<BootstrapStepId, () => Promise<void>> = {
    'bootstrap-secrets': async () => {
      const files: Array<[string, string]> = fs
        .readdirSync(path.join(assetDir, 'tls'), { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => [path.join(assetDir, 'tls', e.name), e.name]);
      files.push([path.join(assetDir, 'auth/kubeconfig'), 'kubeconfig']);
      copyFiles(files, secretsDir, { dry, log, prune: true });
    },
    'bootstrap-pods': async () => {
      copyFiles(
        bootstrapPods.map((f) => [path.join(assetDir, 'bootstrap-manifests', f), f]),
        manifestDir,
        { dry, log, prune: false },
      );
    },
    'bootstrap-api': async () => {
      // This master's own API server: the API endpoint (a load balancer, or a VIP kube-vip holds only once a later
      // step applied its RBAC) may not answer yet.
      for (const w of boot.waits ?? []) {
        await wrap('bootstrap-api', () =>
          w.for === 'readyz'
            ? waitForReadyz(
                ctx(stepServer(boot, masterServer)),
                `the bootstrap API server to answer /readyz${w.check ? `/${w.check}` : ''}`,
                w.check,
              )
            : runWait(w, ctx(stepServer(boot, masterServer)), stepNodes(boot)),
        );
      }
    },
    apply: async () => {
      await executePlan(plan, {
        ...planOptions,
        only: (step) =>
          step === boot
            ? `done by hacp bootstrap itself (steps bootstrap-pods and bootstrap-api)`
            : step === pivot
              ? 'done by hacp bootstrap itself once this step is over (steps self-hosted-running, pivot and self-hosted-api)'
              : afterPivot(step)
                ? 'runs after the pivot (at the end of step self-hosted-api)'
                : true,
      });
    },
    'self-hosted-running': async () => {
      for (const w of pivot.waits ?? [])
        await wrap('self-hosted-running', () => runWait(w, ctx(stepServer(pivot, masterServer)), stepNodes(pivot)));
    },
    pivot: async () => {
      for (const f of bootstrapPods) removeFile(path.join(manifestDir, f), { dry, log });
      if (dry) log(`rm -rf ${shellQuote(secretsDir)}`);
      else {
        fs.rmSync(secretsDir, { recursive: true, force: true });
        log(`  removed ${secretsDir}`);
        log('  the kubelet stops the bootstrap pods at its next manifest check (about 20 s)');
      }
    },
    'self-hosted-api': async () => {
      await wrap('self-hosted-api', () => waitForReadyz(ctx(), 'the self-hosted API servers to answer /readyz'));
      for (const w of pivot.thenWaits ?? [])
        await wrap('self-hosted-api', () => runWait(w, ctx(stepServer(pivot, masterServer)), stepNodes(pivot)));
      if (orderedSteps(plan).some(({ step }) => afterPivot(step)))
        await executePlan(plan, { ...planOptions, only: afterPivot });
    },
    done: async () => {
      if (dry) {
        log(`date -u > ${shellQuote(doneMarker)}`);
        return;
      }
      writeFileAtomic(doneMarker, `bootstrapped by hacp bootstrap at ${new Date().toISOString()}\n`, 0o644, {
        fsync: true,
      });
      log(`  wrote ${doneMarker}`);
    },
  };

  for (const [i, id] of BOOTSTRAP_STEPS.entries()) {
    const header = `step ${i + 1}/${BOOTSTRAP_STEPS.length} ${id}: ${BOOTSTRAP_STEP_HELP[id]}`;
    if (state.done[id]) {
      log(
        dry
          ? `\n# ${header}\n# (done at ${state.done[id]}: skipped)`
          : `${header}\n  done at ${state.done[id]} (skipped)`,
      );
      continue;
    }
    log(dry ? `\n# ${header}` : header);
    await options.beforeStep?.(id);
    await steps[id]();
    ran.push(id);
    if (!dry) {
      (state.done as Record<string, string>)[id] = new Date().toISOString();
      writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600, { fsync: true });
    }
  }
  if (!dry) log(`bootstrap of cluster ${spec.name} finished: the self-hosted control plane serves the API`);
  return { ran, alreadyDone: false };

  async function wrap(step: BootstrapStepId, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (e) {
      if (e instanceof WaitError || e instanceof KubectlError)
        throw new BringUpError(
          `step '${step}' failed waiting for ${e instanceof WaitError ? e.what : 'kubectl'}: ${e.message}`,
          step,
        );
      throw e;
    }
  }
}

/** The steps of the plan `hacp bootstrap` runs itself. */
interface PlanRoles {
  /** The bootstrap control plane (static pods on this master). */
  readonly boot: BringUpStep;
  /** The pivot: its waits, its `removes`, its `thenWaits`. */
  readonly pivot: BringUpStep;
  readonly pivotPhase: number;
}

/**
 * Finds the bootstrap control plane and the pivot in the plan and checks they agree with the asset dir: the same
 * bootstrap pods (copied by `bootstrap-pods`, removed by `pivot`), a Running-pod wait for each self-hosted component.
 */
function planRoles(
  plan: BringUpPlan,
  assetDir: string,
  bootstrapPods: readonly string[],
  components: readonly Component[],
): PlanRoles {
  const steps = orderedSteps(plan);
  const see = `(\`hacp verify <dist> --checks cluster --plan\` shows the plan and why)`;
  const boot = steps.find(({ step }) => step.kind === 'static-pods' && step.id === 'bootstrap-control-plane')?.step;
  const pivots = steps.filter(({ step }) => step.removes?.length);
  if (!boot) throw new BringUpError(`the bring-up plan of ${assetDir} has no bootstrap control plane step ${see}`);
  if (pivots.length !== 1)
    throw new BringUpError(
      `the bring-up plan of ${assetDir} has ${pivots.length ? `${pivots.length} steps that remove static pods` : 'no pivot step'} ${see}`,
    );
  const { step: pivot, phase: pivotPhase } = pivots[0];
  const names = (files: readonly string[] | undefined) =>
    [...new Set((files ?? []).map((f) => path.posix.basename(f)))].sort();
  const pods = [...bootstrapPods].sort();
  for (const [what, files] of [
    [`step '${boot.id}'`, boot.files],
    [`step '${pivot.id}' removes`, pivot.removes],
  ] as const) {
    if (JSON.stringify(names(files)) !== JSON.stringify(pods)) {
      throw new BringUpError(
        `the bring-up plan of ${assetDir} does not match bootstrap-manifests/: ${what} ${names(files).join(', ') || 'nothing'}, the folder holds ${pods.join(', ')} ${see}`,
      );
    }
  }
  for (const c of components) {
    if (
      !(pivot.waits ?? []).some(
        (w: BringUpWait) => w.for === 'running' && w.name === c.name && (w.namespace ?? 'default') === 'kube-system',
      )
    ) {
      throw new BringUpError(
        `the bring-up plan of ${assetDir} does not wait for a Running pod of the self-hosted ${c.name} before the pivot ${see}`,
      );
    }
  }
  return { boot, pivot, pivotPhase };
}

/** The self-hosted API server, controller manager and scheduler workloads of `<assetDir>/manifests`, with their pod selectors. */
function selfHostedComponents(assetDir: string): Component[] {
  const objects = manifestFiles(path.join(assetDir, 'manifests')).flatMap((f) =>
    readObjects(path.join(assetDir, 'manifests', f)),
  );
  return SELF_HOSTED_COMPONENTS.map((name) => {
    const o = objects.find(
      (x) =>
        WORKLOAD_KINDS.includes(x.kind) &&
        x.metadata.name === name &&
        (x.metadata.namespace ?? 'default') === 'kube-system',
    );
    if (!o)
      throw new BringUpError(
        `${assetDir}/manifests: no self-hosted ${name} (a DaemonSet or Deployment named ${name} in kube-system)`,
      );
    const labels: Record<string, string> = o.spec?.selector?.matchLabels ?? {};
    if (!Object.keys(labels).length)
      throw new BringUpError(`${assetDir}/manifests: ${o.kind} kube-system/${name} has no spec.selector.matchLabels`);
    return {
      name,
      kind: o.kind,
      selector: Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    };
  });
}

function readState(file: string, cluster: string): BootstrapState {
  if (!fs.existsSync(file)) return { version: 1, cluster, done: {} };
  let state: BootstrapState;
  try {
    state = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BringUpError(
      `${file}: not valid JSON (${(e as Error).message}); it records which bootstrap steps are done. Remove it to start from the first step (every step can run again)`,
    );
  }
  if (state?.version !== 1 || typeof state.done !== 'object' || state.done === null) {
    throw new BringUpError(
      `${file}: not a hacp bootstrap state file (version 1); remove it to start from the first step`,
    );
  }
  if (state.cluster !== cluster)
    throw new BringUpError(
      `${file}: records a bootstrap of cluster ${state.cluster}, not ${cluster}; is this the right asset dir?`,
    );
  return state;
}

/**
 * Copies files into `destDir` (0700 when created; files 0600, atomically, replaced only when they differ). With
 * `prune`, other regular files in `destDir` are removed (the directory is ours and must hold exactly these files).
 */
function copyFiles(
  files: Array<[src: string, name: string]>,
  destDir: string,
  o: { dry: boolean; log: (l: string) => void; prune: boolean },
): void {
  if (o.dry) {
    o.log(`install -d -m 0700 ${shellQuote(destDir)}`);
    for (const [src, name] of files)
      o.log(`install -m 0600 ${shellQuote(src)} ${shellQuote(path.join(destDir, name))}`);
    return;
  }
  if (!fs.existsSync(destDir)) fs.mkdirSync(destDir, { recursive: true, mode: 0o700 });
  let changed = 0;
  for (const [src, name] of files) {
    if (writeFileAtomic(path.join(destDir, name), fs.readFileSync(src, 'utf8'), 0o600, { fsync: true })) changed++;
  }
  let pruned = 0;
  if (o.prune) {
    const keep = new Set(files.map(([, name]) => name));
    for (const e of fs.readdirSync(destDir, { withFileTypes: true })) {
      if (e.isFile() && !keep.has(e.name)) {
        fs.rmSync(path.join(destDir, e.name), { force: true });
        pruned++;
      }
    }
  }
  o.log(
    `  ${destDir}: ${files.length} files (${changed} written, ${files.length - changed} unchanged${o.prune ? `, ${pruned} stale removed` : ''})`,
  );
}

function removeFile(file: string, o: { dry: boolean; log: (l: string) => void }): void {
  if (o.dry) {
    o.log(`rm -f ${shellQuote(file)}`);
    return;
  }
  const existed = fs.existsSync(file);
  fs.rmSync(file, { force: true });
  o.log(`  ${existed ? 'removed' : 'already gone:'} ${file}`);
}

/** One line per step for `hacp bootstrap --help`. */
export function bootstrapStepsHelp(width = 110): string {
  return BOOTSTRAP_STEPS.map((id, i) => wrap(`${i + 1}. ${id}: ${BOOTSTRAP_STEP_HELP[id]}`, width, '  ', '     ')).join(
    '\n',
  );
}

/** Word-wraps `text` to `width` columns: the first line indented by `first`, the others by `rest`. */
function wrap(text: string, width: number, first: string, rest: string): string {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(' ')) {
    if (line.trim() && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else {
      line += (line.trim() ? ' ' : '') + word;
    }
  }
  lines.push(line);
  return lines.join('\n');
}
