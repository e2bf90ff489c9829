import { parse } from 'yaml';
import { KUBELET_SYSCTLS, kubeletConfiguration, renderKubeletConfig, renderKubeletSysctl } from '../../lib/host';
import { CONTROL_PLANE_TAINT } from '../../lib/spec';
import { BOOTKUBE_EXAMPLE_CLUSTER, ClusterSpec, STATIC_EXAMPLE_CLUSTER } from '../../lib/spec';

// The fields of KubeletConfiguration (kubelet.config.k8s.io/v1beta1) this project may emit; all exist in v1.33-v1.36.
const V1BETA1_FIELDS = new Set([
  'apiVersion',
  'kind',
  'address',
  'port',
  'readOnlyPort',
  'healthzBindAddress',
  'healthzPort',
  'staticPodPath',
  'containerRuntimeEndpoint',
  'cgroupDriver',
  'clusterDNS',
  'clusterDomain',
  'authentication',
  'authorization',
  'rotateCertificates',
  'tlsCertFile',
  'tlsPrivateKeyFile',
  'tlsMinVersion',
  'tlsCipherSuites',
  'protectKernelDefaults',
  'makeIPTablesUtilChains',
  'eventRecordQPS',
  'streamingConnectionIdleTimeout',
  'podPidsLimit',
  'maxPods',
  'seccompDefault',
  'failSwapOn',
  'shutdownGracePeriod',
  'shutdownGracePeriodCriticalPods',
  'registerNode',
  'registerWithTaints',
]);

describe('KubeletConfiguration', () => {
  test('master of the static example (snapshot)', () => {
    expect(renderKubeletConfig(STATIC_EXAMPLE_CLUSTER, 'master0')).toMatchSnapshot();
  });

  test('worker of the bootkube example with options (snapshot)', () => {
    const yaml = renderKubeletConfig(BOOTKUBE_EXAMPLE_CLUSTER, 'worker01', { podPidsLimit: 8192, maxPods: 50 });
    expect(yaml).toMatchSnapshot();
    expect(parse(yaml)).toMatchObject({ maxPods: 50, podPidsLimit: 8192 });
  });

  test('passes the CIS Kubernetes Benchmark kubelet checks (4.2.x, numbering of benchmark v1.9)', () => {
    const c = parse(renderKubeletConfig(STATIC_EXAMPLE_CLUSTER, 'master1'));
    expect(c.authentication.anonymous.enabled).toBe(false); // 4.2.1
    expect(c.authorization.mode).toBe('Webhook'); // 4.2.2
    expect(c.authentication.webhook.enabled).toBe(true);
    expect(c.authentication.x509.clientCAFile).toBe('/etc/kubernetes/pki/ca.crt'); // 4.2.3
    expect(c.readOnlyPort).toBe(0); // 4.2.4
    expect(c.streamingConnectionIdleTimeout).not.toMatch(/^0/); // 4.2.5
    expect(c.protectKernelDefaults).toBe(true); // 4.2.6 in benchmark v1.6
    expect(c.makeIPTablesUtilChains).toBe(true); // 4.2.6
    expect(c.eventRecordQPS).toBeGreaterThan(0); // 4.2.8
    expect(c.rotateCertificates).toBe(true); // 4.2.10
    // 4.2.9: a CA-signed serving pair from the PKI (the API servers verify kubelets against the cluster CA).
    expect([c.tlsCertFile, c.tlsPrivateKeyFile]).toEqual([
      '/var/lib/kubelet/pki/kubelet.crt',
      '/var/lib/kubelet/pki/kubelet.key',
    ]);
    expect(c.serverTLSBootstrap).toBeUndefined();
    const bootstrap = kubeletConfiguration(STATIC_EXAMPLE_CLUSTER, 'master0', {
      servingCertificate: 'bootstrap',
    }) as any;
    expect([bootstrap.serverTLSBootstrap, bootstrap.tlsCertFile]).toEqual([true, undefined]);
    expect(
      c.tlsCipherSuites.every((s: string) =>
        /^TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305)$/.test(s),
      ),
    ).toBe(true); // 4.2.12
    expect(c.podPidsLimit).toBeGreaterThan(0); // 4.2.13
  });

  test('current Kubernetes: containerd CRI, static pods, cluster DNS from the spec', () => {
    const c = kubeletConfiguration(STATIC_EXAMPLE_CLUSTER, 'master2') as any;
    expect(c.apiVersion).toBe('kubelet.config.k8s.io/v1beta1');
    expect(c.kind).toBe('KubeletConfiguration');
    expect(c.containerRuntimeEndpoint).toBe('unix:///run/containerd/containerd.sock');
    expect(c.staticPodPath).toBe('/etc/kubernetes/manifests');
    expect(c.cgroupDriver).toBe('systemd');
    expect(c.clusterDNS).toEqual(['10.180.1.10']); // tenth address of 10.180.1.0/24
    expect(c.clusterDomain).toBe('cluster.local');
    expect(c.address).toBe('10.180.0.12');
    for (const key of Object.keys(c)) expect(V1BETA1_FIELDS.has(key) ? key : `unknown field ${key}`).toBe(key);
  });

  test('masters register with the control-plane taint, workers without', () => {
    expect((kubeletConfiguration(BOOTKUBE_EXAMPLE_CLUSTER, 'master02') as any).registerWithTaints).toEqual([
      CONTROL_PLANE_TAINT,
    ]);
    expect(CONTROL_PLANE_TAINT).toEqual({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
    expect((kubeletConfiguration(BOOTKUBE_EXAMPLE_CLUSTER, 'worker01') as any).registerWithTaints).toBeUndefined();
  });

  test('cluster DNS follows the service CIDR and domain', () => {
    const spec: ClusterSpec = {
      ...STATIC_EXAMPLE_CLUSTER,
      networking: { serviceCidr: '10.96.0.0/12', clusterDomain: 'k8s.example.org' },
    };
    const c = kubeletConfiguration(spec, 'master0') as any;
    expect(c.clusterDNS).toEqual(['10.96.0.10']);
    expect(c.clusterDomain).toBe('k8s.example.org');
  });

  test('bad input names the node or prop', () => {
    expect(() => kubeletConfiguration(STATIC_EXAMPLE_CLUSTER, 'master9')).toThrow(
      'unknown node "master9": the cluster spec has master0, master1, master2',
    );
    expect(() => kubeletConfiguration(STATIC_EXAMPLE_CLUSTER, 'master0', { podPidsLimit: 10 })).toThrow(
      'podPidsLimit: 10',
    );
  });

  test('sysctl file carries what protectKernelDefaults checks', () => {
    const text = renderKubeletSysctl();
    for (const [k, v] of Object.entries(KUBELET_SYSCTLS)) expect(text).toContain(`${k} = ${v}\n`);
    expect(text).toMatchSnapshot();
  });
});
