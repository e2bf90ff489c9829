import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import {
  buildBootkube,
  buildSelfHostedMasters,
  manifestFileFor,
  selfHostedMasterHostPath,
  synthBootkube,
} from '../../lib/synth';
import { DnsProvider } from '../../lib/addons';
import { ClusterPki } from '../../lib/pki';
import { BOOTKUBE_EXAMPLE_CLUSTER, ClusterSpec, ExternalEtcdClient, resolveSpec } from '../../lib/spec';
import { fixturePki } from '../support/fixture-pki';
import { allProblems, argMap, clusterAdminGrants, find, mastersWithoutToleration } from '../addons/_checks';
import { dummyTls, pemMask } from '../self-hosted/_shared';

expect.addSnapshotSerializer(pemMask);
const spec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
const all = (m: Record<string, any[]>) =>
  Object.entries(m)
    .filter(([f]) => f.startsWith('manifests/'))
    .flatMap(([, o]) => o);
const container = (objs: any[], kind: string, name: string) => find(objs, kind, name).spec.template.spec.containers[0];

describe('bootkube app', () => {
  const manifests = buildBootkube(spec, dummyTls());
  const objs = all(manifests);

  test('layout: bootkube file names', () => {
    expect(Object.keys(manifests).sort()).toEqual([
      'bootstrap-manifests/bootstrap-apiserver.yaml',
      'bootstrap-manifests/bootstrap-controller-manager.yaml',
      'bootstrap-manifests/bootstrap-scheduler.yaml',
      'manifests/control-plane-rbac.yaml',
      'manifests/coredns.yaml',
      'manifests/kube-apiserver-secret.yaml',
      'manifests/kube-apiserver.yaml',
      'manifests/kube-controller-manager-disruption.yaml',
      'manifests/kube-controller-manager-secret.yaml',
      'manifests/kube-controller-manager.yaml',
      'manifests/kube-dashboard.yaml',
      'manifests/kube-dns-svc.yaml',
      'manifests/kube-flannel-cfg.yaml',
      'manifests/kube-flannel.yaml',
      'manifests/kube-proxy.yaml',
      'manifests/kube-scheduler-disruption.yaml',
      'manifests/kube-scheduler.yaml',
      'manifests/kube-vip-rbac.yaml',
      'manifests/metrics-server.yaml',
      'manifests/namespace.yaml',
      ...['master01', 'master02', 'master03'].flatMap((m) => [`masters/${m}/etcd.yaml`, `masters/${m}/kube-vip.yaml`]),
    ]);
    expect(manifests).toMatchSnapshot();
  });

  test('every object is valid, selected, namespaced, pinned; no cluster-admin ServiceAccount', () => {
    expect(allProblems(objs)).toEqual([]);
    expect(
      allProblems(
        Object.values(manifests)
          .flat()
          .filter((o) => o.kind === 'Pod'),
      ),
    ).toEqual([]);
  });

  test('DaemonSets meant for masters tolerate the control-plane taint', () => {
    expect(mastersWithoutToleration(objs)).toEqual([]);
    expect(find(objs, 'DaemonSet', 'kube-apiserver').spec.template.spec.nodeSelector).toEqual({
      'node.kubernetes.io/controller': 'true',
    });
  });

  test('the retired pod-checkpointer is off by default (hacp-checkpointer.service replaces it); opt-in, it is marked retired', () => {
    expect(objs.filter((o) => o.metadata.name === 'pod-checkpointer')).toEqual([]);
    const m = buildBootkube(spec, dummyTls(), { podCheckpointer: true });
    const ds = find(m['manifests/pod-checkpointer.yaml'], 'DaemonSet', 'pod-checkpointer');
    expect(ds.spec.template.spec.nodeSelector).toEqual({ 'node.kubernetes.io/controller': 'true' });
    expect(ds.metadata.annotations['hacp.io/retired']).toMatch(/CRI v1alpha2.*hacp-checkpointer.service/);
  });

  test('DNS IP, pod CIDR and service CIDR agree everywhere', () => {
    const api = argMap(container(objs, 'DaemonSet', 'kube-apiserver').args);
    const bootApi = argMap(manifests['bootstrap-manifests/bootstrap-apiserver.yaml'][0].spec.containers[0].args);
    const cm = argMap(container(objs, 'Deployment', 'kube-controller-manager').args);
    const bootCm = argMap(
      manifests['bootstrap-manifests/bootstrap-controller-manager.yaml'][0].spec.containers[0].args,
    );
    const proxy = argMap(container(objs, 'DaemonSet', 'kube-proxy').args);
    const flannel = JSON.parse(find(objs, 'ConfigMap', 'kube-flannel-cfg').data['net-conf.json']);
    const dns = find(objs, 'Service', 'kube-dns');
    // service CIDR: the seed had 10.3.0.0/24 in the bootstrap API server and 10.3.0.0/16 in the DaemonSet.
    expect(
      new Set([
        api['service-cluster-ip-range'],
        bootApi['service-cluster-ip-range'],
        cm['service-cluster-ip-range'],
        bootCm['service-cluster-ip-range'],
      ]),
    ).toEqual(new Set(['10.3.0.0/24']));
    expect(new Set([cm['cluster-cidr'], bootCm['cluster-cidr'], proxy['cluster-cidr'], flannel.Network])).toEqual(
      new Set(['10.2.0.0/16']),
    );
    expect(dns.spec.clusterIP).toBe(spec.dnsServiceIp);
    expect(dns.spec.clusterIP).toBe('10.3.0.10');
  });

  test('the CA key is only in the controller manager Secret', () => {
    const withCaKey = objs.filter((o) => o.kind === 'Secret' && o.stringData?.['ca.key']);
    expect(withCaKey.map((o) => o.metadata.name)).toEqual(['kube-controller-manager']);
  });

  test('options: kube-dns, heapster instead of metrics-server, no dashboard, the legacy binding', () => {
    const m = buildBootkube(spec, dummyTls(), {
      dns: DnsProvider.KUBE_DNS,
      heapster: true,
      dashboard: false,
      legacyKubeSystemDefaultAdmin: true,
    });
    expect(Object.keys(m)).toEqual(
      expect.arrayContaining([
        'manifests/kube-dns.yaml',
        'manifests/heapster.yaml',
        'manifests/kube-system-rbac-role-binding.yaml',
      ]),
    );
    expect(Object.keys(m)).not.toContain('manifests/metrics-server.yaml');
    expect(Object.keys(m)).not.toContain('manifests/kube-dashboard.yaml');
    expect(clusterAdminGrants(all(m))).toEqual(['system:default-sa: kube-system/default']);
    expect(allProblems(all(m)).filter((p) => !p.startsWith('system:default-sa'))).toEqual([]);
  });

  test('an object no rule places is an error', () => {
    expect(() => manifestFileFor({ kind: 'ConfigMap', metadata: { name: 'stray' } })).toThrow(
      'no bootkube manifest file for ConfigMap stray',
    );
  });

  test('synthBootkube writes the tree with the PKI files, keys 0600', async () => {
    const pki = await fixturePki(spec);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bootkube-'));
    try {
      fs.mkdirSync(path.join(out, 'bootkube', 'manifests'), { recursive: true });
      fs.writeFileSync(path.join(out, 'bootkube', 'manifests', 'stale.yaml'), 'x');
      const written = synthBootkube(spec, pki, out, { encryptionKey: Buffer.alloc(32, 7).toString('base64') });
      expect(written).toEqual(
        expect.arrayContaining([
          'bootkube/auth/kubeconfig',
          'bootkube/tls/ca.crt',
          'bootkube/manifests/kube-apiserver.yaml',
          'bootkube/bootstrap-manifests/bootstrap-apiserver.yaml',
        ]),
      );
      expect(fs.existsSync(path.join(out, 'bootkube', 'manifests', 'stale.yaml'))).toBe(false);
      // What the bootstrap API server reads besides the PKI (bootkube copies tls/ to the bootstrap secrets dir).
      expect(written).toEqual(
        expect.arrayContaining([
          'bootkube/tls/audit-policy.yaml',
          'bootkube/tls/authentication-config.yaml',
          'bootkube/tls/encryption-config.yaml',
        ]),
      );
      const bootstrapArgs = argMap(
        parseAllDocuments(
          fs.readFileSync(path.join(out, 'bootkube/bootstrap-manifests/bootstrap-apiserver.yaml'), 'utf8'),
        )[0].toJS().spec.containers[0].args,
      );
      for (const flag of ['audit-policy-file', 'authentication-config', 'encryption-provider-config']) {
        expect(fs.existsSync(path.join(out, 'bootkube/tls', path.basename(bootstrapArgs[flag])))).toBe(true);
      }
      const mode = (f: string) => fs.statSync(path.join(out, f)).mode & 0o777;
      expect(mode('bootkube/manifests/kube-apiserver-secret.yaml')).toBe(0o600);
      expect(mode('bootkube/manifests/kube-controller-manager-secret.yaml')).toBe(0o600);
      expect(mode('bootkube/tls/ca.key')).toBe(0o600);
      expect(mode('bootkube/manifests/kube-proxy.yaml')).toBe(0o644);
      const docs = parseAllDocuments(
        fs.readFileSync(path.join(out, 'bootkube/manifests/kube-apiserver-secret.yaml'), 'utf8'),
      ).map((d) => d.toJS());
      expect(docs[0].stringData['apiserver.crt']).toBe(pki.bootkubeAssets().apiserverCrt);
      expect(docs[0].stringData['encryption-config.yaml']).toContain('EncryptionConfiguration');
      // Every manifest file parses and its objects pass the checks.
      const files = written.filter((f) => /^bootkube\/(bootstrap-)?manifests\/.*\.yaml$/.test(f));
      const parsed = files.flatMap((f) =>
        parseAllDocuments(fs.readFileSync(path.join(out, f), 'utf8')).map((d) => d.toJS()),
      );
      expect(allProblems(parsed)).toEqual([]);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('what each master runs by itself: dist/bootkube/masters/<master>/', () => {
  const tmp: string[] = [];
  afterAll(() => tmp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  /** synthBootkube into a temp dir with the fast test PKI; returns the bootkube/ folder. */
  const tmpdir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bootkube-masters-'));
    tmp.push(d);
    return d;
  };
  const synth = (input: ClusterSpec, externalEtcd?: ExternalEtcdClient) => {
    const s = resolveSpec(input);
    const out = tmpdir();
    synthBootkube(s, ClusterPki.forTesting(s), out, {
      encryptionKey: Buffer.alloc(32, 7).toString('base64'),
      externalEtcd,
    });
    return path.join(out, 'bootkube');
  };
  const files = (dir: string) =>
    (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => fs.statSync(path.join(dir, f)).isFile())
      .sort();
  const yaml = (file: string) => parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
  const mode = (f: string) => fs.statSync(f).mode & 0o777;

  test("kube-vip example: etcd and kube-vip static pods, etcd's certificates and kube-vip.conf; nothing of the static topology's master folder", () => {
    const root = synth(BOOTKUBE_EXAMPLE_CLUSTER);
    expect(fs.readdirSync(path.join(root, 'masters')).sort()).toEqual(['master01', 'master02', 'master03']);
    const dir = path.join(root, 'masters/master02');
    expect(files(dir)).toEqual([
      'etcd.yaml',
      'kube-vip.conf',
      'kube-vip.yaml',
      'pki/etcd/ca.crt',
      'pki/etcd/healthcheck-client.crt',
      'pki/etcd/healthcheck-client.key',
      'pki/etcd/peer.crt',
      'pki/etcd/peer.key',
      'pki/etcd/server.crt',
      'pki/etcd/server.key',
    ]);
    for (const f of ['etcd.yaml', 'kube-vip.yaml', 'kube-vip.conf', 'pki/etcd/server.key', 'pki/etcd/peer.key'])
      expect(mode(path.join(dir, f))).toBe(0o600);
    expect(mode(path.join(dir, 'pki/etcd/ca.crt'))).toBe(0o644);
    // The member of this master, as in the static topology; its certificate names this master.
    const etcd = yaml(path.join(dir, 'etcd.yaml'))[0];
    const env = Object.fromEntries(etcd.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({
      ETCD_NAME: 'master02',
      ETCD_INITIAL_CLUSTER:
        'master01=https://172.17.5.101:2380,master02=https://172.17.5.102:2380,master03=https://172.17.5.103:2380',
    });
    expect(
      new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'pki/etcd/server.crt'))).checkIP('172.17.5.102'),
    ).toBe('172.17.5.102');
    // kube-vip with its own identity, dialing its own master (kube-vip itself goes to https://kubernetes:443 = 127.0.0.1).
    const kubeVip = yaml(path.join(dir, 'kube-vip.yaml'))[0];
    expect(kubeVip.spec.volumes).toEqual([
      { name: 'kubeconfig', hostPath: { path: '/etc/kubernetes/kube-vip.conf', type: 'File' } },
    ]);
    const conf = yaml(path.join(dir, 'kube-vip.conf'))[0];
    expect(conf.clusters[0].cluster.server).toBe('https://172.17.5.102:443');
    expect(
      new crypto.X509Certificate(Buffer.from(conf.users[0].user['client-certificate-data'], 'base64')).subject,
    ).toBe('OU=hacp-insecure-test-pki\nCN=hacp:kube-vip');
    // The API server's etcd endpoints are these members.
    const ds = yaml(path.join(root, 'manifests/kube-apiserver.yaml')).find((o) => o.kind === 'DaemonSet');
    expect(argMap(ds.spec.template.spec.containers[0].args)['etcd-servers']).toBe(
      'https://172.17.5.101:2379,https://172.17.5.102:2379,https://172.17.5.103:2379',
    );
  });

  test('the same bytes as `hacp kubelet-unit --self-hosted` installs (one builder), host paths under /etc/kubernetes', () => {
    const s = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
    const [pods] = buildSelfHostedMasters(s, { masters: ['master03'] });
    const root = synth(BOOTKUBE_EXAMPLE_CLUSTER);
    for (const o of pods.objects)
      expect(fs.readFileSync(path.join(root, 'masters/master03', `${o.metadata.name}.yaml`), 'utf8')).toBe(
        Yaml.stringify(o),
      );
    expect(selfHostedMasterHostPath('etcd.yaml')).toBe('etc/kubernetes/manifests/etcd.yaml');
    expect(selfHostedMasterHostPath('kube-vip.conf')).toBe('etc/kubernetes/kube-vip.conf');
    expect(selfHostedMasterHostPath('pki/etcd/peer.key')).toBe('etc/kubernetes/pki/etcd/peer.key');
    expect(() => buildSelfHostedMasters(s, { masters: ['worker01'] })).toThrow(/worker01/);
  });

  test("auth/kubeconfig (the bootstrap's) dials the first master, auth/admin.conf the VIP; kube-vip-rbac.yaml binds the kube-vip user", () => {
    const root = synth(BOOTKUBE_EXAMPLE_CLUSTER);
    expect(yaml(path.join(root, 'auth/kubeconfig'))[0].clusters[0].cluster.server).toBe('https://172.17.5.101:443');
    expect(yaml(path.join(root, 'auth/admin.conf'))[0].clusters[0].cluster.server).toBe('https://172.17.5.100:443');
    expect(yaml(path.join(root, 'manifests/kube-vip-rbac.yaml')).map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      'Role hacp:kube-vip',
      'RoleBinding hacp:kube-vip',
    ]);
  });

  test('Octavia: no kube-vip (pods, kube-vip.conf, RBAC), each master still runs its etcd member', () => {
    const root = synth({
      ...BOOTKUBE_EXAMPLE_CLUSTER,
      apiEndpoint: { host: '10.47.40.33', port: 443 },
      loadBalancer: { type: 'octavia', octavia: { subnet: 'kthw-subnet', floatingIp: '10.47.40.33' } },
    });
    expect(files(path.join(root, 'masters/master01')).filter((f) => !f.startsWith('pki/'))).toEqual(['etcd.yaml']);
    expect(fs.existsSync(path.join(root, 'manifests/kube-vip-rbac.yaml'))).toBe(false);
  });

  test('external etcd: no etcd pods or certificates; the API servers dial its endpoints with its CA and client pair', () => {
    const ext: ExternalEtcdClient = {
      endpoints: ['https://10.0.0.5:2379', 'https://10.0.0.6:2379'],
      caCrt: 'CA PEM\n',
      clientCrt: 'CERT PEM\n',
      clientKey: 'KEY PEM\n',
    };
    const input: ClusterSpec = {
      ...BOOTKUBE_EXAMPLE_CLUSTER,
      etcd: {
        external: { endpoints: [...ext.endpoints], caFile: 'ca.crt', certFile: 'client.crt', keyFile: 'client.key' },
      },
    };
    // Stand-ins: the construct only copies PEMs (readExternalEtcd checks real ones; test/spec/external-etcd.test.ts).
    const pem = (t: string, body: string) =>
      `-----BEGIN ${t}-----\n${Buffer.from(body).toString('base64')}\n-----END ${t}-----\n`;
    const client = {
      ...ext,
      caCrt: pem('CERTIFICATE', 'ca'),
      clientCrt: pem('CERTIFICATE', 'cert'),
      clientKey: pem('PRIVATE KEY', 'key'),
    };
    const root = synth(input, client);
    expect(files(path.join(root, 'masters/master01'))).toEqual(['kube-vip.conf', 'kube-vip.yaml']);
    const apiArgs = argMap(
      yaml(path.join(root, 'manifests/kube-apiserver.yaml')).find((o) => o.kind === 'DaemonSet').spec.template.spec
        .containers[0].args,
    );
    const bootArgs = argMap(
      yaml(path.join(root, 'bootstrap-manifests/bootstrap-apiserver.yaml'))[0].spec.containers[0].args,
    );
    expect(apiArgs['etcd-servers']).toBe('https://10.0.0.5:2379,https://10.0.0.6:2379');
    expect(bootArgs['etcd-servers']).toBe('https://10.0.0.5:2379,https://10.0.0.6:2379');
    const secret = yaml(path.join(root, 'manifests/kube-apiserver-secret.yaml'))[0];
    expect([
      secret.stringData['etcd-client-ca.crt'],
      secret.stringData['etcd-client.crt'],
      secret.stringData['etcd-client.key'],
    ]).toEqual([client.caCrt, client.clientCrt, client.clientKey]);
    expect(fs.readFileSync(path.join(root, 'tls/etcd-client.crt'), 'utf8')).toBe(client.clientCrt);
    expect(fs.readFileSync(path.join(root, 'tls/etcd-client-ca.crt'), 'utf8')).toBe(client.caCrt);
    expect(fs.readFileSync(path.join(root, 'tls/etcd-client.key'), 'utf8')).toBe(client.clientKey);
    expect(mode(path.join(root, 'tls/etcd-client.key'))).toBe(0o600);
    // The files are required with etcd.external, refused without it.
    const s = resolveSpec(input);
    expect(() => synthBootkube(s, ClusterPki.forTesting(s), tmpdir())).toThrow(
      'externalEtcd: the spec sets etcd.external',
    );
    const plain = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
    expect(() => synthBootkube(plain, ClusterPki.forTesting(plain), tmpdir(), { externalEtcd: client })).toThrow(
      'externalEtcd: given, but the spec has no etcd.external',
    );
  });

  test('the bootstrap runs on the first master only', () => {
    expect(() => buildBootkube(spec, dummyTls(), { bootstrapMaster: 'master03' })).toThrow(
      'bootstrapMaster: "master03": the bootstrap runs on the first master, master01',
    );
    expect(Object.keys(buildBootkube(spec, dummyTls(), { bootstrapMaster: 'master01' }))).toContain(
      'bootstrap-manifests/bootstrap-apiserver.yaml',
    );
  });
});
