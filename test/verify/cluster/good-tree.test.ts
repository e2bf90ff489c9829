/**
 * The `cluster` check on complete static-pod clusters (today's app hand-completed with lib/addons, see _trees.ts) of
 * 1, 3 and 5 masters plus workers: no error, and a plan that brings them up in order. Then defects planted in a copy
 * of the 3-master tree, each caught with the object named.
 */
import * as fs from 'fs';
import { ResolvedClusterSpec } from '../../../lib/spec';
import { BringUpPlan, VerifyReport } from '../../../lib/verify';
import {
  TreeFiles,
  checkCluster,
  editDocs,
  errorLines,
  goodStaticTree,
  pkiFor,
  staticSpec,
  writeFiles,
} from './_trees';

// One shared 5-master PKI (~50 RSA keys) is made for the whole file; no test times key generation.
jest.setTimeout(600_000);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function check(files: TreeFiles, spec: ResolvedClusterSpec): VerifyReport {
  const dir = writeFiles(files);
  dirs.push(dir);
  return checkCluster(dir, spec);
}

const stepsOf = (plan: BringUpPlan) => plan.phases.flatMap((p) => p.steps);
const phaseOf = (plan: BringUpPlan, id: string) =>
  plan.phases.find((p) => p.steps.some((s) => s.id === id))?.index ?? -1;

describe.each([1, 3, 5])('a complete static-pod cluster of %i master(s) and 2 workers', (masters) => {
  const spec = staticSpec(masters, 2);
  let files: TreeFiles;
  let report: VerifyReport;
  beforeAll(async () => {
    files = goodStaticTree(spec, await pkiFor(spec));
    report = check(files, spec);
  });

  test("has no cluster error (warnings: the archived dashboard's images)", () => {
    expect(errorLines(report)).toEqual([]);
    expect(report.findings.map((f) => f.id)).toEqual(['image-retired', 'image-retired']);
  });

  test('gets a plan: etcd, API servers, load balancer, nodes, then kube-proxy, the pod network, DNS', () => {
    const plan = report.plans![0].plan;
    expect(plan).toMatchObject({ root: 'static-pods', flavor: 'static-pods' });
    expect(plan.partial).toBeUndefined();
    const order = ['etcd', 'api-servers', 'load-balancer', 'nodes-registered', 'kube-proxy', 'pod-network', 'dns'].map(
      (id) => phaseOf(plan, id),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(order.length);
    const steps = stepsOf(plan);
    const masterNames = spec.masters.map((m) => m.name);
    expect(steps.find((s) => s.id === 'etcd')).toMatchObject({
      kind: 'static-pods',
      nodes: masterNames,
      files: masterNames.map((m) => `static-pods/${m}/etcd.yaml`),
    });
    expect(steps.find((s) => s.id === 'node-roles')!.labels).toEqual(
      masterNames.map((node) => ({ node, labels: { 'node-role.kubernetes.io/control-plane': '' } })),
    );
    // Every file of cluster/ is applied exactly once, through the API endpoint, and every workload waited for.
    const applied = steps.filter((s) => s.kind === 'apply');
    expect(applied.flatMap((s) => s.files ?? []).sort()).toEqual(
      Object.keys(files)
        .filter((f) => f.startsWith('static-pods/cluster/'))
        .sort(),
    );
    expect(applied.every((s) => s.via === 'endpoint')).toBe(true);
    expect(steps.find((s) => s.id === 'dns')!.waits).toEqual([
      { for: 'rollout', kind: 'Deployment', namespace: 'kube-system', name: 'coredns' },
    ]);
    expect(plan.edges).toContainEqual(
      expect.objectContaining({
        from: 'kube-proxy',
        to: 'pod-network',
        reason: expect.stringContaining('DaemonSet kube-system/kube-flannel (in-cluster config'),
      }),
    );
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});

describe('planted defects in a copy of the 3-master tree are each caught, the object named', () => {
  const spec = staticSpec(3, 2);
  let base: TreeFiles;
  beforeAll(async () => {
    base = goodStaticTree(spec, await pkiFor(spec));
  });
  const planted = (change: (files: TreeFiles) => void): VerifyReport => {
    const files = structuredClone(base);
    change(files);
    return check(files, spec);
  };
  const errors = (r: VerifyReport, id: string) => r.findings.filter((f) => f.severity === 'error' && f.id === id);

  test('kube-proxy removed: no Service proxy; flannel and CoreDNS lose the API', () => {
    const r = planted((f) => delete f['static-pods/cluster/kube-proxy.yaml']);
    expect(errors(r, 'service-proxy-missing')).toEqual([
      expect.objectContaining({
        file: 'static-pods/cluster',
        message: expect.stringContaining('neither kube-proxy nor a declared replacement'),
      }),
    ]);
    expect(errors(r, 'endpoint-unserved')).toContainEqual(
      expect.objectContaining({
        file: 'static-pods/cluster/flannel.yaml',
        message: expect.stringMatching(
          /DaemonSet kube-system\/kube-flannel .*https:\/\/10\.180\.1\.1:443.*no Service proxy runs on master0/,
        ),
      }),
    );
  });

  test("the DNS Service IP changed: no Service at the kubelets' clusterDNS", () => {
    const r = planted((f) =>
      editDocs(f, 'static-pods/cluster/coredns.yaml', (docs) => {
        docs.find((d) => d.kind === 'Service').spec.clusterIP = '10.180.1.53';
      }),
    );
    expect(errors(r, 'dns-service-missing')).toEqual([
      expect.objectContaining({
        file: 'static-pods/cluster/coredns.yaml',
        message: expect.stringContaining(
          'no cluster DNS at 10.180.1.10: the kubelets of master0, master1, master2, worker0 and worker1 write clusterDNS 10.180.1.10',
        ),
      }),
    ]);
    expect(errors(r, 'dns-service-missing')[0].message).toContain(
      'Service kube-system/kube-dns has clusterIP 10.180.1.53',
    );
  });

  test('a kubeconfig pointing at an address nothing serves', () => {
    const rel = 'static-pods/master1/controller-manager.conf';
    const r = planted((f) => {
      f[rel] = [f[rel][0].replace('https://10.180.0.11:6443', 'https://10.180.0.99:6443'), f[rel][1]];
    });
    expect(errors(r, 'endpoint-unserved')).toEqual([
      expect.objectContaining({
        file: rel,
        message: expect.stringMatching(
          /^Pod kube-system\/kube-controller-manager on master1 \(static-pods\/master1\/controller-manager.conf\) dials https:\/\/10\.180\.0\.99:6443, which is not served: no node, load balancer or Service of the model has the address 10\.180\.0\.99$/,
        ),
      }),
    ]);
  });

  test('a selector on a label nobody sets', () => {
    const r = planted((f) =>
      editDocs(f, 'static-pods/cluster/coredns.yaml', (docs) => {
        docs.find((d) => d.kind === 'Deployment').spec.template.spec.nodeSelector['example.com/dns'] = 'true';
      }),
    );
    expect(errors(r, 'label-unset')).toEqual([
      expect.objectContaining({
        file: 'static-pods/cluster/coredns.yaml',
        message: expect.stringContaining(
          'Deployment kube-system/coredns: no node fits nodeSelector kubernetes.io/os="linux", example.com/dns="true"',
        ),
      }),
    ]);
    expect(errors(r, 'label-unset')[0].message).toMatch(
      /example\.com\/dns is registered by no kubelet; no step of the tree sets it$/,
    );
    // Its Service has no endpoint then: the DNS clients' dials are not served.
    expect(
      r.findings.some((f) => f.id === 'endpoint-unserved' && f.message.includes('kube-system/coredns fits no node')),
    ).toBe(false);
  });

  test('the control-plane role label is set only through the API: selecting it is an error that names the step', () => {
    const r = planted((f) =>
      editDocs(f, 'static-pods/cluster/metrics-server.yaml', (docs) => {
        docs.find((d) => d.kind === 'Deployment').spec.template.spec.nodeSelector = {
          'node-role.kubernetes.io/control-plane': '',
        };
      }),
    );
    expect(errors(r, 'label-unset')).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(
          'Deployment kube-system/metrics-server: no node fits nodeSelector node-role.kubernetes.io/control-plane=""',
        ),
      }),
    ]);
    expect(errors(r, 'label-unset')[0].message).toContain(
      'NodeRestriction forbids a kubelet to set it on its own Node); only plan step node-roles sets it',
    );
  });

  test('an etcd member dropped', () => {
    const r = planted((f) => delete f['static-pods/master2/etcd.yaml']);
    const missing = errors(r, 'etcd-member-missing');
    expect(missing.map((f) => f.file).sort()).toEqual([
      'static-pods/master0/etcd.yaml',
      'static-pods/master1/etcd.yaml',
    ]);
    expect(missing[0].message).toMatch(
      /etcd member master\d \(Pod kube-system\/etcd on master\d, initial cluster\) expects member master2 at https:\/\/10\.180\.0\.12:2380 in its initial cluster, but no etcd member \(peer port\) listens on 10\.180\.0\.12:2380 \(master2\)/,
    );
    expect(errors(r, 'endpoint-loopback')).toEqual([
      expect.objectContaining({
        file: 'static-pods/master2/kube-apiserver.yaml',
        message: expect.stringContaining(
          'Pod kube-system/kube-apiserver on master2 (--etcd-servers) dials https://127.0.0.1:2379, which is not served: no etcd member listens on 127.0.0.1:2379 on master2 (one does on master0 and master1, but a loopback address reaches only its own node)',
        ),
      }),
    ]);
  });

  test('a pod network for another range than the pod CIDR', () => {
    const r = planted((f) =>
      editDocs(f, 'static-pods/cluster/flannel.yaml', (docs) => {
        const cm = docs.find((d) => d.kind === 'ConfigMap');
        cm.data['net-conf.json'] = cm.data['net-conf.json'].replace('10.180.128.0/17', '10.244.0.0/16');
      }),
    );
    expect(errors(r, 'pod-network-cidr')).toEqual([
      expect.objectContaining({
        file: 'static-pods/cluster/flannel.yaml',
        message: expect.stringContaining(
          'DaemonSet kube-system/kube-flannel hands out pod addresses from 10.244.0.0/16 (ConfigMap kube-system/kube-flannel-cfg net-conf.json), but the pod CIDR is 10.180.128.0/17',
        ),
      }),
    ]);
  });

  test('a Service selector that matches nothing', () => {
    const r = planted((f) =>
      editDocs(f, 'static-pods/cluster/metrics-server.yaml', (docs) => {
        docs.find((d) => d.kind === 'Service').spec.selector = { 'k8s-app': 'metrics-servr' };
      }),
    );
    expect(errors(r, 'service-selector')).toEqual([
      expect.objectContaining({
        file: 'static-pods/cluster/metrics-server.yaml',
        message: expect.stringContaining(
          'Service kube-system/metrics-server: selector {"k8s-app":"metrics-servr"} matches no pod template',
        ),
      }),
    ]);
  });

  test('a Secret a pod mounts removed', () => {
    const r = planted((f) =>
      editDocs(f, 'static-pods/cluster/dashboard.yaml', (docs) =>
        docs.filter((d) => !(d.kind === 'Secret' && d.metadata.name === 'kubernetes-dashboard-certs')),
      ),
    );
    expect(errors(r, 'ref-secret')).toEqual([
      expect.objectContaining({
        file: 'static-pods/cluster/dashboard.yaml',
        message:
          'Deployment kubernetes-dashboard/kubernetes-dashboard: mounts (volume kubernetes-dashboard-certs) Secret kubernetes-dashboard/kubernetes-dashboard-certs, which is not in the tree: the pod cannot start',
      }),
    ]);
  });

  test('a certificate without the dialed address, and a kubeconfig trusting the wrong CA', () => {
    const r = planted((f) => {
      f['static-pods/master1/pki/apiserver.crt'] = f['static-pods/master0/pki/apiserver.crt'];
      const rel = 'static-pods/master2/kubelet.conf';
      const wrongCa = Buffer.from(f['static-pods/master2/pki/front-proxy-ca.crt'][0]).toString('base64');
      f[rel] = [
        f[rel][0].replace(/certificate-authority-data: \S+/, `certificate-authority-data: ${wrongCa}`),
        f[rel][1],
      ];
    });
    expect(errors(r, 'endpoint-san')).toContainEqual(
      expect.objectContaining({
        file: 'static-pods/master1/controller-manager.conf',
        message: expect.stringContaining(
          'dials https://10.180.0.11:6443: kube-apiserver on master1 (static-pods/master1/kube-apiserver.yaml) presents static-pods/master1/pki/apiserver.crt without 10.180.0.11',
        ),
      }),
    );
    expect(errors(r, 'endpoint-ca')).toContainEqual(
      expect.objectContaining({
        file: 'static-pods/master2/kubelet.conf',
        message: expect.stringMatching(
          /^the kubelet of master2 \(static-pods\/master2\/kubelet.conf\) dials https:\/\/10\.47\.40\.33:443 trusting .* \(CN=front-proxy-ca\), but kube-apiserver on master\d/,
        ),
      }),
    );
  });

  test('placement against replicas: required anti-affinity, a PodDisruptionBudget that blocks every eviction, an untolerated taint', () => {
    const r = planted((f) => {
      editDocs(f, 'static-pods/cluster/coredns.yaml', (docs) => {
        const d = docs.find((x) => x.kind === 'Deployment');
        d.spec.replicas = 6;
        d.spec.template.spec.affinity.podAntiAffinity = {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { 'k8s-app': 'kube-dns' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        };
        return [
          ...docs,
          {
            apiVersion: 'policy/v1',
            kind: 'PodDisruptionBudget',
            metadata: { name: 'coredns', namespace: 'kube-system' },
            spec: { minAvailable: '100%', selector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
          },
        ];
      });
      editDocs(f, 'static-pods/cluster/metrics-server.yaml', (docs) => {
        const spec = docs.find((x) => x.kind === 'Deployment').spec.template.spec;
        spec.nodeSelector = { 'kubernetes.io/hostname': 'master0' };
        spec.tolerations = [];
      });
    });
    expect(errors(r, 'anti-affinity')).toEqual([
      expect.objectContaining({
        message:
          'Deployment kube-system/coredns: 6 replicas with required pod anti-affinity on kubernetes.io/hostname, but only 5 node(s) fit (master0, master1, master2, worker0 and worker1): 1 pod(s) stay Pending',
      }),
    ]);
    expect(errors(r, 'pdb-blocks-eviction')).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(
          'PodDisruptionBudget kube-system/coredns: minAvailable 100% with 6 pod(s) of Deployment kube-system/coredns',
        ),
      }),
    ]);
    expect(errors(r, 'unschedulable')).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(
          'Deployment kube-system/metrics-server: no node fits nodeSelector kubernetes.io/hostname="master0": master0: taint node-role.kubernetes.io/control-plane:NoSchedule is not tolerated; master1: has kubernetes.io/hostname="master1", not "master0", taint',
        ),
      }),
    ]);
  });
});
