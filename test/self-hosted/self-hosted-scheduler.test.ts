import * as k8s from '../../imports/k8s';
import { SelfHostedScheduler } from '../../lib/self-hosted';
import { synthObjects, synthWithWarnings } from '../support/synth';
import { allProblems, find, synth } from '../addons/_checks';
import { flagErrors, spec } from './_shared';

describe('SelfHostedScheduler', () => {
  test('defaults', () => {
    let s!: SelfHostedScheduler;
    const objs = synth((c) => {
      s = new SelfHostedScheduler(c, 's', { cluster: spec });
    });
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    expect(flagErrors('kube-scheduler', s.args)).toEqual([]);
    const d = find(objs, 'Deployment', 'kube-scheduler');
    expect(d.spec.replicas).toBe(2);
    expect(find(objs, 'PodDisruptionBudget', 'kube-scheduler').spec.minAvailable).toBe(1);
    expect(s.flag('kubeconfig')).toBeUndefined();
    expect(s.flag('leader-elect')).toBe('true');
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(
      objs
        .filter((o) => o.kind === 'ClusterRoleBinding')
        .map((b) => b.roleRef.name)
        .sort(),
    ).toEqual(['system:kube-scheduler', 'system:volume-scheduler']);
  });

  test('custom', () => {
    const objs = synth(
      (c) =>
        new SelfHostedScheduler(c, 's', {
          cluster: spec,
          replicas: 3,
          image: 'mirror.example.com/kube-scheduler:v1.35.4',
        }),
    );
    expect(objs).toMatchSnapshot();
    expect(find(objs, 'Deployment', 'kube-scheduler').spec.template.spec.containers[0].image).toBe(
      'mirror.example.com/kube-scheduler:v1.35.4',
    );
  });

  test("a user's kubeconfig flag is kept; a flag the scheduler does not know fails the synth with the construct path", () => {
    let s!: SelfHostedScheduler;
    const { warnings } = synthWithWarnings((c) => {
      s = new SelfHostedScheduler(c, 's', {
        cluster: spec,
        extraArgs: { kubeconfig: '/etc/kubernetes/secrets/kubeconfig', v: '4' },
      });
    });
    expect(s.flag('kubeconfig')).toBe('/etc/kubernetes/secrets/kubeconfig');
    // kube-scheduler's reference marks --kubeconfig deprecated (ignored with --config): reported, not refused.
    expect(warnings).toEqual([
      '[test/s] extraArgs: --kubeconfig is deprecated in kube-scheduler v1.35.4 (deprecated: ignored if --config is given (use config file))',
    ]);
    expect(s.flag('v')).toBe('4');
    expect(s.flag('authentication-kubeconfig')).toBeUndefined();
    expect(() =>
      synthObjects(
        (c) =>
          new SelfHostedScheduler(c, 's', { cluster: spec, extraArgs: { 'algorithm-provider': 'DefaultProvider' } }),
      ),
    ).toThrow(
      '[test/s] extraArgs: --algorithm-provider was removed from kube-scheduler in 1.23 (use --config profiles)',
    );
  });

  test('apiObject is the Deployment (and deployment the same object)', () => {
    let s!: SelfHostedScheduler;
    synth((c) => {
      s = new SelfHostedScheduler(c, 's', { cluster: spec });
    });
    expect(s.apiObject).toBeInstanceOf(k8s.KubeDeployment);
    expect(s.deployment).toBe(s.apiObject);
    expect(s.apiObject.name).toBe('kube-scheduler');
  });
});
