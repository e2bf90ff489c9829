import { renderKubeletUnit } from '../../lib/host';
import { BOOTKUBE_EXAMPLE_CLUSTER, ClusterSpec, STATIC_EXAMPLE_CLUSTER } from '../../lib/spec';
import { systemdAnalyzeAvailable, verifyUnits } from '../support/systemd-verify';

const itVerify = systemdAnalyzeAvailable() ? test : test.skip;

/** The kubelet's arguments in ExecStart. */
function execStart(unit: string): string[] {
  const m = unit.match(/^ExecStart=((?:.*\\\n)*.*)$/m)!;
  return m[1].replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
}

describe('kubelet.service', () => {
  test('master of the static example (snapshot)', () => {
    expect(renderKubeletUnit(STATIC_EXAMPLE_CLUSTER, 'master0')).toMatchSnapshot();
  });

  test('self-hosted worker with a custom kubelet path (snapshot)', () => {
    const unit = renderKubeletUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'worker01', {
      kubeletPath: '/opt/bin/kubelet',
      selfHosted: true,
    });
    expect(unit).toMatchSnapshot();
    expect(unit).toMatch(/^ExecStart=\/opt\/bin\/kubelet \\$/m);
    expect(execStart(unit)[0]).toBe('/opt/bin/kubelet');
  });

  test('current kubelet flags: config file, kubeconfig, node IP; nothing from 2017', () => {
    const unit = renderKubeletUnit(STATIC_EXAMPLE_CLUSTER, 'master1');
    expect(execStart(unit)).toEqual([
      '/usr/bin/kubelet',
      '--config=/var/lib/kubelet/config.yaml',
      '--kubeconfig=/etc/kubernetes/kubelet.conf',
      '--node-ip=10.180.0.11',
      '--node-labels=node.kubernetes.io/controller=true,node.kubernetes.io/exclude-from-external-load-balancers=',
    ]);
    for (const gone of [
      'rkt',
      'kubelet-wrapper',
      'kubenet',
      '--network-plugin',
      '--require-kubeconfig',
      '--pod-manifest-path',
      '--hostname-override',
      '--cloud-config',
      '--register-with-taints',
      'node-role.kubernetes.io',
    ]) {
      expect(unit).not.toContain(gone);
    }
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^RestartSec=10$/m);
    expect(unit).toMatch(/^AssertHost=master1$/m);
    expect(unit).toMatch(/^ExecStartPre=\/bin\/mkdir -p \/etc\/kubernetes\/manifests$/m);
    expect(unit).toMatch(/^WantedBy=multi-user.target$/m);
  });

  test('--cloud-provider=external only when the spec says so; workers label themselves workers, not controllers', () => {
    const spec: ClusterSpec = {
      ...STATIC_EXAMPLE_CLUSTER,
      cloudProvider: 'external',
      workers: [{ name: 'worker0', ip: '10.180.0.20' }],
    };
    expect(execStart(renderKubeletUnit(spec, 'master0'))).toContain('--cloud-provider=external');
    expect(execStart(renderKubeletUnit(STATIC_EXAMPLE_CLUSTER, 'master0')).join(' ')).not.toContain('cloud-provider');
    expect(execStart(renderKubeletUnit(spec, 'worker0'))).toContain('--node-labels=node.kubernetes.io/node=true');
    expect(execStart(renderKubeletUnit(spec, 'worker0')).join(' ')).not.toContain('controller');
  });

  test("self-hosted masters create the checkpointer's directory, 0700 (it holds the API server's keys)", () => {
    const unit = renderKubeletUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master01', { selfHosted: true });
    expect(unit).toMatch(
      /^ExecStartPre=\/usr\/bin\/install -d -m 0700 \/var\/lib\/etcd \/etc\/kubernetes\/checkpoints$/m,
    );
    expect(unit).not.toContain('/etc/kubernetes/checkpoint-secrets');
    expect(unit).not.toContain('/etc/kubernetes/inactive-manifests');
    expect(renderKubeletUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master01')).not.toContain('/etc/kubernetes/checkpoints');
  });

  test('unknown node and a relative kubelet path are refused', () => {
    expect(() => renderKubeletUnit(STATIC_EXAMPLE_CLUSTER, 'nope')).toThrow('unknown node "nope"');
    expect(() => renderKubeletUnit(STATIC_EXAMPLE_CLUSTER, 'master0', { kubeletPath: 'kubelet' })).toThrow(
      'kubeletPath: "kubelet"',
    );
  });

  itVerify('every unit passes systemd-analyze verify', () => {
    for (const [spec, node] of [
      [STATIC_EXAMPLE_CLUSTER, 'master0'],
      [BOOTKUBE_EXAMPLE_CLUSTER, 'master01'],
      [BOOTKUBE_EXAMPLE_CLUSTER, 'worker01'],
    ] as const) {
      const r = verifyUnits({ 'kubelet.service': renderKubeletUnit(spec, node, { selfHosted: true }) }, [
        '/usr/bin/kubelet',
      ]);
      expect(r).toEqual({ ok: true, status: 0, output: '' });
    }
  });

  itVerify('systemd-analyze verify catches a broken unit', () => {
    const good = renderKubeletUnit(STATIC_EXAMPLE_CLUSTER, 'master0');
    // the kubelet binary missing on the host
    expect(verifyUnits({ 'kubelet.service': good }).output).toContain('/usr/bin/kubelet is not executable');
    // a typo in a key (a warning only: exit code 0, but output)
    const typo = verifyUnits({ 'kubelet.service': good.replace('RestartSec=', 'RestartSecs=') }, ['/usr/bin/kubelet']);
    expect(typo.ok).toBe(false);
    expect(typo.output).toContain("Unknown key 'RestartSecs'");
    // no [Service] section
    expect(
      verifyUnits({ 'kubelet.service': good.replace('[Service]', '[Servic]') }, ['/usr/bin/kubelet']).status,
    ).not.toBe(0);
  });
});

describe('etcd data directory', () => {
  test('masters create /var/lib/etcd 0700 before the kubelet starts (CIS 1.1.11); workers do not', () => {
    expect(renderKubeletUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master01')).toContain(
      'ExecStartPre=/usr/bin/install -d -m 0700 /var/lib/etcd',
    );
    expect(renderKubeletUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'worker01')).not.toContain('/var/lib/etcd');
  });
});
