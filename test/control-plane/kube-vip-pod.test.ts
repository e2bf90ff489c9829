import { Chart, Testing } from 'cdk8s';
import { KubePod } from '../../imports/k8s';
import { KUBE_VIP_LEASE_NAME, KubeVipPod, KubeVipRbac } from '../../lib/control-plane';
import { KUBE_VIP_USER } from '../../lib/pki';
import { BOOTKUBE_EXAMPLE_CLUSTER, ClusterSpec } from '../../lib/spec';
import { container, synthObjects } from '../support/synth';

function synth(props: Partial<ConstructorParameters<typeof KubeVipPod>[2]> = {}): any {
  const objs = synthObjects(
    (chart) => new KubeVipPod(chart, 'kube-vip', { cluster: BOOTKUBE_EXAMPLE_CLUSTER, master: 'master01', ...props }),
  );
  expect(objs).toHaveLength(1);
  return objs[0];
}

const env = (pod: any) =>
  Object.fromEntries(pod.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('KubeVipPod', () => {
  test('bootkube example (snapshot)', () => {
    expect(synth()).toMatchSnapshot();
  });

  test('customised (snapshot)', () => {
    const pod = synth({
      image: 'registry.example/kube-vip:v1.0.0',
      interface: 'bond0',
      kubeconfigPath: '/etc/kubernetes/super-admin.conf',
    });
    expect(pod).toMatchSnapshot();
    expect(container(pod).image).toBe('registry.example/kube-vip:v1.0.0');
    expect(env(pod).vip_interface).toBe('bond0');
  });

  test('ARP mode control-plane VIP with leader election, on the API server port', () => {
    const pod = synth();
    expect(pod.metadata).toEqual({
      name: 'kube-vip',
      namespace: 'kube-system',
      labels: { component: 'kube-vip', tier: 'control-plane' },
    });
    expect(env(pod)).toMatchObject({
      vip_arp: 'true',
      address: '172.17.5.100',
      port: '443',
      vip_interface: 'eth1',
      vip_subnet: '32',
      cp_enable: 'true',
      vip_leaderelection: 'true',
      svc_enable: 'false',
      vip_nodename: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.spec.hostAliases).toEqual([{ ip: '127.0.0.1', hostnames: ['kubernetes'] }]);
    expect(pod.spec.containers[0].image).toBe('ghcr.io/kube-vip/kube-vip:v1.0.1');
  });

  test('least privilege: NET_ADMIN and NET_RAW only; its own kube-vip.conf (not admin.conf), read-only, where kube-vip reads it', () => {
    const c = synth().spec.containers[0];
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    });
    // kube-vip v1.0 reads only /etc/kubernetes/admin.conf inside its container: the host file behind it is kube-vip.conf.
    expect(c.volumeMounts).toEqual([{ name: 'kubeconfig', mountPath: '/etc/kubernetes/admin.conf', readOnly: true }]);
    expect(synth().spec.volumes).toEqual([
      { name: 'kubeconfig', hostPath: { path: '/etc/kubernetes/kube-vip.conf', type: 'File' } },
    ]);
    expect(env(synth()).vip_leasename).toBe(KUBE_VIP_LEASE_NAME);
    expect(synth({ kubeconfigPath: '/etc/kubernetes/super-admin.conf' }).spec.volumes[0].hostPath.path).toBe(
      '/etc/kubernetes/super-admin.conf',
    );
  });

  test('VIP falls back to the endpoint host; bad props name the prop', () => {
    const spec: ClusterSpec = { ...BOOTKUBE_EXAMPLE_CLUSTER, loadBalancer: { type: 'kube-vip' } };
    const chart = new Chart(Testing.app(), 'c');
    expect(new KubeVipPod(chart, 'p', { cluster: spec, master: 'master02' }).vip).toBe('172.17.5.100');
    expect(() => new KubeVipPod(chart, 'x', { cluster: spec, master: 'worker01' })).toThrow(
      'master: "worker01" is not a master',
    );
    expect(() => new KubeVipPod(chart, 'y', { cluster: spec, master: 'master01', interface: 'eth 0' })).toThrow(
      'interface: "eth 0"',
    );
    const onMaster: ClusterSpec = {
      ...BOOTKUBE_EXAMPLE_CLUSTER,
      loadBalancer: { type: 'kube-vip', kubeVip: { vip: '172.17.5.101' } },
    };
    expect(() => new KubeVipPod(chart, 'z', { cluster: onMaster, master: 'master01' })).toThrow(
      'loadBalancer.kubeVip.vip: "172.17.5.101" is masters[0]\'s own address',
    ); // the spec check says it first
  });

  test('apiObject is the pod itself (a KubeVipPod is a KubePod)', () => {
    let vip!: KubeVipPod;
    synthObjects((chart) => {
      vip = new KubeVipPod(chart, 'kube-vip', { cluster: BOOTKUBE_EXAMPLE_CLUSTER, master: 'master01' });
    });
    expect(vip.apiObject).toBe(vip);
    expect(vip.apiObject).toBeInstanceOf(KubePod);
  });
});

describe('KubeVipRbac', () => {
  const objs = synthObjects((chart) => new KubeVipRbac(chart, 'kube-vip-rbac'));

  test('a Role on its Lease only, bound to the kube-vip user (no group, no ClusterRole)', () => {
    expect(objs.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Role kube-system/hacp:kube-vip',
      'RoleBinding kube-system/hacp:kube-vip',
    ]);
    const [role, binding] = objs;
    expect(role.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['plndr-cp-lock'],
        verbs: ['get', 'update', 'list', 'watch'],
      },
    ]);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'hacp:kube-vip' });
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: KUBE_VIP_USER }]);
    expect(KUBE_VIP_USER).toBe('hacp:kube-vip');
  });

  test('props: another user and Lease; bad values name the prop', () => {
    const other = synthObjects((chart) => new KubeVipRbac(chart, 'r', { user: 'kube-vip', leaseName: 'my-lock' }));
    expect(other[0].rules[1].resourceNames).toEqual(['my-lock']);
    expect(other[1].subjects[0].name).toBe('kube-vip');
    expect(() => synthObjects((chart) => new KubeVipRbac(chart, 'r', { leaseName: 'Bad_Name' }))).toThrow(
      'leaseName: "Bad_Name"',
    );
    expect(() => synthObjects((chart) => new KubeVipRbac(chart, 'r', { user: 'a b' }))).toThrow('user: "a b"');
  });
});
