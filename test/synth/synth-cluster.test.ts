/**
 * `synthCluster()`, the synth of a cluster repo: the same trees as the package's writers (and so as `npm run synth`),
 * the repo's charts beside them, the PKI state outside the output, key files 0600, and every error before any key is
 * generated or any file written. `synthClusterFiles()` (testing) is its in-memory twin with the test PKI.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { KubeConfigMap, KubeSecret } from '../../imports/k8s';
import { STATIC_EXAMPLE_CLUSTER, SpecValidationError, resolveSpec } from '../../lib/spec';
import { SynthClusterError, synthBootkube, synthCluster, synthClusterMain, synthStaticPods } from '../../lib/synth';
import { SynthClusterProps } from '../../lib/synth/synth-cluster';
import { synthClusterFiles } from '../../lib/testing';
import { verifyTree } from '../../lib/verify';
import { ClusterPki } from '../../lib/pki';
import { fixturePki, seedPkiState } from '../support/fixture-pki';
import { filesHoldingKeys } from '../support/key-safety';

jest.setTimeout(120_000);

const nodeCrypto: typeof import('crypto') = require('crypto');
const spec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
const KEY = Buffer.alloc(32, 3).toString('base64');
let tmp: string;

/** A chart of the repo's own: a ConfigMap and a Secret in the `default` namespace. */
const charts: SynthClusterProps['charts'] = (app, cluster) => {
  const chart = new Chart(app, 'my-apps');
  new KubeConfigMap(chart, 'settings', {
    metadata: { name: 'settings', namespace: 'default' },
    data: { cluster: cluster.name },
  });
  new KubeSecret(chart, 'token', {
    metadata: { name: 'token', namespace: 'default' },
    stringData: { token: 'not-a-real-token' },
  });
};

/** `mode rel sha` of every file under `dir` (a subfolder, optionally), sorted. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .sort()
    .filter((rel) => fs.statSync(path.join(dir, rel)).isFile())
    .map(
      (rel) =>
        `${(fs.statSync(path.join(dir, rel)).mode & 0o777).toString(8)} ${rel} ${crypto
          .createHash('sha256')
          .update(fs.readFileSync(path.join(dir, rel)))
          .digest('hex')
          .slice(0, 12)}`,
    );
}

/** A fresh working directory with the cluster's PKI state seeded (no key generation) under `pki/`. */
async function seeded(): Promise<{ dir: string; stateRoot: string; outdir: string }> {
  const dir = fs.mkdtempSync(path.join(tmp, 'repo-'));
  const stateRoot = path.join(dir, 'pki');
  seedPkiState(path.join(stateRoot, spec.name), await fixturePki(spec));
  fs.writeFileSync(path.join(stateRoot, spec.name, 'encryption-key'), `${KEY}\n`, { mode: 0o600 });
  return { dir, stateRoot, outdir: path.join(dir, 'dist') };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-synth-cluster-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

test("the same trees as the writers, the repo's chart in both apply folders, keys 0600, and hacp verify finds no error", async () => {
  const { dir, stateRoot, outdir } = await seeded();
  const result = await synthCluster({ cluster: STATIC_EXAMPLE_CLUSTER, outdir, stateRoot, charts, log: () => {} });
  expect(result.stateDir).toBe(path.join(stateRoot, spec.name));
  expect(result.files).toEqual(
    expect.arrayContaining([
      'static-pods/master0/kube-apiserver.yaml',
      'static-pods/cluster/my-apps.yaml',
      'bootkube/manifests/my-apps.yaml',
      'bootkube/tls/ca.key',
    ]),
  );

  // The package's writers with the same PKI and key give the same static-pods/ and bootkube/, byte for byte.
  const reference = path.join(dir, 'reference');
  const pki = await ClusterPki.ensure(spec, { dir: path.join(stateRoot, spec.name), log: () => {} });
  synthStaticPods({ spec, pki, outdir: reference, encryptionKey: KEY });
  synthBootkube(spec, pki, reference, { encryptionKey: KEY });
  const mine = tree(outdir).filter((l) => !/ (static-pods\/cluster|bootkube\/manifests)\/my-apps\.yaml /.test(l));
  expect(mine).toEqual(tree(reference));

  // The chart: the same file in both trees, 0600 since it holds a Secret.
  const chart = fs.readFileSync(path.join(outdir, 'static-pods/cluster/my-apps.yaml'), 'utf8');
  expect(chart).toMatch(/kind: ConfigMap[\s\S]*cluster: kubernetes[\s\S]*kind: Secret/);
  expect(fs.readFileSync(path.join(outdir, 'bootkube/manifests/my-apps.yaml'), 'utf8')).toBe(chart);
  expect(fs.statSync(path.join(outdir, 'static-pods/cluster/my-apps.yaml')).mode & 0o777).toBe(0o600);

  // Key safety over the whole repo (state and output): every file holding a key or the encryption key is 0600.
  const found = filesHoldingKeys(dir, [KEY]);
  expect(found.filter((f) => !f.endsWith(' 600'))).toEqual([]);
  expect(found).toEqual(
    expect.arrayContaining([
      'pki/kubernetes/ca.key 600',
      'pki/kubernetes/encryption-key 600',
      'dist/static-pods/master0/admin.conf 600',
      'dist/bootkube/manifests/kube-apiserver-secret.yaml 600',
    ]),
  );

  const report = verifyTree(outdir, { spec: () => spec, checks: ['schema', 'flags', 'security', 'consistency'] });
  expect(report.findings.filter((f) => f.severity === 'error').map((f) => `${f.file}: ${f.message}`)).toEqual([]);
});

test('only the tree asked for; per-master options and static pods of your own (extend)', async () => {
  const { stateRoot, outdir } = await seeded();
  await synthCluster({
    cluster: spec,
    outdir,
    stateRoot,
    log: () => {},
    bootkube: false,
    staticPods: {
      controlPlane: { apiServer: { extraArgs: { 'audit-log-maxage': '90' } } },
      extend: (chart, cp) =>
        new KubeConfigMap(chart, 'marker', {
          metadata: { name: 'marker', namespace: 'kube-system' },
          data: { master: cp.master.name },
        }),
    },
  });
  expect(fs.readdirSync(outdir)).toEqual(['static-pods']);
  expect(fs.readFileSync(path.join(outdir, 'static-pods/master1/kube-apiserver.yaml'), 'utf8')).toContain(
    '--audit-log-maxage=90',
  );
  expect(fs.readFileSync(path.join(outdir, 'static-pods/master1/marker.yaml'), 'utf8')).toContain('master: master1');
});

describe('errors come before any key is generated and any file is written', () => {
  /** Runs synthCluster on a cold state (no PKI yet) with key generation forbidden; returns the error. */
  async function coldError(props: SynthClusterProps): Promise<Error> {
    const spy = jest.spyOn(nodeCrypto, 'generateKeyPair').mockImplementation((() => {
      throw new Error('a key was generated');
    }) as any);
    const dir = fs.mkdtempSync(path.join(tmp, 'cold-'));
    const error = await synthCluster({
      cluster: spec,
      outdir: path.join(dir, 'dist'),
      stateRoot: path.join(dir, 'pki'),
      log: () => {},
      ...props,
    }).then(
      () => undefined,
      (e) => e,
    );
    expect(spy).not.toHaveBeenCalled();
    expect(fs.readdirSync(dir)).toEqual([]); // no output, no state directory
    expect(error).toBeInstanceOf(Error);
    return error;
  }

  test('a flag the component does not know, with the construct path', async () => {
    const e = await coldError({ staticPods: { controlPlane: { apiServer: { extraArgs: { 'no-such-flag': 'x' } } } } });
    expect(e).toBeInstanceOf(SynthClusterError);
    expect(e.message).toMatch(/\[master0\/control-plane\/.*\] .*no-such-flag is not a flag of kube-apiserver/);
  });

  test('etcd settings given as flags', async () => {
    const e = await coldError({
      staticPods: { controlPlane: { etcd: { extraArgs: { 'quota-backend-bytes': '1' } } as any } },
    });
    expect(e).toBeInstanceOf(SynthClusterError);
    expect(e.message).toMatch(
      /^\[master0\/control-plane\/etcd\] extraArgs: etcd is configured through ETCD_\* variables/,
    );
  });

  test('your charts: a construct error, an id that is no file name, a file of the trees', async () => {
    const chartWith =
      (id: string): SynthClusterProps['charts'] =>
      (app) => {
        new KubeConfigMap(new Chart(app, id), 'cm', { metadata: { name: 'x', namespace: 'default' } });
      };
    expect((await coldError({ charts: chartWith('Bad Name') })).message).toMatch(
      /chart id 'Bad Name' .* is not a file name/,
    );
    expect((await coldError({ charts: chartWith('rbac') })).message).toMatch(
      /'rbac.yaml' is a file of static-pods\/cluster\//,
    );
    expect((await coldError({ charts: chartWith('coredns') })).message).toMatch(
      /'coredns.yaml' is a file of bootkube\/manifests\//,
    );
    const failing = await coldError({
      charts: (app) => new Chart(app, 'mine').node.addValidation({ validate: () => ['my check failed'] }),
    });
    expect(failing.message).toMatch(/^charts: .*\n.*\[mine\] my check failed/);
  });

  test('a spec error names the field; a missing spec file is named; no silent example', async () => {
    expect(await coldError({ cluster: { masters: [] } })).toBeInstanceOf(SpecValidationError);
    const missing = await coldError({ cluster: path.join(tmp, 'nope.yaml') });
    expect(missing.message).toMatch(/nope\.yaml/);
    const cwd = process.cwd();
    const saved = process.env.HACP_CLUSTER;
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    try {
      delete process.env.HACP_CLUSTER;
      process.chdir(empty);
      const none = await coldError({ cluster: undefined });
      expect(none.message).toMatch(/no cluster spec[\s\S]*cluster\.yaml/);
    } finally {
      process.chdir(cwd);
      if (saved !== undefined) process.env.HACP_CLUSTER = saved;
    }
  });

  test('props: the state inside the output directory; no tree at all', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'props-'));
    await expect(
      synthCluster({ cluster: spec, outdir: path.join(dir, 'dist'), stateRoot: path.join(dir, 'dist', 'pki') }),
    ).rejects.toThrow(/stateRoot: .*dist\/pki is inside the output directory .*dist, which `cdk8s synth` deletes/);
    await expect(
      synthCluster({ cluster: spec, outdir: path.join(dir, 'dist'), staticPods: false, bootkube: false }),
    ).rejects.toThrow(/nothing to synthesize/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

test('synthClusterMain: one line, exit code 1, the status file for hacp synth', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'main-'));
  const status = path.join(dir, 'status');
  const err: string[] = [];
  jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => (err.push(String(s)), true));
  process.env.HACP_SYNTH_STATUS = status;
  try {
    expect(
      await synthClusterMain({
        cluster: spec,
        outdir: path.join(dir, 'dist'),
        stateRoot: path.join(dir, 'dist', 'pki'),
      }),
    ).toBe(1);
  } finally {
    delete process.env.HACP_SYNTH_STATUS;
    process.exitCode = undefined;
  }
  expect(err.join('')).toMatch(/^error: stateRoot: .* is inside the output directory/);
  expect(err.join('')).not.toMatch(/\n\s+at /);
  expect(fs.readFileSync(status, 'utf8')).toBe('1\n');
});

describe('synthClusterFiles (testing)', () => {
  test('the files synthCluster writes, with the test PKI: same paths and modes, the same on every run, fast', () => {
    const started = Date.now();
    const files = synthClusterFiles({ cluster: STATIC_EXAMPLE_CLUSTER, charts });
    const elapsed = Date.now() - started;
    expect(files['static-pods/master0/pki/ca.key'].mode).toBe('0600');
    expect(files['static-pods/cluster/rbac.yaml'].mode).toBe('0644');
    expect(files['bootkube/manifests/kube-apiserver-secret.yaml'].content).toMatch(
      /OU=hacp-insecure-test-pki|apiserver\.crt/,
    );
    expect(files['bootkube/manifests/my-apps.yaml'].mode).toBe('0600');
    expect(synthClusterFiles({ cluster: STATIC_EXAMPLE_CLUSTER, charts })).toEqual(files);
    // Not a timing assertion on a loaded machine: a generous bound that key generation (seconds) would still break.
    expect(elapsed).toBeLessThan(20_000);
  });

  test('the same paths and modes as synthCluster writes', async () => {
    const { stateRoot, outdir } = await seeded();
    await synthCluster({ cluster: spec, outdir, stateRoot, charts, log: () => {} });
    const onDisk = tree(outdir).map((l) => l.split(' ').slice(0, 2).join(' '));
    const inMemory = Object.entries(synthClusterFiles({ cluster: spec, charts })).map(
      ([rel, f]) => `${f.mode.replace(/^0/, '')} ${rel}`,
    );
    expect(inMemory).toEqual(onDisk);
  });
});
