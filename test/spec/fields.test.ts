/**
 * The spec fields other work is wired to (networking.podNetwork, openstack, addons, etcd.external), the image
 * reference grammar, the address-family, VIP and master-count rules, and readOpenStackCredential().
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  BOOTKUBE_EXAMPLE_CLUSTER,
  ClusterSpec,
  MAX_MASTERS,
  OpenStackSpec,
  STATIC_EXAMPLE_CLUSTER,
  SpecValidationError,
  imageReferenceProblem,
  imageRegistryProblem,
  parseImageReference,
  readOpenStackCredential,
  resolveSpec,
  showValue,
  validateSpec,
} from '../../lib/spec';

const S: ClusterSpec = STATIC_EXAMPLE_CLUSTER;
const OPENSTACK: OpenStackSpec = {
  authUrl: 'https://keystone.example.com:5000/v3',
  region: 'RegionOne',
  networkId: '6e2b0c1a-4d3f-4c2e-9a7b-1f0e5d4c3b2a',
  subnetId: '6e2b0c1a-4d3f-4c2e-9a7b-1f0e5d4c3b2b',
  routerId: '6e2b0c1a-4d3f-4c2e-9a7b-1f0e5d4c3b2c',
  applicationCredential: { id: 'a1b2c3d4', secretEnv: 'OS_APP_CRED_SECRET' },
};
const errorsOf = (spec: unknown) => validateSpec(spec).errors;
const warningsOf = (spec: unknown) => validateSpec(spec).warnings;

describe('defaults', () => {
  test('a spec without the new fields resolves to flannel, CoreDNS, metrics-server, iptables, no dashboard, stacked etcd', () => {
    const spec = resolveSpec(S);
    expect(spec.networking.podNetwork).toBe('flannel');
    expect(spec.cloudProvider).toBe('none');
    expect(spec.openstack).toBeUndefined();
    expect(spec.addons).toEqual({
      dns: 'coredns',
      metrics: 'metrics-server',
      dashboard: false,
      kubeProxyMode: 'iptables',
      podCheckpointer: false,
    });
    expect(spec.etcd).toEqual({ external: undefined });
  });

  test("the bootkube example keeps the seed's dashboard", () => {
    expect(resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER).addons.dashboard).toBe(true);
    expect(validateSpec(BOOTKUBE_EXAMPLE_CLUSTER)).toEqual({ errors: [], warnings: [] });
  });

  test('cloud-routes resolves cloudProvider to external and carries openstack', () => {
    const spec = resolveSpec({
      ...S,
      networking: { ...S.networking, podNetwork: 'cloud-routes' },
      openstack: OPENSTACK,
    });
    expect(spec.cloudProvider).toBe('external');
    expect(spec.openstack).toEqual(OPENSTACK);
    expect(spec.openstack).not.toBe(OPENSTACK); // a copy: the resolved spec is not the caller's object
  });

  test('etcd.external is carried as written', () => {
    const external = {
      endpoints: ['https://10.0.0.5:2379', 'https://[fd00::5]:2379'],
      caFile: 'etcd/ca.crt',
      certFile: 'etcd/apiserver.crt',
      keyFile: 'etcd/apiserver.key',
    };
    expect(resolveSpec({ ...S, etcd: { external } }).etcd.external).toEqual(external);
  });
});

describe('new fields are validated with the field and the value', () => {
  test.each<[string, unknown, string]>([
    [
      'unknown podNetwork',
      { ...S, networking: { podNetwork: 'calico' } },
      'networking.podNetwork: "calico" is not one of "flannel", "cloud-routes", "none"',
    ],
    [
      'cloud-routes without openstack',
      { ...S, networking: { podNetwork: 'cloud-routes' } },
      'openstack: required when networking.podNetwork is "cloud-routes"',
    ],
    [
      'cloud-routes with cloudProvider none',
      { ...S, cloudProvider: 'none', networking: { podNetwork: 'cloud-routes' }, openstack: OPENSTACK },
      'cloudProvider: "none" contradicts networking.podNetwork "cloud-routes"',
    ],
    [
      'http auth URL',
      { ...S, openstack: { ...OPENSTACK, authUrl: 'http://keystone:5000/v3' } },
      'openstack.authUrl: "http://keystone:5000/v3" is not an https:// URL',
    ],
    [
      'router name instead of ID',
      { ...S, openstack: { ...OPENSTACK, routerId: 'main-router' } },
      'openstack.routerId: "main-router" is not an OpenStack ID',
    ],
    ['missing subnetId', { ...S, openstack: { ...OPENSTACK, subnetId: undefined } }, 'openstack.subnetId: required'],
    [
      'both secret sources',
      { ...S, openstack: { ...OPENSTACK, applicationCredential: { id: 'x', secretEnv: 'A', secretFile: 'b' } } },
      'openstack.applicationCredential: set exactly one of secretFile and secretEnv (both are set)',
    ],
    [
      'no secret source',
      { ...S, openstack: { ...OPENSTACK, applicationCredential: { id: 'x' } } },
      'openstack.applicationCredential: set exactly one of secretFile and secretEnv (neither is set)',
    ],
    ['unknown dns', { ...S, addons: { dns: 'bind' } }, 'addons.dns: "bind" is not one of "coredns", "kube-dns"'],
    ['dashboard not a boolean', { ...S, addons: { dashboard: 'yes' } }, 'addons.dashboard: "yes" must be boolean'],
    [
      'etcd endpoints empty',
      { ...S, etcd: { external: { endpoints: [], caFile: 'a', certFile: 'b', keyFile: 'c' } } },
      'etcd.external.endpoints: [] must NOT have fewer than 1 items',
    ],
    [
      'etcd endpoint with a path',
      { ...S, etcd: { external: { endpoints: ['https://etcd:2379/v3'], caFile: 'a', certFile: 'b', keyFile: 'c' } } },
      'etcd.external.endpoints[0]: "https://etcd:2379/v3" is not an https:// client URL',
    ],
    [
      'etcd endpoint twice (default port)',
      {
        ...S,
        etcd: {
          external: { endpoints: ['https://etcd-0', 'https://ETCD-0:2379'], caFile: 'a', certFile: 'b', keyFile: 'c' },
        },
      },
      'etcd.external.endpoints[1]: "https://ETCD-0:2379" is the same member as etcd.external.endpoints[0]',
    ],
    [
      'etcd keyFile with a newline',
      { ...S, etcd: { external: { endpoints: ['https://etcd:2379'], caFile: 'a', certFile: 'b', keyFile: 'k\ney' } } },
      'etcd.external.keyFile: "k\\ney" is not a file path',
    ],
  ])('%s', (_name, spec, message) => {
    expect(errorsOf(spec)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  test('the secret never shows: not a written secret, not a mistyped secretEnv', () => {
    const written = errorsOf({
      ...S,
      openstack: { ...OPENSTACK, applicationCredential: { id: 'x', secretEnv: 'A', secret: 's3cr3t-VALUE' } },
    });
    const mistyped = errorsOf({
      ...S,
      openstack: { ...OPENSTACK, applicationCredential: { id: 'x', secretEnv: 's3cr3t-VALUE!' } },
    });
    const wrongType = errorsOf({
      ...S,
      openstack: { ...OPENSTACK, applicationCredential: { id: 'x', secretEnv: ['s3cr3t-VALUE'] } },
    });
    expect(written).toEqual([
      expect.stringMatching(/^openstack\.applicationCredential\.secret: the secret never goes in the spec/),
    ]);
    expect(mistyped).toEqual([
      expect.stringMatching(
        /^openstack\.applicationCredential\.secretEnv: is not an environment variable name .*value not shown/,
      ),
    ]);
    expect(wrongType).toEqual(['openstack.applicationCredential.secretEnv: (value not shown) must be string']);
    expect([...written, ...mistyped, ...wrongType].join('\n')).not.toContain('s3cr3t-VALUE');
  });

  test('retired and deprecated add-ons are warnings, not errors', () => {
    const result = validateSpec({
      ...S,
      addons: { dns: 'kube-dns', metrics: 'heapster', kubeProxyMode: 'ipvs', podCheckpointer: true },
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => w.split(':')[0])).toEqual([
      'addons.dns',
      'addons.metrics',
      'addons.kubeProxyMode',
      'addons.podCheckpointer',
    ]);
  });

  test('openstack without a cloud controller manager is a warning', () => {
    expect(warningsOf({ ...S, openstack: OPENSTACK })).toEqual([
      expect.stringMatching(/^openstack: set, but cloudProvider is "none"/),
    ]);
    expect(warningsOf({ ...S, cloudProvider: 'external', openstack: OPENSTACK })).toEqual([]);
  });
});

describe('masters: etcd quorum bounds', () => {
  const masters = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `m${i}`, ip: `10.180.0.${20 + i}` }));
  test.each([
    [7, [], []],
    [8, ['masters: 8 masters tolerate', 'masters: 8 etcd members'], []],
    [9, ['masters: 9 etcd members'], []],
    [10, [], ['masters: 10 masters is more than 9']],
  ])('%i masters', (n, warnings, errors) => {
    const result = validateSpec({ ...S, masters: masters(n) });
    expect(result.warnings.map((w) => w.slice(0, 30))).toEqual(
      warnings.map((w) => expect.stringContaining(w.slice(0, 30))),
    );
    expect(result.errors.map((e) => e.slice(0, 30))).toEqual(errors.map((e) => e.slice(0, 30)));
  });
  test("the bound is etcd's: with etcd.external there is none", () => {
    const external = { endpoints: ['https://10.0.0.5:2379'], caFile: 'a', certFile: 'b', keyFile: 'c' };
    expect(validateSpec({ ...S, masters: masters(MAX_MASTERS + 2), etcd: { external } })).toEqual({
      errors: [],
      warnings: [],
    });
  });
});

describe('address families and VIPs', () => {
  const v6 = {
    masters: [
      { name: 'm0', ip: 'fd00::10' },
      { name: 'm1', ip: 'fd00::11' },
      { name: 'm2', ip: 'fd00::12' },
    ],
    networking: { serviceCidr: 'fd00:96::/108', podCidr: 'fd00:244::/56' },
  };
  test('an all-IPv6 cluster is fine', () => {
    expect(errorsOf(v6)).toEqual([]);
    expect(resolveSpec(v6).networking.nodeCidrMaskSize).toBe(64);
  });
  test('one IPv4 range in an IPv6 cluster is named', () => {
    expect(errorsOf({ ...v6, networking: { ...v6.networking, podCidr: '10.244.0.0/16' } })).toEqual([
      'networking.podCidr: "10.244.0.0/16" is IPv4, but masters[0].ip "fd00::10" is IPv6: every node address, VIP, endpoint and range must be one family (dual-stack is not supported)',
    ]);
  });
  test('IPv6 spellings of one host are duplicates', () => {
    expect(errorsOf({ ...v6, masters: [...v6.masters, { name: 'm3', ip: 'FD00:0:0::10' }] })).toEqual([
      'masters[3].ip: "FD00:0:0::10" is already used by masters[0] ("fd00::10", the same host)',
    ]);
  });
  test("a VIP in the masters' /24 passes; a larger declared subnet admits masters across /24s", () => {
    const kubeVip = (vip: string, subnet?: string) => ({
      ...S,
      apiEndpoint: { host: vip, port: 6443 },
      loadBalancer: { type: 'kube-vip' as const, kubeVip: { subnet } },
    });
    expect(errorsOf(kubeVip('10.180.0.100'))).toEqual([]);
    expect(
      errorsOf({
        ...kubeVip('10.180.1.100', '10.180.0.0/16'),
        networking: { serviceCidr: '10.96.0.0/12', podCidr: '10.244.0.0/16' },
      }),
    ).toEqual([]);
    expect(errorsOf({ ...kubeVip('10.180.0.255'), loadBalancer: { type: 'kube-vip' } })).toEqual([
      expect.stringContaining('is the network or broadcast address of 10.180.0.0/24'),
    ]);
  });
  test('masters outside a declared subnet are named, with the interface', () => {
    const spec = {
      ...S,
      apiEndpoint: { host: '10.180.0.100', port: 443 },
      loadBalancer: { type: 'haproxy' as const, haproxy: { subnet: '10.180.0.0/29', interface: 'bond0' } },
    };
    expect(errorsOf(spec)).toEqual([
      'apiEndpoint.host: "10.180.0.100" is not in loadBalancer.haproxy.subnet "10.180.0.0/29": keepalived (VRRP and the VIP\'s ARP on interface bond0) works only within the masters\' L2 segment',
      ...[0, 1, 2].map(
        (i) =>
          `masters[${i}].ip: "10.180.0.1${i}" is not in loadBalancer.haproxy.subnet "10.180.0.0/29": keepalived (VRRP and the VIP's ARP on interface bond0) needs every master on that L2 segment`,
      ),
    ]);
  });
});

describe('image references', () => {
  test.each([
    ['registry.k8s.io/kube-apiserver:v1.35.4', true],
    ['ghcr.io/kube-vip/kube-vip:v1.0.1', true],
    ['localhost:5000/kube-vip:v1', true],
    ['[fd00::1]:5000/kube-vip:v1', true],
    ['kube-vip/kube-vip@sha256:' + 'a'.repeat(64), true],
    ['myorg/app:1.0', true],
    ['ghcr.io/Kube-Vip/kube-vip:v1', false],
    ['ghcr.io/kube-vip/kube-vip:v1\n', false],
    ['ghcr.io//kube-vip:v1', false],
    ['ghcr.io/kube-vip/kube-vip:-v1', false],
    [`r.io/${'a'.repeat(260)}:v1`, false],
    ['ghcr.io/kube-vip/kube-vip@sha256:abc', false],
  ])('%s', (ref, ok) => {
    expect(parseImageReference(ref) !== undefined).toBe(ok);
  });
  test('pinning', () => {
    expect(imageReferenceProblem('ghcr.io/kube-vip/kube-vip:v1.0.1')).toBeUndefined();
    expect(imageReferenceProblem('ghcr.io/kube-vip/kube-vip')).toMatch(/neither a tag nor a digest/);
    expect(imageReferenceProblem('ghcr.io/kube-vip/kube-vip:latest')).toMatch(/":latest"/);
  });
  test('registries', () => {
    for (const ok of [
      'registry.k8s.io',
      'harbor.example.com:5000/k8s',
      'harbor.example.com/k8s/',
      'myorg',
      'localhost:5000',
    ])
      expect(imageRegistryProblem(ok)).toBeUndefined();
    for (const bad of [
      'registry.k8s.io:v1/x:tag',
      'Registry Example',
      'registry.k8s.io/K8s',
      'reg\nistry',
      'https://registry.k8s.io',
    ])
      expect(imageRegistryProblem(bad)).toBeDefined();
    expect(resolveSpec({ ...S, imageRegistry: 'harbor.example.com/k8s/' }).imageRegistry).toBe(
      'harbor.example.com/k8s',
    );
  });
});

test('long values are shown cut, with their length', () => {
  expect(showValue('short')).toBe('"short"');
  expect(showValue('x'.repeat(1000))).toBe(`"${'x'.repeat(39)}..." (1000 characters)`);
  expect(showValue(Array(500).fill(1))).toMatch(/^\[1,1,.*\.\.\. \(\d+ characters of JSON\)$/);
  const many = Array.from({ length: 100 }, (_, i) => ({ name: `Bad_${i}`, ip: `10.0.${i}.1` }));
  const e = (() => {
    try {
      resolveSpec({
        masters: many,
        etcd: { external: { endpoints: ['https://e:2379'], caFile: 'a', certFile: 'b', keyFile: 'c' } },
      });
    } catch (x) {
      return x as SpecValidationError;
    }
    return undefined;
  })()!;
  expect(e.problems.length).toBe(100);
  expect(e.message.split('\n')).toHaveLength(1 + 40 + 1);
  expect(e.message).toMatch(/\n {2}\.\.\. and 60 more$/);
});

describe('readOpenStackCredential', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-os-cred-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const withCred = (applicationCredential: OpenStackSpec['applicationCredential']) =>
    resolveSpec({ ...S, cloudProvider: 'external', openstack: { ...OPENSTACK, applicationCredential } });
  const failure = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  test('from a file (trimmed), warning when others can read it', () => {
    fs.writeFileSync(path.join(dir, 'secret'), '  s3cr3t-VALUE\n', { mode: 0o644 });
    const warnings: string[] = [];
    expect(
      readOpenStackCredential(
        withCred({ id: 'a1', secretFile: 'secret' }),
        {},
        { cwd: dir, onWarning: (w) => warnings.push(w) },
      ),
    ).toEqual({ id: 'a1', secret: 's3cr3t-VALUE' });
    expect(warnings).toEqual([
      `openstack.applicationCredential.secretFile: ${path.join(dir, 'secret')} is readable by others (mode 0644); chmod 600 it`,
    ]);
  });

  test('from the environment', () => {
    expect(
      readOpenStackCredential(withCred({ id: 'a1', secretEnv: 'OS_SECRET' }), { OS_SECRET: 's3cr3t-VALUE' }),
    ).toEqual({ id: 'a1', secret: 's3cr3t-VALUE' });
  });

  test('errors name the field and the file or variable, never the secret', () => {
    fs.writeFileSync(path.join(dir, 'empty'), '\n', { mode: 0o600 });
    fs.mkdirSync(path.join(dir, 'a-dir'));
    const messages = [
      failure(() => readOpenStackCredential(withCred({ id: 'a1', secretFile: 'missing' }), {}, { cwd: dir })),
      failure(() => readOpenStackCredential(withCred({ id: 'a1', secretFile: 'empty' }), {}, { cwd: dir })),
      failure(() => readOpenStackCredential(withCred({ id: 'a1', secretFile: 'a-dir' }), {}, { cwd: dir })),
      failure(() => readOpenStackCredential(withCred({ id: 'a1', secretEnv: 'OS_SECRET' }), {})),
      failure(() => readOpenStackCredential(withCred({ id: 'a1', secretEnv: 'OS_SECRET' }), { OS_SECRET: ' ' })),
      failure(() => readOpenStackCredential(resolveSpec(S), {})),
    ];
    expect(messages).toEqual([
      expect.stringContaining(
        `openstack.applicationCredential.secretFile: ${path.join(dir, 'missing')}: does not exist`,
      ),
      expect.stringContaining(`openstack.applicationCredential.secretFile: ${path.join(dir, 'empty')} is empty`),
      expect.stringContaining(`${path.join(dir, 'a-dir')} is a directory, not a regular file`),
      expect.stringContaining('openstack.applicationCredential.secretEnv: $OS_SECRET is not set'),
      expect.stringContaining('openstack.applicationCredential.secretEnv: $OS_SECRET is empty'),
      expect.stringContaining('openstack: not set in the cluster spec'),
    ]);
  });
});
