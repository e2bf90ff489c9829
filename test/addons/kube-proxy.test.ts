import * as k8s from '../../imports/k8s';
import { KubeProxy, ProxyMode } from '../../lib/addons';
import { SCHEMA_MINORS, checkFlags } from '../../lib/verify';
import { synthObjects, synthWithWarnings } from '../support/synth';
import { allProblems, argMap, find, synth } from './_checks';

const props = { podCidr: '10.2.0.0/16', apiServerUrl: 'https://172.17.5.100:443', kubernetesVersion: 'v1.35.4' };

describe('KubeProxy', () => {
  test('defaults', () => {
    const objs = synth((c) => new KubeProxy(c, 'kube-proxy', props));
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    const pod = find(objs, 'DaemonSet', 'kube-proxy').spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('registry.k8s.io/kube-proxy:v1.35.4');
    expect(argMap(c.args)).toMatchObject({
      'cluster-cidr': '10.2.0.0/16',
      'proxy-mode': 'iptables',
      'hostname-override': '$(NODE_NAME)',
    });
    expect(
      SCHEMA_MINORS.flatMap((v) => checkFlags('kube-proxy', c.args, v)).filter((f) => f.severity === 'error'),
    ).toEqual([]);
    expect(c.securityContext).toEqual({ privileged: true });
    expect(pod.serviceAccountName).toBe('kube-proxy');
    expect(find(objs, 'ClusterRoleBinding', 'kube-proxy:node-proxier').roleRef.name).toBe('system:node-proxier');
    // Its kubeconfig uses its own token against the load balancer, not the node's system:masters kubeconfig.
    const kubeconfig = find(objs, 'ConfigMap', 'kube-proxy-kubeconfig').data.kubeconfig;
    expect(kubeconfig).toContain('server: https://172.17.5.100:443');
    expect(kubeconfig).toContain('tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token');
  });

  test('custom: nftables, own registry', () => {
    const objs = synth(
      (c) =>
        new KubeProxy(c, 'kube-proxy', {
          ...props,
          mode: ProxyMode.NFTABLES,
          imageRegistry: 'mirror.example.com/k8s/',
        }),
    );
    expect(objs).toMatchSnapshot();
    const c = find(objs, 'DaemonSet', 'kube-proxy').spec.template.spec.containers[0];
    expect(c.image).toBe('mirror.example.com/k8s/kube-proxy:v1.35.4');
    expect(c.args).toContain('--proxy-mode=nftables');
  });

  test('bad props', () => {
    expect(() => synth((c) => new KubeProxy(c, 'p', { ...props, apiServerUrl: 'http://x:80' }))).toThrow(
      "apiServerUrl: 'http://x:80' must be an https:// URL",
    );
    expect(() => synth((c) => new KubeProxy(c, 'p', { ...props, mode: 'userspace' as ProxyMode }))).toThrow(
      "mode: 'userspace' is not one of",
    );
  });

  test("extraArgs/removeArgs: the user's flags win over the defaults, checked against kube-proxy at kubernetesVersion", () => {
    let kp!: KubeProxy;
    const { objects, warnings } = synthWithWarnings((c) => {
      kp = new KubeProxy(c, 'kube-proxy', {
        ...props,
        extraArgs: { 'proxy-mode': 'nftables', v: '2' },
        removeArgs: ['hostname-override'],
      });
    });
    const args = find(objects, 'DaemonSet', 'kube-proxy').spec.template.spec.containers[0].args;
    expect(args).toEqual(kp.args);
    expect(argMap(args)).toEqual({
      'cluster-cidr': '10.2.0.0/16',
      kubeconfig: '/var/lib/kube-proxy/kubeconfig',
      'proxy-mode': 'nftables',
      v: '2',
    });
    expect(warnings).toEqual([]);
    expect(() =>
      synthObjects((c) => new KubeProxy(c, 'kube-proxy', { ...props, extraArgs: { 'no-such-flag': '1' } })),
    ).toThrow('[test/kube-proxy] extraArgs: --no-such-flag is not a flag of kube-proxy v1.35.4');
  });

  test('an override that weakens a CIS check is a warning with the construct path', () => {
    const { warnings } = synthWithWarnings(
      (c) => new KubeProxy(c, 'kube-proxy', { ...props, extraArgs: { 'metrics-bind-address': '0.0.0.0:10249' } }),
    );
    expect(warnings).toEqual([
      '[test/kube-proxy] weakens CIS 4.3.1 (kube-proxy metrics service is bound to localhost): kube-proxy: metrics bound to "0.0.0.0:10249"',
    ]);
  });

  test('apiObject is the DaemonSet (daemonSet the same object)', () => {
    let kp!: KubeProxy;
    synth((c) => {
      kp = new KubeProxy(c, 'kube-proxy', props);
    });
    expect(kp.apiObject).toBeInstanceOf(k8s.KubeDaemonSet);
    expect(kp.daemonSet).toBe(kp.apiObject);
  });
});
