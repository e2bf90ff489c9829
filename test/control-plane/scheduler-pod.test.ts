import * as k8s from '../../imports/k8s';
import { SchedulerPod } from '../../lib/control-plane';
import { argMap, container, synthObjects, synthWithWarnings } from '../support/synth';
import { flagErrors, schemaErrors, spec } from './_shared';

describe('SchedulerPod', () => {
  const [pod] = synthObjects((chart) => new SchedulerPod(chart, 'sched', { cluster: spec, master: 'master0' }));

  test('defaults', () => {
    expect(pod).toMatchSnapshot();
  });

  test('valid Pod, known flags', () => {
    expect(schemaErrors(pod)).toEqual([]);
    expect(flagErrors('kube-scheduler', container(pod).args)).toEqual([]);
  });

  test('leader election, own kubeconfig, secure port on loopback, profiling off', () => {
    expect(argMap(container(pod).args)).toEqual({
      'authentication-kubeconfig': '/etc/kubernetes/scheduler.conf',
      'authorization-kubeconfig': '/etc/kubernetes/scheduler.conf',
      'bind-address': '127.0.0.1',
      kubeconfig: '/etc/kubernetes/scheduler.conf',
      'leader-elect': 'true',
      profiling: 'false',
      'secure-port': '10259',
      'tls-cipher-suites': expect.stringContaining('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'),
      'tls-min-version': 'VersionTLS12',
    });
  });

  test('probes on 127.0.0.1:10259 over HTTPS; only its kubeconfig is mounted', () => {
    expect(container(pod).livenessProbe.httpGet).toEqual({
      host: '127.0.0.1',
      path: '/healthz',
      port: 10259,
      scheme: 'HTTPS',
    });
    expect(pod.spec.volumes).toEqual([
      { name: 'kubeconfig', hostPath: { path: '/etc/kubernetes/scheduler.conf', type: 'FileOrCreate' } },
    ]);
  });

  test('customised', () => {
    const [p] = synthObjects(
      (chart) =>
        new SchedulerPod(chart, 's', {
          cluster: spec,
          master: 'master1',
          image: 'mirror.example/kube-scheduler:v1.35.4',
          extraArgs: { v: '4' },
        }),
    );
    expect(p).toMatchSnapshot();
    expect(container(p).args).toContain('--v=4');
  });

  test("the user's flags win; unknown ones fail and weakening ones warn at synth, with the construct path", () => {
    let scheduler!: SchedulerPod;
    const {
      objects: [p],
      warnings,
    } = synthWithWarnings((chart) => {
      scheduler = new SchedulerPod(chart, 's', {
        cluster: spec,
        master: 'master1',
        extraArgs: { 'bind-address': '0.0.0.0' },
        removeArgs: ['no-such-default'],
      });
    });
    expect(argMap(container(p).args)['bind-address']).toBe('0.0.0.0');
    expect(warnings).toEqual([
      "[test/s] removeArgs: 'no-such-default' is not a default flag of kube-scheduler; nothing is removed",
      '[test/s] weakens CIS 1.4.2 (scheduler --bind-address is 127.0.0.1): kube-scheduler: --bind-address is "0.0.0.0", want 127.0.0.1',
    ]);
    expect(scheduler.apiObject).toBeInstanceOf(k8s.KubePod);
    expect(() =>
      synthObjects(
        (c) =>
          new SchedulerPod(c, 's', { cluster: spec, master: 'master1', extraArgs: { 'policy-config-file': '/x' } }),
      ),
    ).toThrow('[test/s] extraArgs: --policy-config-file was removed from kube-scheduler in 1.23 (use --config)');
  });
});
