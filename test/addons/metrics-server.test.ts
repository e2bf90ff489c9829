import * as k8s from '../../imports/k8s';
import { Dns, MetricsServer } from '../../lib/addons';
import { allProblems, find, synth } from './_checks';

describe('MetricsServer', () => {
  test('defaults', () => {
    const objs = synth((c) => new MetricsServer(c, 'ms'));
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    const c = find(objs, 'Deployment', 'metrics-server').spec.template.spec.containers[0];
    expect(c.image).toBe('registry.k8s.io/metrics-server/metrics-server:v0.9.0');
    expect(c.args).not.toContain('--kubelet-insecure-tls');
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(find(objs, 'APIService', 'v1beta1.metrics.k8s.io').spec.service).toEqual({
      name: 'metrics-server',
      namespace: 'kube-system',
    });
    expect(objs.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(find(objs, 'Deployment', 'metrics-server').spec.template.spec.tolerations).toBeUndefined();
  });

  test('tolerateControlPlane: a cluster of masters only can run it', () => {
    const pod = find(
      synth((c) => new MetricsServer(c, 'ms', { tolerateControlPlane: true })),
      'Deployment',
      'metrics-server',
    ).spec.template.spec;
    expect(pod.tolerations).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  test('custom: HA with a disruption budget', () => {
    const objs = synth((c) => new MetricsServer(c, 'ms', { replicas: 2, kubeletInsecureTls: true }));
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    expect(find(objs, 'PodDisruptionBudget', 'metrics-server').spec.minAvailable).toBe(1);
    expect(find(objs, 'Deployment', 'metrics-server').spec.template.spec.containers[0].args).toContain(
      '--kubelet-insecure-tls',
    );
  });

  test('apiObject is the Deployment; deployment is the same L1 object, typed as Dns.deployment is', () => {
    let ms!: MetricsServer;
    let dns!: Dns;
    synth((c) => {
      ms = new MetricsServer(c, 'ms');
      dns = new Dns(c, 'dns', { clusterIp: '10.3.0.10' });
    });
    const deployments: k8s.KubeDeployment[] = [ms.deployment, dns.deployment];
    expect(deployments.every((d) => d instanceof k8s.KubeDeployment)).toBe(true);
    expect(ms.deployment).toBe(ms.apiObject);
  });
});
