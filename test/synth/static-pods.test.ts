/**
 * The static-pod tree's `cluster/`: the add-ons `clusterAddons()` composes from the spec, one file per component, per
 * pod network mode (flannel, cloud-routes, none) and add-on choice, and how `synthStaticPods()` writes them (modes,
 * the credential's Secret, no stale file). The bootkube tree takes the same choices from the spec.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { App, Chart } from 'cdk8s';
import { ClusterPki } from '../../lib/pki';
import { ClusterSpec, STATIC_EXAMPLE_CLUSTER, SpecValidationError, resolveSpec } from '../../lib/spec';
import { StaticPodsTree, buildBootkube, buildStaticPodsTree, clusterAddons, synthStaticPods } from '../../lib/synth';
import { allProblems, argMap, find } from '../addons/_checks';
import { dummyTls } from '../self-hosted/_shared';
import {
  TEST_OS_SECRET,
  TEST_OS_SECRET_ENV,
  credentialEnv,
  credentialFile,
  staticModeInput,
  testOpenStack,
} from '../support/cluster-specs';

const byFile = (tree: StaticPodsTree) => Object.fromEntries(tree.addons.map((f) => [f.path, f]));
const objectsOf = (tree: StaticPodsTree) => tree.addons.flatMap((f) => f.objects);
const podSpec = (o: any) => o.spec.template.spec;
const CONTROL_PLANE_TOLERATION = {
  key: 'node-role.kubernetes.io/control-plane',
  operator: 'Exists',
  effect: 'NoSchedule',
};

describe('buildStaticPodsTree: the add-ons of cluster/, from the spec', () => {
  test('flannel (the static example, masters only): kube-proxy, flannel, CoreDNS at the DNS IP, metrics-server; one file per component', () => {
    const spec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
    const tree = buildStaticPodsTree(spec);
    expect(tree.addons.map((f) => `${f.path} ${f.mode.toString(8)}`)).toEqual([
      'kube-proxy.yaml 644',
      'flannel.yaml 644',
      'coredns.yaml 644',
      'metrics-server.yaml 644',
    ]);
    const files = byFile(tree);
    const objs = objectsOf(tree);
    expect(allProblems(objs)).toEqual([]);
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);

    // kube-proxy: its DaemonSet, ServiceAccount, system:node-proxier binding and kubeconfig, in the spec's mode
    const proxy = files['kube-proxy.yaml'].objects;
    expect(proxy.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/kube-proxy',
      'ClusterRoleBinding/kube-proxy:node-proxier',
      'ConfigMap/kube-proxy-kubeconfig',
      'DaemonSet/kube-proxy',
    ]);
    const binding = find(proxy, 'ClusterRoleBinding', 'kube-proxy:node-proxier');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'system:node-proxier',
    });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kube-proxy', namespace: 'kube-system' }]);
    expect(find(proxy, 'ConfigMap', 'kube-proxy-kubeconfig').data.kubeconfig).toContain(`server: ${spec.apiServerUrl}`);
    const ds = find(proxy, 'DaemonSet', 'kube-proxy');
    expect(argMap(podSpec(ds).containers[0].args)).toMatchObject({
      'proxy-mode': 'iptables',
      'cluster-cidr': '10.180.128.0/17',
    });
    expect(podSpec(ds).serviceAccountName).toBe('kube-proxy');
    expect(podSpec(ds).tolerations).toEqual([{ operator: 'Exists' }]);

    // the pod network: flannel over the pod CIDR
    expect(
      JSON.parse(find(files['flannel.yaml'].objects, 'ConfigMap', 'kube-flannel-cfg').data['net-conf.json']).Network,
    ).toBe('10.180.128.0/17');

    // DNS: CoreDNS behind the Service at the kubelets' clusterDNS
    expect(find(files['coredns.yaml'].objects, 'Service', 'kube-dns').spec.clusterIP).toBe(spec.dnsServiceIp);
    expect(spec.dnsServiceIp).toBe('10.180.1.10');
    expect(find(files['coredns.yaml'].objects, 'Deployment', 'coredns').spec.replicas).toBe(2);

    // metrics: no worker to run on, so metrics-server tolerates the masters' taint (as CoreDNS does)
    expect(podSpec(find(files['metrics-server.yaml'].objects, 'Deployment', 'metrics-server')).tolerations).toEqual([
      CONTROL_PLANE_TOLERATION,
    ]);
    expect(tree.cluster.map((o) => o.metadata.name)).toEqual(expect.arrayContaining(['kubeadm-cluster-admins']));
  });

  test("with workers: metrics-server stays off the masters; kube-proxy runs in the spec's mode", () => {
    const tree = buildStaticPodsTree(staticModeInput('flannel', 3, 2, { addons: { kubeProxyMode: 'nftables' } }));
    const files = byFile(tree);
    expect(
      podSpec(find(files['metrics-server.yaml'].objects, 'Deployment', 'metrics-server')).tolerations,
    ).toBeUndefined();
    expect(
      argMap(podSpec(find(files['kube-proxy.yaml'].objects, 'DaemonSet', 'kube-proxy')).containers[0].args)[
        'proxy-mode'
      ],
    ).toBe('nftables');
  });

  test('cloud-routes: the OpenStack CCM with its route controller and its cloud-config Secret in a file of its own (0600); no flannel', () => {
    const spec = resolveSpec(staticModeInput('cloud-routes'));
    const tree = buildStaticPodsTree(spec, { addons: { env: credentialEnv() } });
    expect(tree.addons.map((f) => `${f.path} ${f.mode.toString(8)}`)).toEqual([
      'kube-proxy.yaml 644',
      'openstack-cloud-controller-manager.yaml 644',
      'cloud-config.yaml 600',
      'coredns.yaml 644',
      'metrics-server.yaml 644',
    ]);
    const files = byFile(tree);
    expect(allProblems(objectsOf(tree))).toEqual([]);
    expect(files['cloud-config.yaml'].objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Secret/cloud-config',
    ]);
    const conf = files['cloud-config.yaml'].objects[0].stringData['cloud.conf'];
    expect(conf).toContain(`application-credential-secret = "${TEST_OS_SECRET}"`);
    expect(conf).toContain('[Route]\nrouter-id = "29635b60-d79f-4536-8144-b2271031461d"');
    // the credential is in that one file only
    const holders = tree.addons.filter((f) => JSON.stringify(f.objects).includes(TEST_OS_SECRET)).map((f) => f.path);
    expect(holders).toEqual(['cloud-config.yaml']);
    expect(JSON.stringify(tree.masters)).not.toContain(TEST_OS_SECRET);

    const ccm = find(
      files['openstack-cloud-controller-manager.yaml'].objects,
      'DaemonSet',
      'openstack-cloud-controller-manager',
    );
    expect(argMap(podSpec(ccm).containers[0].args)).toMatchObject({
      'configure-cloud-routes': 'true',
      'allocate-node-cidrs': 'true',
      'cluster-cidr': spec.networking.podCidr,
      'cluster-name': 'kubernetes',
    });
    expect(podSpec(ccm).tolerations).toContainEqual({
      key: 'node.cloudprovider.kubernetes.io/uninitialized',
      operator: 'Equal',
      value: 'true',
      effect: 'NoSchedule',
    });
    // the controller manager allocates the node CIDRs, leaves the routes to the CCM, and has no cloud provider of its own
    const kcm = tree.masters[0].objects.find((o) => o.metadata.name === 'kube-controller-manager');
    expect(argMap(kcm.spec.containers[0].args)).toMatchObject({
      'allocate-node-cidrs': 'true',
      'cluster-cidr': '10.180.128.0/17',
      'cloud-provider': 'external',
      'configure-cloud-routes': 'false',
    });
  });

  test('cloud-routes: the credential from a file, relative to cwd; errors and warnings name the field and the file, never the secret', () => {
    const cred = credentialFile();
    try {
      const spec = resolveSpec(
        staticModeInput('cloud-routes', 1, 0, { openstack: testOpenStack({ secretFile: path.basename(cred.file) }) }),
      );
      const tree = buildStaticPodsTree(spec, { addons: { cwd: path.dirname(cred.file), env: {} } });
      expect(byFile(tree)['cloud-config.yaml'].objects[0].stringData['cloud.conf']).toContain(`"${TEST_OS_SECRET}"`);

      // a file others can read: built, with a warning that names the file
      fs.chmodSync(cred.file, 0o644);
      const warnings: string[] = [];
      buildStaticPodsTree(spec, { addons: { cwd: path.dirname(cred.file), onWarning: (w) => warnings.push(w) } });
      expect(warnings).toEqual([
        expect.stringMatching(
          /^openstack\.applicationCredential\.secretFile: .*app-credential\.secret is readable by others \(mode 0644\); chmod 600 it$/,
        ),
      ]);
      expect(warnings.join('\n')).not.toContain(TEST_OS_SECRET);
    } finally {
      cred.remove();
    }
    const errorOf = (input: ClusterSpec, env: NodeJS.ProcessEnv, cwd?: string): SpecValidationError => {
      try {
        buildStaticPodsTree(input, { addons: { env, cwd } });
      } catch (e) {
        return e as SpecValidationError;
      }
      throw new Error('no error');
    };
    const unset = errorOf(staticModeInput('cloud-routes'), {});
    expect(unset).toBeInstanceOf(SpecValidationError);
    expect(unset.message).toBe(
      `cannot read the OpenStack application credential:\n  - openstack.applicationCredential.secretEnv: $${TEST_OS_SECRET_ENV} is not set; export the application credential's secret in it`,
    );
    const missing = errorOf(
      staticModeInput('cloud-routes', 3, 2, { openstack: testOpenStack({ secretFile: 'no-such.secret' }) }),
      credentialEnv(),
      os.tmpdir(),
    );
    expect(missing.message).toMatch(/openstack\.applicationCredential\.secretFile: .*no-such\.secret/);
    // a secret that would break cloud.conf: the construct names the variable, not the value
    const twoLines = errorOf(staticModeInput('cloud-routes'), credentialEnv(`${TEST_OS_SECRET}\nsecond-line`));
    expect(twoLines.message).toContain(`the variable ${TEST_OS_SECRET_ENV} spans more than one line`);
    for (const e of [unset, missing, twoLines]) expect(`${e.message}\n${e.stack}`).not.toContain(TEST_OS_SECRET);
  });

  test('none: no pod network add-on and no CCM (the user brings a CNI)', () => {
    const tree = buildStaticPodsTree(staticModeInput('none'));
    expect(tree.addons.map((f) => f.path)).toEqual(['kube-proxy.yaml', 'coredns.yaml', 'metrics-server.yaml']);
  });

  test('retired and optional choices: kube-dns, heapster, the dashboard, ipvs; retired ones annotated, the spec warns', () => {
    const warnings: string[] = [];
    const spec = resolveSpec(
      staticModeInput('flannel', 3, 0, {
        addons: { dns: 'kube-dns', metrics: 'heapster', dashboard: true, kubeProxyMode: 'ipvs' },
      }),
      { onWarning: (w) => warnings.push(w) },
    );
    expect(warnings).toEqual([
      expect.stringMatching(/^addons\.dns: "kube-dns" is retired/),
      expect.stringMatching(/^addons\.metrics: "heapster" is retired/),
      expect.stringMatching(/^addons\.kubeProxyMode: "ipvs" is deprecated/),
    ]);
    const tree = buildStaticPodsTree(spec);
    expect(tree.addons.map((f) => f.path)).toEqual([
      'kube-proxy.yaml',
      'flannel.yaml',
      'kube-dns.yaml',
      'heapster.yaml',
      'dashboard.yaml',
    ]);
    const files = byFile(tree);
    expect(
      find(files['kube-dns.yaml'].objects, 'Deployment', 'kube-dns').metadata.annotations['hacp.io/retired'],
    ).toMatch(/use CoreDNS/);
    expect(find(files['kube-dns.yaml'].objects, 'Service', 'kube-dns').spec.clusterIP).toBe(spec.dnsServiceIp);
    const heapster = find(files['heapster.yaml'].objects, 'Deployment', 'heapster');
    expect(heapster.metadata.annotations['hacp.io/retired']).toMatch(/use metrics-server/);
    expect(podSpec(heapster).tolerations).toEqual([CONTROL_PLANE_TOLERATION]); // masters only
    expect(
      argMap(podSpec(find(files['kube-proxy.yaml'].objects, 'DaemonSet', 'kube-proxy')).containers[0].args)[
        'proxy-mode'
      ],
    ).toBe('ipvs');
    expect(allProblems(objectsOf(tree))).toEqual([]);
    // metrics none
    expect(
      buildStaticPodsTree(staticModeInput('flannel', 3, 0, { addons: { metrics: 'none' } })).addons.map((f) => f.path),
    ).toEqual(['kube-proxy.yaml', 'flannel.yaml', 'coredns.yaml']);
  });

  test('cloudProvider external with flannel: the CCM initialises the Nodes, without routes', () => {
    const tree = buildStaticPodsTree(
      staticModeInput('flannel', 3, 2, { cloudProvider: 'external', openstack: testOpenStack() }),
      { addons: { env: credentialEnv() } },
    );
    expect(tree.addons.map((f) => f.path)).toEqual([
      'kube-proxy.yaml',
      'flannel.yaml',
      'openstack-cloud-controller-manager.yaml',
      'cloud-config.yaml',
      'coredns.yaml',
      'metrics-server.yaml',
    ]);
    const ccm = find(
      byFile(tree)['openstack-cloud-controller-manager.yaml'].objects,
      'DaemonSet',
      'openstack-cloud-controller-manager',
    );
    expect(argMap(podSpec(ccm).containers[0].args)).toMatchObject({
      'configure-cloud-routes': 'false',
      'allocate-node-cidrs': 'false',
    });
    const kcm = tree.masters[0].objects.find((o) => o.metadata.name === 'kube-controller-manager');
    expect(argMap(kcm.spec.containers[0].args)['configure-cloud-routes']).toBeUndefined();
  });

  test("bootkube's pod-checkpointer is no static-pod add-on: ignored, with a warning; addons: false reads no credential", () => {
    const warnings: string[] = [];
    const tree = buildStaticPodsTree(staticModeInput('flannel', 3, 0, { addons: { podCheckpointer: true } }), {
      addons: { onWarning: (w) => warnings.push(w) },
    });
    expect(tree.addons.map((f) => f.path)).not.toContain('pod-checkpointer.yaml');
    expect(warnings).toEqual([expect.stringMatching(/^addons\.podCheckpointer: ignored by the static-pod tree/)]);
    const bare = buildStaticPodsTree(staticModeInput('cloud-routes'), { addons: false }); // no credential in the environment
    expect(bare.addons).toEqual([]);
  });
});

describe('synthStaticPods writes cluster/', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-static-cluster-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const modes = (dir: string) =>
    Object.fromEntries(
      fs
        .readdirSync(dir)
        .sort()
        .map((f) => [f, (fs.statSync(path.join(dir, f)).mode & 0o777).toString(8)]),
    );

  test('cloud-routes: cloud-config.yaml 0600 in a 0700 cluster/, the rest 0644; switching back to flannel leaves no stale file', () => {
    const input = staticModeInput('cloud-routes', 3, 2);
    const spec = resolveSpec(input);
    const pki = ClusterPki.forTesting(spec);
    const key = Buffer.alloc(32, 3).toString('base64');
    const written = synthStaticPods({ spec, pki, encryptionKey: key, outdir: tmp, addons: { env: credentialEnv() } });
    const cluster = path.join(tmp, 'static-pods', 'cluster');
    expect(modes(cluster)).toEqual({
      'cloud-config.yaml': '600',
      'coredns.yaml': '644',
      'kube-proxy.yaml': '644',
      'metrics-server.yaml': '644',
      'openstack-cloud-controller-manager.yaml': '644',
      'rbac.yaml': '644',
    });
    expect(fs.statSync(cluster).mode & 0o777).toBe(0o700);
    expect(written.filter((f) => f.startsWith('static-pods/cluster/')).sort()).toEqual(
      Object.keys(modes(cluster)).map((f) => `static-pods/cluster/${f}`),
    );
    const secret = parseAllDocuments(fs.readFileSync(path.join(cluster, 'cloud-config.yaml'), 'utf8')).map((d) =>
      d.toJS(),
    );
    expect(secret.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Secret/kube-system/cloud-config',
    ]);

    synthStaticPods({ spec: resolveSpec(staticModeInput('flannel', 3, 2)), pki, encryptionKey: key, outdir: tmp });
    expect(Object.keys(modes(cluster))).toEqual([
      'coredns.yaml',
      'flannel.yaml',
      'kube-proxy.yaml',
      'metrics-server.yaml',
      'rbac.yaml',
    ]);
    expect(fs.statSync(cluster).mode & 0o777).toBe(0o755);
  });
});

describe('the bootkube tree takes its add-ons from the spec too (clusterAddons)', () => {
  const manifests = (input: ClusterSpec, options = {}) =>
    Object.keys(buildBootkube(resolveSpec(input), dummyTls(), options))
      .filter((f) => f.startsWith('manifests/'))
      .sort();

  test('the spec chooses; BootkubeOptions override', () => {
    const input = staticModeInput('flannel', 3, 1, {
      addons: { dns: 'kube-dns', metrics: 'heapster', dashboard: false },
    });
    const chosen = manifests(input);
    expect(chosen).toEqual(
      expect.arrayContaining([
        'manifests/kube-dns.yaml',
        'manifests/heapster.yaml',
        'manifests/kube-flannel.yaml',
        'manifests/kube-proxy.yaml',
      ]),
    );
    expect(chosen).not.toContain('manifests/kube-dashboard.yaml');
    expect(chosen).not.toContain('manifests/metrics-server.yaml');
    const overridden = manifests(input, { heapster: false, dashboard: true });
    expect(overridden).toEqual(
      expect.arrayContaining(['manifests/metrics-server.yaml', 'manifests/kube-dashboard.yaml']),
    );
    expect(overridden).not.toContain('manifests/heapster.yaml');
    expect(manifests(staticModeInput('flannel', 3, 1, { addons: { podCheckpointer: true } }))).toContain(
      'manifests/pod-checkpointer.yaml',
    );
  });

  test('cloud-routes: the CCM (its Secret in a 0600 file), no flannel', () => {
    const m = buildBootkube(resolveSpec(staticModeInput('cloud-routes', 3, 1)), dummyTls(), {
      addons: { env: credentialEnv() },
    });
    expect(Object.keys(m)).toContain('manifests/openstack-cloud-controller-manager.yaml');
    expect(Object.keys(m)).not.toContain('manifests/kube-flannel.yaml');
    expect(m['manifests/openstack-cloud-controller-manager.yaml'].map((o) => o.kind)).toContain('Secret');
  });

  test('clusterAddons() returns the constructs and the components in one place', () => {
    const chart = new Chart(new App(), 'x');
    const a = clusterAddons(chart, resolveSpec(staticModeInput('cloud-routes')), {
      env: { [TEST_OS_SECRET_ENV]: TEST_OS_SECRET },
    });
    expect(a.flannel).toBeUndefined();
    expect(a.cloudControllerManager!.secret).toBeDefined();
    expect(a.components.map((c) => c.name)).toEqual([
      'kube-proxy',
      'openstack-cloud-controller-manager',
      'cloud-config',
      'coredns',
      'metrics-server',
    ]);
    expect(a.components.flatMap((c) => c.objects).length).toBe(chart.toJson().length);
  });
});
