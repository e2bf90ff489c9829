/**
 * Child processes for the e2e tests: every process is spawned from an argv array, kept by PID, bounded in time and
 * ended with SIGKILL (waiting for its exit, so its ports are free again).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';

/** Result of a finished command. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the command was killed for exceeding its time limit. */
  readonly timedOut: boolean;
}

/** Runs a command to completion; SIGKILLs it after `timeoutMs`. Never throws for a non-zero exit. */
export function run(argv: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env: options.env ?? {}, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** Like `run`, but throws (with the command's output) unless it exits 0. */
export async function runOk(
  argv: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const r = await run(argv, options);
  if (r.code !== 0)
    throw new Error(
      `${argv.join(' ')} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${r.stderr}${r.stdout}`,
    );
  return r.stdout;
}

/** A long-running process whose output goes to a log file (and is kept in memory for assertions). */
export class Daemon {
  public readonly child: ChildProcess;
  public readonly pid: number;
  private output = '';
  private readonly exited: Promise<void>;
  private running = true;

  constructor(
    public readonly name: string,
    argv: string[],
    env: NodeJS.ProcessEnv,
    logFile: string,
  ) {
    const log = fs.openSync(logFile, 'a');
    this.child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) throw new Error(`${name}: could not start ${argv.join(' ')}`);
    this.pid = this.child.pid;
    const onData = (d: Buffer) => {
      this.output += d.toString();
      fs.writeSync(log, d);
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) =>
      this.child.on('close', () => {
        this.running = false;
        fs.closeSync(log);
        resolve();
      }),
    );
    LIVE.add(this);
  }

  /** Everything the process wrote so far (stdout and stderr). */
  get log(): string {
    return this.output;
  }

  get alive(): boolean {
    return this.running;
  }

  /** SIGKILL by PID, then wait (bounded) until it has exited. */
  async kill(timeoutMs = 5_000): Promise<void> {
    if (this.running) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch (e: any) {
        if (e.code !== 'ESRCH') throw e;
      }
    }
    await withTimeout(this.exited, timeoutMs, `${this.name} (pid ${this.pid}) to exit after SIGKILL`);
    LIVE.delete(this);
  }

  /** Waits (bounded) until the output matches. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return waitFor(
      `${this.name} to log ${pattern}`,
      timeoutMs,
      async () => {
        const m = this.output.match(pattern);
        if (m) return m;
        if (!this.running)
          throw new FatalError(`${this.name} exited before logging ${pattern}:\n${this.output.slice(-3000)}`);
        return undefined;
      },
      50,
    );
  }
}

/** Every daemon not yet killed: killed synchronously if the test process exits without its teardown. */
const LIVE = new Set<Daemon>();
process.on('exit', () => {
  for (const d of LIVE) {
    try {
      process.kill(d.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Kills every daemon (teardown). */
export async function killAll(daemons: Iterable<Daemon | undefined>): Promise<void> {
  await Promise.all([...daemons].filter((d): d is Daemon => !!d).map((d) => d.kill()));
}

/** An error that stops `waitFor` at once (the awaited state can no longer come). */
export class FatalError extends Error {}

/**
 * Polls `probe` until it returns a value other than undefined; throws after `timeoutMs` with the last error. A probe
 * that throws is retried (its error is kept for the message), except when it throws a `FatalError`.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof FatalError) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `; last error: ${(last as Error).message ?? last}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)),
    ),
  ]);
}
