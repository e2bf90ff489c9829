/**
 * The package as a cluster repo gets it, shared by the tests of test/package: one `npm pack` per build (its
 * `prepack` runs the build, a no-op on a fresh build/), cached in the temporary directory under a key of build/'s
 * files, so that test files in several jest workers use one tarball; and an offline "npm install" of it.
 *
 * Offline: instead of `npm install`, the tarball is extracted into the app's node_modules and only the packages the
 * packed package.json declares (dependencies, peers) plus the app's own ones are linked from this project's
 * node_modules. Nothing else is reachable (the app lives outside the project and NODE_PATH is cleared in `appEnv()`),
 * so a runtime dependency missing from `dependencies`, a file missing from `files` or a broken type declaration fails.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isProcessAlive } from '../../lib/util/process';

export const ROOT = path.resolve(__dirname, '../..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** A packed tarball and the files it holds. */
export interface Packed {
  readonly tarball: string;
  /** Paths inside the package, sorted. */
  readonly files: string[];
}

/** Runs a command; on failure the error carries its output. Generous time limit: the machine may be loaded. */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}\n${r.stderr}`;
}

/** The environment of a cluster repo's commands: no upgrade check (offline), CI on, nothing leaking from jest or cdk8s. */
export function appEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_CHECK_UPGRADE: 'false', CI: 'true', ...extra };
  for (const v of [
    'NODE_PATH',
    'CDK8S_OUTDIR',
    'CDK8S_DISABLE_SORT',
    'CDK8S_RECORD_CONSTRUCT_METADATA',
    'JEST_WORKER_ID',
    'HACP_CLUSTER',
    'HACP_PKI_DIR',
    'HACP_SYNTH_LOCK',
    'HACP_SYNTH_STATUS',
    'NODE_ENV',
  ]) {
    if (!(v in extra)) delete env[v];
  }
  return env;
}

/** A stamp of everything `npm pack` puts in the tarball (paths, sizes, mtimes). */
function packKey(): string {
  const hash = crypto.createHash('sha256');
  const add = (abs: string) => {
    const st = fs.statSync(abs);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(abs).sort()) add(path.join(abs, e));
    } else {
      hash.update(`${path.relative(ROOT, abs)}\0${st.size}\0${st.mtimeMs}\n`);
    }
  };
  for (const p of ['package.json', 'README.md', 'LICENSE', 'schemas', 'build/lib', 'build/imports'])
    add(path.join(ROOT, p));
  return hash.digest('hex').slice(0, 16);
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The pid in a pack lock; 0 while its holder has not written it yet, or when the lock went away meanwhile. */
function lockHolder(lock: string): number {
  try {
    return Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')) || 0;
  } catch (e: any) {
    if (e.code === 'ENOENT') return 0;
    throw e;
  }
}

/** How long ago the lock was taken (0 when it went away meanwhile). */
function lockAgeMs(lock: string): number {
  const st = fs.statSync(lock, { throwIfNoEntry: false });
  return st ? Date.now() - st.mtimeMs : 0;
}

/**
 * The package packed with `npm pack` (scripts run: `prepack` builds), once per build: later callers, in this or
 * another jest worker, get the same tarball. Expects a fresh build/ (`npm test` and `npm run pack:check` build first).
 */
export function packedPackage(): Packed {
  const prefix = `hacp-packed-${crypto.createHash('sha256').update(ROOT).digest('hex').slice(0, 8)}-`;
  const dir = path.join(os.tmpdir(), prefix + packKey());
  const done = path.join(dir, 'packed.json');
  const lock = `${dir}.lock`;
  for (;;) {
    if (fs.existsSync(done)) return JSON.parse(fs.readFileSync(done, 'utf8'));
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
      const pid = lockHolder(lock);
      // A killed run (its pid is gone, or it died before writing it, long ago): take over.
      if ((pid > 0 && !isProcessAlive(pid)) || (pid === 0 && lockAgeMs(lock) > 600_000))
        fs.rmSync(lock, { recursive: true, force: true });
      sleep(200);
    }
  }
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const out = run('npm', ['pack', '--json', '--pack-destination', dir], ROOT, {
      ...process.env,
      npm_config_loglevel: 'error',
    });
    const info = JSON.parse(out.slice(out.indexOf('['), out.lastIndexOf(']') + 1))[0];
    const packed: Packed = {
      tarball: path.join(dir, info.filename),
      files: info.files.map((f: { path: string }) => f.path).sort(),
    };
    fs.writeFileSync(`${done}.tmp`, JSON.stringify(packed));
    fs.renameSync(`${done}.tmp`, done);
    // Older packs of this checkout are of no use any more.
    for (const e of fs.readdirSync(os.tmpdir())) {
      if (e.startsWith(prefix) && path.join(os.tmpdir(), e) !== dir && !e.endsWith('.lock'))
        fs.rmSync(path.join(os.tmpdir(), e), { recursive: true, force: true });
    }
    return packed;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Options of `installPacked()`. */
export interface InstallOptions {
  /** Packages to link under another name: `{ '@types/node': 'types-node-14' }` links this project's types-node-14. */
  readonly aliases?: Record<string, string>;
  /** Commands to put in node_modules/.bin (from this project's node_modules/.bin). @default tsc, cdk8s, jest */
  readonly bins?: string[];
}

/**
 * "npm install" of the packed package into `app` (which has its package.json), offline: the tarball extracted into
 * node_modules, links for what its package.json and the app's declare, the commands, and the package's own `hacp`
 * (made executable, as npm does). Returns the installed package's directory.
 */
export function installPacked(app: string, packed: Packed, options: InstallOptions = {}): string {
  const appPkg = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
  const modules = path.join(app, 'node_modules');
  const installed = path.join(modules, PKG.name);
  fs.mkdirSync(installed, { recursive: true });
  run('tar', ['-xzf', packed.tarball, '-C', installed, '--strip-components=1'], app);
  const packedPkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  const names = new Set([
    ...Object.keys(packedPkg.dependencies ?? {}),
    ...Object.keys(packedPkg.peerDependencies ?? {}),
    ...Object.keys(appPkg.dependencies ?? {}),
    ...Object.keys(appPkg.devDependencies ?? {}),
  ]);
  names.delete(PKG.name);
  for (const name of names) {
    const source = path.join(ROOT, 'node_modules', options.aliases?.[name] ?? name);
    if (!fs.existsSync(source))
      throw new Error(`${name}: not in this project's node_modules (add it to devDependencies to test with it)`);
    fs.mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
    fs.symlinkSync(source, path.join(modules, name), 'dir');
  }
  const bin = path.join(modules, '.bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const b of options.bins ?? ['tsc', 'cdk8s', 'jest'])
    fs.symlinkSync(path.join(ROOT, 'node_modules/.bin', b), path.join(bin, b));
  for (const [name, rel] of Object.entries<string>(packedPkg.bin ?? {})) {
    fs.chmodSync(path.join(installed, rel), 0o755);
    fs.symlinkSync(path.join('..', PKG.name, rel), path.join(bin, name));
  }
  return installed;
}
