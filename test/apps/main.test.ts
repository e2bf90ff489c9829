/**
 * `synthAll()` and its synth cache: a warm synth with unchanged inputs writes exactly what a full synth writes
 * (contents, file and directory modes), and every input the key covers forces a full synth when it changes.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SYNTH_CACHE_FILE, SYNTH_CACHE_MAX_STATE_FILES, SynthCache, synthCacheEnabled } from '../../apps/_synth-cache';
import { synthAll } from '../../apps/main';
import {
  BOOTKUBE_EXAMPLE_CLUSTER,
  CLUSTER_FILE_ENV,
  DEFAULT_CLUSTER_FILE,
  STATIC_EXAMPLE_CLUSTER,
  resolveSpec,
} from '../../lib/spec';
import { fixturePki, seedPkiState } from '../support/fixture-pki';
import { filesHoldingKeys } from '../support/key-safety';

jest.setTimeout(120_000);

const REUSED = /^reused the previous synth output/;
let tmp: string;
let stateRoot: string;

/** Every directory and file under `dir`: `mode path` and, for files, a digest of the content. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map((rel) => {
    const abs = path.join(dir, rel);
    const st = fs.statSync(abs);
    const mode = (st.mode & 0o777).toString(8);
    return st.isDirectory()
      ? `${mode} ${rel}/`
      : `${mode} ${rel} ${crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex').slice(0, 16)}`;
  });
}

/** Runs synthAll into `<tmp>/<out>` (removed first, as `cdk8s synth` does); returns its log lines. */
async function synth(out = 'dist', extra: Parameters<typeof synthAll>[0] = {}): Promise<string[]> {
  const lines: string[] = [];
  fs.rmSync(path.join(tmp, out), { recursive: true, force: true });
  await synthAll({ cwd: tmp, outdir: path.join(tmp, out), stateRoot, log: (l) => lines.push(l), ...extra });
  return lines;
}

beforeAll(async () => {
  // A complete PKI state for both built-in clusters, so that no test waits for key generation.
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-synth-cache-'));
  for (const example of [STATIC_EXAMPLE_CLUSTER, BOOTKUBE_EXAMPLE_CLUSTER]) {
    const spec = resolveSpec(example);
    seedPkiState(path.join(base, 'pki', spec.name), await fixturePki(spec));
  }
  tmp = base;
  stateRoot = path.join(base, 'pki');
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the second synth is served from the cache and writes the same tree, byte for byte and mode for mode', async () => {
  const first = await synth();
  expect(first.some((l) => REUSED.test(l))).toBe(false);
  const cacheFile = path.join(stateRoot, SYNTH_CACHE_FILE);
  expect(fs.statSync(cacheFile).mode & 0o777).toBe(0o600); // it holds private keys, like the state directory
  const rendered = tree(path.join(tmp, 'dist'));

  const second = await synth();
  expect(second.filter((l) => REUSED.test(l))).toHaveLength(1);
  const restored = tree(path.join(tmp, 'dist'));
  expect(restored).toEqual(rendered);

  // The reference: a full synth with the cache off, into another directory.
  await synth('dist-nocache', { cache: false });
  expect(tree(path.join(tmp, 'dist-nocache'))).toEqual(restored);
  expect(restored.length).toBeGreaterThan(100);
  expect(restored).toContain(restored.find((l) => / static-pods\/master0\/kube-apiserver\.yaml /.test(l)));
  expect(restored.find((l) => / static-pods\/master0\/pki\/ca\.key /.test(l))).toMatch(/^600 /);
});

test('key safety: every file holding a private key (plain, or base64 as in kubeconfigs and Secrets) or an encryption key is 0600', async () => {
  await synth(); // the output and the synth cache
  const keys = [STATIC_EXAMPLE_CLUSTER, BOOTKUBE_EXAMPLE_CLUSTER].map((c) =>
    fs.readFileSync(path.join(stateRoot, resolveSpec(c).name, 'encryption-key'), 'utf8').trim(),
  );
  const found = filesHoldingKeys(tmp, keys);
  expect(found.filter((f) => !f.endsWith(' 600'))).toEqual([]);
  // What the walk must have met: state keys, host keys and kubeconfigs, Secrets, bootkube's tls/ and auth/, the cache.
  for (const want of [
    /^pki\/kubernetes\/ca\.key$/,
    /^pki\/kubernetes\/encryption-key$/,
    /^pki\/\.synth-cache\.json$/,
    /^dist\/static-pods\/master0\/pki\/sa\.key$/,
    /^dist\/static-pods\/master0\/admin\.conf$/,
    /^dist\/static-pods\/master0\/apiserver\/encryption-config\.yaml$/,
    /^dist\/bootkube\/manifests\/kube-apiserver-secret\.yaml$/,
    /^dist\/bootkube\/tls\/ca\.key$/,
    /^dist\/bootkube\/auth\/kubeconfig$/,
  ]) {
    expect(found).toContainEqual(expect.stringMatching(new RegExp(want.source.replace(/\$$/, ' 600$'))));
  }
});

test('a changed cluster spec renders afresh', async () => {
  await synth();
  const file = path.join(tmp, DEFAULT_CLUSTER_FILE);
  const yaml = `# the static example, as a file\n${JSON.stringify(STATIC_EXAMPLE_CLUSTER, null, 2)}\n`;
  try {
    fs.writeFileSync(file, yaml);
    expect((await synth()).some((l) => REUSED.test(l))).toBe(false);
    expect((await synth()).some((l) => REUSED.test(l))).toBe(true);
    fs.writeFileSync(file, `${yaml}# an edit\n`);
    expect((await synth()).some((l) => REUSED.test(l))).toBe(false);
  } finally {
    fs.rmSync(file, { force: true });
  }
  expect((await synth()).some((l) => REUSED.test(l))).toBe(false); // the file is gone: the built-in examples again
});

test('a changed PKI state renders afresh, and the output shows the change', async () => {
  await synth();
  const keyFile = path.join(stateRoot, resolveSpec(STATIC_EXAMPLE_CLUSTER).name, 'encryption-key');
  const key = crypto.randomBytes(32).toString('base64');
  fs.writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  expect((await synth()).some((l) => REUSED.test(l))).toBe(false);
  expect(
    fs.readFileSync(path.join(tmp, 'dist', 'static-pods', 'master0', 'apiserver', 'encryption-config.yaml'), 'utf8'),
  ).toContain(key);
});

test('an output directory that is not empty is neither restored into nor cached from', async () => {
  await synth();
  const dist = path.join(tmp, 'dist');
  fs.rmSync(dist, { recursive: true, force: true });
  fs.mkdirSync(dist);
  fs.writeFileSync(path.join(dist, 'user-file.txt'), 'mine\n');
  const cacheFile = path.join(stateRoot, SYNTH_CACHE_FILE);
  const before = fs.statSync(cacheFile, { bigint: true }).mtimeNs;
  const lines: string[] = [];
  await synthAll({ cwd: tmp, outdir: dist, stateRoot, log: (l) => lines.push(l) });
  expect(lines.some((l) => REUSED.test(l))).toBe(false);
  expect(fs.statSync(cacheFile, { bigint: true }).mtimeNs).toBe(before);
  expect(fs.readFileSync(path.join(dist, 'user-file.txt'), 'utf8')).toBe('mine\n');
});

test('cache off: HACP_SYNTH_CACHE=off, or { cache: false }, renders and writes no entry', async () => {
  expect(synthCacheEnabled({})).toBe(true);
  expect(synthCacheEnabled({ HACP_SYNTH_CACHE: 'on' })).toBe(true);
  for (const off of ['off', 'OFF', '0', 'false', 'no'])
    expect(synthCacheEnabled({ HACP_SYNTH_CACHE: off })).toBe(false);
  const cacheFile = path.join(stateRoot, SYNTH_CACHE_FILE);
  fs.rmSync(cacheFile, { force: true });
  expect((await synth('dist', { cache: false })).some((l) => REUSED.test(l))).toBe(false);
  expect(fs.existsSync(cacheFile)).toBe(false);
});

test('a corrupt entry is ignored and replaced', async () => {
  const cacheFile = path.join(stateRoot, SYNTH_CACHE_FILE);
  fs.writeFileSync(cacheFile, '{ not json', { mode: 0o600 });
  expect((await synth()).some((l) => REUSED.test(l))).toBe(false);
  expect(() => JSON.parse(fs.readFileSync(cacheFile, 'utf8'))).not.toThrow();
  expect((await synth()).some((l) => REUSED.test(l))).toBe(true);
});

describe('SynthCache', () => {
  let root: string;
  let scope: { cwd: string; outdir: string; stateRoot: string };
  const now = new Date('2026-06-01T00:00:00Z');
  const day = 86_400_000;

  /** A scope with one state file and an output of one private file in a private directory. */
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-synth-cache-unit-'));
    scope = { cwd: root, outdir: path.join(root, 'out'), stateRoot: path.join(root, 'state') };
    fs.mkdirSync(path.join(scope.stateRoot, 'c'), { recursive: true });
    fs.writeFileSync(path.join(scope.stateRoot, 'c', 'ca.crt'), 'one');
    fs.mkdirSync(path.join(scope.outdir, 'a'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(scope.outdir, 'a', 'secret.key'), 'k', { mode: 0o600 });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  function stored(stableUntil = new Date(now.getTime() + 30 * day), env: NodeJS.ProcessEnv = {}): SynthCache {
    const cache = new SynthCache(scope, env);
    cache.inputsRead();
    cache.store(now, stableUntil, ['warning: even number of masters']);
    fs.rmSync(scope.outdir, { recursive: true, force: true });
    return cache;
  }

  test('restores the tree with its modes and replays the warnings', () => {
    const lines: string[] = [];
    expect(stored().restore(now, (l) => lines.push(l))).toBe(true);
    expect(fs.statSync(path.join(scope.outdir, 'a')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(scope.outdir, 'a', 'secret.key')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(scope.outdir, 'a', 'secret.key'), 'utf8')).toBe('k');
    expect(lines[0]).toBe('warning: even number of masters');
    expect(lines[1]).toMatch(REUSED);
  });

  test('serves only in [creation, first renewal window): renewals and warnings are never skipped', () => {
    const cache = stored(new Date(now.getTime() + 30 * day));
    expect(cache.restore(new Date(now.getTime() + 30 * day), () => {})).toBe(false);
    expect(cache.restore(new Date(now.getTime() - 1000), () => {})).toBe(false); // clock went back
    expect(cache.restore(new Date(now.getTime() + 29 * day), () => {})).toBe(true);
  });

  test('an entry naming a path outside the output directory is ignored', () => {
    stored();
    const file = path.join(scope.stateRoot, SYNTH_CACHE_FILE);
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    entry.files.push(['../escaped.txt', 0o644, 'x']);
    fs.writeFileSync(file, JSON.stringify(entry), { mode: 0o600 });
    expect(new SynthCache(scope, {}).restore(now, () => {})).toBe(false);
    expect(fs.existsSync(path.join(root, 'escaped.txt'))).toBe(false);
  });

  test('a state root holding far more than PKI states is not cached for (reading it all would cost more)', () => {
    const cache = stored();
    const bulk = path.join(scope.stateRoot, 'unrelated');
    fs.mkdirSync(bulk);
    for (let i = 0; i <= SYNTH_CACHE_MAX_STATE_FILES; i++) fs.writeFileSync(path.join(bulk, String(i)), '');
    expect(cache.key()).toBeUndefined();
    expect(cache.restore(now, () => {})).toBe(false);
    fs.rmSync(path.join(scope.stateRoot, SYNTH_CACHE_FILE));
    stored();
    expect(fs.existsSync(path.join(scope.stateRoot, SYNTH_CACHE_FILE))).toBe(false);
  });

  test('stores nothing when a certificate is already inside its window', () => {
    stored(now);
    expect(fs.existsSync(path.join(scope.stateRoot, SYNTH_CACHE_FILE))).toBe(false);
  });

  test('state changed after the inputs were read (a concurrent renewal) is not taken for what was rendered', () => {
    const cache = new SynthCache(scope, {});
    cache.inputsRead();
    fs.writeFileSync(path.join(scope.stateRoot, 'c', 'ca.crt'), 'two'); // e.g. `hacp pki renew` meanwhile
    cache.store(now, new Date(now.getTime() + day), []);
    fs.rmSync(scope.outdir, { recursive: true, force: true });
    expect(cache.restore(now, () => {})).toBe(false);
  });

  test('the key covers the state bytes, the spec file, HACP_*/CDK8S_* variables and the directories', () => {
    const key = (env: NodeJS.ProcessEnv = {}, s = scope) => new SynthCache(s, env).key();
    const k0 = key();
    expect(key()).toBe(k0);
    expect(key({ PATH: '/elsewhere' })).toBe(k0);
    expect(key({ HACP_CLUSTER: 'other.yaml' })).not.toBe(k0);
    expect(key({ CDK8S_RECORD_CONSTRUCT_METADATA: 'true' })).not.toBe(k0);
    expect(key({}, { ...scope, outdir: path.join(root, 'out2') })).not.toBe(k0);
    fs.writeFileSync(path.join(root, DEFAULT_CLUSTER_FILE), 'name: x\n');
    const withSpec = key();
    expect(withSpec).not.toBe(k0);
    fs.writeFileSync(path.join(scope.stateRoot, 'c', 'ca.crt'), 'changed');
    expect(key()).not.toBe(withSpec);
    fs.writeFileSync(path.join(scope.stateRoot, SYNTH_CACHE_FILE), 'the entry itself is not an input');
    const withEntry = key();
    fs.writeFileSync(path.join(scope.stateRoot, SYNTH_CACHE_FILE), 'still not');
    expect(key()).toBe(withEntry);
  });

  test("follows loadClusterSpec()'s spec file rule", () => {
    // _synth-cache.ts does not load lib/spec (heavy); it repeats the two names.
    expect(CLUSTER_FILE_ENV).toBe('HACP_CLUSTER');
    expect(DEFAULT_CLUSTER_FILE).toBe('cluster.yaml');
  });
});
