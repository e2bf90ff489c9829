import * as k8s from '../../imports/k8s';
import { SelfHostedApiServer } from '../../lib/self-hosted';
import { synthWithWarnings } from '../support/synth';
import { BOOTKUBE_EXAMPLE_CLUSTER } from '../../lib/spec';
import { allProblems, argMap, find, synth } from '../addons/_checks';
import { dummyTls, flagErrors, spec } from './_shared';

describe('SelfHostedApiServer', () => {
  test('defaults (the seed topology)', () => {
    let api!: SelfHostedApiServer;
    const objs = synth((c) => {
      api = new SelfHostedApiServer(c, 'api', { cluster: spec, tls: dummyTls() });
    });
    expect(objs).toMatchSnapshot();
    expect(allProblems(objs)).toEqual([]);
    expect(flagErrors('kube-apiserver', api.args)).toEqual([]);
    const ds = find(objs, 'DaemonSet', 'kube-apiserver');
    const pod = ds.spec.template.spec;
    expect(ds.spec.template.metadata.annotations).toEqual({ 'checkpointer.alpha.coreos.com/checkpoint': 'true' });
    expect(pod.hostNetwork).toBe(true);
    expect(pod.nodeSelector).toEqual({ 'node.kubernetes.io/controller': 'true' });
    expect(pod.tolerations).toContainEqual({
      key: 'node-role.kubernetes.io/control-plane',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
    const args = argMap(pod.containers[0].args);
    expect(args['advertise-address']).toBe('$(POD_IP)');
    expect(pod.containers[0].env).toEqual([{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }]);
    expect(args['secure-port']).toBe('443');
    expect(pod.containers[0].securityContext.capabilities.add).toEqual(['NET_BIND_SERVICE']);
    expect(args['etcd-servers']).toBe('https://172.17.5.101:2379,https://172.17.5.102:2379,https://172.17.5.103:2379');
    expect(args['service-cluster-ip-range']).toBe('10.3.0.0/24');
    // Every file the flags name is in the Secret or the ConfigMap, and nothing more is in the Secret.
    const secret = find(objs, 'Secret', 'kube-apiserver');
    const config = find(objs, 'ConfigMap', 'kube-apiserver-config');
    const files = Object.values(args).filter((v) => v.startsWith('/etc/kubernetes/'));
    const provided = [
      ...Object.keys(secret.stringData).map((k) => `/etc/kubernetes/secrets/${k}`),
      ...Object.keys(config.data).map((k) => `/etc/kubernetes/config/${k}`),
    ];
    expect(
      Object.keys(secret.stringData)
        .map((k) => `/etc/kubernetes/secrets/${k}`)
        .filter((p) => !files.includes(p)),
    ).toEqual([]);
    expect(files.filter((f) => !provided.includes(f))).toEqual([]);
    expect(Object.keys(secret.stringData)).not.toContain('ca.key');
  });

  test('custom: encryption at rest, extra flags, own image', () => {
    const encryption = 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: []\n';
    const objs = synth(
      (c) =>
        new SelfHostedApiServer(c, 'api', {
          cluster: {
            ...BOOTKUBE_EXAMPLE_CLUSTER,
            apiServerPort: 6443,
            apiEndpoint: { host: '172.17.5.100', port: 6443 },
          },
          tls: dummyTls(),
          encryptionConfiguration: encryption,
          image: 'mirror.example.com/kube-apiserver:v1.35.4',
          extraArgs: { v: '2' },
        }),
    );
    expect(objs).toMatchSnapshot();
    const c = find(objs, 'DaemonSet', 'kube-apiserver').spec.template.spec.containers[0];
    expect(c.securityContext.capabilities.add).toBeUndefined(); // 6443 needs no NET_BIND_SERVICE
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--secure-port=6443',
        '--v=2',
        '--encryption-provider-config=/etc/kubernetes/secrets/encryption-config.yaml',
      ]),
    );
    expect(find(objs, 'Secret', 'kube-apiserver').stringData['encryption-config.yaml']).toBe(encryption);
  });

  test('bad input', () => {
    const tls = { ...dummyTls(), etcdClientKey: '' };
    expect(() => synth((c) => new SelfHostedApiServer(c, 'api', { cluster: spec, tls }))).toThrow(
      'tls.etcdClientKey: missing or not a PEM block',
    );
    expect(() =>
      synth(
        (c) =>
          new SelfHostedApiServer(c, 'api', { cluster: spec, tls: dummyTls(), encryptionConfiguration: 'kind: Pod' }),
      ),
    ).toThrow('encryptionConfiguration: not an EncryptionConfiguration document');
  });

  test('apiObject is the DaemonSet (and daemonSet the same object)', () => {
    let api!: SelfHostedApiServer;
    synth((c) => {
      api = new SelfHostedApiServer(c, 'api', { cluster: spec, tls: dummyTls() });
    });
    expect(api.apiObject).toBeInstanceOf(k8s.KubeDaemonSet);
    expect(api.daemonSet).toBe(api.apiObject);
  });

  test("the user's flags win; a weakening one is a warning with the construct path", () => {
    const { objects, warnings } = synthWithWarnings(
      (c) =>
        new SelfHostedApiServer(c, 'api', {
          cluster: spec,
          tls: dummyTls(),
          extraArgs: { 'authorization-mode': 'RBAC' },
        }),
    );
    expect(
      argMap(find(objects, 'DaemonSet', 'kube-apiserver').spec.template.spec.containers[0].args)['authorization-mode'],
    ).toBe('RBAC');
    expect(warnings).toEqual([
      '[test/api] weakens CIS 1.2.7 (--authorization-mode includes Node): kube-apiserver: authorization modes RBAC lack Node',
    ]);
  });
});
