import * as k8s from '../../imports/k8s';
import { ControlPlaneRbac, StaticControlPlane } from '../../lib/control-plane';
import { KUBERNETES_DIR, hostPathToAssetPath } from '../../lib/pki/paths';
import { STATIC_EXAMPLE_CLUSTER } from '../../lib/spec';
import { container, synthObjects, synthWithWarnings } from '../support/synth';
import { schemaErrors, spec } from './_shared';

describe('StaticControlPlane', () => {
  let cp!: StaticControlPlane;
  const objects = synthObjects((chart) => {
    cp = new StaticControlPlane(chart, 'cp', {
      cluster: STATIC_EXAMPLE_CLUSTER,
      master: 'master2',
      scheduler: { extraArgs: { v: '3' } },
    });
  });

  test('four pods in start order, one per component', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Pod/etcd',
      'Pod/kube-apiserver',
      'Pod/kube-controller-manager',
      'Pod/kube-scheduler',
    ]);
    expect(cp.pods.map((p) => p.component)).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
    ]);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test('every pod belongs to the master; per-component options reach the component', () => {
    expect(cp.master).toEqual({ name: 'master2', ip: '10.180.0.12' });
    expect(container(objects[1]).args).toContain('--advertise-address=10.180.0.12');
    expect(container(objects[3]).args).toContain('--v=3');
  });

  test('every host path a pod reads under /etc/kubernetes maps into the master folder', () => {
    const paths = objects
      .flatMap((o) => o.spec.volumes.map((v: any) => v.hostPath.path))
      .filter((p: string) => p.startsWith(KUBERNETES_DIR));
    expect(paths.map(hostPathToAssetPath)).toEqual(
      expect.arrayContaining(['pki/etcd', 'pki', 'apiserver', 'controller-manager.conf', 'scheduler.conf']),
    );
    expect(cp.hostFiles().map((f) => f.path)).toEqual([
      'apiserver/audit-policy.yaml',
      'apiserver/authentication-config.yaml',
    ]);
  });

  test('ControlPlaneRbac binds the admins group to cluster-admin, the kubelet client to kubelet-api-admin only, and lets nodes renew their client certificates', () => {
    const rbac = synthObjects((chart) => new ControlPlaneRbac(chart, 'rbac'));
    expect(rbac).toMatchSnapshot();
    expect(rbac.flatMap(schemaErrors)).toEqual([]);
    expect(rbac.map((b) => [b.roleRef.name, b.subjects[0].kind, b.subjects[0].name])).toEqual([
      ['cluster-admin', 'Group', 'kubeadm:cluster-admins'],
      ['system:kubelet-api-admin', 'User', 'kube-apiserver-kubelet-client'],
      ['system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', 'Group', 'system:nodes'],
    ]);
    expect(rbac.some((b) => b.subjects.some((s: any) => s.name === 'system:masters'))).toBe(false);
  });

  test('spec is resolved once and shared', () => {
    expect(cp.cluster).toBe(cp.apiServer.cluster);
    expect(spec.masters).toHaveLength(3);
  });

  test('apiObjects: the four pods in start order; ControlPlaneRbac its three bindings', () => {
    expect(cp.apiObjects.map((o) => o.name)).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
    ]);
    expect(cp.apiObjects).toEqual(cp.pods.map((p) => p.apiObject));
    expect(cp.apiObjects.every((o) => o instanceof k8s.KubePod)).toBe(true);
    let rbac!: ControlPlaneRbac;
    synthObjects((chart) => {
      rbac = new ControlPlaneRbac(chart, 'rbac');
    });
    expect(rbac.apiObjects.map((o) => o.name)).toEqual([
      'kubeadm-cluster-admins',
      'kube-apiserver-kubelet-api-admin',
      'kubelet-client-cert-renewal',
    ]);
  });

  test("a component's bad flag fails the synth with that component's path", () => {
    expect(() =>
      synthObjects(
        (chart) =>
          new StaticControlPlane(chart, 'cp', {
            cluster: STATIC_EXAMPLE_CLUSTER,
            master: 'master2',
            scheduler: { extraArgs: { 'no-such-flag': '1' } },
          }),
      ),
    ).toThrow('[test/cp/kube-scheduler] extraArgs: --no-such-flag is not a flag of kube-scheduler v1.35.4');
    const { warnings } = synthWithWarnings(
      (chart) =>
        new StaticControlPlane(chart, 'cp', {
          cluster: STATIC_EXAMPLE_CLUSTER,
          master: 'master2',
          etcd: { extraEnv: { ETCD_PEER_AUTO_TLS: 'true' } },
        }),
    );
    expect(warnings).toEqual([
      '[test/cp/etcd] weakens CIS 2.6 (etcd --peer-auto-tls is not true): etcd: peer-auto-tls is true',
    ]);
  });
});
