/**
 * The synth cache: a warm `cdk8s synth` whose inputs have not changed writes the previous output again instead of
 * rendering it, without loading cdk8s, the constructs or the PKI code (a few milliseconds instead of ~300 ms).
 *
 * The output is a pure function of these inputs, and the key covers all of them:
 * - the code: path, size, mtime, ctime and inode of every source file of `apps/`, `lib/` and `imports/` (so any
 *   build changes it), of the `package.json` of each dependency that renders or parses (their versions) and of npm's
 *   hidden lockfile (any install or update), and the Node version;
 * - the cluster spec: the bytes of `$HACP_CLUSTER` or `./cluster.yaml` (or their absence: the built-in examples), and
 *   of the files it names whose content is rendered (`etcd.external`'s CA and client pair); a module spec
 *   (`cluster.js`, `.ts`) is never cached for, as what it imports is not covered;
 * - the PKI state: the bytes of every file under the state root (certificates, keys, encryption keys, journal), taken
 *   right after synth has read them, so a change made meanwhile is never hidden;
 * - the environment: every `HACP_*` and `CDK8S_*` variable (but the per-run lock token, status file and debug
 *   switch), the working, output and state directories;
 * - the clock: an entry serves only until the first certificate enters its renewal window (from then on synth has to
 *   renew it or warn), and never when the clock has gone back behind the time it was made.
 *
 * One entry, `<state root>/.synth-cache.json`, mode 0600 (it holds the same keys as the state directory it sits in),
 * written atomically. It is only written when synth wrote into an empty output directory (what `cdk8s synth` does:
 * it deletes the directory first), and only read back into an empty one; the directory and file modes are restored
 * exactly. Disabled with `HACP_SYNTH_CACHE=off` (or `synthAll({ cache: false })`).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { fileStamp, readIfExists, walkTree, writeFileAtomic } from '../lib/util/files';

/** The entry file, in the state root. */
export const SYNTH_CACHE_FILE = '.synth-cache.json';
/** Environment variable: `off` (or `0`, `false`, `no`) disables the cache. */
export const SYNTH_CACHE_ENV = 'HACP_SYNTH_CACHE';

const FORMAT = 1;
/**
 * More files than this under the state root (a PKI state has ~70 per cluster) means `HACP_PKI_DIR` points at some
 * larger tree: reading all of it on every synth would cost more than it saves, so there is no cache then.
 */
export const SYNTH_CACHE_MAX_STATE_FILES = 5_000;
/**
 * Variables that do not shape the output: the lock token and status file scripts/synth.js hands to each run, and the
 * debug switch.
 */
const NOT_INPUTS = ['HACP_SYNTH_LOCK', 'HACP_SYNTH_STATUS', 'HACP_DEBUG'];
/** Packages whose code shapes the output (rendering, YAML, certificate parsing and issuing). */
const DEPENDENCIES = ['cdk8s', 'cdk8s-plus-25', 'constructs', 'yaml', 'node-forge', 'ipaddr.js', 'semver', 'ajv'];
/** The package root (`build/` when compiled, the repository under ts-node or ts-jest). */
const PACKAGE_ROOT = path.resolve(__dirname, '..');

/** Where and from what a synth runs. */
export interface SynthCacheScope {
  readonly cwd: string;
  readonly outdir: string;
  readonly stateRoot: string;
}

/** A cached synth: the output tree and the warnings it printed. */
interface Entry {
  readonly format: number;
  readonly key: string;
  /** Epoch ms: the entry serves in [createdAt, stableUntil). */
  readonly createdAt: number;
  readonly stableUntil: number;
  readonly warnings: string[];
  /** Output-relative directories (parents first) and their modes. */
  readonly dirs: Array<[string, number]>;
  /** Output-relative files, mode and content. */
  readonly files: Array<[string, number, string]>;
}

/** True when `HACP_SYNTH_CACHE` does not turn the cache off. */
export function synthCacheEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !/^(0|off|false|no)$/i.test(env[SYNTH_CACHE_ENV]?.trim() ?? '');
}

/** True when `dir` does not exist or is empty. */
export function isEmptyDir(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch (e: any) {
    if (e.code === 'ENOENT') return true;
    throw e;
  }
}

/** The cache of one synth scope. */
export class SynthCache {
  private readonly file: string;
  /** The key taken by `inputsRead()` (undefined: nothing to store). */
  private pendingKey?: string;

  constructor(
    private readonly scope: SynthCacheScope,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.file = path.join(scope.stateRoot, SYNTH_CACHE_FILE);
  }

  /**
   * Writes the cached output into the (empty) output directory when the inputs are unchanged. Returns false, having
   * written nothing, when there is no usable entry.
   */
  restore(now: Date, log: (line: string) => void): boolean {
    if (!isEmptyDir(this.scope.outdir)) return false;
    let entry: Entry;
    try {
      entry = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return false; // none yet, or unreadable: synth afresh and replace it
    }
    const t = now.getTime();
    if (entry.format !== FORMAT || t < entry.createdAt || t >= entry.stableUntil) return false;
    const key = this.key();
    if (key === undefined || entry.key !== key) return false;
    const inside = (rel: string) =>
      typeof rel === 'string' && rel !== '' && !path.isAbsolute(rel) && !rel.split(/[\\/]/).includes('..');
    if (![...entry.dirs, ...entry.files].every(([rel]) => inside(rel))) return false; // not written by store(): ignore it
    const out = this.scope.outdir;
    for (const [dir, mode] of entry.dirs) {
      fs.mkdirSync(path.join(out, dir), { recursive: true, mode });
      fs.chmodSync(path.join(out, dir), mode); // the umask may have masked bits off
    }
    for (const [file, mode, content] of entry.files) writeFileAtomic(path.join(out, file), content, mode);
    for (const w of entry.warnings) log(w);
    log(`reused the previous synth output: its inputs are unchanged (${SYNTH_CACHE_ENV}=off renders afresh)`);
    return true;
  }

  /**
   * Takes the key now: call it once synth has read its inputs, before it renders. `store()` then files the output
   * under this key, so that inputs changed while synth ran are never taken for the ones it rendered from.
   */
  inputsRead(): void {
    this.pendingKey = this.key();
  }

  /**
   * Records the output directory as the result of the inputs seen by `inputsRead()`. An output that changes while it
   * is read (a file gone: someone deleted the directory) is not recorded, and `log` says so: the entry is only a
   * shortcut, and a synth never fails for it.
   */
  store(now: Date, stableUntil: Date, warnings: string[], log: (line: string) => void = () => {}): void {
    const key = this.pendingKey;
    if (key === undefined || stableUntil.getTime() <= now.getTime()) return; // something is already due: no entry
    const dirs: Entry['dirs'] = [];
    const files: Entry['files'] = [];
    try {
      for (const { rel, abs, kind } of walkTree(this.scope.outdir)) {
        if (kind === 'other') throw Object.assign(new Error(`${abs} is not a file or directory`), { code: 'EFTYPE' });
        const mode = fs.statSync(abs).mode & 0o777;
        if (kind === 'directory') dirs.push([rel, mode]);
        else files.push([rel, mode, fs.readFileSync(abs, 'utf8')]);
      }
    } catch (e: any) {
      if (typeof e?.code !== 'string') throw e;
      log(
        `synth cache: not stored, the output changed while it was read (${e.code} ${e.path ?? e.message}); the next synth renders afresh`,
      );
      return;
    }
    if (!files.length) {
      log(
        `synth cache: not stored, ${this.scope.outdir} is empty now (deleted while it was read?); the next synth renders afresh`,
      );
      return;
    }
    const entry: Entry = {
      format: FORMAT,
      key,
      createdAt: now.getTime(),
      stableUntil: stableUntil.getTime(),
      warnings,
      dirs,
      files,
    };
    fs.mkdirSync(this.scope.stateRoot, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, JSON.stringify(entry), 0o600);
  }

  /**
   * True when `restore()` would serve the entry if the output directory were empty: the inputs are those of a synth
   * that succeeded, so checking them again can be skipped (scripts/synth.js).
   */
  isFresh(now: Date): boolean {
    let entry: Pick<Entry, 'format' | 'key' | 'createdAt' | 'stableUntil'>;
    try {
      entry = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return false;
    }
    const t = now.getTime();
    if (entry.format !== FORMAT || t < entry.createdAt || t >= entry.stableUntil) return false;
    const key = this.key();
    return key !== undefined && entry.key === key;
  }

  /**
   * The digest of every input (see the file comment); undefined when there is no usable key: the state root is too
   * large to cache for, the spec is a module (`cluster.js`: what it imports is not covered), or an input cannot be read
   * (synth then reports that properly).
   */
  key(): string | undefined {
    try {
      return this.computeKey();
    } catch {
      return undefined;
    }
  }

  private computeKey(): string | undefined {
    const stateFiles = listFiles(this.scope.stateRoot).filter((f) => f !== this.file);
    if (stateFiles.length > SYNTH_CACHE_MAX_STATE_FILES) return undefined;
    const hash = crypto.createHash('sha256');
    const add = (...parts: (string | number | bigint)[]) => hash.update(`${parts.join('\0')}\n`);
    const { cwd, outdir, stateRoot } = this.scope;
    add('scope', FORMAT, process.version, cwd, outdir, stateRoot);
    for (const name of Object.keys(this.env)
      .filter((n) => /^(HACP|CDK8S)_/.test(n) && !NOT_INPUTS.includes(n))
      .sort())
      add('env', name, this.env[name]!);

    for (const dir of ['apps', 'lib', 'imports']) {
      for (const file of listFiles(path.join(PACKAGE_ROOT, dir))) {
        if (/\.(js|ts|json)$/.test(file) && !file.endsWith('.d.ts')) add('code', file, fileStamp(file));
      }
    }
    for (const dep of DEPENDENCIES) {
      let file: string;
      try {
        file = require.resolve(`${dep}/package.json`, { paths: [PACKAGE_ROOT] });
      } catch {
        file = require.resolve(dep, { paths: [PACKAGE_ROOT] }); // a package.json its exports hide
      }
      add('dep', dep, file, fileStamp(file));
    }
    // npm rewrites its hidden lockfile on every install or update, transitive packages included.
    const cdk8s = require.resolve('cdk8s/package.json', { paths: [PACKAGE_ROOT] });
    const lock = path.join(cdk8s, '..', '..', '.package-lock.json');
    add('lock', lock, fs.existsSync(lock) ? fileStamp(lock) : '(absent)');

    // loadClusterSpec()'s rule (CLUSTER_FILE_ENV, DEFAULT_CLUSTER_FILE; lib/spec is not loaded here: it is heavy).
    const explicit = this.env.HACP_CLUSTER;
    const specFile = explicit ? path.resolve(cwd, explicit) : path.join(cwd, 'cluster.yaml');
    if (/\.[cm]?[jt]s$/i.test(specFile)) return undefined; // a module spec: its imports are not covered by the key
    const specText = readOrAbsent(specFile);
    add('spec', specFile, specText);
    // Files the spec names whose bytes go into the output: an external etcd's CA and client pair (etcd.external).
    for (const file of externalEtcdFiles(specText.slice(1)))
      add('etcd.external', file, readOrAbsent(path.resolve(cwd, file)));

    for (const file of stateFiles) add('state', path.relative(stateRoot, file), readOrAbsent(file));
    return hash.digest('hex');
  }
}

/** Every file under `dir` (none when it does not exist). */
function listFiles(dir: string): string[] {
  return walkTree(dir)
    .filter((e) => e.kind === 'file')
    .map((e) => e.abs);
}

/**
 * The files of `etcd.external` (`caFile`, `certFile`, `keyFile`) a spec text names, as written. The YAML parser is
 * loaded only for a spec that mentions `external`; a spec it cannot read names none (synth rejects it anyway).
 */
function externalEtcdFiles(specText: string): string[] {
  if (!/\bexternal\s*:/.test(specText)) return [];
  try {
    const ext = (require('yaml') as typeof import('yaml')).parse(specText)?.etcd?.external;
    return ['caFile', 'certFile', 'keyFile'].map((k) => ext?.[k]).filter((v): v is string => typeof v === 'string');
  } catch {
    return [];
  }
}

function readOrAbsent(file: string): string {
  const text = readIfExists(file);
  return text === undefined ? '(absent)' : `=${text}`;
}
