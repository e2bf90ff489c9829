/**
 * The package as another cluster repo gets it: `npm pack`, then examples/consumer installed from the tarball in a
 * temporary directory, compiled against the shipped `.d.ts`, synthesized with `cdk8s synth` and tested with its own
 * jest suite (its committed snapshots must match; `UPDATE_CONSUMER_SNAPSHOTS=1 npx jest test/package/consumer` rewrites
 * them after an intended change of the output).
 *
 * Offline: instead of `npm install`, the tarball is extracted into the copy's node_modules and only the packages the
 * packed package.json declares (dependencies, peers) plus the consumer's own ones are linked from this project's
 * node_modules. Nothing else is reachable (the copy lives outside the project and NODE_PATH is cleared), so a runtime
 * dependency missing from `dependencies`, a file missing from `files` or a broken type declaration fails here.
 * Expects a fresh `build/` (`npm test` and `npm run pack:check` build first).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(ROOT, 'examples/consumer');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare', 'preprepare', 'postprepare'];

/** Runs a command; on failure the error carries its output. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}\n${r.stderr}`;
}

/** Files under `dir`, relative, POSIX separators. */
function walk(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? walk(dir, p) : [p];
  });
}

describe('npm package', () => {
  let tmp: string;
  let tarball: string;
  let packed: string[];

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-consumer-'));
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const info = JSON.parse(out.slice(out.indexOf('[')))[0];
    tarball = path.join(tmp, info.filename);
    packed = info.files.map((f: { path: string }) => f.path).sort();
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('package.json: entry points in the package, peers, no install scripts', () => {
    expect(Object.keys(pkg.scripts ?? {}).filter((s) => INSTALL_SCRIPTS.includes(s))).toEqual([]);
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['cdk8s', 'cdk8s-plus-25', 'constructs']);
    for (const peer of Object.keys(pkg.peerDependencies)) expect(pkg.dependencies?.[peer]).toBeUndefined();
    const entries = [pkg.main, pkg.types, pkg.exports['.'].types, pkg.exports['.'].require, pkg.exports['.'].default, ...Object.values(pkg.bin)];
    for (const entry of entries) expect(packed).toContain(path.posix.normalize(entry as string));
    expect(pkg.exports['./package.json']).toBe('./package.json');
  });

  test('the tarball holds compiled JS, declarations, schemas/ and nothing else', () => {
    const unexpected = packed.filter((f) => !/^build\/(lib|imports)\/.+\.(js|d\.ts)$/.test(f) && !/^schemas\/.+\.json(\.gz)?$/.test(f)
      && !['package.json', 'README.md', 'LICENSE'].includes(f));
    expect(unexpected).toEqual([]);
    expect(packed).toEqual(expect.arrayContaining(['schemas/kubernetes/v1.35.json.gz', 'schemas/flags/kube-apiserver.json', 'build/imports/k8s.js', 'build/lib/testing.js']));
    // Every module ships with its declaration.
    const js = packed.filter((f) => f.endsWith('.js'));
    expect(js.filter((f) => !packed.includes(f.replace(/\.js$/, '.d.ts')))).toEqual([]);
    // No stale output: every compiled file has its source (else `rm -rf build && npm run build`).
    expect(js.filter((f) => !fs.existsSync(path.join(ROOT, f.replace(/^build\//, '').replace(/\.js$/, '.ts'))))).toEqual([]);
  });

  test('every require() in the shipped JS resolves: relative ones inside the package, bare ones to a declared dependency', () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const problems: string[] = [];
    for (const file of packed.filter((f) => f.endsWith('.js'))) {
      const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const [, spec] of source.matchAll(/require\("([^"]+)"\)/g)) {
        if (spec.startsWith('.')) {
          const target = path.posix.join(path.posix.dirname(file), spec);
          if (![`${target}.js`, `${target}/index.js`, target].some((t) => packed.includes(t))) problems.push(`${file}: ${spec}`);
        } else {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
          if (!builtins.has(spec) && !declared.has(name)) problems.push(`${file}: ${spec} is not a dependency`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('examples/consumer installs the tarball, compiles, synthesizes and passes its own snapshot tests', () => {
    const app = path.join(tmp, 'consumer');
    fs.cpSync(EXAMPLE, app, { recursive: true, filter: (src) => !/[\\/](node_modules|build|dist)$/.test(src) });
    const consumerPkg = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
    consumerPkg.dependencies[pkg.name] = `file:${tarball}`;
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(consumerPkg, null, 2));

    // "npm install", offline: the tarball itself, and links for what its package.json and the consumer's declare.
    const modules = path.join(app, 'node_modules');
    const installed = path.join(modules, pkg.name);
    fs.mkdirSync(installed, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], tmp);
    const packedPkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    const names = new Set([
      ...Object.keys(packedPkg.dependencies), ...Object.keys(packedPkg.peerDependencies),
      ...Object.keys(consumerPkg.dependencies), ...Object.keys(consumerPkg.devDependencies),
    ]);
    names.delete(pkg.name);
    for (const name of names) {
      fs.mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(modules, name), 'dir');
    }
    fs.mkdirSync(path.join(modules, '.bin'));
    for (const bin of ['tsc', 'cdk8s', 'jest']) fs.symlinkSync(path.join(ROOT, 'node_modules/.bin', bin), path.join(modules, '.bin', bin));

    const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_CHECK_UPGRADE: 'false', CI: 'true' };
    for (const v of ['NODE_PATH', 'CDK8S_OUTDIR', 'CDK8S_DISABLE_SORT', 'CDK8S_RECORD_CONSTRUCT_METADATA', 'JEST_WORKER_ID']) delete env[v];

    // The bin works from the package (shebang, its requires).
    expect(run(process.execPath, [path.join(installed, pkg.bin.hacp), '--help'], app, env)).toMatch(/Usage: hacp/);

    // npm run synth: tsc against the shipped .d.ts, then cdk8s synth.
    run('npm', ['run', '--silent', 'synth'], app, env);
    const dist = walk(path.join(app, 'dist')).sort();
    expect(dist).toEqual(['addons.k8s.yaml', 'cp1.k8s.yaml', 'cp2.k8s.yaml', 'cp3.k8s.yaml']);
    const objects = (file: string) => parseAllDocuments(fs.readFileSync(path.join(app, 'dist', file), 'utf8')).map((d) => d.toJS());
    expect(objects('cp2.k8s.yaml').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Pod/etcd', 'Pod/kube-apiserver', 'Pod/kube-controller-manager', 'Pod/kube-scheduler']);
    expect(objects('cp2.k8s.yaml')[1].spec.containers[0].args).toEqual(expect.arrayContaining(['--advertise-address=10.20.0.12', '--audit-log-maxage=90']));
    expect(objects('addons.k8s.yaml').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(expect.arrayContaining(['Deployment/coredns', 'DaemonSet/kube-proxy']));

    // npm test: the consumer's jest suite, --ci so that a missing or changed snapshot fails instead of being written.
    // UPDATE_CONSUMER_SNAPSHOTS=1 rewrites them instead and copies them back into examples/consumer.
    const update = process.env.UPDATE_CONSUMER_SNAPSHOTS === '1';
    const output = run('npm', ['test', '--silent', '--', update ? '-u' : '--ci'], app, env);
    if (update) fs.cpSync(path.join(app, 'test/__snapshots__'), path.join(EXAMPLE, 'test/__snapshots__'), { recursive: true });
    expect(output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(output).toMatch(update ? /Snapshots:.* 2 total/ : /Snapshots:\s+2 passed, 2 total/);
  });
});
