/**
 * The bad-input corpus of `npm run synth` (issue #17): bad specs and damaged PKI states, each run through
 * scripts/synth.js (what `npm run synth` runs) and through the app alone (cdk8s.yaml's `app:`), in a copy of a
 * workspace that a good synth made. Every case asserts the exit code (the same from both), that the message names
 * the field or the file, that no stack frame is printed, and that dist/ and the PKI state are byte- and mode-identical
 * afterwards.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { issueCertificate, rsaKeyFromPem } from '../../lib/pki/_crypto';
import { ClusterSpec, STATIC_EXAMPLE_CLUSTER } from '../../lib/spec';
import { STACK_FRAME, copyWorkspace, makeBaseWorkspace, runApp, runSynth, sharedTmp, snapshot } from './_workspace';

jest.setTimeout(600_000);

let parent: string;
let base: string;
beforeAll(async () => {
  parent = sharedTmp('hacp-corpus-');
  base = path.join(parent, 'base');
  fs.mkdirSync(base);
  await makeBaseWorkspace(base);
});
afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

const S: ClusterSpec = STATIC_EXAMPLE_CLUSTER;
/** Writes `cluster.yaml` (an object is written as YAML, a string as it is). */
const spec = (value: unknown) => (ws: string) => {
  fs.writeFileSync(path.join(ws, 'cluster.yaml'), typeof value === 'string' ? value : stringify(value));
};
const state = (ws: string, ...rel: string[]) => path.join(ws, 'pki', 'kubernetes', ...rel);

/** A CA certificate for the CA's own key, valid in the past only: an expired CA (no key is generated). */
function expireCa(ws: string): void {
  const keyPem = fs.readFileSync(state(ws, 'ca.key'), 'utf8');
  const day = 86_400_000;
  const pem = issueCertificate(
    {
      commonName: 'kubernetes',
      organizations: [],
      dns: ['kubernetes'],
      ips: [],
      profile: 'ca',
      notBefore: new Date(Date.now() - 400 * day),
      notAfter: new Date(Date.now() - day),
    },
    rsaKeyFromPem(keyPem),
    undefined,
  );
  fs.writeFileSync(state(ws, 'ca.crt'), pem);
}

interface Case {
  readonly name: string;
  readonly category: 'spec' | 'file' | 'state';
  /** Damages the workspace; may return extra environment variables. */
  readonly setup: (ws: string) => NodeJS.ProcessEnv | void;
  readonly code: number;
  /** Each must appear in stderr (the field, the file, what to do). */
  readonly names: string[];
  /** Must not appear anywhere in the output (a secret). */
  readonly hidden?: string[];
  /** Run as the unprivileged user `nobody` (permission cases; root reads everything). */
  readonly asNobody?: boolean;
}

const ipv6 = (n: number) => `fd00:10:180::${n}`;
const CASES: Case[] = [
  // Spec values that pass a shallow look and break later.
  {
    name: 'malformed IP',
    category: 'spec',
    setup: spec({ ...S, masters: [{ name: 'master0', ip: '10.180.0.300' }] }),
    code: 1,
    names: ['masters[0].ip', '"10.180.0.300"'],
  },
  {
    name: 'imageRegistry with a newline',
    category: 'spec',
    setup: spec({ ...S, imageRegistry: 'registry.example.com\nevil' }),
    code: 1,
    names: ['imageRegistry', '"registry.example.com\\nevil"'],
  },
  {
    name: 'imageRegistry with an upper-case path',
    category: 'spec',
    setup: spec({ ...S, imageRegistry: 'registry.example.com/K8s' }),
    code: 1,
    names: ['imageRegistry', 'is not a registry'],
  },
  {
    name: 'imageRegistry with a tag',
    category: 'spec',
    setup: spec({ ...S, imageRegistry: 'registry.example.com/k8s:v1' }),
    code: 1,
    names: ['imageRegistry'],
  },
  {
    name: 'kube-vip image without a tag',
    category: 'spec',
    setup: spec({
      ...S,
      apiEndpoint: { host: '10.180.0.100', port: 6443 },
      loadBalancer: { type: 'kube-vip', kubeVip: { image: 'ghcr.io/kube-vip/kube-vip' } },
    }),
    code: 1,
    names: ['loadBalancer.kubeVip.image', 'neither a tag nor a digest'],
  },
  {
    name: 'an IPv6 worker in an IPv4 cluster',
    category: 'spec',
    setup: spec({ ...S, workers: [{ name: 'worker0', ip: ipv6(20) }] }),
    code: 1,
    names: ['workers[0].ip', 'dual-stack is not supported'],
  },
  {
    name: 'IPv6 masters with the default IPv4 ranges',
    category: 'spec',
    setup: spec({ masters: [0, 1, 2].map((i) => ({ name: `m${i}`, ip: ipv6(10 + i) })) }),
    code: 1,
    names: ['networking.serviceCidr', '(the default)', 'IPv6'],
  },
  {
    name: 'an IPv4 endpoint for IPv6 masters',
    category: 'spec',
    setup: spec({
      masters: [{ name: 'm0', ip: ipv6(10) }],
      apiEndpoint: { host: '10.47.40.33' },
      networking: { serviceCidr: 'fd00:96::/108', podCidr: 'fd00:244::/56' },
    }),
    code: 1,
    names: ['apiEndpoint.host', 'IPv4'],
  },
  {
    name: 'an IPv4-mapped duplicate of a master',
    category: 'spec',
    setup: spec({ ...S, masters: [...S.masters, { name: 'master3', ip: '::ffff:10.180.0.10' }] }),
    code: 1,
    names: ['masters[3].ip', 'the same host', 'write the IPv4 address "10.180.0.10"'],
  },
  {
    name: "kube-vip VIP outside the masters' subnet",
    category: 'spec',
    setup: spec({
      ...S,
      apiEndpoint: { host: '10.180.5.100', port: 6443 },
      loadBalancer: { type: 'kube-vip', kubeVip: { interface: 'ens3' } },
    }),
    code: 1,
    names: ['apiEndpoint.host', '10.180.0.0/24', 'interface ens3'],
  },
  {
    name: 'keepalived VIP outside the declared subnet',
    category: 'spec',
    setup: spec({
      ...S,
      apiEndpoint: { host: '10.180.0.100', port: 443 },
      loadBalancer: { type: 'haproxy', haproxy: { vip: '10.180.9.100', subnet: '10.180.0.0/23' } },
    }),
    code: 1,
    names: ['loadBalancer.haproxy.vip', 'loadBalancer.haproxy.subnet', 'interface eth0'],
  },
  {
    name: "a VIP that is a master's address",
    category: 'spec',
    setup: spec({ ...S, apiEndpoint: { host: '10.180.0.11', port: 6443 }, loadBalancer: { type: 'kube-vip' } }),
    code: 1,
    names: ['apiEndpoint.host', "masters[1]'s own address"],
  },
  {
    name: 'eleven masters',
    category: 'spec',
    setup: spec({
      ...S,
      masters: Array.from({ length: 11 }, (_, i) => ({ name: `master${i}`, ip: `10.180.0.${10 + i}` })),
    }),
    code: 1,
    names: ['masters: 11 masters is more than 9', 'etcd'],
  },
  {
    name: 'a duplicate YAML key',
    category: 'spec',
    setup: spec('masters:\n  - {name: master0, ip: 10.180.0.10}\nloadBalancer:\n  type: none\n  type: haproxy\n'),
    code: 1,
    names: ['loadBalancer.type: duplicate key', 'line 5'],
  },
  {
    name: 'a YAML alias bomb',
    category: 'spec',
    setup: spec(
      [
        'a: &a [x, x, x, x, x, x, x, x, x]',
        ...'bcdefg'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
        'masters: []',
        '',
      ].join('\n'),
    ),
    code: 1,
    names: ['alias', 'cluster.yaml'],
  },
  {
    name: 'a YAML syntax error',
    category: 'spec',
    setup: spec('masters: [\n  {name: master0, ip: 10.180.0.10\n'),
    code: 1,
    names: ['YAML:', 'cluster.yaml'],
  },
  {
    name: 'a 50 MB name',
    category: 'spec',
    setup: spec({ ...S, name: 'a'.repeat(50 * 1024 * 1024) }),
    code: 1,
    names: ['name: "aaaa', '(52428800 characters)'],
  },
  {
    name: 'an unknown key',
    category: 'spec',
    setup: spec({ ...S, mastres: [] }),
    code: 1,
    names: ['mastres: unknown key'],
  },
  {
    name: 'the OpenStack secret written in the spec',
    category: 'spec',
    setup: spec({
      ...S,
      openstack: {
        authUrl: 'https://keystone.example.com:5000/v3',
        region: 'RegionOne',
        networkId: '6e2b0c1a-4d3f-4c2e-9a7b-1f0e5d4c3b2a',
        subnetId: '6e2b0c1a-4d3f-4c2e-9a7b-1f0e5d4c3b2b',
        routerId: '6e2b0c1a-4d3f-4c2e-9a7b-1f0e5d4c3b2c',
        applicationCredential: { id: 'a1b2c3', secret: 'TopSecretValue-42' },
      },
    }),
    code: 1,
    names: ['openstack.applicationCredential.secret', 'secretFile', 'secretEnv'],
    hidden: ['TopSecretValue-42'],
  },
  {
    name: 'cloud-routes with cloudProvider none',
    category: 'spec',
    setup: spec({ ...S, cloudProvider: 'none', networking: { ...S.networking, podNetwork: 'cloud-routes' } }),
    code: 1,
    names: ['cloudProvider', 'networking.podNetwork', 'openstack: required'],
  },
  {
    name: 'an http etcd endpoint',
    category: 'spec',
    setup: spec({
      ...S,
      etcd: {
        external: {
          endpoints: ['http://10.0.0.5:2379'],
          caFile: 'etcd/ca.crt',
          certFile: 'etcd/client.crt',
          keyFile: 'etcd/client.key',
        },
      },
    }),
    code: 1,
    names: ['etcd.external.endpoints[0]', 'https://'],
  },
  {
    name: 'a Kubernetes version outside the window',
    category: 'spec',
    setup: spec({ ...S, kubernetesVersion: 'v1.29.0' }),
    code: 1,
    names: ['kubernetesVersion', '"v1.29.0"'],
  },
  {
    name: 'a spec that is a list',
    category: 'spec',
    setup: spec('- name: master0\n'),
    code: 1,
    names: ['(root)', 'must be a mapping'],
  },
  { name: 'an empty spec file', category: 'spec', setup: spec(''), code: 1, names: ['(root)', 'cluster.yaml'] },

  // The spec file itself.
  {
    name: 'cluster.yaml is a directory',
    category: 'file',
    setup: (ws) => void fs.mkdirSync(path.join(ws, 'cluster.yaml')),
    code: 1,
    names: ['cluster.yaml is a directory'],
  },
  {
    name: 'cluster.yaml is a FIFO (fails fast, does not block)',
    category: 'file',
    setup: (ws) => void execFileSync('mkfifo', [path.join(ws, 'cluster.yaml')]),
    code: 1,
    names: ['cluster.yaml is a FIFO'],
  },
  {
    name: '$HACP_CLUSTER names a missing file',
    category: 'file',
    setup: () => ({ HACP_CLUSTER: 'clusters/prod.yaml' }),
    code: 1,
    names: ['clusters/prod.yaml ($HACP_CLUSTER): does not exist'],
  },
  {
    name: 'cluster.yaml without read permission',
    category: 'file',
    asNobody: true,
    setup: (ws) => {
      spec(S)(ws);
      fs.chmodSync(path.join(ws, 'cluster.yaml'), 0o600);
      fs.chmodSync(ws, 0o777);
    },
    code: 1,
    names: ['cluster.yaml', 'permission denied'],
  },
  {
    name: 'a spec module that throws',
    category: 'file',
    setup: (ws) => {
      fs.writeFileSync(path.join(ws, 'cluster.js'), 'throw new Error("boom in the spec");\n');
      return { HACP_CLUSTER: 'cluster.js' };
    },
    code: 1,
    names: ['cluster.js', 'boom in the spec'],
  },

  // Damaged PKI states (no cluster.yaml: the built-in examples and their states).
  {
    name: 'a truncated CA key',
    category: 'state',
    setup: (ws) => {
      const f = state(ws, 'ca.key');
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').slice(0, 300));
    },
    code: 1,
    names: ['ca.key', 'restore ca.crt and ca.key from your backup'],
  },
  {
    name: 'a mismatched CA key',
    category: 'state',
    setup: (ws) => fs.copyFileSync(state(ws, 'front-proxy-ca.key'), state(ws, 'ca.key')),
    code: 1,
    names: ['ca.key does not match ca.crt'],
  },
  {
    name: 'a deleted CA certificate',
    category: 'state',
    setup: (ws) => fs.rmSync(state(ws, 'ca.crt')),
    code: 1,
    names: ['ca.key exists but ca.crt is missing'],
  },
  {
    name: 'an expired CA',
    category: 'state',
    setup: expireCa,
    code: 1,
    names: ['ca: expired', 'a CA is never regenerated'],
  },
  {
    name: 'swapped leaf certificates',
    category: 'state',
    setup: (ws) => {
      const [a, b] = [state(ws, 'nodes/master0/apiserver.crt'), state(ws, 'nodes/master1/apiserver.crt')];
      const t = fs.readFileSync(a);
      fs.copyFileSync(b, a);
      fs.writeFileSync(b, t);
    },
    code: 1,
    names: ['nodes/master0/apiserver.key does not match nodes/master0/apiserver.crt'],
  },
  {
    name: 'a garbage sa.key',
    category: 'state',
    setup: (ws) => fs.writeFileSync(state(ws, 'sa.key'), 'garbage\n'),
    code: 1,
    names: ['sa.key is not a readable private key'],
  },
  {
    name: 'a garbage encryption key',
    category: 'state',
    setup: (ws) => fs.writeFileSync(state(ws, 'encryption-key'), 'not-a-key\n'),
    code: 1,
    names: ['encryption-key is not a base64-encoded 32-byte key', 'restore it from your backup'],
  },
  {
    name: 'a garbage leaf certificate',
    category: 'state',
    setup: (ws) => fs.writeFileSync(state(ws, 'front-proxy-client.crt'), 'not a certificate\n'),
    code: 1,
    names: ['front-proxy-client.crt is not a readable certificate'],
  },
  {
    name: 'the state root is a file',
    category: 'state',
    setup: (ws) => {
      fs.writeFileSync(path.join(ws, 'state-file'), 'x');
      return { HACP_PKI_DIR: 'state-file' };
    },
    code: 1,
    names: ['state-file is not a directory', '$HACP_PKI_DIR'],
  },
  {
    name: 'a state file that is a FIFO (fails fast)',
    category: 'state',
    setup: (ws) => {
      fs.rmSync(state(ws, 'ca.crt'));
      execFileSync('mkfifo', [state(ws, 'ca.crt')]);
    },
    code: 1,
    names: ['ca.crt is a FIFO'],
  },
  {
    name: 'a directory where a key goes',
    category: 'state',
    setup: (ws) => {
      fs.rmSync(state(ws, 'nodes/master0/apiserver.key'));
      fs.mkdirSync(state(ws, 'nodes/master0/apiserver.key'));
    },
    code: 1,
    names: ['nodes/master0/apiserver.key is a directory'],
  },
  {
    name: 'a corrupt journal',
    category: 'state',
    setup: (ws) => fs.writeFileSync(state(ws, '.pending.json'), '{"version": 1, "files": '),
    code: 1,
    names: ['.pending.json is corrupt', 'inspect it, then delete it'],
  },
  {
    name: 'a state directory without read permission',
    category: 'state',
    asNobody: true,
    setup: (ws) => fs.chmodSync(ws, 0o777),
    code: 1,
    names: ['pki', 'permission denied'],
  },
];

/** Permission cases run a command as `nobody` with setpriv, which needs root (root itself reads every file). */
const CAN_DROP_PRIVILEGES = process.getuid?.() === 0 && fs.existsSync('/usr/bin/setpriv');

describe.each(CASES.map((c) => [`${c.category}: ${c.name}`, c] as const))('%s', (_title, c) => {
  const it = c.asNobody && !CAN_DROP_PRIVILEGES ? test.skip : test;
  it(`exit code, message naming the field or file, no stack frame, dist/ and pki/ unchanged (synth and app alike)${c.asNobody ? ' [as nobody via setpriv: skipped unless root]' : ''}`, async () => {
    const ws = copyWorkspace(base, parent, `case-${CASES.indexOf(c)}`);
    const env = c.setup(ws) ?? {};
    const before = snapshot(ws, 'dist', 'pki');

    const synth = await runSynth(ws, env, c.asNobody);
    const app = await runApp(ws, env, c.asNobody);
    for (const [what, r] of [
      ['npm run synth', synth],
      ['app', app],
    ] as const) {
      expect({ what, timedOut: r.timedOut, code: r.code }).toEqual({ what, timedOut: false, code: c.code });
      for (const name of c.names) expect(r.stderr).toContain(name);
      expect(r.stderr).not.toMatch(STACK_FRAME);
      expect(r.stderr).toMatch(/^error: /m);
      expect(r.stderr.length).toBeLessThan(20_000); // a 50 MB value is never echoed
      for (const secret of c.hidden ?? []) expect(r.stdout + r.stderr).not.toContain(secret);
    }
    expect(synth.stderr).not.toContain('Error: command'); // cdk8s' own stack trace of the app
    expect(synth.stderr).toContain('nothing was synthesized; dist/ is as it was');
    expect(synth.stdout).not.toContain('Synthesizing application'); // cdk8s never started
    expect(snapshot(ws, 'dist', 'pki')).toEqual(before);
    fs.rmSync(ws, { recursive: true, force: true });
  });
});

test('the corpus has more than 40 cases across the categories', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(40);
  expect(new Set(CASES.map((c) => c.category))).toEqual(new Set(['spec', 'file', 'state']));
});

test('HACP_DEBUG=1 adds the stack trace (and only then)', async () => {
  const ws = copyWorkspace(base, parent, 'debug');
  fs.writeFileSync(path.join(ws, 'pki', 'kubernetes', 'sa.key'), 'garbage\n');
  const quiet = await runApp(ws);
  const debug = await runApp(ws, { HACP_DEBUG: '1' });
  expect(quiet.code).toBe(1);
  expect(debug.code).toBe(1);
  expect(quiet.stderr).not.toMatch(STACK_FRAME);
  expect(debug.stderr).toMatch(STACK_FRAME);
  fs.rmSync(ws, { recursive: true, force: true });
});
