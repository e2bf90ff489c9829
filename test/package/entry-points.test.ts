/**
 * The package's entry points (package.json `exports`): the root loads only the spec and the constructs; tooling sits
 * behind subpaths. Checked on the compiled build/ (`npm test` builds first), in a child process so that this test
 * runner's own module cache does not count.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** The modules (paths relative to the project) that `require(entry)` loads, in a fresh Node process. */
function modulesLoadedBy(entry: string): string[] {
  const script = `require(${JSON.stringify(entry)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as string[]).map((m) => path.relative(ROOT, m));
}

describe('package entry points', () => {
  test('the root loads neither ajv, commander, node-forge nor the OpenStack driver, verify or the CLI', () => {
    const loaded = modulesLoadedBy(path.join(ROOT, pkg.exports['.'].require));
    const tooling = loaded.filter(
      (m) =>
        /node_modules\/(ajv|commander|node-forge)\//.test(m) ||
        /^build\/lib\/(verify|cli|host|pki\/(?!paths|groups|bootkube-assets))/.test(m),
    );
    expect(tooling).toEqual([]);
    // It does load the constructs.
    expect(loaded).toEqual(
      expect.arrayContaining(['build/lib/control-plane/api-server-pod.js', 'build/lib/spec/cluster-spec.js']),
    );
  });

  test('every subpath export names a compiled module and its declaration, also for moduleResolution node (typesVersions)', () => {
    for (const [subpath, target] of Object.entries<any>(pkg.exports)) {
      if (subpath === './package.json') continue;
      for (const file of [target.types, target.require, target.default])
        expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
      if (subpath !== '.')
        expect(pkg.typesVersions['*'][subpath.slice(2)]).toEqual([target.types.replace(/^\.\//, '')]);
    }
    expect(Object.keys(pkg.exports)).toEqual(
      expect.arrayContaining(['.', './pki', './host', './verify', './testing', './util', './synth', './bring-up']),
    );
  });

  test('the package resolves its own subpaths by name (self-reference through exports)', () => {
    const script = `for (const p of ['', '/pki', '/verify', '/testing']) require.resolve(${JSON.stringify(pkg.name)} + p); process.stdout.write('ok')`;
    expect(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })).toBe('ok');
  });
});

/** Every `.ts` file under `dir` (relative to the project). */
function sourcesUnder(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

describe('module boundaries', () => {
  test('no private (_-prefixed) module is imported from another part of lib/ or from apps/: what is shared is promoted', () => {
    const crossings: string[] = [];
    for (const file of [...sourcesUnder('lib'), ...sourcesUnder('apps')]) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const [, spec] of text.matchAll(/(?:from|require\(|import\()\s*'(\.[^']*)'/g)) {
        const target = path.join(path.dirname(file), spec);
        // A folder's private modules serve that folder and its subfolders (lib/host/_systemd for lib/host/cni).
        const area = (p: string) => path.dirname(p).split(path.sep).slice(0, 2).join(path.sep);
        if (path.basename(target).startsWith('_') && area(target) !== area(file)) {
          crossings.push(`${file} -> ${spec}`);
        }
      }
    }
    expect(crossings).toEqual([]);
  });
});
