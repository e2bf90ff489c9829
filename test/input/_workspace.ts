/**
 * A synth working directory for the bad-input corpus: cdk8s.yaml (the repository's app and validation plugin, by
 * absolute path), a PKI state for both built-in clusters (the shared fixture PKIs: no key is generated here) with
 * their encryption keys, and the dist/ a synth made from them. Built once per test file; each case gets a copy
 * (`cp -a`), damages it, runs synth, and compares dist/ and pki/ with the copy's snapshot.
 */
import { execFile, execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthAll } from '../../apps/main';
import { BOOTKUBE_EXAMPLE_CLUSTER, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { fixturePki, seedPkiState } from '../support/fixture-pki';

/** The repository (its build/ is what scripts/synth.js and the app run). */
export const ROOT = path.resolve(__dirname, '..', '..');

/** A parent every user can traverse (cases run some commands as `nobody`). */
export function sharedTmp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** Makes the base workspace in `dir`: cdk8s.yaml, pki/ for both examples, dist/ synthesized from them. */
export async function makeBaseWorkspace(dir: string): Promise<void> {
  fs.writeFileSync(
    path.join(dir, 'cdk8s.yaml'),
    [
      'language: typescript',
      `app: node ${path.join(ROOT, 'build', 'apps', 'main.js')}`,
      'output: dist',
      'validations:',
      `  - package: ${path.join(ROOT, 'build', 'lib', 'verify', 'cdk8s-plugin.js')}`,
      '    version: 0.0.0',
      '    class: HacpVerifyValidation',
      '',
    ].join('\n'),
  );
  for (const example of [STATIC_EXAMPLE_CLUSTER, BOOTKUBE_EXAMPLE_CLUSTER]) {
    const spec = resolveSpec(example);
    const state = path.join(dir, 'pki', spec.name);
    seedPkiState(state, await fixturePki(spec));
    fs.writeFileSync(path.join(state, 'encryption-key'), `${crypto.randomBytes(32).toString('base64')}\n`, {
      mode: 0o600,
    });
  }
  fs.chmodSync(path.join(dir, 'pki'), 0o700);
  await synthAll({
    cwd: dir,
    outdir: path.join(dir, 'dist'),
    stateRoot: path.join(dir, 'pki'),
    cache: false,
    log: () => {},
  });
}

/** A copy of the base workspace (modes, everything). */
export function copyWorkspace(base: string, parent: string, name: string): string {
  const dir = path.join(parent, name);
  execFileSync('cp', ['-a', base, dir]);
  return dir;
}

/** Every file and directory under `dir/rel`: `mode path sha256` (what "byte-identical" compares: content and modes). */
export function snapshot(dir: string, ...rels: string[]): string[] {
  const out: string[] = [];
  for (const rel of rels) {
    const root = path.join(dir, rel);
    if (!fs.existsSync(root)) {
      out.push(`(absent) ${rel}`);
      continue;
    }
    const walk = (abs: string, name: string) => {
      const st = fs.lstatSync(abs);
      const mode = (st.mode & 0o777).toString(8);
      if (st.isDirectory()) {
        out.push(`${mode} ${name}/`);
        for (const e of fs.readdirSync(abs).sort()) walk(path.join(abs, e), `${name}/${e}`);
      } else if (st.isFile()) {
        out.push(
          `${mode} ${name} ${crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex').slice(0, 16)}`,
        );
      } else {
        out.push(`${mode} ${name} (${st.isFIFO() ? 'fifo' : 'special'})`);
      }
    };
    walk(root, rel);
  }
  return out;
}

/** How a command ended. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed by the (generous) timeout: it blocked. */
  readonly timedOut: boolean;
}

/** The environment of a run: the test's, without variables that would change which spec or state is used. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (/^(HACP_|CDK8S_)/.test(k)) delete env[k];
  return { ...env, ...extra };
}

/**
 * Runs a command and collects its output. `timeoutMs` only guards against a hang (a FIFO read would block forever):
 * it is minutes, not a performance bound.
 */
export function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; asNobody?: boolean },
): Promise<Run> {
  const [file, argv] = options.asNobody
    ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', cmd, ...args]]
    : [cmd, args];
  return new Promise((resolve) => {
    execFile(
      file,
      argv,
      {
        cwd: options.cwd,
        env: options.env ?? cleanEnv(),
        timeout: options.timeoutMs ?? 300_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : -1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
          timedOut: !!e?.killed,
        });
      },
    );
  });
}

/** `npm run synth` as npm runs it: `node scripts/synth.js` in the working directory. */
export function runSynth(cwd: string, env?: NodeJS.ProcessEnv, asNobody = false): Promise<Run> {
  return run(process.execPath, [path.join(ROOT, 'scripts', 'synth.js')], { cwd, env: cleanEnv(env), asNobody });
}

/** The app alone (what cdk8s.yaml's `app:` runs), writing into dist/. */
export function runApp(cwd: string, env?: NodeJS.ProcessEnv, asNobody = false): Promise<Run> {
  return run(process.execPath, [path.join(ROOT, 'build', 'apps', 'main.js')], {
    cwd,
    env: cleanEnv({ CDK8S_OUTDIR: 'dist', ...env }),
    asNobody,
  });
}

/** A stack frame line (`    at fn (file.js:1:2)`): user-facing errors must not print one. */
export const STACK_FRAME = /^\s+at .*(\(|\/).*:\d+(:\d+)?\)?$/m;
