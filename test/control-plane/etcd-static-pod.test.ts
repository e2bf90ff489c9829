import * as k8s from '../../imports/k8s';
import { EtcdStaticPod, EtcdStaticPodProps } from '../../lib/control-plane';
import { STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { container, synthObjects, synthWithWarnings } from '../support/synth';
import { etcdErrors, schemaErrors, spec } from './_shared';

const envOf = (pod: any): Record<string, string> =>
  Object.fromEntries(container(pod).env.map((e: any) => [e.name, e.value]));

describe('EtcdStaticPod', () => {
  const [pod] = synthObjects((chart) => new EtcdStaticPod(chart, 'etcd', { cluster: spec, master: 'master1' }));

  test('defaults', () => {
    expect(pod).toMatchSnapshot();
  });

  test('is a valid Pod for every supported Kubernetes version', () => {
    expect(schemaErrors(pod)).toEqual([]);
  });

  test('configured only through ETCD_* variables, every one known to etcd 3.6, none also given as a flag', () => {
    expect(container(pod).args).toBeUndefined();
    expect(container(pod).command).toEqual(['etcd']);
    expect(etcdErrors([], container(pod).env, spec.etcdVersion)).toEqual([]);
  });

  test('the initial cluster lists every member with its peer URL', () => {
    const env = envOf(pod);
    expect(env.ETCD_INITIAL_CLUSTER).toBe(
      'master0=https://10.180.0.10:2380,master1=https://10.180.0.11:2380,master2=https://10.180.0.12:2380',
    );
    expect(env.ETCD_NAME).toBe('master1');
    expect(env.ETCD_INITIAL_ADVERTISE_PEER_URLS).toBe('https://10.180.0.11:2380');
    expect(env.ETCD_ADVERTISE_CLIENT_URLS).toBe('https://10.180.0.11:2379');
    expect(env.ETCD_LISTEN_CLIENT_URLS).toBe('https://127.0.0.1:2379,https://10.180.0.11:2379');
    expect(env.ETCD_INITIAL_CLUSTER_STATE).toBe('new');
  });

  test('mTLS for clients and peers, no auto TLS, metrics on loopback only (CIS 2.1-2.6)', () => {
    const env = envOf(pod);
    expect(env).toMatchObject({
      ETCD_CERT_FILE: '/etc/kubernetes/pki/etcd/server.crt',
      ETCD_KEY_FILE: '/etc/kubernetes/pki/etcd/server.key',
      ETCD_CLIENT_CERT_AUTH: 'true',
      ETCD_TRUSTED_CA_FILE: '/etc/kubernetes/pki/etcd/ca.crt',
      ETCD_AUTO_TLS: 'false',
      ETCD_PEER_CERT_FILE: '/etc/kubernetes/pki/etcd/peer.crt',
      ETCD_PEER_KEY_FILE: '/etc/kubernetes/pki/etcd/peer.key',
      ETCD_PEER_CLIENT_CERT_AUTH: 'true',
      ETCD_PEER_TRUSTED_CA_FILE: '/etc/kubernetes/pki/etcd/ca.crt',
      ETCD_PEER_AUTO_TLS: 'false',
      ETCD_LISTEN_METRICS_URLS: 'http://127.0.0.1:2381',
    });
    for (const [name, value] of Object.entries(env)) {
      if (/_URLS$/.test(name) && name !== 'ETCD_LISTEN_METRICS_URLS')
        expect(value.split(',').every((u) => u.startsWith('https://'))).toBe(true);
    }
  });

  test('probes hit the metrics port over HTTP on loopback', () => {
    const c = container(pod);
    for (const [probe, path] of [
      ['livenessProbe', '/livez'],
      ['readinessProbe', '/readyz'],
      ['startupProbe', '/readyz'],
    ]) {
      expect(c[probe].httpGet).toEqual({ host: '127.0.0.1', path, port: 2381, scheme: 'HTTP' });
    }
  });

  test('data dir and certificates are host paths; certificates read-only', () => {
    expect(pod.spec.volumes).toEqual([
      { name: 'etcd-certs', hostPath: { path: '/etc/kubernetes/pki/etcd', type: 'DirectoryOrCreate' } },
      { name: 'etcd-data', hostPath: { path: '/var/lib/etcd', type: 'DirectoryOrCreate' } },
    ]);
    expect(container(pod).volumeMounts).toEqual([
      { name: 'etcd-certs', mountPath: '/etc/kubernetes/pki/etcd', readOnly: true },
      { name: 'etcd-data', mountPath: '/var/lib/etcd', readOnly: false },
    ]);
  });

  test('etcd 3.5 gets the experimental names of the 3.6 settings', () => {
    const old = resolveSpec({ ...STATIC_EXAMPLE_CLUSTER, etcdVersion: '3.5.21' });
    const [p] = synthObjects((chart) => new EtcdStaticPod(chart, 'etcd', { cluster: old, master: 'master0' }));
    const env = envOf(p);
    expect(env.ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK).toBe('true');
    expect(env.ETCD_FEATURE_GATES).toBeUndefined();
    expect(p.spec.containers[0].image).toBe('registry.k8s.io/etcd:3.5.21-0');
    expect(etcdErrors([], p.spec.containers[0].env, '3.5')).toEqual([]);
    expect(envOf(pod).ETCD_FEATURE_GATES).toBe('InitialCorruptCheck=true');
  });

  test('customised: image, extra env, resources', () => {
    const [p] = synthObjects(
      (chart) =>
        new EtcdStaticPod(chart, 'etcd', {
          cluster: spec,
          master: 'master0',
          image: 'mirror.example/etcd:3.6.6-0',
          extraEnv: { ETCD_QUOTA_BACKEND_BYTES: '8589934592' },
          resources: { requests: { cpu: { value: '500m' } as any } },
        }),
    );
    expect(p).toMatchSnapshot();
    expect(envOf(p).ETCD_QUOTA_BACKEND_BYTES).toBe('8589934592');
    expect(container(p).image).toBe('mirror.example/etcd:3.6.6-0');
  });

  test('its props type has no extraArgs (`npm run typecheck` fails if the @ts-expect-error lines stop being errors)', () => {
    const props: EtcdStaticPodProps = {
      cluster: spec,
      master: 'master0',
      // @ts-expect-error etcd takes ETCD_* variables (extraEnv), not flags
      extraArgs: { 'snapshot-count': '5' },
    };
    expect(props.cluster).toBe(spec);
  });

  test('apiObject is the KubePod', () => {
    let etcd!: EtcdStaticPod;
    const [p] = synthObjects((chart) => {
      etcd = new EtcdStaticPod(chart, 'etcd', { cluster: spec, master: 'master1' });
      etcd.apiObject.metadata.addAnnotation('example.com/owner', 'team-a');
    });
    expect(etcd.apiObject).toBeInstanceOf(k8s.KubePod);
    expect(p.metadata.annotations).toEqual({ 'example.com/owner': 'team-a' });
  });

  test("a user's variables win over the defaults; unknown ones fail at synth, weakening ones warn, with the path", () => {
    const [p] = synthObjects(
      (chart) =>
        new EtcdStaticPod(chart, 'etcd', {
          cluster: spec,
          master: 'master0',
          extraEnv: { ETCD_SNAPSHOT_COUNT: '5000' },
        }),
    );
    expect(envOf(p).ETCD_SNAPSHOT_COUNT).toBe('5000');
    expect(() =>
      synthObjects(
        (c) =>
          new EtcdStaticPod(c, 'etcd', { cluster: spec, master: 'master0', extraEnv: { ETCD_NO_SUCH_SETTING: '1' } }),
      ),
    ).toThrow(
      `[test/etcd] extraEnv: ETCD_NO_SUCH_SETTING is not a setting of etcd ${spec.etcdVersion} (etcd would ignore it)`,
    );
    const { warnings } = synthWithWarnings(
      (c) =>
        new EtcdStaticPod(c, 'etcd', {
          cluster: spec,
          master: 'master0',
          extraEnv: { ETCD_CLIENT_CERT_AUTH: 'false' },
        }),
    );
    expect(warnings).toEqual([
      '[test/etcd] weakens CIS 2.2 (etcd --client-cert-auth is true): etcd: client-cert-auth is false',
    ]);
  });

  test('refuses flags and non-etcd variables, naming them', () => {
    expect(() =>
      synthObjects(
        // @ts-expect-error JavaScript callers: the type has no extraArgs
        (c) => new EtcdStaticPod(c, 'e', { cluster: spec, master: 'master0', extraArgs: { 'snapshot-count': '5' } }),
      ),
    ).toThrow(
      'extraArgs: etcd is configured through ETCD_* variables and exits when a setting is given both ways; use extraEnv instead of {"snapshot-count":"5"}',
    );
    expect(() =>
      synthObjects(
        (c) => new EtcdStaticPod(c, 'e', { cluster: spec, master: 'master0', extraEnv: { etcd_name: 'x' } }),
      ),
    ).toThrow("extraEnv: 'etcd_name' is not an etcd setting (ETCD_* in upper case)");
    expect(() => synthObjects((c) => new EtcdStaticPod(c, 'e', { cluster: spec, master: 'master9' }))).toThrow(
      "unknown master 'master9' (masters: master0, master1, master2)",
    );
  });
});
