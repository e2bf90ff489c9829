import * as k8s from '../../imports/k8s';
import { Heapster, RETIRED_ANNOTATION } from '../../lib/addons';
import { allProblems, find, synth } from './_checks';

describe('Heapster (retired, opt-in)', () => {
  test('defaults', () => {
    const objs = synth((c) => new Heapster(c, 'heapster'));
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    const d = find(objs, 'Deployment', 'heapster');
    expect(d.metadata.annotations[RETIRED_ANNOTATION]).toMatch(/use metrics-server/);
    expect(d.spec.template.spec.containers[0].image).toBe('k8s.gcr.io/heapster-amd64:v1.5.4');
    // Kubelet summary API over HTTPS with its own token (the seed used the read-only port 10255).
    expect(d.spec.template.spec.containers[0].command.join(' ')).toContain('kubeletHttps=true&kubeletPort=10250');
    expect(find(objs, 'ClusterRoleBinding', 'heapster').roleRef.name).toBe('system:heapster');
    expect(d.spec.template.spec.tolerations).toBeUndefined();
  });

  test('tolerateControlPlane: a cluster of masters only can run it', () => {
    const pod = find(
      synth((c) => new Heapster(c, 'h', { tolerateControlPlane: true })),
      'Deployment',
      'heapster',
    ).spec.template.spec;
    expect(pod.tolerations).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  test('custom image', () => {
    const objs = synth(
      (c) => new Heapster(c, 'heapster', { image: 'k8s.gcr.io/heapster-amd64:v1.6.0-beta.1', namespace: 'monitoring' }),
    );
    expect(objs).toMatchSnapshot();
    expect(find(objs, 'Deployment', 'heapster').metadata.namespace).toBe('monitoring');
  });

  test('apiObject is the Deployment (deployment the same object)', () => {
    let h!: Heapster;
    synth((c) => {
      h = new Heapster(c, 'h');
    });
    expect(h.apiObject).toBeInstanceOf(k8s.KubeDeployment);
    expect(h.deployment).toBe(h.apiObject);
  });
});
