import { generateKeyPairSync } from 'crypto';
import { KubePod } from '../../imports/k8s';
import { KubeProxy, ProxyMode } from '../../lib/addons';
import { ControlPlaneRbac, StaticControlPlane } from '../../lib/control-plane';
import { BOOTKUBE_EXAMPLE_CLUSTER, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { maskPems, pemSnapshotSerializer, synthControlPlane, synthManifests } from '../../lib/testing';
import { synthObjects } from '../support/synth';

const PODS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
const HOST_FILES = ['apiserver/audit-policy.yaml', 'apiserver/authentication-config.yaml'];

describe('synthControlPlane', () => {
  const files = synthControlPlane(STATIC_EXAMPLE_CLUSTER, { controlPlane: { apiServer: { extraArgs: { v: '2' } } } });

  test('the files of dist/static-pods/ without key material, keyed by path', () => {
    expect(Object.keys(files).sort()).toEqual(
      [
        ...['master0', 'master1', 'master2'].flatMap((m) =>
          [...HOST_FILES, ...PODS.map((p) => `${p}.yaml`)].map((f) => `${m}/${f}`),
        ),
        'cluster/rbac.yaml',
      ].sort(),
    );
    expect(JSON.stringify(files)).not.toMatch(/-----BEGIN|LS0tLS1CRUdJTi|secretbox/);
  });

  test('the pods are exactly what StaticControlPlane synthesizes, with the options given', () => {
    const direct = synthObjects(
      (chart) =>
        new StaticControlPlane(chart, 'control-plane', {
          cluster: STATIC_EXAMPLE_CLUSTER,
          master: 'master1',
          apiServer: { extraArgs: { v: '2' } },
        }),
    );
    expect(PODS.map((p) => files[`master1/${p}.yaml`].spec)).toEqual(direct.map((o) => o.spec));
    expect(files['master1/kube-apiserver.yaml'].spec.containers[0].args).toContain('--v=2');
    expect(files['cluster/rbac.yaml']).toEqual(synthObjects((chart) => new ControlPlaneRbac(chart, 'rbac')));
    expect(files['master0/apiserver/authentication-config.yaml'].kind).toBe('AuthenticationConfiguration');
    expect(files['master0/apiserver/audit-policy.yaml'].kind).toBe('Policy');
  });

  test('deterministic: two runs give the same result', () => {
    expect(
      synthControlPlane(STATIC_EXAMPLE_CLUSTER, { controlPlane: { apiServer: { extraArgs: { v: '2' } } } }),
    ).toEqual(files);
  });

  test('masters filter, kube-vip pod when the load balancer is kube-vip, extend adds to each master', () => {
    const out = synthControlPlane(resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER), {
      masters: ['master02'],
      extend: (chart, cp) =>
        new KubePod(chart, 'exporter', {
          metadata: { name: 'node-exporter', namespace: 'kube-system' },
          spec: {
            hostNetwork: true,
            containers: [
              {
                name: 'node-exporter',
                image: 'quay.io/prometheus/node-exporter:v1.9.1',
                args: [`--web.listen-address=${cp.master.ip}:9100`],
              },
            ],
          },
        }),
    });
    expect(Object.keys(out).filter((k) => k.startsWith('master0') && !k.startsWith('master02/'))).toEqual([]);
    expect(out['master02/kube-vip.yaml'].spec.containers[0].image).toMatch(/kube-vip/);
    expect(out['master02/node-exporter.yaml'].spec.containers[0].args).toEqual([
      '--web.listen-address=172.17.5.102:9100',
    ]);
  });

  test('errors name the problem: unknown master, two objects with one file name', () => {
    expect(() => synthControlPlane(STATIC_EXAMPLE_CLUSTER, { masters: ['nope'] })).toThrow(/unknown master 'nope'/);
    expect(() =>
      synthControlPlane(STATIC_EXAMPLE_CLUSTER, {
        masters: ['master0'],
        extend: (chart) => new KubePod(chart, 'etcd2', { metadata: { name: 'etcd' }, spec: { containers: [] } }),
      }),
    ).toThrow(/two objects synthesize to 'master0\/etcd.yaml'/);
    expect(() => synthControlPlane({ masters: [] })).toThrow(/masters/);
  });
});

describe('synthManifests', () => {
  test('objects keyed by kind, namespace and name', () => {
    const spec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
    const objects = synthManifests(
      (chart) =>
        new KubeProxy(chart, 'kube-proxy', {
          podCidr: spec.networking.podCidr,
          apiServerUrl: 'https://10.47.40.33:443',
          kubernetesVersion: spec.kubernetesVersion,
          mode: ProxyMode.NFTABLES,
        }),
    );
    expect(Object.keys(objects)).toEqual(
      expect.arrayContaining(['DaemonSet kube-system/kube-proxy', 'ServiceAccount kube-system/kube-proxy']),
    );
    expect(
      Object.keys(objects)
        .filter((k) => k.startsWith('ClusterRoleBinding '))
        .every((k) => !k.includes('/')),
    ).toBe(true);
    expect(objects['DaemonSet kube-system/kube-proxy'].kind).toBe('DaemonSet');
  });
});

describe('pemSnapshotSerializer', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  test('masks plain and base64 PEM blocks, leaves the rest', () => {
    const kubeconfig = `users:\n- user:\n    client-key-data: ${Buffer.from(keyPem).toString('base64')}\n    token: abc\n`;
    expect(maskPems(`a\n${keyPem}${pubPem}b`)).toBe('a\n<PRIVATE KEY><PUBLIC KEY>b');
    expect(maskPems(kubeconfig)).toBe('users:\n- user:\n    client-key-data: <base64 PRIVATE KEY>\n    token: abc\n');
    expect(pemSnapshotSerializer.test(keyPem)).toBe(true);
    expect(pemSnapshotSerializer.test('no pem here')).toBe(false);
    expect(pemSnapshotSerializer.test({ pem: keyPem })).toBe(false);
  });

  test('snapshots of objects holding fresh keys are stable', () => {
    expect.addSnapshotSerializer(pemSnapshotSerializer);
    expect({
      kind: 'Secret',
      stringData: { 'tls.key': keyPem },
      data: { 'ca.crt': Buffer.from(pubPem).toString('base64') },
    }).toMatchSnapshot();
  });
});
