/**
 * A cluster repo's whole journey, from the packed tarball in a fresh directory, as a new user walks it:
 *
 *   hacp init my-cluster          the scaffold (package.json with the peers, cdk8s.yaml with the validation plugin,
 *                                 cluster.yaml, main.ts through synthCluster(), a snapshot test, .gitignore)
 *   npm ci                        offline: the tarball extracted, its dependencies and the repo's linked (support)
 *   npm run synth                 tsc, then `cdk8s synth`: the per-host trees, checked by the plugin; keys 0600
 *   hacp verify dist              0 errors on schema/flags/security/consistency (and, see below, cluster)
 *   npm test, twice               snapshots written, then matched byte for byte; the self-hosted test costs < 3 s CPU
 *   hacp kubelet-unit             against the repo's own cluster.yaml (found by default: the spec is written once)
 *   hacp kubelet-unit elsewhere   no spec: the error names where it looked; no built-in example is used
 *
 * Each step runs the real commands in child processes, so this file takes a few minutes (key generation of the first
 * synth, two TypeScript compilations); the steps share one scaffold and one tarball. Timings are printed.
 * Expects a fresh `build/` (`npm test` and `npm run pack:check` build first).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { filesHoldingKeys } from '../support/key-safety';
import { appEnv, installPacked, packedPackage, run } from '../support/packed-package';

jest.setTimeout(900_000);

/**
 * A jest setup file (`--setupFilesAfterEnv`) that records the CPU time (user + system, ms) each test of the file took
 * in the jest process running it, into the JSON file REPORT (merged across test files).
 */
const CPU_TIMER = `const fs = require('fs');
let started;
beforeEach(() => { started = process.cpuUsage(); });
afterEach(() => {
  const used = process.cpuUsage(started);
  const file = REPORT;
  const all = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  all[expect.getState().currentTestName] = Math.round((used.user + used.system) / 1000);
  fs.writeFileSync(file, JSON.stringify(all));
});
`;

const HACP = ['node_modules', '.bin', 'hacp'];
let tmp: string;
let repo: string;
let env: NodeJS.ProcessEnv;
const timings: string[] = [];

/** Runs a step, recording how long it took. */
function step<T>(name: string, body: () => T): T {
  const started = Date.now();
  try {
    return body();
  } finally {
    timings.push(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** `hacp <args>` in `cwd` through the repo's node_modules/.bin, as `npx hacp` runs it; the exit code and output. */
function hacp(args: string[], cwd = repo): { code: number; out: string; err: string } {
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const r = spawnSync(path.join(repo, ...HACP), args, { cwd, env, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-journey-'));
  const packed = step('npm pack (shared)', () => packedPackage());
  repo = path.join(tmp, 'my-cluster');
  env = appEnv();
  // hacp init from the tarball, as `npx -p <tarball> hacp init my-cluster` runs it (the package installed in a
  // scratch directory); the library dependency points at the tarball, as a user's would.
  const tools = path.join(tmp, 'tools');
  fs.mkdirSync(tools);
  fs.writeFileSync(path.join(tools, 'package.json'), '{ "private": true }\n');
  installPacked(tools, packed, { bins: [] });
  step('hacp init', () =>
    run(path.join(tools, ...HACP), ['init', 'my-cluster', '--library', `file:${packed.tarball}`], tmp, env),
  );
  step('npm ci (offline: extract and link)', () => installPacked(repo, packed));
});

afterAll(() => {
  process.stdout.write(`journey timings:\n  ${timings.join('\n  ')}\n`);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('hacp init: the cdk8s layout, the tarball as dependency with the peers, pki/ and dist/ ignored; a non-empty directory is refused', () => {
  expect(
    fs
      .readdirSync(repo)
      .filter((f) => f !== 'node_modules')
      .sort(),
  ).toEqual([
    '.gitignore',
    'README.md',
    'cdk8s.yaml',
    'cluster.yaml',
    'jest.config.js',
    'main.ts',
    'package.json',
    'test',
    'tsconfig.json',
  ]);
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  expect(Object.keys(pkg.dependencies).sort()).toEqual([
    'cdk8s',
    'cdk8s-ha-control-plane',
    'cdk8s-plus-25',
    'constructs',
  ]);
  expect(pkg.dependencies['cdk8s-ha-control-plane']).toMatch(/^file:.*\.tgz$/);
  const ignored = fs.readFileSync(path.join(repo, '.gitignore'), 'utf8').split('\n');
  expect(ignored).toEqual(expect.arrayContaining(['pki/', 'dist/', 'node_modules/']));
  expect(fs.readFileSync(path.join(repo, 'cdk8s.yaml'), 'utf8')).toMatch(/class: HacpVerifyValidation/);

  const before = fs.readFileSync(path.join(repo, 'main.ts'), 'utf8');
  const again = hacp(['init', '.']);
  expect(again.code).toBe(1);
  expect(again.err).toMatch(
    /^error: \. is not empty \(.*cdk8s\.yaml.*\): hacp init writes into a new or empty directory and never overwrites a file/,
  );
  expect(again.err).not.toMatch(/\n\s+at /);
  expect(fs.readFileSync(path.join(repo, 'main.ts'), 'utf8')).toBe(before);
});

describe('the scaffolded repo', () => {
  let synthOutput: string;

  beforeAll(() => {
    synthOutput = step('npm run synth (first: key generation)', () => run('npm', ['run', 'synth'], repo, env));
  });

  test("npm run synth: the per-host trees of both control planes with the repo's chart; the plugin passed; keys 0600 in pki/ and dist/", () => {
    expect(synthOutput).toMatch(/Validations ended succesfully/);
    const dist = path.join(repo, 'dist');
    for (const f of [
      'static-pods/cp1/kube-apiserver.yaml',
      'static-pods/cp1/pki/ca.key',
      'static-pods/cp2/admin.conf',
      'static-pods/cluster/rbac.yaml',
      'static-pods/cluster/apps.yaml',
      'bootkube/manifests/apps.yaml',
      'bootkube/manifests/kube-apiserver-secret.yaml',
      'bootkube/auth/kubeconfig',
    ]) {
      expect(fs.existsSync(path.join(dist, f))).toBe(true);
    }
    expect(fs.readFileSync(path.join(dist, 'static-pods/cp2/kube-apiserver.yaml'), 'utf8')).toMatch(
      /--advertise-address=10\.0\.0\.12[\s\S]*--audit-log-maxage=30/,
    );
    const key = fs.readFileSync(path.join(repo, 'pki/my-cluster/encryption-key'), 'utf8').trim();
    const found = filesHoldingKeys(repo, [key]).filter((f) => !f.startsWith('node_modules/'));
    expect(found.filter((f) => !f.endsWith(' 600'))).toEqual([]);
    expect(found).toEqual(
      expect.arrayContaining([
        'pki/my-cluster/ca.key 600',
        'pki/my-cluster/encryption-key 600',
        'dist/static-pods/cp1/pki/ca.key 600',
        'dist/static-pods/cp1/apiserver/encryption-config.yaml 600',
        'dist/bootkube/manifests/kube-apiserver-secret.yaml 600',
        'dist/bootkube/tls/ca.key 600',
      ]),
    );
  });

  test('hacp verify dist: no error on schema, flags, security and consistency, and none from the cluster check (the trees form a cluster that comes up)', () => {
    const checked = step('hacp verify (four classes)', () =>
      hacp(['verify', 'dist', '--checks', 'schema,flags,security,consistency']),
    );
    expect(checked.out).toMatch(/^dist: \d+ files, \d+ objects: 0 errors, \d+ warnings$/m);
    expect(checked.code).toBe(0);

    const cluster = step('hacp verify --checks cluster', () => hacp(['verify', 'dist', '--checks', 'cluster']));
    const errors = cluster.out.split('\n').filter((l) => /^\s+error\s/.test(l));
    process.stdout.write(
      `hacp verify dist --checks cluster (the consumer's trees): ${errors.length} error(s)\n${errors.join('\n')}\n`,
    );
    expect(cluster.out).toMatch(/^dist: \d+ files/m);
    expect(errors).toEqual([]);
    expect(cluster.code).toBe(0);
  });

  test('npm test twice: the snapshots are written, then matched byte for byte; the self-hosted test costs under 3 s of CPU', () => {
    const report = path.join(tmp, 'jest.json');
    const cpuReport = path.join(tmp, 'cpu.json');
    // The cost of each test is measured as CPU time (user + system) of the jest process that runs it: wall time at
    // load 10 on 2 shared cores would be several times the cost and make a fixed bound flaky. Jest's own (wall)
    // duration is printed beside it.
    const timer = path.join(tmp, 'cpu-timer.js');
    fs.writeFileSync(timer, CPU_TIMER.replace('REPORT', JSON.stringify(cpuReport)));
    const first = step('npm test (first: writes snapshots)', () =>
      run('npm', ['test', '--', '--ci=false', '--json', `--outputFile=${report}`], repo, env),
    );
    expect(first).toMatch(/2 snapshots written/);
    const snap = path.join(repo, 'test/__snapshots__/main.test.ts.snap');
    const written = fs.readFileSync(snap, 'utf8');
    // The PEMs are masked, and under them the test PKI is fixed: no timestamp, no random key in the snapshot.
    expect(written).toMatch(/<CERTIFICATE>/);
    expect(written).not.toMatch(/-----BEGIN/);

    const second = step('npm test (second: --ci)', () =>
      run(
        'npm',
        ['test', '--', '--ci', '--json', `--outputFile=${report}`, `--setupFilesAfterEnv=${timer}`],
        repo,
        env,
      ),
    );
    expect(second).not.toMatch(/snapshots? (written|updated|obsolete)/);
    expect(fs.readFileSync(snap, 'utf8')).toBe(written);
    const results = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(results.numFailedTests).toBe(0);
    expect(results.snapshot).toMatchObject({ matched: 2, added: 0, updated: 0, unmatched: 0 });
    const tests = results.testResults.flatMap((r: any) => r.assertionResults);
    const selfHosted = tests.find((t: any) => /^self-hosted control plane/.test(t.title));
    expect(selfHosted.status).toBe('passed');
    const cpu: Record<string, number> = JSON.parse(fs.readFileSync(cpuReport, 'utf8'));
    const selfHostedCpu = Object.entries(cpu).find(([name]) => /^self-hosted control plane/.test(name))?.[1];
    timings.push(
      `self-hosted snapshot test: ${selfHostedCpu} ms CPU, ${selfHosted.duration} ms wall (jest's duration)`,
    );
    expect(selfHostedCpu).toBeGreaterThan(0);
    expect(selfHostedCpu).toBeLessThan(3000);
  });

  test("hacp kubelet-unit against the repo's own cluster.yaml (no flag: the spec is written once); without a spec, an error", () => {
    const unit = hacp(['kubelet-unit', '--node', 'cp2']);
    expect(unit.err).toBe('');
    expect(unit.code).toBe(0);
    const host = path.join(repo, 'host/cp2');
    expect(fs.readFileSync(path.join(host, 'kubelet.service'), 'utf8')).toMatch(/--node-ip=10\.0\.0\.12/);
    // Its identity comes from the state the synth made: the same CA.
    expect(fs.readFileSync(path.join(host, 'etc/kubernetes/pki/ca.crt'), 'utf8')).toBe(
      fs.readFileSync(path.join(repo, 'pki/my-cluster/ca.crt'), 'utf8'),
    );
    expect(filesHoldingKeys(host).filter((f) => !f.endsWith(' 600'))).toEqual([]);

    const elsewhere = fs.mkdtempSync(path.join(tmp, 'no-spec-'));
    const missing = hacp(['kubelet-unit', '--node', 'master0'], elsewhere);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(
      /^error: no cluster spec; looked at:\n {2}- --cluster: not given\n {2}- \$HACP_CLUSTER: not set\n {2}- \.\/cluster\.yaml: .* does not exist\n.*hacp init/,
    );
    expect(missing.err).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });
});
