import { SelfHostedScheduler } from '../../lib/self-hosted';
import { allProblems, find, synth } from '../addons/_checks';
import { flagErrors, spec } from './_shared';

describe('SelfHostedScheduler', () => {
  test('defaults', () => {
    let s!: SelfHostedScheduler;
    const objs = synth((c) => { s = new SelfHostedScheduler(c, 's', { cluster: spec }); });
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    expect(flagErrors('kube-scheduler', s.args)).toEqual([]);
    const d = find(objs, 'Deployment', 'kube-scheduler');
    expect(d.spec.replicas).toBe(2);
    expect(find(objs, 'PodDisruptionBudget', 'kube-scheduler').spec.minAvailable).toBe(1);
    expect(s.flag('kubeconfig')).toBeUndefined();
    expect(s.flag('leader-elect')).toBe('true');
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(objs.filter((o) => o.kind === 'ClusterRoleBinding').map((b) => b.roleRef.name).sort()).toEqual(['system:kube-scheduler', 'system:volume-scheduler']);
  });

  test('custom', () => {
    const objs = synth((c) => new SelfHostedScheduler(c, 's', { cluster: spec, replicas: 3, image: 'mirror.example.com/kube-scheduler:v1.35.4' }));
    expect(objs).toMatchSnapshot();
    expect(find(objs, 'Deployment', 'kube-scheduler').spec.template.spec.containers[0].image).toBe('mirror.example.com/kube-scheduler:v1.35.4');
  });
});
