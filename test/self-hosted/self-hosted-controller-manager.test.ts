import { SelfHostedControllerManager } from '../../lib/self-hosted';
import { allProblems, argMap, find, synth } from '../addons/_checks';
import { dummyTls, flagErrors, spec } from './_shared';

describe('SelfHostedControllerManager', () => {
  test('defaults', () => {
    let cm!: SelfHostedControllerManager;
    const objs = synth((c) => { cm = new SelfHostedControllerManager(c, 'cm', { cluster: spec, tls: dummyTls() }); });
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    expect(flagErrors('kube-controller-manager', cm.args)).toEqual([]);
    const d = find(objs, 'Deployment', 'kube-controller-manager');
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(find(objs, 'PodDisruptionBudget', 'kube-controller-manager').spec).toEqual({ minAvailable: 1, selector: { matchLabels: d.spec.selector.matchLabels } });
    const args = argMap(cm.args);
    expect(args).toMatchObject({ 'cluster-cidr': '10.2.0.0/16', 'service-cluster-ip-range': '10.3.0.0/24', 'use-service-account-credentials': 'true', 'allocate-node-cidrs': 'true' });
    expect(args.kubeconfig).toBeUndefined(); // in-cluster: its own ServiceAccount
    expect(d.spec.template.spec.serviceAccountName).toBe('kube-controller-manager');
    expect(find(objs, 'ClusterRoleBinding', 'kube-controller-manager').roleRef.name).toBe('system:kube-controller-manager');
    // The CA key lives in this Secret only, with exactly what the flags read.
    expect(Object.keys(find(objs, 'Secret', 'kube-controller-manager').stringData).sort()).toEqual(['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'service-account.key']);
    const secretFiles = Object.values(args).filter((v) => v.startsWith('/etc/kubernetes/secrets/')).map((v) => v.split('/').pop());
    expect([...new Set(secretFiles)].sort()).toEqual(['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'service-account.key']);
  });

  test('custom replicas and flags', () => {
    const objs = synth((c) => new SelfHostedControllerManager(c, 'cm', { cluster: spec, tls: dummyTls(), replicas: 3, extraArgs: { 'node-monitor-grace-period': '40s' } }));
    expect(objs).toMatchSnapshot();
    const d = find(objs, 'Deployment', 'kube-controller-manager');
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0].args).toContain('--node-monitor-grace-period=40s');
    expect(() => synth((c) => new SelfHostedControllerManager(c, 'cm', { cluster: spec, tls: dummyTls(), replicas: 1.5 }))).toThrow('replicas: 1.5 must be a positive integer');
  });
});
