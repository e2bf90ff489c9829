/**
 * The npm package itself: `npm pack` (its `prepack` builds, even from a checkout without build/), what the tarball
 * holds and requires, the README's install line, and examples/consumer, which is what `hacp init` scaffolds. The
 * cluster repo's whole journey from the tarball is test/package/journey.test.ts.
 * Expects a fresh `build/` (`npm test` and `npm run pack:check` build first).
 */
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as os from 'os';
import * as path from 'path';
import { ROOT, packedPackage, run } from '../support/packed-package';

jest.setTimeout(600_000);

const EXAMPLE = path.join(ROOT, 'examples/consumer');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare', 'preprepare', 'postprepare'];

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
    ({ tarball, files: packed } = packedPackage());
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('package.json: entry points in the package, peers, no install scripts', () => {
    expect(Object.keys(pkg.scripts ?? {}).filter((s) => INSTALL_SCRIPTS.includes(s))).toEqual([]);
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['cdk8s', 'cdk8s-plus-25', 'constructs']);
    for (const peer of Object.keys(pkg.peerDependencies)) expect(pkg.dependencies?.[peer]).toBeUndefined();
    const entries = [
      pkg.main,
      pkg.types,
      pkg.exports['.'].types,
      pkg.exports['.'].require,
      pkg.exports['.'].default,
      ...Object.values(pkg.bin),
    ];
    for (const entry of entries) expect(packed).toContain(path.posix.normalize(entry as string));
    expect(pkg.exports['./package.json']).toBe('./package.json');
  });

  test('the tarball holds compiled JS, declarations, schemas/ and nothing else', () => {
    const unexpected = packed.filter(
      (f) =>
        !/^build\/(lib|imports)\/.+\.(js|d\.ts)$/.test(f) &&
        !/^schemas\/.+\.json(\.gz)?$/.test(f) &&
        !['package.json', 'README.md', 'LICENSE'].includes(f),
    );
    expect(unexpected).toEqual([]);
    expect(packed).toEqual(
      expect.arrayContaining([
        'schemas/kubernetes/v1.35.json.gz',
        'schemas/flags/kube-apiserver.json',
        'build/imports/k8s.js',
        'build/lib/testing.js',
      ]),
    );
    // Every module ships with its declaration.
    const js = packed.filter((f) => f.endsWith('.js'));
    expect(js.filter((f) => !packed.includes(f.replace(/\.js$/, '.d.ts')))).toEqual([]);
    // No stale output: every compiled file has its source (else `rm -rf build && npm run build`).
    expect(
      js.filter((f) => !fs.existsSync(path.join(ROOT, f.replace(/^build\//, '').replace(/\.js$/, '.ts')))),
    ).toEqual([]);
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
          if (![`${target}.js`, `${target}/index.js`, target].some((t) => packed.includes(t)))
            problems.push(`${file}: ${spec}`);
        } else {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
          if (!builtins.has(spec) && !declared.has(name)) problems.push(`${file}: ${spec} is not a dependency`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('every import in the shipped .d.ts resolves in a consumer: relative ones to a packed .d.ts, bare ones to a builtin or a declared dependency that ships its own types', () => {
    // A consumer has the package's dependencies and peers, and @types/node (the cdk8s template installs it); never
    // this package's devDependencies (@types/node-forge, @types/semver...). Fails when a declaration a type needs is
    // missing from the tarball (`files`), or a type comes from a package the consumer does not get.
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const shipsTypes = (name: string) => {
      const dir = path.join(ROOT, 'node_modules', name);
      const own = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      return Boolean(own.types ?? own.typings) || fs.existsSync(path.join(dir, 'index.d.ts'));
    };
    const declarations = packed.filter((f) => f.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(50);
    const problems: string[] = [];
    for (const file of declarations) {
      const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
      const specs = [
        ...[...source.matchAll(/(?:from|import\(|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]),
        ...[...source.matchAll(/\/\/\/\s*<reference\s+types="([^"]+)"/g)].map((m) => m[1]),
        ...[...source.matchAll(/\/\/\/\s*<reference\s+path="([^"]+)"/g)].map(
          (m) => `./${m[1].replace(/\.d\.ts$/, '')}`,
        ),
      ];
      for (const spec of specs) {
        if (spec.startsWith('.')) {
          const target = path.posix.join(path.posix.dirname(file), spec).replace(/\.js$/, '');
          if (![`${target}.d.ts`, `${target}/index.d.ts`].some((t) => packed.includes(t)))
            problems.push(`${file}: ${spec} is not in the package`);
        } else {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
          if (builtins.has(spec) || name === 'node') continue;
          if (!declared.has(name)) problems.push(`${file}: ${spec} is not a dependency`);
          else if (!shipsTypes(name))
            problems.push(`${file}: ${spec} has no types of its own (a consumer would need @types/${name})`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('npm pack builds first (prepack): packing a checkout without build/ gives the compiled package', () => {
    expect(pkg.scripts.prepack).toBe('npm run --silent build');
    const checkout = path.join(tmp, 'checkout');
    fs.mkdirSync(checkout);
    for (const entry of [
      'package.json',
      'tsconfig.json',
      'README.md',
      'LICENSE',
      'lib',
      'apps',
      'imports',
      'schemas',
    ]) {
      fs.cpSync(path.join(ROOT, entry), path.join(checkout, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'), 'dir');
    const out = run('npm', ['pack', '--dry-run', '--json'], checkout, { ...process.env, npm_config_loglevel: 'error' });
    const files = JSON.parse(out.slice(out.indexOf('['), out.lastIndexOf(']') + 1))[0].files.map(
      (f: { path: string }) => f.path,
    );
    expect(files).toEqual(
      expect.arrayContaining([
        'build/lib/index.js',
        'build/lib/index.d.ts',
        pkg.bin.hacp,
        'build/lib/synth/synth-cluster.js',
      ]),
    );
    expect(files.sort()).toEqual(packed);
  });

  test("the README's install line: the package and exactly its peers (the journey installs those from the tarball)", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const lines = [...readme.matchAll(/^npm install (.+)$/gm)].map((m) => m[1].split(/\s+/));
    const registry = lines.find((l) => l[0] === pkg.name);
    expect(registry?.slice(1).sort()).toEqual(Object.keys(pkg.peerDependencies).sort());
    const fromTarball = lines.find((l) => /\.tgz$/.test(l[0]));
    expect(path.basename(fromTarball?.[0] ?? '')).toBe(path.basename(tarball));
    expect(fromTarball?.slice(1).sort()).toEqual(Object.keys(pkg.peerDependencies).sort());
  });

  test('examples/consumer is exactly what `hacp init examples/consumer --name my-cluster` writes', () => {
    const { scaffoldFiles } = require('../../build/lib/cli/_scaffold') as typeof import('../../lib/cli/_scaffold');
    const expected = scaffoldFiles({ packageName: 'consumer', clusterName: 'my-cluster' });
    const committed = walk(EXAMPLE)
      .filter((f) => !/^(node_modules|build|dist|pki|test\/__snapshots__)\//.test(f))
      .sort();
    expect(committed).toEqual(Object.keys(expected).sort());
    for (const [file, content] of Object.entries(expected))
      expect(`${file}:\n${fs.readFileSync(path.join(EXAMPLE, file), 'utf8')}`).toBe(`${file}:\n${content}`);
  });
});
