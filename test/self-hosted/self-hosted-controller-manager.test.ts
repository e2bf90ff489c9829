import * as k8s from '../../imports/k8s';
import { SelfHostedControllerManager } from '../../lib/self-hosted';
import { synthObjects, synthWithWarnings } from '../support/synth';
import { allProblems, argMap, find, synth } from '../addons/_checks';
import { dummyTls, flagErrors, spec } from './_shared';

describe('SelfHostedControllerManager', () => {
  test('defaults', () => {
    let cm!: SelfHostedControllerManager;
    const objs = synth((c) => {
      cm = new SelfHostedControllerManager(c, 'cm', { cluster: spec, tls: dummyTls() });
    });
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    expect(flagErrors('kube-controller-manager', cm.args)).toEqual([]);
    const d = find(objs, 'Deployment', 'kube-controller-manager');
    expect(d.spec.replicas).toBe(2);
    expect(
      d.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
        .topologyKey,
    ).toBe('kubernetes.io/hostname');
    expect(find(objs, 'PodDisruptionBudget', 'kube-controller-manager').spec).toEqual({
      minAvailable: 1,
      selector: { matchLabels: d.spec.selector.matchLabels },
    });
    const args = argMap(cm.args);
    expect(args).toMatchObject({
      'cluster-cidr': '10.2.0.0/16',
      'service-cluster-ip-range': '10.3.0.0/24',
      'use-service-account-credentials': 'true',
      'allocate-node-cidrs': 'true',
    });
    expect(args.kubeconfig).toBeUndefined(); // in-cluster: its own ServiceAccount
    expect(d.spec.template.spec.serviceAccountName).toBe('kube-controller-manager');
    expect(find(objs, 'ClusterRoleBinding', 'kube-controller-manager').roleRef.name).toBe(
      'system:kube-controller-manager',
    );
    // The CA key lives in this Secret only, with exactly what the flags read.
    expect(Object.keys(find(objs, 'Secret', 'kube-controller-manager').stringData).sort()).toEqual([
      'ca.crt',
      'ca.key',
      'front-proxy-ca.crt',
      'service-account.key',
    ]);
    const secretFiles = Object.values(args)
      .filter((v) => v.startsWith('/etc/kubernetes/secrets/'))
      .map((v) => v.split('/').pop());
    expect([...new Set(secretFiles)].sort()).toEqual(['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'service-account.key']);
  });

  test('custom replicas and flags', () => {
    const objs = synth(
      (c) =>
        new SelfHostedControllerManager(c, 'cm', {
          cluster: spec,
          tls: dummyTls(),
          replicas: 3,
          extraArgs: { 'node-monitor-grace-period': '40s' },
        }),
    );
    expect(objs).toMatchSnapshot();
    const d = find(objs, 'Deployment', 'kube-controller-manager');
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0].args).toContain('--node-monitor-grace-period=40s');
    expect(() =>
      synth((c) => new SelfHostedControllerManager(c, 'cm', { cluster: spec, tls: dummyTls(), replicas: 1.5 })),
    ).toThrow('replicas: 1.5 must be a positive integer');
  });

  test("a user's kubeconfig flags are kept (in-cluster credentials are only the default), and the user's flags win", () => {
    let cm!: SelfHostedControllerManager;
    const kubeconfig = '/etc/kubernetes/secrets/kubeconfig';
    const { objects, warnings } = synthWithWarnings((c) => {
      cm = new SelfHostedControllerManager(c, 'cm', {
        cluster: spec,
        tls: dummyTls(),
        extraArgs: {
          kubeconfig: kubeconfig,
          'authentication-kubeconfig': kubeconfig,
          'bind-address': '$(POD_IP)',
          'concurrent-deployment-syncs': '10',
        },
        removeArgs: ['terminated-pod-gc-threshold'],
      });
    });
    const args = argMap(find(objects, 'Deployment', 'kube-controller-manager').spec.template.spec.containers[0].args);
    expect(args).toMatchObject({
      kubeconfig: kubeconfig,
      'authentication-kubeconfig': kubeconfig,
      'concurrent-deployment-syncs': '10',
    });
    expect(args['authorization-kubeconfig']).toBeUndefined();
    expect(args['terminated-pod-gc-threshold']).toBeUndefined();
    expect(cm.flag('kubeconfig')).toBe(kubeconfig);
    expect(warnings).toEqual([
      '[test/cm] weakens CIS 1.3.1 (--terminated-pod-gc-threshold is set): kube-controller-manager: --terminated-pod-gc-threshold not set',
    ]);
  });

  test('an unknown flag fails the synth, naming the construct path', () => {
    expect(() =>
      synthObjects(
        (c) =>
          new SelfHostedControllerManager(c, 'cm', { cluster: spec, tls: dummyTls(), extraArgs: { kubeconfg: '/x' } }),
      ),
    ).toThrow('[test/cm] extraArgs: --kubeconfg is not a flag of kube-controller-manager v1.35.4');
  });

  test('apiObject is the Deployment (and deployment the same object)', () => {
    let cm!: SelfHostedControllerManager;
    const objs = synth((c) => {
      cm = new SelfHostedControllerManager(c, 'cm', { cluster: spec, tls: dummyTls() });
      cm.apiObject.metadata.addAnnotation('example.com/owner', 'team-a');
    });
    expect(cm.apiObject).toBeInstanceOf(k8s.KubeDeployment);
    expect(cm.deployment).toBe(cm.apiObject);
    expect(find(objs, 'Deployment', 'kube-controller-manager').metadata.annotations).toEqual({
      'example.com/owner': 'team-a',
    });
  });
});
