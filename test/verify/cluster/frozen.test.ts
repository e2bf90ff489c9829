/**
 * The `cluster` check on today's output, frozen under test/verify/fixtures (fixtures/README.md): it keeps reporting
 * every reason issue 14 lists why neither built-in tree brings up a working cluster.
 */
import { VerifyReport, bringUpPlan, loadTree } from '../../../lib/verify';
import { FROZEN_DIST, FROZEN_KUBE_VIP, KUBE_VIP_SPEC, checkCluster, frozenSpecFor } from './_trees';

let dist: VerifyReport;
let kubeVip: VerifyReport;
beforeAll(() => {
  dist = checkCluster(FROZEN_DIST, frozenSpecFor);
  kubeVip = checkCluster(FROZEN_KUBE_VIP, KUBE_VIP_SPEC);
});

const find = (r: VerifyReport, id: string, file: string, ...words: string[]) =>
  r.findings.filter(
    (f) => f.check === 'cluster' && f.id === id && f.file === file && words.every((w) => f.message.includes(w)),
  );

describe('frozen static-pod tree', () => {
  test('no pod network, no kube-proxy, no DNS, each an error naming what is missing', () => {
    const errors = dist.findings.filter((f) => f.file?.startsWith('static-pods') && f.severity === 'error');
    expect(errors.map((f) => `${f.file} ${f.id}`).sort()).toEqual([
      'static-pods/cluster dns-missing',
      'static-pods/cluster pod-network-missing',
      'static-pods/cluster service-proxy-missing',
    ]);
    expect(
      find(dist, 'pod-network-missing', 'static-pods/cluster', 'pod CIDR 10.180.128.0/17', 'NotReady'),
    ).toHaveLength(1);
    expect(
      find(dist, 'service-proxy-missing', 'static-pods/cluster', 'kube-proxy', '`kubernetes` Service (10.180.1.1)'),
    ).toHaveLength(1);
    expect(
      find(
        dist,
        'dns-missing',
        'static-pods/cluster',
        'clusterDNS 10.180.1.10',
        'master0, master1 and master2',
        'no Service has that clusterIP',
      ),
    ).toHaveLength(1);
  });

  test('its control plane itself is sound: every address is served, every certificate fits', () => {
    const controlPlane = dist.findings.filter((f) => f.file?.startsWith('static-pods/master'));
    expect(controlPlane).toEqual([]);
  });
});

describe('frozen bootkube tree', () => {
  const ETCD = ['172.17.5.101', '172.17.5.102', '172.17.5.103'];

  test('--etcd-servers name 172.17.5.101-103:2379 and nothing runs etcd there, before or after the pivot', () => {
    for (const ip of ETCD) {
      expect(
        find(
          dist,
          'endpoint-unserved',
          'bootkube/bootstrap-manifests/bootstrap-apiserver.yaml',
          'Pod kube-system/bootstrap-kube-apiserver on master01',
          `https://${ip}:2379`,
          'before the pivot',
          'no etcd member',
        ),
      ).toHaveLength(1);
      expect(
        find(
          dist,
          'endpoint-unserved',
          'bootkube/manifests/kube-apiserver.yaml',
          'DaemonSet kube-system/kube-apiserver',
          `https://${ip}:2379`,
          'the tree runs no etcd member at all',
        ),
      ).toHaveLength(1);
    }
  });

  test('auth/kubeconfig, the kubelets, kube-proxy and the checkpointer dial 172.17.5.100:443, which nothing serves', () => {
    const vip = 'no kube-vip pod is in the tree to hold the VIP 172.17.5.100';
    expect(
      find(dist, 'endpoint-unserved', 'bootkube/auth/kubeconfig', 'https://172.17.5.100:443', 'before the pivot', vip),
    ).toHaveLength(1);
    expect(
      find(
        dist,
        'endpoint-unserved',
        'bootkube',
        'the kubelet of master01',
        'the kubelet of worker01',
        'https://172.17.5.100:443',
        vip,
      ),
    ).toHaveLength(1);
    expect(
      find(
        dist,
        'endpoint-unserved',
        'bootkube/manifests/kube-proxy.yaml',
        'DaemonSet kube-system/kube-proxy',
        'ConfigMap kube-system/kube-proxy-kubeconfig',
        vip,
      ),
    ).toHaveLength(1);
    expect(
      find(
        dist,
        'endpoint-unserved',
        'bootkube/manifests/pod-checkpointer.yaml',
        'DaemonSet kube-system/pod-checkpointer',
        vip,
      ),
    ).toHaveLength(1);
  });

  test('the API server, controller manager, scheduler and checkpointer select a label no kubelet may set', () => {
    for (const [file, what] of [
      ['kube-apiserver', 'DaemonSet kube-system/kube-apiserver'],
      ['kube-controller-manager', 'Deployment kube-system/kube-controller-manager'],
      ['kube-scheduler', 'Deployment kube-system/kube-scheduler'],
      ['pod-checkpointer', 'DaemonSet kube-system/pod-checkpointer'],
    ]) {
      expect(
        find(
          dist,
          'label-unset',
          `bootkube/manifests/${file}.yaml`,
          what,
          'nodeSelector node-role.kubernetes.io/control-plane=""',
          'master01, master02, master03 and worker01: lacks node-role.kubernetes.io/control-plane',
          'NodeRestriction forbids a kubelet',
          'only plan step node-roles sets it',
        ),
      ).toHaveLength(1);
    }
  });

  test('the pod-checkpointer image cannot run on a CRI v1 runtime', () => {
    expect(
      find(
        dist,
        'image-retired',
        'bootkube/manifests/pod-checkpointer.yaml',
        'quay.io/coreos/pod-checkpointer',
        'CRI v1alpha',
      ),
    ).toEqual([expect.objectContaining({ severity: 'error' })]);
  });

  test('the pivot leaves in-cluster clients without an API server', () => {
    expect(
      find(
        dist,
        'endpoint-unserved',
        'bootkube/manifests/kube-flannel.yaml',
        'https://10.3.0.1:443 once running',
        'DaemonSet kube-system/kube-apiserver fits no node',
      ),
    ).toHaveLength(1);
  });

  test('the plan is still derived: bootstrap control plane on master01, manifests in dependency order, the pivot last', () => {
    const plan = dist.plans!.find((p) => p.root === 'bootkube')!.plan;
    const steps = plan.phases.flatMap((p) => p.steps);
    const at = (id: string) => plan.phases.findIndex((p) => p.steps.some((s) => s.id === id));
    expect(steps[0]).toMatchObject({
      id: 'bootstrap-control-plane',
      kind: 'static-pods',
      nodes: ['master01'],
      waits: [{ for: 'readyz' }],
    });
    expect(at('kube-proxy')).toBeLessThan(at('pod-network'));
    expect(at('pod-network')).toBeLessThan(at('dns'));
    expect(at('pod-network')).toBeLessThan(at('kube-apiserver'));
    expect(steps.find((s) => s.id === 'kube-apiserver')!.files).toEqual([
      'bootkube/manifests/kube-apiserver-secret.yaml',
      'bootkube/manifests/kube-apiserver.yaml',
    ]);
    const pivot = steps.find((s) => s.id === 'pivot')!;
    expect(at('pivot')).toBe(plan.phases.length - 1);
    expect(pivot.removes).toEqual(steps[0].files);
    expect(pivot.after).toEqual(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
    const applied = steps.flatMap((s) => (s.kind === 'apply' ? (s.files ?? []) : []));
    expect(new Set(applied).size).toBe(applied.length);
    expect(applied.filter((f) => f.startsWith('bootkube/manifests/'))).toHaveLength(17);
  });
});

describe('frozen kube-vip static-pod tree', () => {
  test('the VIP pods mount admin.conf, which has rights only once cluster/rbac.yaml is applied through a master', () => {
    for (const m of ['master0', 'master1', 'master2']) {
      expect(
        find(
          kubeVip,
          'kube-vip-rbac',
          `static-pods/${m}/kube-vip.yaml`,
          `Pod kube-system/kube-vip on ${m}`,
          'ClusterRoleBinding kubeadm-cluster-admins (static-pods/cluster/rbac.yaml)',
          "through a master's own address",
        ),
      ).toHaveLength(1);
    }
  });

  test('the plan applies that file first, through a master, before kube-vip can hold the VIP and kubelets register', () => {
    const plan = bringUpPlan({ tree: loadTree(FROZEN_KUBE_VIP), spec: KUBE_VIP_SPEC });
    const steps = plan.phases.flatMap((p) => p.steps);
    const at = (id: string) => plan.phases.findIndex((p) => p.steps.some((s) => s.id === id));
    expect(steps.find((s) => s.id === 'kube-vip-rbac')).toMatchObject({
      kind: 'apply',
      via: 'master',
      files: ['static-pods/cluster/rbac.yaml'],
      after: ['api-servers'],
    });
    expect(at('api-servers')).toBeLessThan(at('kube-vip-rbac'));
    expect(at('kube-vip-rbac')).toBeLessThan(at('kube-vip'));
    expect(at('kube-vip')).toBeLessThan(at('nodes-registered'));
    expect(plan.edges).toContainEqual(
      expect.objectContaining({
        from: 'kube-vip-rbac',
        to: 'kube-vip',
        reason: expect.stringContaining('ClusterRoleBinding kubeadm-cluster-admins'),
      }),
    );
  });

  test('the same services are missing as in the static tree', () => {
    expect(
      kubeVip.findings
        .filter((f) => f.severity === 'error')
        .map((f) => f.id)
        .sort(),
    ).toEqual(['dns-missing', 'pod-network-missing', 'service-proxy-missing']);
  });
});
