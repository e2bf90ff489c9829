import { JsonPatch } from 'cdk8s';
import * as k8s from '../../imports/k8s';
import { Flannel, FlannelBackend } from '../../lib/addons';
import { allProblems, find, synth } from './_checks';

describe('Flannel', () => {
  test('defaults', () => {
    const objs = synth((c) => new Flannel(c, 'flannel', { podCidr: '10.2.0.0/16' }));
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    const cfg = find(objs, 'ConfigMap', 'kube-flannel-cfg');
    expect(JSON.parse(cfg.data['net-conf.json'])).toEqual({
      Network: '10.2.0.0/16',
      EnableNFTables: false,
      Backend: { Type: 'vxlan' },
    });
    expect(JSON.parse(cfg.data['cni-conf.json']).plugins.map((p: any) => p.type)).toEqual(['flannel', 'portmap']);
    const pod = find(objs, 'DaemonSet', 'kube-flannel').spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.serviceAccountName).toBe('flannel');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.containers[0].securityContext).toEqual({
      privileged: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'] },
    });
    // The seed's CNI binary dir was /var/lib/cni/bin; the kubelet's default is /opt/cni/bin.
    expect(pod.volumes.find((v: any) => v.name === 'cni-plugin').hostPath.path).toBe('/opt/cni/bin');
    expect(find(objs, 'ClusterRole', 'flannel').rules).toContainEqual({
      apiGroups: [''],
      resources: ['nodes/status'],
      verbs: ['patch'],
    });
  });

  test('custom: IPv6 pod network, host-gw, other images', () => {
    const objs = synth(
      (c) =>
        new Flannel(c, 'flannel', {
          podCidr: 'fd00:10::/56',
          backend: FlannelBackend.HOST_GW,
          image: 'example.com/flannel:v1',
          namespace: 'kube-flannel',
        }),
    );
    expect(objs).toMatchSnapshot();
    expect(JSON.parse(find(objs, 'ConfigMap', 'kube-flannel-cfg').data['net-conf.json'])).toMatchObject({
      EnableIPv4: false,
      EnableIPv6: true,
      IPv6Network: 'fd00:10::/56',
      Backend: { Type: 'host-gw' },
    });
    expect(find(objs, 'DaemonSet', 'kube-flannel').spec.template.spec.containers[0].image).toBe(
      'example.com/flannel:v1',
    );
  });

  test('bad props name the prop and the value', () => {
    expect(() => synth((c) => new Flannel(c, 'f', { podCidr: '10.2.0.0' }))).toThrow(
      "podCidr: '10.2.0.0' is not a valid CIDR",
    );
    expect(() => synth((c) => new Flannel(c, 'f', { podCidr: '10.2.0.0/16', image: 'flannel:latest' }))).toThrow(
      "image: 'flannel:latest' must be an image pinned",
    );
    expect(() =>
      synth((c) => new Flannel(c, 'f', { podCidr: '10.2.0.0/16', backend: 'udp' as FlannelBackend })),
    ).toThrow("backend: 'udp' is not one of");
  });

  test('apiObject is the DaemonSet (daemonSet the same object); it is the escape hatch', () => {
    let f!: Flannel;
    const objs = synth((c) => {
      f = new Flannel(c, 'flannel', { podCidr: '10.2.0.0/16' });
      f.apiObject.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/args/-', '--iface=eth1'));
    });
    expect(f.apiObject).toBeInstanceOf(k8s.KubeDaemonSet);
    expect(f.daemonSet).toBe(f.apiObject);
    expect(find(objs, 'DaemonSet', 'kube-flannel').spec.template.spec.containers[0].args).toContain('--iface=eth1');
  });
});
