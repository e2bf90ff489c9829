import * as k8s from '../../imports/k8s';
import { AppNamespace, PodSecurityLevel } from '../../lib/addons';
import { schemaErrors, synth } from './_checks';

describe('AppNamespace', () => {
  test('defaults: restricted Pod Security', () => {
    const objs = synth((c) => new AppNamespace(c, 'ns', { name: 'tds-cloud' }));
    expect(objs).toMatchSnapshot();
    expect(schemaErrors(objs)).toEqual([]);
    expect(objs[0].metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('custom level and labels', () => {
    const objs = synth(
      (c) => new AppNamespace(c, 'ns', { name: 'apps', podSecurity: PodSecurityLevel.BASELINE, labels: { team: 'a' } }),
    );
    expect(objs[0].metadata.labels).toMatchObject({ team: 'a', 'pod-security.kubernetes.io/warn': 'baseline' });
  });

  test('bad names', () => {
    expect(() => synth((c) => new AppNamespace(c, 'ns', { name: 'Tds_Cloud' }))).toThrow(
      "name: 'Tds_Cloud' is not a DNS-1123 label",
    );
    expect(() => synth((c) => new AppNamespace(c, 'ns', { name: 'kube-system' }))).toThrow(
      "name: 'kube-system' is a built-in namespace",
    );
  });

  test('apiObject is the Namespace (namespace the same object)', () => {
    let n!: AppNamespace;
    synth((c) => {
      n = new AppNamespace(c, 'ns', { name: 'apps' });
    });
    expect(n.apiObject).toBeInstanceOf(k8s.KubeNamespace);
    expect(n.namespace).toBe(n.apiObject);
  });
});
