/**
 * The PKI state directory: reading it, and changing it crash-safely.
 *
 * A change (new CA, re-issued leaves) is one transaction: every new file goes into a journal (`.pending.json`,
 * written atomically and fsynced), then each file is replaced atomically, then the journal is deleted. A run killed
 * before the journal exists leaves the old state untouched; a run killed after it leaves a journal that every reader
 * overlays (so a key and its certificate are always seen as a pair) and the next writer finishes. A lock file
 * (`.lock`, holding the writer's pid) keeps two writers apart.
 */
import * as fs from 'fs';
import * as path from 'path';
import { firstLine } from '../util/fs-errors';
import { ensureDir, readIfExists, readWithMode, writeFileAtomic } from '../util/files';
import { PkiError } from './_engine';
import { isProcessAlive } from '../util/process';

/** The journal of an unfinished transaction, in the state directory. */
export const JOURNAL_FILE = '.pending.json';
/** The writers' lock file (holds the writer's pid), in the state directory. */
export const LOCK_FILE = '.lock';

/** One file of a transaction. */
export interface StateWrite {
  /** The file's new content (a PEM, or the verified-digest JSON). */
  readonly content: string;
  /** Its mode: 0600 for keys, 0644 for certificates. */
  readonly mode: number;
  /** CA files: never replace different content. */
  readonly noClobber?: boolean;
}

/** What is in the state directory (journal overlaid). */
export interface StateView {
  /** State-relative path → content. */
  readonly files: Map<string, string>;
  /** State-relative path → mode, for files on disk. */
  readonly modes: Map<string, number>;
  /** An unfinished transaction, if any. */
  readonly journal?: Record<string, StateWrite>;
}

/** Reads the given state files (missing ones are skipped) with the journal overlaid. */
export function readState(dir: string, paths: Iterable<string>): StateView {
  const files = new Map<string, string>();
  const modes = new Map<string, number>();
  for (const rel of paths) {
    const read = readWithMode(path.join(dir, rel));
    if (read === undefined) continue;
    files.set(rel, read.content);
    modes.set(rel, read.mode);
  }
  const journal = readJournal(dir);
  for (const [rel, write] of Object.entries(journal ?? {})) files.set(rel, write.content);
  return { files, modes, journal };
}

function readJournal(dir: string): Record<string, StateWrite> | undefined {
  const text = readIfExists(path.join(dir, JOURNAL_FILE));
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text);
    if (parsed?.version !== 1 || typeof parsed.files !== 'object') throw new Error('unknown format');
    return parsed.files;
  } catch (e) {
    // The journal is written atomically, so this is not an interrupted write: someone edited it.
    throw new PkiError([`${JOURNAL_FILE} is corrupt (${firstLine((e as Error).message)}): it is an unfinished update that hacp cannot complete; inspect it, then delete it (the state is then as before that update)`], dir);
  }
}

/** Commits a transaction: journal, then each file, then journal removal. */
export function commit(dir: string, writes: Record<string, StateWrite>): void {
  if (!Object.keys(writes).length) return;
  writeFileAtomic(path.join(dir, JOURNAL_FILE), JSON.stringify({ version: 1, files: writes }), 0o600, { fsync: true });
  fsyncDir(dir);
  applyJournal(dir, writes);
}

/** Applies (again) every write of a journal and removes it. Idempotent. */
export function applyJournal(dir: string, writes: Record<string, StateWrite>): void {
  const dirs = new Set<string>([dir]);
  for (const [rel, write] of Object.entries(writes)) {
    const file = path.join(dir, rel);
    ensureDir(path.dirname(file), true, true); // everything in the state dir is private
    writeFileAtomic(file, write.content, write.mode, { noClobber: write.noClobber, fsync: true });
    dirs.add(path.dirname(file));
  }
  dirs.forEach(fsyncDir);
  fs.unlinkSync(path.join(dir, JOURNAL_FILE));
  fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs `body` holding the state directory's lock (waits for another live holder; breaks a dead holder's lock). */
export async function withLock<T>(dir: string, body: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const lock = path.join(dir, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
      const pid = Number(readIfExists(lock)?.trim());
      if (pid && !isProcessAlive(pid)) {
        try {
          fs.unlinkSync(lock);
        } catch {
          // another waiter removed it first
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lock} is held by process ${pid || '?'}; wait for it or remove the lock file`, { cause: e });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await body();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

