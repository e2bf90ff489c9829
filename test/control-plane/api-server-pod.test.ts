import { parse } from 'yaml';
import * as k8s from '../../imports/k8s';
import { ApiServerPod } from '../../lib/control-plane';
import { BOOTKUBE_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { validateObject } from '../../lib/verify';
import { argMap, container, synthObjects, synthWithWarnings } from '../support/synth';
import { flagErrors, schemaErrors, spec } from './_shared';

describe('ApiServerPod', () => {
  let construct!: ApiServerPod;
  const [pod] = synthObjects((chart) => {
    construct = new ApiServerPod(chart, 'apiserver', { cluster: spec, master: 'master0' });
  });
  const args = argMap(container(pod).args);

  test('defaults', () => {
    expect(pod).toMatchSnapshot();
  });

  test('is a valid Pod for every supported version, and every flag exists', () => {
    expect(schemaErrors(pod)).toEqual([]);
    expect(flagErrors('kube-apiserver', container(pod).args)).toEqual([]);
  });

  test('secure serving only, TLS 1.2+, no insecure or removed seed flags', () => {
    expect(args['secure-port']).toBe('6443');
    expect(args['tls-min-version']).toBe('VersionTLS12');
    for (const removed of [
      'insecure-port',
      'insecure-bind-address',
      'admission-control',
      'kubelet-https',
      'apiserver-count',
      'experimental-bootstrap-token-auth',
      'runtime-config',
      'cloud-provider',
      'token-auth-file',
      'enable-swagger-ui',
    ]) {
      expect(args[removed]).toBeUndefined();
    }
  });

  test('etcd over mTLS to the local member', () => {
    expect(args).toMatchObject({
      'etcd-servers': 'https://127.0.0.1:2379',
      'etcd-cafile': '/etc/kubernetes/pki/etcd/ca.crt',
      'etcd-certfile': '/etc/kubernetes/pki/apiserver-etcd-client.crt',
      'etcd-keyfile': '/etc/kubernetes/pki/apiserver-etcd-client.key',
    });
  });

  test('CIS 1.2 settings: authz, admission, SA keys, kubelet CA, profiling, audit, encryption', () => {
    expect(args).toMatchObject({
      'authorization-mode': 'Node,RBAC',
      'enable-admission-plugins': 'NodeRestriction',
      'enable-bootstrap-token-auth': 'true',
      'service-account-key-file': '/etc/kubernetes/pki/sa.pub',
      'service-account-signing-key-file': '/etc/kubernetes/pki/sa.key',
      'service-account-issuer': 'https://kubernetes.default.svc.cluster.local',
      'service-account-lookup': 'true',
      'kubelet-certificate-authority': '/etc/kubernetes/pki/ca.crt',
      profiling: 'false',
      'audit-log-path': '/var/log/kubernetes/audit/audit.log',
      'audit-log-maxage': '30',
      'audit-log-maxbackup': '10',
      'audit-log-maxsize': '100',
      'audit-policy-file': '/etc/kubernetes/apiserver/audit-policy.yaml',
      'encryption-provider-config': '/etc/kubernetes/apiserver/encryption-config.yaml',
      'authentication-config': '/etc/kubernetes/apiserver/authentication-config.yaml',
      'service-cluster-ip-range': '10.180.1.0/24',
      'advertise-address': '10.180.0.10',
    });
    // The service-account key is not the CA key (the seed signed tokens with ca-key.pem).
    expect(args['service-account-key-file']).not.toMatch(/ca/);
    // --anonymous-auth and an anonymous section in the authentication config are mutually exclusive.
    expect(args['anonymous-auth']).toBeUndefined();
  });

  test('front-proxy / aggregation client', () => {
    expect(args).toMatchObject({
      'proxy-client-cert-file': '/etc/kubernetes/pki/front-proxy-client.crt',
      'proxy-client-key-file': '/etc/kubernetes/pki/front-proxy-client.key',
      'requestheader-client-ca-file': '/etc/kubernetes/pki/front-proxy-ca.crt',
      'requestheader-allowed-names': 'front-proxy-client',
    });
  });

  test('probes use HTTPS on the advertise address and API port', () => {
    const c = container(pod);
    expect(c.livenessProbe.httpGet).toEqual({ host: '10.180.0.10', path: '/livez', port: 6443, scheme: 'HTTPS' });
    expect(c.readinessProbe.httpGet).toEqual({ host: '10.180.0.10', path: '/readyz', port: 6443, scheme: 'HTTPS' });
    expect(c.startupProbe.httpGet).toEqual({ host: '10.180.0.10', path: '/livez', port: 6443, scheme: 'HTTPS' });
  });

  test('every referenced host path is mounted, certificates read-only, only the audit log writable', () => {
    const mounts = container(pod).volumeMounts as any[];
    const mountPaths = mounts.map((m) => m.mountPath);
    for (const value of Object.values(args)) {
      if (value.startsWith('/')) expect(mountPaths.some((m) => value.startsWith(m + '/'))).toBe(true);
    }
    expect(mounts.filter((m) => !m.readOnly).map((m) => m.name)).toEqual(['audit-log']);
  });

  test('common static pod settings', () => {
    expect(pod.metadata).toMatchObject({
      name: 'kube-apiserver',
      namespace: 'kube-system',
      labels: { component: 'kube-apiserver', tier: 'control-plane' },
    });
    expect(pod.spec).toMatchObject({
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    });
    expect(container(pod).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container(pod).resources).toEqual({ requests: { cpu: '250m' } });
    expect(container(pod).image).toBe(`registry.k8s.io/kube-apiserver:${spec.kubernetesVersion}`);
  });

  test('host files: audit policy and an authentication config allowing anonymous only on health endpoints', () => {
    const files = construct.hostFiles();
    expect(files.map((f) => [f.path, f.mode])).toEqual([
      ['apiserver/audit-policy.yaml', 0o600],
      ['apiserver/authentication-config.yaml', 0o600],
    ]);
    const policy = parse(files[0].content);
    expect(policy).toMatchObject({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy' });
    const secretsRule = policy.rules.find((r: any) => r.resources?.some((g: any) => g.resources?.includes('secrets')));
    expect(secretsRule.level).toBe('Metadata');
    const authn = parse(files[1].content);
    expect(authn).toEqual({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'AuthenticationConfiguration',
      anonymous: { enabled: true, conditions: [{ path: '/livez' }, { path: '/readyz' }, { path: '/healthz' }] },
    });
  });

  test('a port below 1024 (the bootkube seed serves 443) adds only NET_BIND_SERVICE', () => {
    const [p] = synthObjects(
      (chart) => new ApiServerPod(chart, 'a', { cluster: resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER), master: 'master01' }),
    );
    expect(container(p).securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
    expect(argMap(container(p).args)['secure-port']).toBe('443');
  });

  test('customised: extra args override defaults, removed args vanish, extra volumes and admission plugins', () => {
    const {
      objects: [p],
      warnings,
    } = synthWithWarnings(
      (chart) =>
        new ApiServerPod(chart, 'a', {
          cluster: spec,
          master: 'master2',
          extraArgs: { v: '2', 'audit-log-maxage': '90' },
          removeArgs: ['kubelet-certificate-authority'],
          extraAdmissionPlugins: ['EventRateLimit', 'AlwaysPullImages'],
          extraVolumes: [{ name: 'oidc-ca', hostPath: '/etc/oidc/ca.crt', type: 'File' }],
        }),
    );
    expect(p).toMatchSnapshot();
    const a = argMap(container(p).args);
    expect(a).toMatchObject({
      v: '2',
      'audit-log-maxage': '90',
      'enable-admission-plugins': 'NodeRestriction,EventRateLimit,AlwaysPullImages',
    });
    expect(a['kubelet-certificate-authority']).toBeUndefined();
    expect(container(p).args).toEqual([...container(p).args].sort());
    expect(p.spec.volumes.map((v: any) => v.name)).toEqual([
      'apiserver-config',
      'audit-log',
      'ca-certs',
      'k8s-certs',
      'oidc-ca',
    ]);
    expect(validateObject(p, spec.kubernetesMinor)).toEqual([]);
    // Removing the kubelet CA is allowed, but weakens CIS 1.2.5.
    expect(warnings).toEqual([
      '[test/a] weakens CIS 1.2.5 (--kubelet-certificate-authority is set): kube-apiserver: --kubelet-certificate-authority not set',
    ]);
  });

  test("the user's flags are applied last: over every default, after the user's removals", () => {
    const [p] = synthObjects(
      (chart) =>
        new ApiServerPod(chart, 'a', {
          cluster: spec,
          master: 'master0',
          extraArgs: { 'tls-min-version': 'VersionTLS13', 'etcd-servers': 'https://10.0.0.1:2379' },
          removeArgs: ['enable-bootstrap-token-auth'],
          extraAdmissionPlugins: ['EventRateLimit'],
        }),
    );
    const a = argMap(container(p).args);
    expect(a['tls-min-version']).toBe('VersionTLS13');
    expect(a['etcd-servers']).toBe('https://10.0.0.1:2379');
    expect(a['enable-bootstrap-token-auth']).toBeUndefined();
    // extraArgs also wins over a default another prop computed (extraAdmissionPlugins).
    const {
      objects: [q],
      warnings,
    } = synthWithWarnings(
      (chart) =>
        new ApiServerPod(chart, 'a', {
          cluster: spec,
          master: 'master0',
          extraAdmissionPlugins: ['EventRateLimit'],
          extraArgs: { 'enable-admission-plugins': 'NodeRestriction,AlwaysPullImages' },
        }),
    );
    expect(argMap(container(q).args)['enable-admission-plugins']).toBe('NodeRestriction,AlwaysPullImages');
    expect(warnings).toEqual([
      '[test/a] weakens CIS 1.2.9 (EventRateLimit admission plugin is set): kube-apiserver: EventRateLimit not in --enable-admission-plugins',
    ]);
    expect(() =>
      synthObjects(
        (c) =>
          new ApiServerPod(c, 'a', {
            cluster: spec,
            master: 'master0',
            extraArgs: { profiling: 'true' },
            removeArgs: ['profiling'],
          }),
      ),
    ).toThrow("removeArgs: 'profiling' is also set in extraArgs; name it in one of them");
  });

  test('a flag unknown to (or removed from) kube-apiserver at the cluster version fails the synth, naming the construct path', () => {
    expect(() =>
      synthObjects(
        (c) => new ApiServerPod(c, 'a', { cluster: spec, master: 'master0', extraArgs: { 'no-such-flag': 'x' } }),
      ),
    ).toThrow('[test/a] extraArgs: --no-such-flag is not a flag of kube-apiserver v1.35.4');
    expect(() =>
      synthObjects(
        (c) => new ApiServerPod(c, 'a', { cluster: spec, master: 'master0', extraArgs: { 'insecure-port': '0' } }),
      ),
    ).toThrow(
      '[test/a] extraArgs: --insecure-port was removed from kube-apiserver in 1.24 (insecure serving; use --secure-port)',
    );
    // Known flags pass (and the construct is built without loading anything else).
    expect(
      synthWithWarnings(
        (c) => new ApiServerPod(c, 'a', { cluster: spec, master: 'master0', extraArgs: { 'event-ttl': '4h', v: '2' } }),
      ).warnings,
    ).toEqual([]);
  });

  test('an override that weakens a CIS check is a warning with the construct path, printed at synth', () => {
    const { warnings, printed } = synthWithWarnings(
      (c) =>
        new ApiServerPod(c, 'weak', {
          cluster: spec,
          master: 'master0',
          extraArgs: { 'anonymous-auth': 'true', profiling: 'true', 'authorization-mode': 'AlwaysAllow' },
        }),
    );
    expect(warnings).toEqual([
      '[test/weak] weakens CIS 1.2.1 (--anonymous-auth is set to false): kube-apiserver: --anonymous-auth is "true"',
      '[test/weak] weakens CIS 1.2.6 (--authorization-mode is not AlwaysAllow): kube-apiserver: authorization modes AlwaysAllow include AlwaysAllow',
      '[test/weak] weakens CIS 1.2.7 (--authorization-mode includes Node): kube-apiserver: authorization modes AlwaysAllow lack Node',
      '[test/weak] weakens CIS 1.2.8 (--authorization-mode includes RBAC): kube-apiserver: authorization modes AlwaysAllow lack RBAC',
      '[test/weak] weakens CIS 1.2.15 (--profiling is set to false): kube-apiserver: --profiling is "true", want false',
    ]);
    expect(printed).toEqual(warnings.map((w) => `warning: ${w}\n`));
  });

  test('apiObject is the KubePod', () => {
    expect(construct.apiObject).toBeInstanceOf(k8s.KubePod);
    expect(construct.apiObject.kind).toBe('Pod');
    expect(construct.apiObject.name).toBe('kube-apiserver');
  });

  test('bad props are refused with the bad value', () => {
    expect(() =>
      synthObjects((c) => new ApiServerPod(c, 'a', { cluster: spec, master: 'master0', extraArgs: { '--v': '2' } })),
    ).toThrow("extraArgs: flag names are given without dashes: '--v'");
    expect(() =>
      synthObjects(
        (c) =>
          new ApiServerPod(c, 'a', {
            cluster: spec,
            master: 'master0',
            extraVolumes: [{ name: 'x', hostPath: 'rel/path' }],
          }),
      ),
    ).toThrow("extraVolumes: hostPath 'rel/path' of volume 'x' must be absolute");
    expect(() =>
      synthObjects(
        (c) =>
          new ApiServerPod(c, 'a', { cluster: spec, master: 'master0', extraAdmissionPlugins: ['Node Restriction'] }),
      ),
    ).toThrow("extraAdmissionPlugins: 'Node Restriction' is not an admission plugin name");
  });
});
