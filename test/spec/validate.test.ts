import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  BOOTKUBE_EXAMPLE_CLUSTER,
  ClusterSpec,
  STATIC_EXAMPLE_CLUSTER,
  SpecValidationError,
  loadClusterSpec,
  parseSpecYaml,
  resolveSpec,
  validateSpec,
} from '../../lib/spec';

const base: ClusterSpec = STATIC_EXAMPLE_CLUSTER;
const errorsOf = (spec: unknown) => validateSpec(spec).errors;

describe('built-in examples', () => {
  test('the static example is the seed topology and resolves cleanly', () => {
    expect(validateSpec(STATIC_EXAMPLE_CLUSTER)).toEqual({ errors: [], warnings: [] });
    const spec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
    expect(spec.masters.map((m) => `${m.name}=${m.ip}`)).toEqual([
      'master0=10.180.0.10',
      'master1=10.180.0.11',
      'master2=10.180.0.12',
    ]);
    expect(spec.networking).toMatchObject({
      serviceCidr: '10.180.1.0/24',
      podCidr: '10.180.128.0/17',
      clusterDomain: 'cluster.local',
    });
    expect(spec.apiEndpoint).toEqual({ host: '10.47.40.33', port: 443 });
    expect(spec.apiServerPort).toBe(6443);
    expect(spec.apiServiceIp).toBe('10.180.1.1');
    expect(spec.dnsServiceIp).toBe('10.180.1.10');
    expect(spec.apiServerUrl).toBe('https://10.47.40.33:443');
    expect(spec.kubernetesVersion).toMatch(/^v1\.35\.\d+$/);
    expect(spec.etcdVersion).toMatch(/^3\.6\.\d+$/);
  });

  test('the bootkube example is the seed repo topology', () => {
    const spec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
    expect(spec.masters.map((m) => m.name)).toEqual(['master01', 'master02', 'master03']);
    expect(spec.workers).toEqual([{ name: 'worker01', ip: '172.17.5.201' }]);
    expect(spec.namespaces).toEqual(['tds-cloud']);
    expect(spec.dnsServiceIp).toBe('10.3.0.10');
  });

  test('defaults fill a minimal spec', () => {
    const spec = resolveSpec({ masters: [{ name: 'm1', ip: '192.0.2.10' }] });
    expect(spec).toMatchObject({
      name: 'kubernetes',
      imageRegistry: 'registry.k8s.io',
      apiServerPort: 6443,
      cloudProvider: 'none',
      apiEndpoint: { host: '192.0.2.10', port: 6443 },
      networking: {
        serviceCidr: '10.96.0.0/12',
        podCidr: '10.244.0.0/16',
        clusterDomain: 'cluster.local',
        nodeCidrMaskSize: 24,
      },
      pki: { keySize: 2048, caValidityDays: 3650, validityDays: 365, renewBeforeDays: 30 },
      loadBalancer: { type: 'none' },
    });
    expect(spec.apiServiceIp).toBe('10.96.0.1');
    expect(spec.dnsServiceIp).toBe('10.96.0.10');
    expect(resolveSpec(spec)).toBe(spec);
  });
});

describe('validation names the field and the value', () => {
  test.each<[string, unknown, string]>([
    [
      'malformed IP',
      { ...base, masters: [{ name: 'a', ip: '10.180.0.300' }] },
      'masters[0].ip: "10.180.0.300" is not a valid IPv4 or IPv6 address',
    ],
    [
      'malformed CIDR',
      { ...base, networking: { serviceCidr: '10.180.1.0/33' } },
      'networking.serviceCidr: "10.180.1.0/33" is not a valid CIDR',
    ],
    [
      'CIDR with host bits',
      { ...base, networking: { serviceCidr: '10.180.1.5/24' } },
      'networking.serviceCidr: "10.180.1.5/24" has host bits set',
    ],
    [
      'service/pod overlap',
      { ...base, networking: { serviceCidr: '10.180.128.0/24', podCidr: '10.180.128.0/17' } },
      'networking.serviceCidr: "10.180.128.0/24" overlaps networking.podCidr "10.180.128.0/17"',
    ],
    [
      'master inside the pod network',
      { ...base, masters: [{ name: 'a', ip: '10.180.130.1' }] },
      'masters[0].ip: "10.180.130.1" lies inside networking.podCidr "10.180.128.0/17"',
    ],
    [
      'duplicate names',
      {
        ...base,
        masters: [
          { name: 'a', ip: '10.0.0.1' },
          { name: 'a', ip: '10.0.0.2' },
          { name: 'c', ip: '10.0.0.3' },
        ],
      },
      'masters[1].name: "a" is already used by masters[0]',
    ],
    [
      'duplicate IPs',
      {
        ...base,
        masters: [
          { name: 'a', ip: '10.0.0.1' },
          { name: 'b', ip: '10.0.0.1' },
          { name: 'c', ip: '10.0.0.3' },
        ],
      },
      'masters[1].ip: "10.0.0.1" is already used by masters[0]',
    ],
    ['zero masters', { ...base, masters: [] }, 'masters: [] must list at least one master'],
    [
      'too old',
      { ...base, kubernetesVersion: 'v1.32.0' },
      'kubernetesVersion: "v1.32.0" is outside the supported window v1.33 to v1.36',
    ],
    [
      'too new',
      { ...base, kubernetesVersion: 'v1.37.0' },
      'kubernetesVersion: "v1.37.0" is outside the supported window',
    ],
    ['not a version', { ...base, kubernetesVersion: 'latest' }, 'kubernetesVersion: "latest" is not a version'],
    ['etcd 3.4', { ...base, etcdVersion: '3.4.23' }, 'etcdVersion: "3.4.23" is not supported'],
    ['unknown key', { ...base, mastres: [] }, 'mastres: unknown key (known keys: name, kubernetesVersion,'],
    [
      'unknown nested key',
      { ...base, networking: { podCIDR: '10.0.0.0/16' } },
      'networking.podCIDR: unknown key (known keys: serviceCidr, podCidr, clusterDomain, nodeCidrMaskSize, podNetwork)',
    ],
    ['wrong type', { ...base, apiServerPort: '6443' }, 'apiServerPort: "6443" must be integer'],
    [
      'bad enum',
      { ...base, cloudProvider: 'openstack' },
      'cloudProvider: "openstack" is not one of "none", "external"',
    ],
    [
      'bad node name',
      { ...base, masters: [{ name: 'Master_0', ip: '10.180.0.10' }] },
      'masters[0].name: "Master_0" is not a DNS-1123 label',
    ],
    [
      'bad SAN',
      { ...base, extraCertSans: ['not a name'] },
      'extraCertSans[0]: "not a name" is neither an IP address nor a DNS name',
    ],
    [
      'octavia without settings',
      { ...base, loadBalancer: { type: 'octavia' } },
      'loadBalancer.octavia: required when loadBalancer.type is "octavia"',
    ],
    [
      'haproxy on the API port',
      {
        ...base,
        apiEndpoint: { host: '10.180.0.5', port: 6443 },
        loadBalancer: { type: 'haproxy', haproxy: { vip: '10.180.0.5' } },
      },
      'apiEndpoint.port: 6443 must differ from apiServerPort with loadBalancer.type "haproxy"',
    ],
    [
      'leaf outlives CA',
      { ...base, pki: { validityDays: 4000, caValidityDays: 3650 } },
      'pki.validityDays: 4000 exceeds pki.caValidityDays (3650)',
    ],
  ])('%s', (_name, spec, message) => {
    expect(errorsOf(spec).some((e) => e.startsWith(message))).toBe(true);
  });

  test('every problem is reported at once', () => {
    const errors = errorsOf({
      ...base,
      masters: [
        { name: 'a', ip: 'x' },
        { name: 'a', ip: 'y' },
        { name: 'b', ip: 'z' },
      ],
      kubernetesVersion: 'v1.20.0',
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        'masters[0].ip: "x" is not a valid IPv4 or IPv6 address',
        'masters[1].ip: "y" is not a valid IPv4 or IPv6 address',
        'masters[1].name: "a" is already used by masters[0]',
        'masters[2].ip: "z" is not a valid IPv4 or IPv6 address',
      ]),
    );
    expect(errors.some((e) => e.startsWith('kubernetesVersion'))).toBe(true);
  });

  test('unknown keys do not hide the other problems', () => {
    const errors = errorsOf({
      ...base,
      foo: 1,
      masters: [
        { name: 'm0', ip: '10.0.0.300' },
        { name: 'm0', ip: '10.0.0.2' },
        { name: 'm2', ip: '10.0.0.3' },
      ],
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^foo: unknown key/),
        'masters[0].ip: "10.0.0.300" is not a valid IPv4 or IPv6 address',
        'masters[1].name: "m0" is already used by masters[0]',
      ]),
    );
  });

  test('an even number of masters is a warning, not an error', () => {
    const result = validateSpec({ ...base, masters: base.masters.slice(0, 2) });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      'masters: 2 masters tolerate no more failures than 1 (etcd quorum); use an odd number',
    ]);
  });

  test('resolveSpec throws a SpecValidationError listing every problem', () => {
    expect(() => resolveSpec({ ...base, masters: [] })).toThrow(SpecValidationError);
    expect(() => resolveSpec({ ...base, masters: [], kubernetesVersion: 'v2.0.0' })).toThrow(
      /kubernetesVersion: "v2.0.0" is outside.*\n.*masters: \[\] must list at least one master/,
    );
  });
});

describe('cluster.yaml', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-spec-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('no file: the built-in example', () => {
    const { spec, source } = loadClusterSpec({ example: STATIC_EXAMPLE_CLUSTER, cwd: dir });
    expect(source).toBe('built-in example');
    expect(spec.masters).toHaveLength(3);
  });

  test('./cluster.yaml is read and validated', () => {
    fs.writeFileSync(path.join(dir, 'cluster.yaml'), 'name: lab\nmasters:\n  - {name: m1, ip: 192.0.2.1}\n');
    const { spec, source } = loadClusterSpec({ example: STATIC_EXAMPLE_CLUSTER, cwd: dir });
    expect(source).toBe('cluster.yaml');
    expect(spec.name).toBe('lab');
  });

  test('errors name the file', () => {
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'masters:\n  - {name: m1, ip: 192.0.2.300}\nfoo: 1\n');
    expect(() => loadClusterSpec({ example: STATIC_EXAMPLE_CLUSTER, cwd: dir, file: 'bad.yaml' })).toThrow(
      /invalid cluster spec \(.*bad\.yaml\):\n {2}- foo: unknown key/,
    );
  });

  test('YAML syntax errors and duplicate keys are reported', () => {
    expect(() => parseSpecYaml('masters: [\n')).toThrow(SpecValidationError);
    expect(() => parseSpecYaml('name: a\nname: b\nmasters: []\n')).toThrow(
      /name: duplicate key \(line 2, column 1; first at line 1, column 1\)/,
    );
  });

  test('a missing explicit file is an error, not the example', () => {
    expect(() => loadClusterSpec({ example: STATIC_EXAMPLE_CLUSTER, cwd: dir, file: 'nope.yaml' })).toThrow(
      /cannot read the cluster spec:\n {2}- nope\.yaml \(--cluster\): does not exist/,
    );
  });
});
