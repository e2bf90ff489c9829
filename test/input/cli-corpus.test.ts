/**
 * The bad-input corpus of `hacp` (issues #17 and #18 point 2): bad arguments, a missing spec, damaged states. Each
 * case asserts the exit code, that the message names the argument, field or file, that no stack frame is printed,
 * and that the PKI state and the output directory are unchanged. Runs `hacp` in-process (test/support/hacp.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { reportError } from '../../lib/cli/_common';
import { renderKubeletUnit } from '../../lib/host';
import { ClusterSpec, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { fixturePki, seedPkiState } from '../support/fixture-pki';
import { HacpRun, hacp } from '../support/hacp';
import { ROOT, STACK_FRAME, snapshot } from './_workspace';

jest.setTimeout(300_000);

let tmp: string;
let seeded: string;
const cwd = process.cwd();
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-cli-corpus-'));
  seeded = path.join(tmp, 'seeded');
  seedPkiState(seeded, await fixturePki(resolveSpec(STATIC_EXAMPLE_CLUSTER)));
});
afterAll(() => {
  process.chdir(cwd);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fresh working directory (chdir'd into) with a copy of the seeded state in `state/`. */
function workdir(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.cpSync(seeded, path.join(dir, 'state'), { recursive: true });
  process.chdir(dir);
  return dir;
}

function expectUserError(r: HacpRun, code: number, ...names: string[]): void {
  expect(r.code).toBe(code);
  expect(r.err).toMatch(/^error: /);
  for (const n of names) expect(r.err).toContain(n);
  expect(r.err).not.toMatch(STACK_FRAME);
}

interface CliCase {
  readonly name: string;
  /** Prepares the working directory; returns the hacp arguments. */
  readonly args: (dir: string) => string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly code: number;
  readonly names: string[];
}

const S: ClusterSpec = STATIC_EXAMPLE_CLUSTER;
const CASES: CliCase[] = [
  {
    name: 'kubelet-unit without a spec (no silent example)',
    args: () => ['kubelet-unit', '--node', 'master0', '--out', 'out', '--no-pki'],
    code: 1,
    names: [
      'no cluster spec',
      '--cluster: not given',
      '$HACP_CLUSTER: not set',
      './cluster.yaml',
      '--example static|bootkube',
    ],
  },
  {
    name: 'pki status without a spec',
    args: () => ['pki', 'status', '--dir', 'state'],
    code: 1,
    names: ['no cluster spec', './cluster.yaml'],
  },
  { name: 'lb plan without a spec', args: () => ['lb', 'plan'], code: 1, names: ['no cluster spec'] },
  {
    name: 'verify without a spec',
    args: (d) => {
      fs.mkdirSync(path.join(d, 'dist'));
      return ['verify', 'dist'];
    },
    code: 2,
    names: ['no cluster spec', '--example builtin'],
  },
  {
    name: 'an unknown --example',
    args: () => ['kubelet-unit', '--node', 'master0', '--example', 'prod'],
    code: 1,
    names: ['--example: "prod" is not one of static, bootkube'],
  },
  {
    name: '--cluster and --example together',
    args: (d) => {
      fs.writeFileSync(path.join(d, 'c.yaml'), stringify(S));
      return ['pki', 'status', '--cluster', 'c.yaml', '--example', 'static', '--dir', 'state'];
    },
    code: 1,
    names: ['--cluster and --example'],
  },
  {
    name: 'kubelet-unit --pki-dir that does not exist (no new CA)',
    args: () => ['kubelet-unit', '--node', 'master0', '--example', 'static', '--out', 'out', '--pki-dir', 'nope'],
    code: 1,
    names: ['--pki-dir', 'no PKI state in nope', '--init-pki'],
  },
  {
    name: 'kubelet-unit --pki-dir naming a file',
    args: (d) => {
      fs.writeFileSync(path.join(d, 'f'), 'x');
      return ['kubelet-unit', '--node', 'master0', '--example', 'static', '--out', 'out', '--pki-dir', 'f'];
    },
    code: 1,
    names: ['f is a regular file, not a directory', '--pki-dir'],
  },
  {
    name: 'kubelet-unit --out naming a file',
    args: (d) => {
      fs.writeFileSync(path.join(d, 'out'), 'mine\n');
      return ['kubelet-unit', '--node', 'master0', '--example', 'static', '--out', 'out', '--no-pki'];
    },
    code: 1,
    names: ['--out: out is a regular file, not a directory'],
  },
  {
    name: 'kubelet-unit with a truncated CA key (a PkiError, no stack)',
    args: (d) => {
      const f = path.join(d, 'state', 'ca.key');
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').slice(0, 200));
      return ['kubelet-unit', '--node', 'master0', '--example', 'static', '--out', 'out', '--pki-dir', 'state'];
    },
    code: 1,
    names: ['ca.key', 'restore ca.crt and ca.key from your backup'],
  },
  {
    name: 'kubelet-unit with a FIFO in the state',
    args: (d) => {
      const f = path.join(d, 'state', 'sa.pub');
      fs.rmSync(f);
      require('child_process').execFileSync('mkfifo', [f]);
      return ['kubelet-unit', '--node', 'master0', '--example', 'static', '--out', 'out', '--pki-dir', 'state'];
    },
    code: 1,
    names: ['sa.pub is a FIFO'],
  },
  {
    name: 'kubelet-unit --node unknown',
    args: () => ['kubelet-unit', '--node', 'master7', '--example', 'static', '--out', 'out', '--no-pki'],
    code: 1,
    names: ['--node: unknown node "master7"', 'master0, master1, master2'],
  },
  {
    name: 'kubelet-unit with a bad spec value',
    args: (d) => {
      fs.writeFileSync(path.join(d, 'cluster.yaml'), stringify({ ...S, imageRegistry: 'Registry With Spaces' }));
      return ['kubelet-unit', '--node', 'master0', '--out', 'out', '--no-pki'];
    },
    code: 1,
    names: ['imageRegistry', 'cluster.yaml'],
  },
  {
    name: 'pki renew nosuchcert',
    args: () => ['pki', 'renew', 'nosuchcert', '--example', 'static', '--dir', 'state'],
    code: 1,
    names: ['unknown certificate "nosuchcert"', 'apiserver', 'admin.conf', 'etcd/peer'],
  },
  {
    name: 'pki renew of a CA',
    args: () => ['pki', 'renew', 'etcd/ca', '--example', 'static', '--dir', 'state'],
    code: 1,
    names: ['"etcd/ca" is a CA', 'never re-issues'],
  },
  {
    name: 'pki renew of the service-account key',
    args: () => ['pki', 'renew', 'sa', '--example', 'static', '--dir', 'state'],
    code: 1,
    names: ['"sa" is the service-account key pair'],
  },
  {
    name: 'pki renew of a state that does not exist',
    args: () => ['pki', 'renew', '--example', 'static', '--dir', 'fresh'],
    code: 1,
    names: ['no PKI state in fresh', '--init-pki', '--byo-ca'],
  },
  {
    name: 'pki status of a state path that is a file',
    args: (d) => {
      fs.writeFileSync(path.join(d, 'f'), 'x');
      return ['pki', 'status', '--example', 'static', '--dir', 'f'];
    },
    code: 1,
    names: ['f is a regular file, not a directory'],
  },
  {
    name: 'verify --checks with an unknown name',
    args: (d) => {
      fs.mkdirSync(path.join(d, 'dist'));
      return ['verify', 'dist', '--example', 'static', '--checks', 'schema,bogus'];
    },
    code: 2,
    names: ["--checks: 'bogus' is not one of"],
  },
  {
    name: 'lb apply --out naming a file',
    args: (d) => {
      fs.writeFileSync(
        path.join(d, 'c.yaml'),
        stringify({ ...S, apiEndpoint: { host: '10.180.0.100', port: 443 }, loadBalancer: { type: 'haproxy' } }),
      );
      fs.writeFileSync(path.join(d, 'lb'), '');
      return ['lb', 'apply', '--cluster', 'c.yaml', '--out', 'lb'];
    },
    code: 1,
    names: ['--out: lb is a regular file'],
  },
  {
    name: 'a spec module exporting nothing',
    args: (d) => {
      fs.writeFileSync(path.join(d, 'cluster.js'), 'module.exports = { nodes: [] };\n');
      return ['lb', 'plan', '--cluster', 'cluster.js'];
    },
    code: 1,
    names: ['cluster.js: exports no ClusterSpec', 'nodes'],
  },
  {
    name: 'a TypeScript spec without ts-node',
    args: (d) => {
      fs.writeFileSync(path.join(d, 'cluster.ts'), 'export default { masters: [] };\n');
      return ['lb', 'plan', '--cluster', 'cluster.ts'];
    },
    code: 1,
    names: ['cluster.ts', 'ts-node', 'compile the spec and pass the .js'],
  },
  {
    name: '--cluster naming a directory',
    args: (d) => {
      fs.mkdirSync(path.join(d, 'specs'));
      return ['lb', 'plan', '--cluster', 'specs'];
    },
    code: 1,
    names: ['specs (--cluster) is a directory', 'specs/cluster.yaml'],
  },
];

describe.each(CASES.map((c) => [c.name, c] as const))('hacp: %s', (_title, c) => {
  test('exit code, the argument or file named, no stack frame, state and output unchanged', async () => {
    const dir = workdir(`case-${CASES.indexOf(c)}`);
    const args = c.args(dir);
    const before = snapshot(dir, '.');
    const r = await hacp(args, c.env);
    expectUserError(r, c.code, ...c.names);
    expect(snapshot(dir, '.')).toEqual(before);
  });
});

test('pki renew NAME re-issues that leaf only', async () => {
  const dir = workdir('renew-one');
  const before = new Map(snapshot(dir, 'state').map((l) => [l.split(' ')[1], l]));
  const r = await hacp(['pki', 'renew', 'apiserver (master1)', '--example', 'static', '--dir', 'state']);
  expect(r.code).toBe(0);
  expect(r.out.trim().split('\n')).toEqual(['issued apiserver (master1): --force']);
  const after = snapshot(dir, 'state').filter((l) => l !== before.get(l.split(' ')[1]));
  expect(after.map((l) => l.split(' ')[1]).sort()).toEqual([
    'state/.verified.json',
    'state/nodes/master1/apiserver.crt',
    'state/nodes/master1/apiserver.key',
  ]);
});

test('--cluster cluster.js: a module exporting the ClusterSpec (the spec written once, in code)', async () => {
  const dir = workdir('js-spec');
  const spec = {
    ...S,
    masters: [{ name: 'cp0', ip: '192.0.2.10' }],
    apiEndpoint: { host: '192.0.2.10', port: 6443 },
    loadBalancer: { type: 'none' },
  };
  fs.writeFileSync(path.join(dir, 'cluster.js'), `exports.cluster = ${JSON.stringify(spec)};\n`);
  const r = await hacp(['kubelet-unit', '--node', 'cp0', '--out', 'out', '--no-pki', '--cluster', 'cluster.js']);
  expect(r).toMatchObject({ code: 0, err: '' });
  expect(fs.readFileSync(path.join(dir, 'out', 'kubelet.service'), 'utf8')).toBe(
    renderKubeletUnit(spec as ClusterSpec, 'cp0'),
  );
});

test("--cluster cluster.ts is compiled with ts-node when it is installed (a FAKE ts-node here: typescript's transpileModule)", async () => {
  const dir = workdir('ts-spec');
  // A stand-in for ts-node, named as a fake: register() compiles .ts with the real TypeScript compiler.
  const fake = path.join(dir, 'node_modules', 'ts-node');
  fs.mkdirSync(fake, { recursive: true });
  fs.writeFileSync(
    path.join(fake, 'package.json'),
    JSON.stringify({ name: 'ts-node', version: '0.0.0-fake', main: 'index.js' }),
  );
  fs.writeFileSync(
    path.join(fake, 'index.js'),
    [
      `const ts = require(${JSON.stringify(require.resolve('typescript', { paths: [ROOT] }))});`,
      'exports.registered = [];',
      'exports.register = (opts) => {',
      '  exports.registered.push(opts);',
      '  require.extensions[".ts"] = (m, file) => m._compile(ts.transpileModule(require("fs").readFileSync(file, "utf8"), { compilerOptions: opts.compilerOptions }).outputText, file);',
      '};',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'cluster.ts'),
    [
      'interface Node { name: string; ip: string }',
      "const masters: Node[] = [{ name: 'cp0', ip: '192.0.2.10' }];",
      'export default { masters };',
    ].join('\n'),
  );
  const r = await hacp(['kubelet-unit', '--node', 'cp0', '--out', 'out', '--no-pki', '--cluster', 'cluster.ts']);
  expect(r).toMatchObject({ code: 0, err: '' });
  expect(fs.readFileSync(path.join(dir, 'out', 'kubelet-config.yaml'), 'utf8')).toContain('192.0.2.10');
});

describe('reportError: exit codes and no frames', () => {
  const capture = (e: unknown, env: NodeJS.ProcessEnv = {}) => {
    const err: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => (err.push(String(s)), true));
    try {
      return { code: reportError(e, env), err: err.join('') };
    } finally {
      spy.mockRestore();
    }
  };
  const fsError = (code: string, p: string) => Object.assign(new Error(`${code}: x, open '${p}'`), { code, path: p });

  test("a permission problem is the user's (1), named with what to do", () => {
    const r = capture(fsError('EACCES', 'pki/kubernetes/ca.key'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^error: pki\/kubernetes\/ca\.key: permission denied \(EACCES\): the user running hacp .*fix its owner or mode\n$/,
    );
  });

  test('a full disk is "could not run" (2)', () => {
    const r = capture(fsError('ENOSPC', 'dist/x'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('dist/x: no space left on the device');
  });

  test('an internal error: 2, its message and how to see where, the stack only with HACP_DEBUG=1', () => {
    const quiet = capture(new TypeError('x is undefined'));
    expect(quiet.code).toBe(2);
    expect(quiet.err).toContain('HACP_DEBUG=1 shows where');
    expect(quiet.err).not.toMatch(STACK_FRAME);
    expect(capture(new TypeError('x is undefined'), { HACP_DEBUG: '1' }).err).toMatch(STACK_FRAME);
  });
});
