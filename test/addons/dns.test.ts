import * as k8s from '../../imports/k8s';
import { Dns, DnsProvider } from '../../lib/addons';
import { allProblems, find, synth } from './_checks';

describe('Dns', () => {
  test('defaults: CoreDNS behind kube-dns at the given IP', () => {
    const objs = synth((c) => new Dns(c, 'dns', { clusterIp: '10.3.0.10' }));
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    const svc = find(objs, 'Service', 'kube-dns');
    expect(svc.spec.clusterIP).toBe('10.3.0.10');
    expect(svc.spec.ports.map((p: any) => `${p.port}/${p.protocol}`)).toEqual(['53/UDP', '53/TCP', '9153/TCP']);
    const d = find(objs, 'Deployment', 'coredns');
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers[0].image).toBe('registry.k8s.io/coredns/coredns:v1.13.1');
    expect(d.spec.template.spec.containers[0].securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(find(objs, 'ConfigMap', 'coredns').data.Corefile).toContain(
      'kubernetes cluster.local in-addr.arpa ip6.arpa',
    );
    expect(find(objs, 'ClusterRole', 'system:coredns').rules.flatMap((r: any) => r.verbs)).toEqual([
      'list',
      'watch',
      'list',
      'watch',
    ]);
  });

  test('custom: legacy kube-dns, other domain', () => {
    const objs = synth(
      (c) =>
        new Dns(c, 'dns', {
          clusterIp: '10.96.0.10',
          provider: DnsProvider.KUBE_DNS,
          clusterDomain: 'example.internal',
          replicas: 3,
        }),
    );
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    const d = find(objs, 'Deployment', 'kube-dns');
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['kubedns', 'dnsmasq', 'sidecar']);
    expect(d.spec.template.spec.containers[0].args).toContain('--domain=example.internal.');
    expect(find(objs, 'ClusterRoleBinding', 'kube-dns').roleRef.name).toBe('system:kube-dns');
    expect(find(objs, 'Service', 'kube-dns').spec.clusterIP).toBe('10.96.0.10');
    // retired: annotated, with its successor
    expect(d.metadata.annotations['hacp.io/retired']).toMatch(/kube-dns is retired.*use CoreDNS/);
  });

  test('bad props', () => {
    expect(() => synth((c) => new Dns(c, 'dns', { clusterIp: '10.3.0.0/24' }))).toThrow(
      "clusterIp: '10.3.0.0/24' is not an IP address",
    );
    expect(() => synth((c) => new Dns(c, 'dns', { clusterIp: '10.3.0.10', replicas: 0 }))).toThrow(
      'replicas: 0 must be a positive integer',
    );
  });

  test('apiObject is the Deployment (deployment the same object)', () => {
    let d!: Dns;
    synth((c) => {
      d = new Dns(c, 'dns', { clusterIp: '10.3.0.10' });
    });
    expect(d.apiObject).toBeInstanceOf(k8s.KubeDeployment);
    expect(d.deployment).toBe(d.apiObject);
  });
});
