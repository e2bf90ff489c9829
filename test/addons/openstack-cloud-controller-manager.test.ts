import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CLOUD_CONTROLLER_MANAGER_RULES,
  CLOUD_NODE_CONTROLLER_RULES,
  OPENSTACK_CCM_IMAGES,
  OpenStackCloudControllerManager,
  OpenStackCloudControllerManagerProps,
  readApplicationCredentialSecret,
} from '../../lib/addons';
import { CLOUD_UNINITIALIZED_TAINT, CONTROLLER_NODE_SELECTOR } from '../../lib/spec/node-roles';
import { allProblems, argMap, find, synth } from './_checks';

/** A made-up credential: every test checks where it ends up. */
const SECRET = 'fAkE-aPpCrEd-SeCrEt-0123456789';
const PROPS: OpenStackCloudControllerManagerProps = {
  kubernetesVersion: 'v1.35.4',
  podCidr: '10.180.128.0/17',
  clusterName: 'kthw',
  authUrl: 'https://keystone.example.com:5000/v3',
  region: 'RegionOne',
  networkId: '3c0b2c4e-5b87-4a5e-9f1c-0c8a1d0e7d11',
  subnetId: '83aab941-87f4-4372-9fbc-9f702092e3cf',
  routerId: '29635b60-d79f-4536-8144-b2271031461d',
  floatingNetworkId: 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b',
  applicationCredential: { id: '0d9f1c2b3a4e5f60718293a4b5c6d7e8', secretEnv: 'OS_APP_CRED_SECRET' },
  secretResolver: () => SECRET,
};
const build = (props: Partial<OpenStackCloudControllerManagerProps> = {}) =>
  synth((c) => new OpenStackCloudControllerManager(c, 'occm', { ...PROPS, ...props }));

describe('OpenStackCloudControllerManager', () => {
  test('snapshot; schema-valid for every supported minor; no semantic problems', () => {
    const objs = build();
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/cloud-controller-manager',
      'ClusterRole/system:cloud-controller-manager',
      'ClusterRoleBinding/system:cloud-controller-manager',
      'Secret/cloud-config',
      'DaemonSet/openstack-cloud-controller-manager',
    ]);
  });

  test.each(Object.entries(OPENSTACK_CCM_IMAGES))('Kubernetes %s runs the CCM pinned for it', (minor, image) => {
    const ds = find(build({ kubernetesVersion: `v${minor}.2` }), 'DaemonSet', 'openstack-cloud-controller-manager');
    expect(ds.spec.template.spec.containers[0].image).toBe(image);
    expect(image).toMatch(
      new RegExp(
        `^registry\\.k8s\\.io/provider-os/openstack-cloud-controller-manager:v${minor.replace('.', '\\.')}\\.\\d+$`,
      ),
    );
  });

  test('args: the route controller on, the pod CIDR, loopback only', () => {
    const c = find(build(), 'DaemonSet', 'openstack-cloud-controller-manager').spec.template.spec.containers[0];
    expect(c.command).toEqual(['/bin/openstack-cloud-controller-manager']);
    expect(argMap(c.args)).toEqual({
      v: '1',
      'cluster-name': 'kthw',
      'cloud-config': '/etc/config/cloud.conf',
      'cloud-provider': 'openstack',
      'use-service-account-credentials': 'false',
      'bind-address': '127.0.0.1',
      'allocate-node-cidrs': 'true',
      'configure-cloud-routes': 'true',
      'cluster-cidr': '10.180.128.0/17',
    });
    expect(c.livenessProbe.httpGet).toEqual({ host: '127.0.0.1', path: '/healthz', port: 10258, scheme: 'HTTPS' });
  });

  test('configureCloudRoutes: false turns the route controller off (an overlay network routes the pods)', () => {
    const c = find(build({ configureCloudRoutes: false }), 'DaemonSet', 'openstack-cloud-controller-manager').spec
      .template.spec.containers[0];
    expect(argMap(c.args)['configure-cloud-routes']).toBe('false');
    expect(argMap(c.args)['allocate-node-cidrs']).toBe('false');
    expect(argMap(c.args)['cluster-cidr']).toBe('10.180.128.0/17');
  });

  test('placement: the masters by their self-set label, tolerating their taints; restricted pod', () => {
    const pod = find(build(), 'DaemonSet', 'openstack-cloud-controller-manager').spec.template.spec;
    expect(pod.nodeSelector).toEqual(CONTROLLER_NODE_SELECTOR);
    expect(pod.nodeSelector).toEqual({ 'node.kubernetes.io/controller': 'true' });
    expect(pod.affinity).toBeUndefined();
    expect(pod.tolerations).toEqual(
      expect.arrayContaining([
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
        { key: CLOUD_UNINITIALIZED_TAINT.key, operator: 'Equal', value: 'true', effect: 'NoSchedule' },
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
      ]),
    );
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('Default');
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1001,
      runAsGroup: 1001,
      fsGroup: 1001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.volumes).toEqual([{ name: 'cloud-config', secret: { secretName: 'cloud-config', defaultMode: 0o440 } }]);
    expect(JSON.stringify(pod)).not.toContain('hostPath');
  });

  test('RBAC: the ClusterRole and binding of cloud-provider-openstack v1.33.1–v1.36.0 the CCM runs with', () => {
    const objs = build();
    // manifests/controller-manager/cloud-controller-manager-roles.yaml (identical at the four pinned tags).
    expect(find(objs, 'ClusterRole', 'system:cloud-controller-manager').rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['*'] },
      { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
      { apiGroups: [''], resources: ['services'], verbs: ['list', 'patch', 'update', 'watch'] },
      { apiGroups: [''], resources: ['services/status'], verbs: ['patch'] },
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create', 'get'] },
      { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
      { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['*'] },
      { apiGroups: [''], resources: ['endpoints'], verbs: ['create', 'get', 'list', 'watch', 'update'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'get', 'watch'] },
    ]);
    // Upstream's system:cloud-node-controller is bound to a ServiceAccount no manifest creates, used only with
    // --use-service-account-credentials=true: left out, its rules are a subset of the CCM's own.
    expect(objs.filter((o) => o.metadata.name === 'system:cloud-node-controller')).toEqual([]);
    expect(
      argMap(find(objs, 'DaemonSet', 'openstack-cloud-controller-manager').spec.template.spec.containers[0].args)[
        'use-service-account-credentials'
      ],
    ).toBe('false');
    expect(CLOUD_CONTROLLER_MANAGER_RULES).toEqual(expect.arrayContaining([...CLOUD_NODE_CONTROLLER_RULES]));
    // manifests/controller-manager/cloud-controller-manager-role-bindings.yaml
    const b = find(objs, 'ClusterRoleBinding', 'system:cloud-controller-manager');
    expect(b.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'system:cloud-controller-manager',
    });
    expect(b.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'cloud-controller-manager', namespace: 'kube-system' },
    ]);
    expect(find(objs, 'DaemonSet', 'openstack-cloud-controller-manager').spec.template.spec.serviceAccountName).toBe(
      'cloud-controller-manager',
    );
  });

  test('Secret cloud-config: cloud.conf with the credential, the network ids and the router; the secret nowhere else', () => {
    const objs = build();
    const secret = find(objs, 'Secret', 'cloud-config');
    expect(secret.metadata.namespace).toBe('kube-system');
    expect(Object.keys(secret.stringData)).toEqual(['cloud.conf']);
    expect(secret.stringData['cloud.conf']).toBe(
      [
        '[Global]',
        'auth-url = "https://keystone.example.com:5000/v3"',
        'region = "RegionOne"',
        'application-credential-id = "0d9f1c2b3a4e5f60718293a4b5c6d7e8"',
        `application-credential-secret = "${SECRET}"`,
        '',
        '[LoadBalancer]',
        'network-id = "3c0b2c4e-5b87-4a5e-9f1c-0c8a1d0e7d11"',
        'subnet-id = "83aab941-87f4-4372-9fbc-9f702092e3cf"',
        'floating-network-id = "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b"',
        '',
        '[Route]',
        'router-id = "29635b60-d79f-4536-8144-b2271031461d"',
        '',
      ].join('\n'),
    );
    const others = objs.filter((o) => o !== secret);
    expect(JSON.stringify(others)).not.toContain(SECRET);
    // gcfg quoting keeps a secret with quotes and backslashes intact.
    const odd = find(build({ secretResolver: () => 'a"b\\c' }), 'Secret', 'cloud-config').stringData['cloud.conf'];
    expect(odd).toContain('application-credential-secret = "a\\"b\\\\c"');
  });

  test('caFile: the CA goes into the Secret and cloud.conf points at it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-occm-'));
    try {
      const ca = path.join(dir, 'ca.pem');
      fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const secret = find(build({ caFile: ca, floatingNetworkId: undefined }), 'Secret', 'cloud-config');
      expect(secret.stringData['ca.crt']).toContain('BEGIN CERTIFICATE');
      expect(secret.stringData['cloud.conf']).toContain('ca-file = "/etc/config/ca.crt"');
      expect(secret.stringData['cloud.conf']).not.toContain('floating-network-id');
      fs.writeFileSync(ca, 'not a pem');
      expect(() => build({ caFile: ca })).toThrow(
        `OpenStackCloudControllerManager test/occm: caFile: ${ca} holds no PEM certificate`,
      );
      expect(() => build({ caFile: path.join(dir, 'none') })).toThrow(`caFile: cannot read ${path.join(dir, 'none')}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad props: one message naming the construct path, the prop and the value', () => {
    expect(() => build({ authUrl: 'http://keystone.example.com/v3' })).toThrow(
      "OpenStackCloudControllerManager test/occm: authUrl: 'http://keystone.example.com/v3' must be an https:// URL",
    );
    expect(() => build({ routerId: undefined as unknown as string })).toThrow(
      'OpenStackCloudControllerManager test/occm: routerId: required',
    );
    expect(() => build({ routerId: '' })).toThrow('test/occm: routerId: required');
    expect(() => build({ region: 'Region One' })).toThrow("test/occm: region: 'Region One' must be one word");
    expect(() => build({ podCidr: '10.180.128.0' })).toThrow("test/occm: podCidr: '10.180.128.0' is not a valid CIDR");
    expect(() => build({ kubernetesVersion: 'v1.30.0' })).toThrow(
      "test/occm: kubernetesVersion: 'v1.30.0' has no pinned openstack-cloud-controller-manager image",
    );
    expect(() => build({ image: 'example.com/occm:latest' })).toThrow(
      "test/occm: image: 'example.com/occm:latest' must be an image pinned",
    );
    expect(() => build({ applicationCredential: { id: 'x', secretEnv: 'A', secretFile: '/f' } })).toThrow(
      'test/occm: applicationCredential: set exactly one of secretFile or secretEnv',
    );
    expect(build({ kubernetesVersion: 'v1.30.0', image: 'example.com/occm:v1.30.0' })).toBeDefined();
  });
});

describe('the application credential secret stays out of errors and output', () => {
  let dir: string;
  let printed: string[];
  let spies: jest.SpyInstance[];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-occm-secret-'));
    printed = [];
    const capture = (...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
      return true;
    };
    spies = [
      jest.spyOn(console, 'log').mockImplementation(capture),
      jest.spyOn(console, 'warn').mockImplementation(capture),
      jest.spyOn(console, 'error').mockImplementation(capture),
      jest.spyOn(process.stdout, 'write').mockImplementation(capture as any),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture as any),
    ];
  });
  afterEach(() => {
    spies.forEach((s) => s.mockRestore());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const errorOf = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return `${(e as Error).message}\n${(e as Error).stack}`;
    }
    throw new Error('expected an error');
  };

  test('the default resolver reads a 0600 file or a variable, and refuses the rest by name', () => {
    const file = path.join(dir, 'secret');
    fs.writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    expect(readApplicationCredentialSecret({ secretFile: file })).toBe(SECRET);
    expect(readApplicationCredentialSecret({ secretEnv: 'OCCM_TEST' }, { OCCM_TEST: SECRET })).toBe(SECRET);
    fs.chmodSync(file, 0o644);
    expect(() => readApplicationCredentialSecret({ secretFile: file })).toThrow(
      `secretFile: ${file} is readable by group or others (mode 0644); chmod 600 it`,
    );
    expect(() => readApplicationCredentialSecret({ secretEnv: 'OCCM_TEST' }, {})).toThrow(
      'secretEnv: the environment variable OCCM_TEST is not set',
    );
  });

  test('no thrown error and nothing printed carries the secret', () => {
    const file = path.join(dir, 'secret');
    fs.writeFileSync(file, `${SECRET}\n`, { mode: 0o644 });
    const multiline = path.join(dir, 'multi');
    fs.writeFileSync(multiline, `${SECRET}\nsecond line\n`, { mode: 0o600 });
    const env = { OCCM_SECRET_TEST: SECRET };
    const errors = [
      errorOf(() => build({ authUrl: 'http://keystone.example.com' })),
      errorOf(() => build({ routerId: '' })),
      errorOf(() => build({ region: 'a b' })),
      errorOf(() => build({ podCidr: 'x' })),
      errorOf(() => build({ applicationCredential: { id: 'x', secretFile: file }, secretResolver: undefined })),
      errorOf(() => build({ applicationCredential: { id: 'x', secretFile: multiline }, secretResolver: undefined })),
      errorOf(() =>
        build({
          applicationCredential: { id: 'x', secretEnv: 'OCCM_SECRET_TEST' },
          secretResolver: () => `${env.OCCM_SECRET_TEST}\n`,
        }),
      ),
      errorOf(() => build({ secretResolver: () => '' })),
    ];
    expect(errors[0]).toContain('authUrl:');
    expect(errors[4]).toContain(`applicationCredential.secretFile: ${file} is readable by group or others`);
    expect(errors[5]).toContain(
      `applicationCredential: the secret from the file ${multiline} spans more than one line`,
    );
    expect(errors[6]).toContain('the secret from the variable OCCM_SECRET_TEST spans more than one line');
    for (const e of errors) expect(e).not.toContain(SECRET);
    build();
    expect(printed.join('\n')).not.toContain(SECRET);
    expect(printed).toEqual([]);
  });
});
