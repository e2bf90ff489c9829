import { BootstrapControlPlane } from '../../lib/self-hosted';
import { argMap, schemaErrors, synth } from '../addons/_checks';
import { flagErrors, spec } from './_shared';

describe('BootstrapControlPlane', () => {
  test('defaults: three static pods on the first master reading bootstrap-secrets', () => {
    let b!: BootstrapControlPlane;
    const objs = synth((c) => { b = new BootstrapControlPlane(c, 'b', { cluster: spec }); });
    expect(objs).toMatchSnapshot();
    expect(schemaErrors(objs)).toEqual([]);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Pod/bootstrap-kube-apiserver', 'Pod/bootstrap-kube-controller-manager', 'Pod/bootstrap-kube-scheduler']);
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
      expect(o.spec.volumes.find((v: any) => v.name === 'bootstrap-secrets').hostPath.path).toBe('/etc/kubernetes/bootstrap-secrets');
    }
    // Every certificate path the flags name is in bootstrap-secrets, with bootkube's file names.
    const paths = [...b.apiServer.args, ...b.controllerManager.args].map((a) => a.split('=')[1]).filter((v) => v?.startsWith('/etc/kubernetes/'));
    expect(paths.every((p) => p.startsWith('/etc/kubernetes/bootstrap-secrets/'))).toBe(true);
  });

  test('custom master; unknown master is an error', () => {
    let b!: BootstrapControlPlane;
    synth((c) => { b = new BootstrapControlPlane(c, 'b', { cluster: spec, master: 'master01' }); });
    expect(b.apiServer.flag('advertise-address')).toBe('172.17.5.101');
    expect(() => synth((c) => new BootstrapControlPlane(c, 'b', { cluster: spec, master: 'master09' }))).toThrow("master: 'master09' is not one of the masters (master01, master02, master03)");
  });
});
