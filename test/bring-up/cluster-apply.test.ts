/**
 * `hacp cluster apply` on a real synthesized static-pod tree: the exact command lines (dry run), and a run with the
 * real kubectl against the FAKE API server (test/support/fake-apiserver.ts). The tree's kubeconfigs name the
 * example's real endpoint, so every run that sends anything passes `--kubeconfig` (the fake's) and
 * `--master-server` (the fake): nothing leaves loopback.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FakeApiServer } from '../support/fake-apiserver';
import { hacp } from '../support/hacp';
import { kubectlBinary, kubectlEnv, tempDir, testWithKubectl } from '../support/kubectl';
import { synthStaticTree } from './_trees';

jest.setTimeout(240_000);

const ADDON = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: registry.example/agent:1}]}
`;

describe('hacp cluster apply', () => {
  let tmp: { dir: string; remove: () => void };
  let tree: string;
  beforeAll(async () => {
    tmp = tempDir('hacp-cluster-apply-');
    tree = await synthStaticTree(path.join(tmp.dir, 'dist'));
    fs.writeFileSync(path.join(tree, 'cluster', 'zz-addon.yaml'), ADDON); // a workload, so the plan has a rollout to wait for
  });
  afterAll(() => tmp.remove());

  test("--dry-run prints the exact commands in the plan's order, with the first master's super-admin.conf", async () => {
    const r = await hacp(['cluster', 'apply', tree, '--dry-run', '--example', 'static']);
    expect(r).toMatchObject({ code: 0, err: '' });
    const k = `kubectl --kubeconfig=${path.join(tree, 'master0', 'super-admin.conf')}`;
    // The cluster check's plan: the static pods (their waits through the first master's own API server: etcd's
    // quorum, then the whole /readyz), the load balancer (/readyz through the endpoint), the masters' Nodes (once),
    // cluster/ file by file, the role labels. Each poll says what it waits for and where.
    const m = `${k} --server=https://10.180.0.10:6443`;
    expect(r.out.split('\n').filter((l) => l.trim() && !l.startsWith('#'))).toEqual([
      `${m} get --raw=/readyz/etcd --request-timeout=10s`, // etcd
      `${m} get --raw=/readyz --request-timeout=10s`, // API servers
      `${k} get --raw=/readyz --request-timeout=10s`, // the Octavia load balancer
      ...['master0', 'master1', 'master2'].map((n) => `${k} wait --for=create node/${n} --timeout=300s`),
      `${k} apply --server-side --field-manager=hacp --force-conflicts -f ${path.join(tree, 'cluster/rbac.yaml')}`,
      ...['master0', 'master1', 'master2'].map(
        (n) => `${k} label node ${n} node-role.kubernetes.io/control-plane= --overwrite`,
      ),
      // the add-ons of cluster/: kube-proxy, the pod network, DNS, metrics, each waited for
      ...[
        ['kube-proxy', 'daemonset/kube-proxy'],
        ['flannel', 'daemonset/kube-flannel'],
        ['coredns', 'deployment/coredns'],
        ['metrics-server', 'deployment/metrics-server'],
      ].flatMap(([f, w]) => [
        `${k} apply --server-side --field-manager=hacp --force-conflicts -f ${path.join(tree, `cluster/${f}.yaml`)}`,
        `${k} rollout status ${w} -n kube-system --timeout=300s`,
      ]),
      `${k} apply --server-side --field-manager=hacp --force-conflicts -f ${path.join(tree, 'cluster/zz-addon.yaml')}`,
      `${k} rollout status daemonset/agent -n kube-system --timeout=300s`,
    ]);
    expect(r.out).toContain("# phase 4/7, step 'rbac' (apply): ClusterRoleBindings");
    expect(r.out).toContain("# phase 6/7, step 'pod-network' (apply): DaemonSet kube-flannel");
    expect(r.out).toContain(
      '# until it succeeds (etcd to serve (the API server reaches a quorum: /readyz/etcd), through https://10.180.0.10:6443): every 5s, at most 300s',
    );
    expect(r.out).toContain(
      '# until it succeeds (the API server to answer /readyz, through https://10.180.0.10:6443): every 5s, at most 300s',
    );
    expect(r.out).toContain(
      "# until it succeeds (the API server to answer /readyz, through the API endpoint https://10.47.40.33:443 (the kubeconfig's server)): every 5s, at most 300s",
    );
    // the controller managers and schedulers: no wait of their own, and the output says why
    expect(r.out).toContain(
      "# phase 3/7, step 'scheduler' (static-pods): schedulers (static pods) [via https://10.180.0.10:6443]\n# the kubelets on master0, master1, master2 start kube-scheduler.yaml from their manifest directories; nothing to apply\n# note: no wait of its own: the rollouts of later steps show it works (the scheduler places their pods)\n",
    );
  });

  test('--timeout, --poll-interval and --kubectl show in the command lines', async () => {
    const r = await hacp([
      'cluster',
      'apply',
      tree,
      '--dry-run',
      '--example',
      'static',
      '--timeout',
      '90s',
      '--poll-interval',
      '2',
      '--kubectl',
      '/opt/k/kubectl',
      '--kubeconfig',
      '/dev/null',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      '/opt/k/kubectl --kubeconfig=/dev/null rollout status daemonset/agent -n kube-system --timeout=90s\n',
    );
    expect(r.out).toContain(
      "# until it succeeds (the API server to answer /readyz, through the kubeconfig's server (the API endpoint)): every 2s, at most 90s\n",
    );
  });

  test('without super-admin.conf: admin.conf, with a warning saying why that may fail', async () => {
    const copy = path.join(tmp.dir, 'copy');
    fs.cpSync(tree, copy, { recursive: true });
    fs.rmSync(path.join(copy, 'master0', 'super-admin.conf'));
    const r = await hacp(['cluster', 'apply', copy, '--dry-run', '--example', 'static']);
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      `warning: ${path.join(copy, 'master0', 'super-admin.conf')} not found; using ${path.join(copy, 'master0', 'admin.conf')}, whose group kubeadm:cluster-admins has rights only once the kubeadm-cluster-admins binding of cluster/rbac.yaml exists (the first apply needs super-admin.conf, or --kubeconfig)\n`,
    );
    expect(r.out).toContain(`kubectl --kubeconfig=${path.join(copy, 'master0', 'admin.conf')} apply`);
  });

  test('bad input: one message, exit 1, nothing run', async () => {
    expect(await hacp(['cluster', 'apply', path.join(tmp.dir, 'nope'), '--example', 'static'])).toEqual({
      code: 1,
      out: '',
      err: `error: ${path.join(tmp.dir, 'nope')}: no such directory (run \`npm run synth\` first?)\n`,
    });
    expect(await hacp(['cluster', 'apply', tree, '--example', 'static', '--timeout', 'soon'])).toEqual({
      code: 1,
      out: '',
      err: 'error: --timeout: "soon" is not a duration (seconds, or e.g. 300s, 5m, 1h)\n',
    });
    expect(
      await hacp(['cluster', 'apply', tree, '--example', 'static', '--kubeconfig', path.join(tmp.dir, 'none.conf')]),
    ).toEqual({ code: 1, out: '', err: `error: --kubeconfig: ${path.join(tmp.dir, 'none.conf')}: no such file\n` });
    expect((await hacp(['cluster', 'apply', tmp.dir, '--example', 'static'])).err).toContain(
      'neither a static-pod tree',
    );
  });

  describe('against the FAKE API server', () => {
    let fake: FakeApiServer;
    let kubeconfig: string;
    let env: NodeJS.ProcessEnv;
    const args = () => [
      'cluster',
      'apply',
      tree,
      '--example',
      'static',
      '--kubeconfig',
      kubeconfig,
      '--master-server',
      fake.url,
      '--timeout',
      '120s',
      '--poll-interval',
      '0.5',
    ];

    beforeEach(async () => {
      fake = new FakeApiServer({ autoRollout: true });
      await fake.start();
      kubeconfig = fake.writeKubeconfig(path.join(tmp.dir, 'fake.kubeconfig'));
      env = { ...kubectlEnv(tmp.dir), HACP_KUBECTL: kubectlBinary() ?? 'kubectl' };
      for (const m of ['master0', 'master1', 'master2'])
        fake.addNode(m, { labels: { 'node.kubernetes.io/controller': 'true' } });
    });
    afterEach(() => fake.stop());

    testWithKubectl(
      'applies cluster/, waits for the rollout, labels the masters; a second run changes nothing',
      async () => {
        const r = await hacp(args(), env);
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(r.out).toContain("phase 4/7, step 'rbac' (apply): ClusterRoleBindings");
        expect(r.out).toContain(
          'clusterrolebinding.rbac.authorization.k8s.io/kubeadm-cluster-admins serverside-applied',
        );
        expect(r.out).toContain('daemon set "agent" successfully rolled out');
        expect(r.out).toContain(
          'cluster kubernetes: 13 steps done (etcd, api-servers, load-balancer, controller-manager, scheduler, nodes-registered, rbac, node-roles, kube-proxy, pod-network, dns, metrics-server, zz-addon)',
        );
        expect(fake.list('ClusterRoleBinding').map((o) => o.metadata.name)).toEqual(
          expect.arrayContaining([
            'kube-apiserver-kubelet-api-admin',
            'kubeadm-cluster-admins',
            'kubelet-client-cert-renewal',
            'kube-proxy:node-proxier',
          ]),
        );
        expect(fake.list('Node').map((n) => n.metadata.labels['node-role.kubernetes.io/control-plane'])).toEqual([
          '',
          '',
          '',
        ]);
        const order = fake.requests
          .filter((q) => q.method === 'PATCH')
          .map((q) => q.path.split('/').slice(-2).join('/'));
        const picked = [
          'clusterrolebindings/kubeadm-cluster-admins',
          'clusterrolebindings/kube-apiserver-kubelet-api-admin',
          'clusterrolebindings/kubelet-client-cert-renewal',
          'nodes/master0',
          'nodes/master1',
          'nodes/master2',
          'daemonsets/kube-proxy',
          'daemonsets/kube-flannel',
          'deployments/coredns',
          'deployments/metrics-server',
          'daemonsets/agent',
        ];
        expect(order.filter((p) => picked.includes(p))).toEqual(picked);
        const rvs = () => [
          ...['ClusterRoleBinding', 'DaemonSet', 'Node'].flatMap((k) =>
            fake.list(k).map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`),
          ),
        ];
        const before = rvs();
        const again = await hacp(args(), env);
        expect(again.code).toBe(0);
        expect(again.out).toContain('node/master0 not labeled');
        expect(rvs()).toEqual(before);
      },
    );

    testWithKubectl(
      "a step kubectl fails: exit 1, the step, the command and the API's message, no stack trace",
      async () => {
        fake.reject(
          (q) => q.method === 'PATCH' && q.path.endsWith('/kubelet-client-cert-renewal'),
          403,
          'clusterrolebindings.rbac.authorization.k8s.io "kubelet-client-cert-renewal" is forbidden: user "kubernetes-admin" cannot patch resource',
        );
        const r = await hacp(args(), env);
        expect(r.code).toBe(1);
        expect(r.err).toMatch(
          /^error: step 'rbac' \(ClusterRoleBindings\) failed applying cluster\/rbac\.yaml: `\S+ --kubeconfig=\S+ apply --server-side --field-manager=hacp --force-conflicts -f \S+rbac\.yaml` failed \(exit code 1\):\n {2}Error from server \(Forbidden\): .*is forbidden: user "kubernetes-admin" cannot patch resource/,
        );
        expect(r.err).not.toMatch(/\n\s+at /);
        expect(fake.list('Node').some((n) => 'node-role.kubernetes.io/control-plane' in n.metadata.labels)).toBe(false);
      },
    );
  });
});
