/**
 * `hacp init [dir]` in-process: what it writes, and the bad inputs it refuses without writing anything (a bad
 * --name, a file in the way, a directory that is not empty). The scaffold's own npm install, synth and tests run in
 * test/package/journey.test.ts (from the packed tarball).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labelFrom } from '../../lib/cli/init-command';
import { loadClusterSpec } from '../../lib/spec';
import { hacp } from '../support/hacp';
import { filesHoldingKeys } from '../support/key-safety';

let tmp: string;
let cwd: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-init-'));
  cwd = process.cwd();
  process.chdir(tmp);
});

afterEach(() => {
  process.chdir(cwd);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const SCAFFOLD = [
  '.gitignore',
  'README.md',
  'cdk8s.yaml',
  'cluster.yaml',
  'jest.config.js',
  'main.ts',
  'package.json',
  'test/main.test.ts',
  'tsconfig.json',
];

test('writes the cluster repo into a new directory: the spec named after it, pki/ and dist/ ignored, no file with a key', async () => {
  const r = await hacp(['init', 'Prod EU1']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^wrote a cluster repo for 'prod-eu1' in Prod EU1\/: /);
  expect(r.out).toMatch(/npm install && npm run synth && npm test/);
  const repo = path.join(tmp, 'Prod EU1');
  expect(
    (fs.readdirSync(repo, { recursive: true }) as string[])
      .filter((f) => !fs.statSync(path.join(repo, f)).isDirectory())
      .sort(),
  ).toEqual(SCAFFOLD);
  for (const f of SCAFFOLD) expect((fs.statSync(path.join(repo, f)).mode & 0o777).toString(8)).toBe('644');
  expect(fs.readFileSync(path.join(repo, '.gitignore'), 'utf8').split('\n')).toEqual(
    expect.arrayContaining(['pki/', 'dist/']),
  );
  expect(filesHoldingKeys(repo)).toEqual([]);
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  expect(pkg.name).toBe('prod-eu1');
  expect(Object.keys(pkg.dependencies).sort()).toEqual([
    'cdk8s',
    'cdk8s-ha-control-plane',
    'cdk8s-plus-25',
    'constructs',
  ]);
  // The scaffold's spec is a valid spec as written, with the name given.
  const { spec } = loadClusterSpec({ file: path.join(repo, 'cluster.yaml') });
  expect(spec.name).toBe('prod-eu1');
  expect(spec.masters.map((m) => m.name)).toEqual(['cp1', 'cp2', 'cp3']);
});

test('fills an empty directory, or one holding only .git; --name and --library are written as given', async () => {
  fs.mkdirSync(path.join(tmp, 'repo/.git'), { recursive: true });
  process.chdir(path.join(tmp, 'repo'));
  const r = await hacp(['init', '--name', 'lab', '--library', 'file:../pkg.tgz']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(fs.readFileSync('cluster.yaml', 'utf8')).toMatch(/^name: lab$/m);
  expect(JSON.parse(fs.readFileSync('package.json', 'utf8')).dependencies['cdk8s-ha-control-plane']).toBe(
    'file:../pkg.tgz',
  );
});

test.each([
  [
    'a --name that is not a DNS label',
    ['init', 'x', '--name', 'Bad_Name'],
    /^error: --name: 'Bad_Name' is not a DNS label/,
  ],
  ['a file in the way', ['init', 'taken'], /^error: taken is not a directory/],
  [
    'a directory that is not empty',
    ['init', 'full'],
    /^error: full is not empty \(main\.ts\): hacp init writes into a new or empty directory and never overwrites a file/,
  ],
])('refuses %s: one message, exit 1, nothing written', async (_what, args, message) => {
  fs.writeFileSync(path.join(tmp, 'taken'), 'mine\n');
  fs.mkdirSync(path.join(tmp, 'full'));
  fs.writeFileSync(path.join(tmp, 'full/main.ts'), '// mine\n');
  const r = await hacp(args);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.out).toBe('');
  expect(fs.readdirSync(tmp).sort()).toEqual(['full', 'taken']);
  expect(fs.readdirSync(path.join(tmp, 'full'))).toEqual(['main.ts']);
  expect(fs.readFileSync(path.join(tmp, 'full/main.ts'), 'utf8')).toBe('// mine\n');
  expect(fs.readFileSync(path.join(tmp, 'taken'), 'utf8')).toBe('mine\n');
});

test('labelFrom: a DNS label from a directory name', () => {
  expect(labelFrom('My Cluster')).toBe('my-cluster');
  expect(labelFrom('--__--')).toBe('my-cluster');
  expect(labelFrom('a'.repeat(70))).toHaveLength(63);
});
