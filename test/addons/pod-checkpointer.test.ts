import * as k8s from '../../imports/k8s';
import { PodCheckpointer } from '../../lib/addons';
import { allProblems, find, synth } from './_checks';

describe('PodCheckpointer', () => {
  test('defaults', () => {
    const objs = synth((c) => new PodCheckpointer(c, 'pc', { apiServerUrl: 'https://172.17.5.100:443' }));
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    const ds = find(objs, 'DaemonSet', 'pod-checkpointer');
    expect(ds.spec.template.metadata.annotations).toEqual({ 'checkpointer.alpha.coreos.com/checkpoint': 'true' });
    expect(ds.spec.template.spec.nodeSelector).toEqual({ 'node.kubernetes.io/controller': 'true' });
    expect(ds.spec.template.spec.containers[0].image).toBe(
      'quay.io/coreos/pod-checkpointer:83e25e5968391b9eb342042c435d1b3eeddb2be1',
    );
    expect(ds.spec.template.spec.containers[0].command).toContain('--checkpoint-grace-period=5m');
    // A namespaced Role reading pods, Secrets and ConfigMaps: no cluster-wide rights.
    expect(find(objs, 'Role', 'pod-checkpointer').rules.flatMap((r: any) => r.verbs)).not.toContain('create');
    expect(objs.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
    // retired: every object says so and names the replacement
    for (const o of objs)
      expect({ obj: `${o.kind}/${o.metadata.name}`, retired: o.metadata.annotations?.['hacp.io/retired'] }).toEqual({
        obj: `${o.kind}/${o.metadata.name}`,
        retired: PodCheckpointer.RETIRED_REASON,
      });
    expect(PodCheckpointer.RETIRED_REASON).toContain('hacp checkpointer run');
  });

  test('custom', () => {
    const objs = synth(
      (c) =>
        new PodCheckpointer(c, 'pc', {
          apiServerUrl: 'https://api.example.com:6443',
          checkpointGracePeriod: '10m',
          containerRuntimeEndpoint: 'unix:///run/crio/crio.sock',
        }),
    );
    expect(objs).toMatchSnapshot();
    expect(find(objs, 'DaemonSet', 'pod-checkpointer').spec.template.spec.containers[0].command).toContain(
      '--container-runtime-endpoint=unix:///run/crio/crio.sock',
    );
  });

  test('bad props', () => {
    expect(() =>
      synth((c) => new PodCheckpointer(c, 'pc', { apiServerUrl: 'https://x:1', checkpointGracePeriod: 'soon' })),
    ).toThrow("checkpointGracePeriod: 'soon' must be a duration");
  });

  test('apiObject is the DaemonSet (daemonSet the same object)', () => {
    let p!: PodCheckpointer;
    synth((c) => {
      p = new PodCheckpointer(c, 'pc', { apiServerUrl: 'https://172.17.5.100:443' });
    });
    expect(p.apiObject).toBeInstanceOf(k8s.KubeDaemonSet);
    expect(p.daemonSet).toBe(p.apiObject);
  });
});
