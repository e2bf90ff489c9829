import * as k8s from '../../imports/k8s';
import { KubeSystemAdminBinding } from '../../lib/addons';
import { clusterAdminGrants, schemaErrors, synth } from './_checks';

describe('KubeSystemAdminBinding (legacy opt-in)', () => {
  test('recreates the seed binding when acknowledged', () => {
    const objs = synth((c) => new KubeSystemAdminBinding(c, 'b', { acknowledgeClusterAdmin: true }));
    expect(objs).toMatchSnapshot();
    expect(schemaErrors(objs)).toEqual([]);
    expect(clusterAdminGrants(objs)).toEqual(['system:default-sa: kube-system/default']);
  });

  test('refuses without the acknowledgement', () => {
    expect(() => synth((c) => new KubeSystemAdminBinding(c, 'b', { acknowledgeClusterAdmin: false }))).toThrow(
      'acknowledgeClusterAdmin: false must be true',
    );
  });

  test('apiObject is the ClusterRoleBinding (binding the same object)', () => {
    let b!: KubeSystemAdminBinding;
    synth((c) => {
      b = new KubeSystemAdminBinding(c, 'b', { acknowledgeClusterAdmin: true });
    });
    expect(b.apiObject).toBeInstanceOf(k8s.KubeClusterRoleBinding);
    expect(b.binding).toBe(b.apiObject);
  });
});
