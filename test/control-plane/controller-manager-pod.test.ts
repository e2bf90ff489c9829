import * as k8s from '../../imports/k8s';
import { ControllerManagerPod } from '../../lib/control-plane';
import { STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { argMap, container, synthObjects, synthWithWarnings } from '../support/synth';
import { flagErrors, schemaErrors, spec } from './_shared';

describe('ControllerManagerPod', () => {
  const [pod] = synthObjects((chart) => new ControllerManagerPod(chart, 'kcm', { cluster: spec, master: 'master0' }));
  const args = argMap(container(pod).args);

  test('defaults', () => {
    expect(pod).toMatchSnapshot();
  });

  test('valid Pod, known flags', () => {
    expect(schemaErrors(pod)).toEqual([]);
    expect(flagErrors('kube-controller-manager', container(pod).args)).toEqual([]);
  });

  test('leader election, own kubeconfig, secure port on loopback, profiling off', () => {
    expect(args).toMatchObject({
      'leader-elect': 'true',
      kubeconfig: '/etc/kubernetes/controller-manager.conf',
      'authentication-kubeconfig': '/etc/kubernetes/controller-manager.conf',
      'authorization-kubeconfig': '/etc/kubernetes/controller-manager.conf',
      'bind-address': '127.0.0.1',
      'secure-port': '10257',
      profiling: 'false',
      'use-service-account-credentials': 'true',
      'service-account-private-key-file': '/etc/kubernetes/pki/sa.key',
      'root-ca-file': '/etc/kubernetes/pki/ca.crt',
    });
    expect(args.address).toBeUndefined();
    expect(args.port).toBeUndefined();
    expect(args.master).toBeUndefined();
  });

  test('node CIDRs are allocated from the pod range', () => {
    expect(args).toMatchObject({
      'allocate-node-cidrs': 'true',
      'cluster-cidr': '10.180.128.0/17',
      'service-cluster-ip-range': '10.180.1.0/24',
      'node-cidr-mask-size': '24',
    });
  });

  test('probe: HTTPS /healthz on 127.0.0.1:10257, no readiness probe', () => {
    expect(container(pod).livenessProbe.httpGet).toEqual({
      host: '127.0.0.1',
      path: '/healthz',
      port: 10257,
      scheme: 'HTTPS',
    });
    expect(container(pod).startupProbe.httpGet).toEqual({
      host: '127.0.0.1',
      path: '/healthz',
      port: 10257,
      scheme: 'HTTPS',
    });
    expect(container(pod).readinessProbe).toBeUndefined();
  });

  test('kubeconfig mounted as a file, read-only', () => {
    expect(pod.spec.volumes).toContainEqual({
      name: 'kubeconfig',
      hostPath: { path: '/etc/kubernetes/controller-manager.conf', type: 'FileOrCreate' },
    });
    expect(container(pod).volumeMounts.every((m: any) => m.readOnly)).toBe(true);
  });

  test('cloud provider: external only when the spec says so', () => {
    expect(args['cloud-provider']).toBeUndefined();
    const external = resolveSpec({ ...STATIC_EXAMPLE_CLUSTER, cloudProvider: 'external' });
    const [p] = synthObjects(
      (chart) =>
        new ControllerManagerPod(chart, 'kcm', {
          cluster: external,
          master: 'master0',
          extraArgs: { 'cluster-signing-duration': '720h' },
        }),
    );
    expect(p).toMatchSnapshot();
    expect(argMap(container(p).args)).toMatchObject({
      'cloud-provider': 'external',
      'cluster-signing-duration': '720h',
    });
    expect(argMap(container(p).args)['configure-cloud-routes']).toBeUndefined();
  });

  test('pod network cloud-routes: it allocates the node CIDRs, the CCM routes them (--configure-cloud-routes=false here)', () => {
    const cloudRoutes = resolveSpec({
      ...STATIC_EXAMPLE_CLUSTER,
      networking: { ...STATIC_EXAMPLE_CLUSTER.networking, podNetwork: 'cloud-routes' },
      openstack: {
        authUrl: 'https://keystone.example.com:5000/v3',
        region: 'RegionOne',
        networkId: '3c0b2c4e-5b87-4a5e-9f1c-0c8a1d0e7d11',
        subnetId: '83aab941-87f4-4372-9fbc-9f702092e3cf',
        routerId: '29635b60-d79f-4536-8144-b2271031461d',
        applicationCredential: { id: 'x1', secretEnv: 'OS_SECRET' },
      },
    });
    const [p] = synthObjects(
      (chart) => new ControllerManagerPod(chart, 'kcm', { cluster: cloudRoutes, master: 'master0' }),
    );
    expect(argMap(container(p).args)).toMatchObject({
      'allocate-node-cidrs': 'true',
      'cluster-cidr': '10.180.128.0/17',
      'node-cidr-mask-size': '24',
      'cloud-provider': 'external',
      'configure-cloud-routes': 'false',
    });
  });

  test("the user's flags win; unknown ones fail and weakening ones warn at synth, with the construct path", () => {
    let kcm!: ControllerManagerPod;
    const {
      objects: [p],
      warnings,
    } = synthWithWarnings((chart) => {
      kcm = new ControllerManagerPod(chart, 'kcm', {
        cluster: spec,
        master: 'master0',
        extraArgs: { 'bind-address': '0.0.0.0', kubeconfig: '/etc/kubernetes/other.conf' },
      });
    });
    expect(argMap(container(p).args)).toMatchObject({
      'bind-address': '0.0.0.0',
      kubeconfig: '/etc/kubernetes/other.conf',
    });
    expect(warnings).toEqual([
      '[test/kcm] weakens CIS 1.3.7 (controller manager --bind-address is 127.0.0.1): kube-controller-manager: --bind-address is "0.0.0.0", want 127.0.0.1',
    ]);
    expect(kcm.apiObject).toBeInstanceOf(k8s.KubePod);
    expect(() =>
      synthObjects(
        (c) =>
          new ControllerManagerPod(c, 'kcm', {
            cluster: spec,
            master: 'master0',
            extraArgs: { 'pod-eviction-timeout': '5m' },
          }),
      ),
    ).toThrow('[test/kcm] extraArgs: --pod-eviction-timeout was removed from kube-controller-manager in 1.27');
  });
});
