import { checkEtcdSettings, checkFlags, knownFlags, parseFlags } from '../../lib/verify';

const ids = (fs: { id: string }[]) => fs.map((f) => f.id);

describe('parseFlags', () => {
  test('skips the binary, reads --k=v, --k v, -v shorthand and normalises underscores', () => {
    expect(
      parseFlags('kube-controller-manager', [
        'kube-controller-manager',
        '--concurrent_rc_syncs=5',
        '--kubeconfig',
        '/x',
        '-v=2',
        '--leader-elect',
      ]),
    ).toEqual([
      { name: '--concurrent-rc-syncs', raw: '--concurrent_rc_syncs=5', value: '5' },
      { name: '--kubeconfig', raw: '--kubeconfig', value: '/x' },
      { name: '--v', raw: '-v=2', value: '2' },
      { name: '--leader-elect', raw: '--leader-elect', value: undefined },
    ]);
  });
});

describe('checkFlags', () => {
  test('a kubeadm-like kube-apiserver command line is clean', () => {
    const args = [
      'kube-apiserver',
      '--advertise-address=10.0.0.1',
      '--allow-privileged=true',
      '--authorization-mode=Node,RBAC',
      '--client-ca-file=/etc/kubernetes/pki/ca.crt',
      '--enable-admission-plugins=NodeRestriction',
      '--etcd-servers=https://127.0.0.1:2379',
      '--secure-port=6443',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--profiling=false',
      '--audit-log-path=/var/log/kubernetes/audit/audit.log',
      '--tls-min-version=VersionTLS12',
    ];
    expect(checkFlags('kube-apiserver', args, 'v1.35.4')).toEqual([]);
  });

  test('unknown, removed, deprecated and duplicate flags', () => {
    const findings = checkFlags(
      'kube-apiserver',
      [
        '--insecure-port=0',
        '--admision-control-config-file=x',
        '--admission-control=NodeRestriction',
        '--v=2',
        '--v=4',
      ],
      '1.35',
    );
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        id: 'flag-removed',
        message: expect.stringContaining('--insecure-port was removed in 1.24'),
      }),
      expect.objectContaining({
        severity: 'error',
        id: 'flag-unknown',
        message: expect.stringContaining('--admision-control-config-file'),
      }),
      expect.objectContaining({
        severity: 'warning',
        id: 'flag-deprecated',
        message: expect.stringContaining('--admission-control'),
      }),
      expect.objectContaining({
        severity: 'error',
        id: 'flag-duplicate',
        message: expect.stringContaining('--v is given twice'),
      }),
    ]);
    expect(findings.every((f) => f.check === 'flags')).toBe(true);
  });

  test('controller-manager: v1.21 list + newer flags from their release on; insecure and klog flags removed', () => {
    expect(checkFlags('kube-controller-manager', ['--concurrent-job-syncs=5'], '1.35')).toEqual([]);
    expect(ids(checkFlags('kube-controller-manager', ['--concurrent-job-syncs=5'], '1.21'))).toEqual(['flag-unknown']);
    expect(
      ids(checkFlags('kube-controller-manager', ['--port=0', '--logtostderr', '--pod-eviction-timeout=5m'], '1.35')),
    ).toEqual(['flag-removed', 'flag-removed', 'flag-removed']);
    expect(ids(checkFlags('kube-controller-manager', ['--logtostderr'], '1.21'))).toEqual([]);
  });

  test('scheduler: policy flags are gone, --kubeconfig is deprecated (warning)', () => {
    const f = checkFlags(
      'kube-scheduler',
      [
        'kube-scheduler',
        '--policy-config-file=/x',
        '--kubeconfig=/etc/kubernetes/scheduler.conf',
        '--bind-address=127.0.0.1',
      ],
      '1.35',
    );
    expect(f.map((x) => [x.severity, x.id])).toEqual([
      ['error', 'flag-removed'],
      ['warning', 'flag-deprecated'],
    ]);
  });

  test('kubelet: dockershim flags are errors from 1.24, config-file flags are warnings', () => {
    expect(ids(checkFlags('kubelet', ['--network-plugin=cni', '--cni-bin-dir=/opt/cni/bin'], '1.35'))).toEqual([
      'flag-removed',
      'flag-removed',
    ]);
    expect(
      ids(
        checkFlags(
          'kubelet',
          ['--config=/var/lib/kubelet/config.yaml', '--kubeconfig=/etc/kubernetes/kubelet.conf', '--node-ip=10.0.0.1'],
          '1.35',
        ),
      ),
    ).toEqual([]);
    expect(checkFlags('kubelet', ['--anonymous-auth=false'], '1.35')[0]).toMatchObject({
      severity: 'warning',
      id: 'flag-deprecated',
    });
    expect(ids(checkFlags('kubelet', ['--cloud-provider=openstack'], '1.35'))).toEqual([
      'flag-removed',
      'flag-deprecated',
    ]);
  });

  test('etcd: 3.6 deprecates experimental-* flags, 3.5 does not have the 3.6 names', () => {
    expect(checkFlags('etcd', ['--experimental-initial-corrupt-check=true'], '3.6.6')[0]).toMatchObject({
      severity: 'warning',
      id: 'flag-deprecated',
    });
    expect(checkFlags('etcd', ['--experimental-initial-corrupt-check=true'], '3.5.21')).toEqual([]);
    expect(
      ids(
        checkFlags(
          'etcd',
          ['--feature-gates=InitialCorruptCheck=true', '--watch-progress-notify-interval=5s'],
          '3.5.21',
        ),
      ),
    ).toEqual(['flag-unknown', 'flag-unknown']);
    expect(
      checkFlags('etcd', ['--feature-gates=InitialCorruptCheck=true', '--watch-progress-notify-interval=5s'], '3.6.6'),
    ).toEqual([]);
    expect(knownFlags('etcd', '3.6').get('--name')?.env).toBe('ETCD_NAME');
  });

  test('bad component or version', () => {
    expect(() => checkFlags('kube-foo' as any, [])).toThrow(/component: 'kube-foo'/);
  });
});

describe('checkEtcdSettings', () => {
  test('clean when env and flags do not overlap', () => {
    expect(
      checkEtcdSettings(
        ['etcd', '--name=m0', '--data-dir=/var/lib/etcd'],
        [{ name: 'ETCD_SNAPSHOT_COUNT', value: '10000' }],
        '3.6.6',
      ),
    ).toEqual([]);
  });
  test('the same setting as env and flag is an error; unknown ETCD_* env is an error', () => {
    const f = checkEtcdSettings(
      ['--name=m0'],
      { ETCD_NAME: 'm0', ETCD_NAMEE: 'x', ETCDCTL_API: '3', ETCD_UNSUPPORTED_ARCH: 'arm64' },
      '3.6',
    );
    expect(f.map((x) => [x.severity, x.id])).toEqual([
      ['error', 'etcd-env-and-flag'],
      ['error', 'etcd-env-unknown'],
    ]);
    expect(f[0].message).toContain('ETCD_NAME and --name are both set');
  });
});
