import { SelfHostedControlPlane } from '../../lib/self-hosted';
import { allProblems, argMap, find, synth } from '../addons/_checks';
import { dummyTls, pemMask, spec } from './_shared';

expect.addSnapshotSerializer(pemMask);

describe('SelfHostedControlPlane', () => {
  test('defaults: the three components, their RBAC and ControlPlaneRbac', () => {
    const objs = synth((c) => new SelfHostedControlPlane(c, 'cp', { cluster: spec, tls: dummyTls() }));
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    expect(
      objs.filter((o) => ['DaemonSet', 'Deployment'].includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`),
    ).toEqual(['DaemonSet/kube-apiserver', 'Deployment/kube-controller-manager', 'Deployment/kube-scheduler']);
    expect(find(objs, 'ClusterRoleBinding', 'kube-apiserver-kubelet-api-admin').roleRef.name).toBe(
      'system:kubelet-api-admin',
    );
    // The pod and service ranges agree between API server and controller manager.
    const api = argMap(find(objs, 'DaemonSet', 'kube-apiserver').spec.template.spec.containers[0].args);
    const cm = argMap(find(objs, 'Deployment', 'kube-controller-manager').spec.template.spec.containers[0].args);
    expect(api['service-cluster-ip-range']).toBe(cm['service-cluster-ip-range']);
    expect(cm['cluster-cidr']).toBe(spec.networking.podCidr);
    // No Secret but the controller manager's holds the CA key.
    expect(objs.filter((o) => o.kind === 'Secret' && o.stringData['ca.key']).map((o) => o.metadata.name)).toEqual([
      'kube-controller-manager',
    ]);
  });

  test('component options pass through', () => {
    const objs = synth(
      (c) =>
        new SelfHostedControlPlane(c, 'cp', {
          cluster: spec,
          tls: dummyTls(),
          scheduler: { replicas: 3 },
          controllerManager: { replicas: 3 },
        }),
    );
    expect(find(objs, 'Deployment', 'kube-scheduler').spec.replicas).toBe(3);
    expect(find(objs, 'Deployment', 'kube-controller-manager').spec.replicas).toBe(3);
  });

  test('apiObjects: the API server DaemonSet and the two Deployments', () => {
    let cp!: SelfHostedControlPlane;
    synth((c) => {
      cp = new SelfHostedControlPlane(c, 'cp', { cluster: spec, tls: dummyTls() });
    });
    expect(cp.apiObjects.map((o) => `${o.kind}/${o.name}`)).toEqual([
      'DaemonSet/kube-apiserver',
      'Deployment/kube-controller-manager',
      'Deployment/kube-scheduler',
    ]);
    expect(cp.apiObjects).toEqual([cp.apiServer.apiObject, cp.controllerManager.apiObject, cp.scheduler.apiObject]);
  });
});
