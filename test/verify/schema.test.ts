import { SCHEMA_MINORS, describeObject, isKnownKind, validateObject, validateObjects } from '../../lib/verify';

function etcdPod(extra: Record<string, unknown> = {}): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'etcd',
      namespace: 'kube-system',
      labels: { component: 'etcd', tier: 'control-plane' },
      annotations: { a: 'b' },
    },
    spec: {
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'etcd',
          image: 'registry.k8s.io/etcd:3.6.6-0',
          command: ['etcd', '--name=master0'],
          resources: { requests: { cpu: '100m', memory: '100Mi' } },
          livenessProbe: {
            httpGet: { host: '127.0.0.1', path: '/livez', port: 2381, scheme: 'HTTP' },
            failureThreshold: 8,
          },
          startupProbe: { httpGet: { path: '/readyz', port: 'probe-port' } },
          volumeMounts: [{ name: 'etcd-data', mountPath: '/var/lib/etcd' }],
          ...extra,
        },
      ],
      volumes: [{ name: 'etcd-data', hostPath: { path: '/var/lib/etcd', type: 'DirectoryOrCreate' } }],
    },
  };
}

describe('validateObject', () => {
  test.each(SCHEMA_MINORS)('a kubeadm-like etcd pod is valid in v%s', (minor) => {
    expect(validateObject(etcdPod(), minor)).toEqual([]);
  });

  test('accepts v1.35, 1.35 and v1.35.4 alike; IntOrString and Quantity take numbers and strings', () => {
    const pod = etcdPod({ resources: { requests: { cpu: 0.1, memory: '100Mi' } } });
    expect(validateObject(pod, 'v1.35.4')).toEqual([]);
    expect(validateObject(pod, '1.35')).toEqual([]);
  });

  test('unknown fields are errors, named by object and path', () => {
    expect(validateObject(etcdPod({ foo: 1 }), '1.35')).toEqual([
      'Pod kube-system/etcd: /spec/containers/0/foo: unknown field "foo"',
    ]);
    const pod = etcdPod();
    pod.spec.hostnetwork = true;
    pod.metadata.lables = {};
    expect(validateObject(pod, '1.35')).toEqual(
      expect.arrayContaining([
        'Pod kube-system/etcd: /spec/hostnetwork: unknown field "hostnetwork"',
        'Pod kube-system/etcd: /metadata/lables: unknown field "lables"',
      ]),
    );
  });

  test('unknown fields pass when asked not to report them', () => {
    expect(validateObject(etcdPod({ foo: 1 }), '1.35', { unknownFieldsAreErrors: false })).toEqual([]);
  });

  test('free-form maps stay open, but their values are typed', () => {
    const pod = etcdPod();
    pod.metadata.labels['any.example.com/key'] = 'v';
    expect(validateObject(pod, '1.35')).toEqual([]);
    pod.metadata.labels.n = 5;
    expect(validateObject(pod, '1.35')).toEqual(['Pod kube-system/etcd: /metadata/labels/n: must be string, got 5']);
  });

  test('wrong types, IntOrString and required fields', () => {
    const pod = etcdPod({ livenessProbe: { httpGet: { port: true } }, ports: [{ containerPort: '2379' }] });
    pod.spec.hostNetwork = 'yes';
    delete pod.spec.containers[0].name;
    expect(validateObject(pod, '1.35').sort()).toEqual([
      'Pod kube-system/etcd: /spec/containers/0/livenessProbe/httpGet/port: must be a string or an integer, got true',
      'Pod kube-system/etcd: /spec/containers/0/ports/0/containerPort: must be integer, got "2379"',
      'Pod kube-system/etcd: /spec/containers/0: missing required field "name"',
      'Pod kube-system/etcd: /spec/hostNetwork: must be boolean, got "yes"',
    ]);
  });

  test('unknown apiVersion/kind, and kinds that exist only in some minors', () => {
    expect(validateObject({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' } }, '1.35')).toEqual([
      'Thing x: (root): unknown apiVersion/kind "example.com/v1" "Thing" in Kubernetes v1.35',
    ]);
    expect(isKnownKind('apps/v1', 'DaemonSet', '1.33')).toBe(true);
    expect(isKnownKind('extensions/v1beta1', 'DaemonSet', '1.33')).toBe(false);
    expect(isKnownKind('policy/v1beta1', 'PodSecurityPolicy', '1.35')).toBe(false);
  });

  test('cluster-scoped objects and batch validation', () => {
    const crb = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kubeadm:cluster-admins' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'Group', name: 'kubeadm:cluster-admins', apiGroup: 'rbac.authorization.k8s.io' }],
    };
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kube-proxy', namespace: 'kube-system' },
      spec: {},
    };
    expect(validateObjects([crb, ds], '1.36')).toEqual([
      'DaemonSet kube-system/kube-proxy: /spec: missing required field "selector"',
      'DaemonSet kube-system/kube-proxy: /spec: missing required field "template"',
    ]);
    expect(describeObject(crb)).toBe('ClusterRoleBinding kubeadm:cluster-admins');
  });

  test('non-objects and unshipped versions', () => {
    expect(validateObject('text', '1.35')).toEqual(['(no kind) (no name): (root): must be a mapping, got "text"']);
    expect(() => validateObject(etcdPod(), '1.20')).toThrow(/no Kubernetes schema for v1.20/);
  });
});
