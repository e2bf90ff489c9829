import { KubeProxy, ProxyMode } from '../../lib/addons';
import { SCHEMA_MINORS, checkFlags } from '../../lib/verify';
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
    expect(argMap(c.args)).toMatchObject({ 'cluster-cidr': '10.2.0.0/16', 'proxy-mode': 'iptables', 'hostname-override': '$(NODE_NAME)' });
    expect(SCHEMA_MINORS.flatMap((v) => checkFlags('kube-proxy', c.args, v)).filter((f) => f.severity === 'error')).toEqual([]);
    expect(c.securityContext).toEqual({ privileged: true });
    expect(pod.serviceAccountName).toBe('kube-proxy');
    expect(find(objs, 'ClusterRoleBinding', 'kube-proxy:node-proxier').roleRef.name).toBe('system:node-proxier');
    // Its kubeconfig uses its own token against the load balancer, not the node's system:masters kubeconfig.
    const kubeconfig = find(objs, 'ConfigMap', 'kube-proxy-kubeconfig').data.kubeconfig;
    expect(kubeconfig).toContain('server: https://172.17.5.100:443');
    expect(kubeconfig).toContain('tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token');
  });

  test('custom: nftables, own registry', () => {
    const objs = synth((c) => new KubeProxy(c, 'kube-proxy', { ...props, mode: ProxyMode.NFTABLES, imageRegistry: 'mirror.example.com/k8s/' }));
    expect(objs).toMatchSnapshot();
    const c = find(objs, 'DaemonSet', 'kube-proxy').spec.template.spec.containers[0];
    expect(c.image).toBe('mirror.example.com/k8s/kube-proxy:v1.35.4');
    expect(c.args).toContain('--proxy-mode=nftables');
  });

  test('bad props', () => {
    expect(() => synth((c) => new KubeProxy(c, 'p', { ...props, apiServerUrl: 'http://x:80' }))).toThrow("apiServerUrl: 'http://x:80' must be an https:// URL");
    expect(() => synth((c) => new KubeProxy(c, 'p', { ...props, mode: 'userspace' as ProxyMode }))).toThrow("mode: 'userspace' is not one of");
  });
});
