import { execFile } from 'child_process';
import * as fs from 'fs';
import { parse as parseYaml } from 'yaml';
import { timerMs } from './duration';

/** Environment variable naming the kubectl binary (`hacp cluster apply` / `hacp bootstrap` also take `--kubectl`). */
export const KUBECTL_ENV = 'HACP_KUBECTL';

/** Options of `Kubectl`. */
export interface KubectlOptions {
  /** The admin kubeconfig every call uses (`--kubeconfig=`). */
  readonly kubeconfig: string;
  /**
   * The kubectl binary.
   * @default - `$HACP_KUBECTL`, else `kubectl` from PATH
   */
  readonly bin?: string;
  /**
   * Print the command lines instead of running them (`run()` resolves with empty output).
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Where command lines go: every call in dry-run mode, calls made with `show` otherwise.
   * @default - nowhere
   */
  readonly log?: (line: string) => void;
  /**
   * Environment of the kubectl processes.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Backstop in seconds for one kubectl process: a call given its own bound (`timeoutSeconds`, the `--timeout=` of a
   * wait) is killed 60 s after that bound; other calls (apply, label, get) after this many seconds.
   * @default 300
   */
  readonly commandTimeoutSeconds?: number;
}

/** One kubectl call. */
export interface KubectlCall {
  /** Arguments after the global flags, e.g. `['apply', '--server-side', '-f', 'x.yaml']`. */
  readonly args: readonly string[];
  /** `--server=` override (a master's own API server for `via: master` steps). @default - the kubeconfig's server */
  readonly server?: string;
  /** The call's own bound (its `--timeout=`), so the process backstop is set past it. */
  readonly timeoutSeconds?: number;
  /** Log the command line before running it. @default false */
  readonly show?: boolean;
  /** What kubectl reads on stdin (`-f -`). @default - nothing (stdin is closed) */
  readonly input?: string;
}

/** What a finished kubectl call printed. */
export interface KubectlResult {
  /** What kubectl printed on stdout (empty in dry-run mode). */
  readonly stdout: string;
  /** What kubectl printed on stderr (warnings; empty in dry-run mode). */
  readonly stderr: string;
}

/** A kubectl call that failed: the command line, how it ended and the tail of its stderr. */
export class KubectlError extends Error {
  constructor(
    /** The command line, shell-quoted (for the message; nothing runs it through a shell). */
    public readonly commandLine: string,
    /** `exit code N`, `killed after N s` or `not found`. */
    public readonly how: string,
    /** The last lines of kubectl's stderr (or stdout when stderr is empty). */
    public readonly stderrTail: string,
  ) {
    super(`\`${commandLine}\` failed (${how})${stderrTail ? `:\n${indent(stderrTail)}` : ''}`);
    this.name = 'KubectlError';
  }
}

/**
 * Runs the real kubectl with `child_process.execFile` (no shell): every call gets `--kubeconfig=` explicitly and,
 * for `via: master` steps, `--server=`. In dry-run mode it only prints the command lines.
 */
export class Kubectl {
  /** The kubectl binary run (`KubectlOptions.bin`, else `$HACP_KUBECTL`, else `kubectl` from PATH). */
  public readonly bin: string;
  /** The kubeconfig every call passes as `--kubeconfig=`. */
  public readonly kubeconfig: string;
  /** True when calls are only printed, not run (`run()` resolves with empty output). */
  public readonly dryRun: boolean;
  private readonly log: (line: string) => void;
  private readonly env: NodeJS.ProcessEnv;
  private readonly commandTimeoutSeconds: number;

  constructor(options: KubectlOptions) {
    if (!options.kubeconfig) throw new Error('kubeconfig: required');
    this.kubeconfig = options.kubeconfig;
    this.env = options.env ?? process.env;
    this.bin = options.bin ?? this.env[KUBECTL_ENV] ?? 'kubectl';
    this.dryRun = options.dryRun ?? false;
    this.log = options.log ?? (() => undefined);
    this.commandTimeoutSeconds = options.commandTimeoutSeconds ?? 300;
    if (!(this.commandTimeoutSeconds > 0))
      throw new Error(`commandTimeoutSeconds: ${this.commandTimeoutSeconds} must be positive`);
  }

  /** The full argument vector of a call: global flags first, then `args`. */
  public argv(call: KubectlCall): string[] {
    return [`--kubeconfig=${this.kubeconfig}`, ...(call.server ? [`--server=${call.server}`] : []), ...call.args];
  }

  /** The command line of a call as a shell would need it (for logs, dry runs and error messages). */
  public commandLine(call: KubectlCall): string {
    return [this.bin, ...this.argv(call)].map(shellQuote).join(' ');
  }

  /** Runs a call; rejects with `KubectlError` when kubectl fails. In dry-run mode prints the line instead. */
  public async run(call: KubectlCall): Promise<KubectlResult> {
    if (this.dryRun) {
      this.log(this.commandLine(call));
      return { stdout: '', stderr: '' };
    }
    if (call.show) this.log(`$ ${this.commandLine(call)}`);
    // execFile's timeout must be a whole number of milliseconds (a fraction throws) below 2^31 (above, Node fires at once)
    const backstopMs = timerMs(
      (call.timeoutSeconds !== undefined ? call.timeoutSeconds + 60 : this.commandTimeoutSeconds) * 1000,
    );
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.bin,
        this.argv(call),
        { env: this.env, timeout: backstopMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string; signal?: string };
          let how: string;
          if (e.code === 'ENOENT') how = `${this.bin} not found: install kubectl or set ${KUBECTL_ENV} / --kubectl`;
          else if (e.killed || e.signal) how = `killed after ${Math.round(backstopMs / 1000)}s`;
          else how = `exit code ${e.code}`;
          reject(new KubectlError(this.commandLine(call), how, tail(String(stderr || stdout))));
        },
      );
      // kubectl reads stdin only for `-f -`; closed otherwise, so nothing can wait on it
      child.stdin?.on('error', () => undefined); // a kubectl that exits before reading all of it: its exit code tells
      child.stdin?.end(call.input);
    });
  }
}

/**
 * The server of a kubeconfig's current context (the API endpoint it dials), to name it in messages; undefined when
 * the file cannot be read or says none.
 */
export function kubeconfigServer(file: string): string | undefined {
  try {
    const config = parseYaml(fs.readFileSync(file, 'utf8'));
    const context = (config?.contexts ?? []).find((c: any) => c?.name === config['current-context'])?.context;
    const cluster = (config?.clusters ?? []).find((c: any) => c?.name === context?.cluster)?.cluster;
    return typeof cluster?.server === 'string' ? cluster.server : undefined;
  } catch {
    return undefined;
  }
}

/** The last `lines` non-empty lines of `text`. */
export function tail(text: string, lines = 8): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines)
    .join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** Quotes a word for a POSIX shell, only where needed. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
