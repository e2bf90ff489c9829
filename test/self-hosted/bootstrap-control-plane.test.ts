import * as k8s from '../../imports/k8s';
import { BootstrapControlPlane } from '../../lib/self-hosted';
import { synthObjects, synthWithWarnings } from '../support/synth';
import { argMap, schemaErrors, synth } from '../addons/_checks';
import { flagErrors, spec } from './_shared';

describe('BootstrapControlPlane', () => {
  test('defaults: three static pods on the first master reading bootstrap-secrets', () => {
    let b!: BootstrapControlPlane;
    const objs = synth((c) => {
      b = new BootstrapControlPlane(c, 'b', { cluster: spec });
    });
    expect(objs).toMatchSnapshot();
    expect(schemaErrors(objs)).toEqual([]);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Pod/bootstrap-kube-apiserver',
      'Pod/bootstrap-kube-controller-manager',
      'Pod/bootstrap-kube-scheduler',
    ]);
    expect(b.master.name).toBe('master01');
    expect(flagErrors('kube-apiserver', b.apiServer.args)).toEqual([]);
    expect(flagErrors('kube-controller-manager', b.controllerManager.args)).toEqual([]);
    expect(flagErrors('kube-scheduler', b.scheduler.args)).toEqual([]);
    const api = argMap(b.apiServer.args);
    expect(api['advertise-address']).toBe('172.17.5.101');
    expect(api['service-cluster-ip-range']).toBe('10.3.0.0/24'); // the seed had /24 here and /16 in the DaemonSet
    expect(b.controllerManager.flag('kubeconfig')).toBe('/etc/kubernetes/bootstrap-secrets/kubeconfig');
    for (const o of objs) {
      expect(o.spec.hostNetwork).toBe(true);
      expect(o.spec.volumes.find((v: any) => v.name === 'bootstrap-secrets').hostPath.path).toBe(
        '/etc/kubernetes/bootstrap-secrets',
      );
    }
    // Every certificate path the flags name is in bootstrap-secrets, with bootkube's file names.
    const paths = [...b.apiServer.args, ...b.controllerManager.args]
      .map((a) => a.split('=')[1])
      .filter((v) => v?.startsWith('/etc/kubernetes/'));
    expect(paths.every((p) => p.startsWith('/etc/kubernetes/bootstrap-secrets/'))).toBe(true);
  });

  test('custom master; unknown master is an error', () => {
    let b!: BootstrapControlPlane;
    synth((c) => {
      b = new BootstrapControlPlane(c, 'b', { cluster: spec, master: 'master01' });
    });
    expect(b.apiServer.flag('advertise-address')).toBe('172.17.5.101');
    expect(() => synth((c) => new BootstrapControlPlane(c, 'b', { cluster: spec, master: 'master09' }))).toThrow(
      "master: 'master09' is not one of the masters (master01, master02, master03)",
    );
  });

  test('per-component flag overrides reach the bootstrap pods, applied last; unknown flags fail with the construct path', () => {
    let b!: BootstrapControlPlane;
    const { warnings } = synthWithWarnings((c) => {
      b = new BootstrapControlPlane(c, 'b', {
        cluster: spec,
        apiServer: { extraArgs: { v: '2', 'event-ttl': '4h' } },
        controllerManager: { extraArgs: { kubeconfig: '/etc/kubernetes/bootstrap-secrets/other.conf' } },
        scheduler: { removeArgs: ['profiling'] },
      });
    });
    expect(b.apiServer.flag('v')).toBe('2');
    expect(b.apiServer.flag('event-ttl')).toBe('4h');
    expect(b.controllerManager.flag('kubeconfig')).toBe('/etc/kubernetes/bootstrap-secrets/other.conf');
    expect(b.scheduler.flag('profiling')).toBeUndefined();
    expect(warnings).toEqual([
      '[test/b/bootstrap-scheduler] weakens CIS 1.4.1 (scheduler --profiling is false): kube-scheduler: --profiling is not set, want false',
    ]);
    expect(() =>
      synthObjects(
        (c) => new BootstrapControlPlane(c, 'b', { cluster: spec, apiServer: { extraArgs: { 'no-such-flag': '1' } } }),
      ),
    ).toThrow('[test/b/bootstrap-apiserver] extraArgs: --no-such-flag is not a flag of kube-apiserver v1.35.4');
  });

  test('apiObjects: the three pods in start order', () => {
    let b!: BootstrapControlPlane;
    synth((c) => {
      b = new BootstrapControlPlane(c, 'b', { cluster: spec });
    });
    expect(b.apiObjects.map((o) => o.name)).toEqual([
      'bootstrap-kube-apiserver',
      'bootstrap-kube-controller-manager',
      'bootstrap-kube-scheduler',
    ]);
    expect(b.apiObjects.every((o) => o instanceof k8s.KubePod)).toBe(true);
  });
});
