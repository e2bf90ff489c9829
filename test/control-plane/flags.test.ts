import {
  apiServerFlags,
  controllerManagerFlags,
  etcdEnvironment,
  renderFlags,
  schedulerFlags,
} from '../../lib/control-plane';
import { etcdErrors, flagErrors, spec } from './_shared';

describe('flag builders', () => {
  test('every emitted flag exists for every supported version', () => {
    expect(flagErrors('kube-apiserver', renderFlags(apiServerFlags(spec, { advertiseAddress: '10.0.0.1' })))).toEqual(
      [],
    );
    expect(
      flagErrors(
        'kube-controller-manager',
        renderFlags(controllerManagerFlags({ ...spec, cloudProvider: 'external' })),
      ),
    ).toEqual([]);
    const cloudRoutes = {
      ...spec,
      cloudProvider: 'external' as const,
      networking: { ...spec.networking, podNetwork: 'cloud-routes' as const },
    };
    expect(renderFlags(controllerManagerFlags(cloudRoutes))).toContain('--configure-cloud-routes=false');
    expect(flagErrors('kube-controller-manager', renderFlags(controllerManagerFlags(cloudRoutes)))).toEqual([]);
    expect(flagErrors('kube-scheduler', renderFlags(schedulerFlags(spec)))).toEqual([]);
    expect(
      etcdErrors(
        [],
        Object.entries(etcdEnvironment(spec, spec.masters[0])).map(([name, value]) => ({ name, value })),
        spec.etcdVersion,
      ),
    ).toEqual([]);
  });

  test('the check can fail: seed flags are reported', () => {
    const seed = [
      '--insecure-bind-address=0.0.0.0',
      '--kubelet-https=true',
      '--apiserver-count=3',
      '--experimental-bootstrap-token-auth',
    ];
    expect(flagErrors('kube-apiserver', seed)).toHaveLength(seed.length * 4);
    expect(flagErrors('kube-controller-manager', ['--no-such-flag=1'])).not.toEqual([]);
    expect(
      etcdErrors(['--snapshot-count=1'], [{ name: 'ETCD_SNAPSHOT_COUNT', value: '2' }], '3.6').length,
    ).toBeGreaterThan(0);
  });

  test('renderFlags sorts, merges and removes', () => {
    expect(renderFlags({ b: '1', a: '2' }, { c: '3', b: '4' }, ['a'])).toEqual(['--b=4', '--c=3']);
  });

  test("renderFlags applies the user's removals to the defaults, then the user's flags: a removed default can come back only through extraArgs", () => {
    expect(renderFlags({ kubeconfig: '/a', v: '1' }, { kubeconfig: '/b' })).toEqual(['--kubeconfig=/b', '--v=1']);
    expect(renderFlags({ v: '1' }, { kubeconfig: '/b' }, ['v'])).toEqual(['--kubeconfig=/b']);
    expect(() => renderFlags({ v: '1' }, { v: '2' }, ['v'])).toThrow(
      "removeArgs: 'v' is also set in extraArgs; name it in one of them",
    );
    expect(() => renderFlags({ v: '1' }, {}, ['--v'])).toThrow(
      "removeArgs: flag names are given without dashes: '--v'",
    );
  });

  test('in-cluster credentials (empty kubeconfig path): the controller manager and scheduler flags have no kubeconfig flags', () => {
    const kubeconfigFlags = ['kubeconfig', 'authentication-kubeconfig', 'authorization-kubeconfig'];
    const paths = {
      kubeconfig: '',
      caCert: '/s/ca.crt',
      caKey: '/s/ca.key',
      frontProxyCaCert: '/s/fp.crt',
      serviceAccountKey: '/s/sa.key',
    };
    expect(Object.keys(controllerManagerFlags(spec, paths)).filter((f) => kubeconfigFlags.includes(f))).toEqual([]);
    expect(Object.keys(schedulerFlags(spec, '')).filter((f) => kubeconfigFlags.includes(f))).toEqual([]);
    expect(
      Object.keys(schedulerFlags(spec))
        .filter((f) => kubeconfigFlags.includes(f))
        .sort(),
    ).toEqual([...kubeconfigFlags].sort());
  });
});
