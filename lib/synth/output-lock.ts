/**
 * The output lock: one synth at a time per output directory, so that two synths started together in one working
 * directory never write (or, for `cdk8s synth`, delete) the tree under each other. The second one waits, saying so
 * once, and then runs: both succeed and the tree is always one synth's whole output.
 *
 * The lock is a file beside the output directory, `<parent>/.<name>.lock` (not inside: `cdk8s synth` deletes the
 * directory), created exclusively, holding JSON `{ token, pids, outdir }`. `npm run synth` (scripts/synth.js) takes it
 * before `cdk8s synth` deletes the directory and hands it to the app through `$HACP_SYNTH_LOCK` (the token); the app
 * then adopts it instead of waiting for its own parent. A lock whose processes are all gone (a killed run) is taken
 * over. `synthCluster()` takes it too, so a cluster repo's `cdk8s synth` gets the same guarantee. Written in plain Node
 * (no other module of the package): scripts/synth.js loads it before anything else.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { isProcessAlive } from '../util/process';

/** Environment variable through which scripts/synth.js hands its lock's token to the app. */
export const SYNTH_LOCK_ENV = 'HACP_SYNTH_LOCK';
/** How long a synth waits for another one before giving up. */
export const DEFAULT_LOCK_TIMEOUT_MS = 15 * 60_000;
/** A lock file without readable content (its writer died between create and write) is stale after this long. */
const UNREADABLE_GRACE_MS = 10_000;

/** What the lock file holds. */
interface LockContent {
  readonly token: string;
  readonly pids: number[];
  readonly outdir: string;
}

/** Raised when another synth holds the lock for longer than the timeout. */
export class OutputLockBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputLockBusyError';
  }
}

/** The lock file of an output directory. */
export function outputLockFile(outdir: string): string {
  const abs = path.resolve(outdir);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.lock`);
}

/** Options of `acquireOutputLock()`. */
export interface OutputLockOptions {
  /** Told once when the synth has to wait. */
  readonly log?: (line: string) => void;
  /** @default DEFAULT_LOCK_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** `$HACP_SYNTH_LOCK`. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Poll interval while waiting. @default 100 */
  readonly pollMs?: number;
}

/** A held output lock. */
export class OutputLock {
  private released = false;
  private readonly onExit = () => this.release();

  constructor(
    /** The lock file, `<parent>/.<name>.lock` beside the output directory (absolute; see `outputLockFile()`). */
    readonly file: string,
    /**
     * The random token the lock file holds: tells this lock from a newer one written after a takeover, and is what
     * `$HACP_SYNTH_LOCK` hands to the app so that it adopts the lock.
     */
    readonly token: string,
    /** True when this process created the lock (and removes it on release); false for an adopted one. */
    private readonly owned: boolean,
  ) {
    process.on('exit', this.onExit);
  }

  /** Adds processes (a child that acts for the holder) to the lock, so that it is not taken over while they run. */
  addPids(...pids: number[]): void {
    const content = readLock(this.file);
    if (!content || content.token !== this.token) return;
    writeLockAtomic(this.file, { ...content, pids: [...new Set([...content.pids, ...pids])] });
  }

  /** Releases the lock (an adopted lock stays with its owner). Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    if (!this.owned) return;
    const content = readLock(this.file);
    if (content?.token === this.token) fs.rmSync(this.file, { force: true });
  }
}

/**
 * Takes the output lock of `outdir`, waiting while another live synth holds it (told once through `log`), taking
 * over a lock whose processes are gone, and adopting the lock `$HACP_SYNTH_LOCK` names (held by scripts/synth.js
 * for this process). Throws `OutputLockBusyError` after `timeoutMs`.
 */
export async function acquireOutputLock(outdir: string, options: OutputLockOptions = {}): Promise<OutputLock> {
  const file = outputLockFile(outdir);
  const env = options.env ?? process.env;
  const inherited = env[SYNTH_LOCK_ENV];
  if (inherited) {
    const content = readLock(file);
    if (content?.token === inherited) {
      const lock = new OutputLock(file, inherited, false);
      lock.addPids(process.pid);
      return lock;
    }
  }
  const token = crypto.randomBytes(12).toString('hex');
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  let told = false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      try {
        fs.writeSync(
          fd,
          JSON.stringify({ token, pids: [process.pid], outdir: path.resolve(outdir) } satisfies LockContent),
        );
      } finally {
        fs.closeSync(fd);
      }
      return new OutputLock(file, token, true);
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
    }
    const content = readLock(file);
    const holders = content?.pids.filter(isProcessAlive) ?? [];
    if (content ? holders.length === 0 : isOld(file)) {
      breakStaleLock(file, content);
      continue;
    }
    if (Date.now() > deadline) {
      throw new OutputLockBusyError(
        `another synth (process ${holders.join(', ') || '?'}) has been writing ${path.resolve(outdir)} for too long; if it is stuck, stop it (a lock whose processes are gone is taken over), or remove ${file}`,
      );
    }
    if (!told) {
      options.log?.(
        `waiting: another synth (process ${holders.join(', ') || '?'}) is writing ${path.resolve(outdir)}; this one runs when it is done (lock: ${file})`,
      );
      told = true;
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
}

function readLock(file: string): LockContent | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof parsed?.token !== 'string' || !Array.isArray(parsed.pids)) return undefined;
    return {
      token: parsed.token,
      pids: parsed.pids.filter((p: unknown) => Number.isInteger(p) && (p as number) > 0),
      outdir: String(parsed.outdir),
    };
  } catch {
    return undefined;
  }
}

function writeLockAtomic(file: string, content: LockContent): void {
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, JSON.stringify(content), { mode: 0o644 });
  fs.renameSync(tmp, file);
}

/**
 * Removes a stale lock, unless another waiter replaced it meanwhile: it is renamed aside first, and put back when
 * what was renamed is not the stale content that was judged.
 */
function breakStaleLock(file: string, judged: LockContent | undefined): void {
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // someone else took it away first
  }
  const taken = readLock(aside);
  if (judged && taken?.token !== judged.token) {
    try {
      fs.linkSync(aside, file); // a live lock: put it back (fails if a third process locked meanwhile: then it wins)
    } catch {
      // another process holds a newer lock
    }
  }
  fs.rmSync(aside, { force: true });
}

function isOld(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > UNREADABLE_GRACE_MS;
  } catch {
    return true;
  }
}
