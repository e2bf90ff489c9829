import { renderBootkubeUnit } from '../../lib/host';
import { BOOTKUBE_EXAMPLE_CLUSTER } from '../../lib/spec';
import { systemdAnalyzeAvailable, verifyUnits } from '../support/systemd-verify';

const itVerify = systemdAnalyzeAvailable() ? test : test.skip;

describe('bootkube.service', () => {
  test('defaults (snapshot)', () => {
    expect(renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER)).toMatchSnapshot();
  });

  test('runs hacp bootstrap (not the retired bootkube start) once, after the kubelet, re-runnable until done', () => {
    const unit = renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER);
    const exec = unit.match(/^ExecStart=((?:.*\\\n)*.*)$/m)![1].replace(/ \\\n\s*/g, ' ');
    expect(exec).toBe(
      '/usr/local/bin/hacp bootstrap --asset-dir=/opt/bootkube/assets --cluster=/opt/bootkube/cluster.yaml --done-marker=/opt/bootkube/init_bootkube.done',
    );
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^RemainAfterExit=true$/m);
    // hacp bootstrap writes the marker itself after its last step; the unit never runs again once it exists
    expect(unit).toMatch(/^ConditionPathExists=!\/opt\/bootkube\/init_bootkube.done$/m);
    expect(unit).not.toMatch(/ExecStartPost/);
    // a failed run resumes (state file), every wait of hacp bootstrap is bounded, TimeoutStartSec is the backstop
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^RestartSec=30s$/m);
    expect(unit).toMatch(/^TimeoutStartSec=60min$/m);
    expect(unit).toMatch(/^After=kubelet.service network-online.target$/m);
    expect(unit).toMatch(/^Environment=HOME=\/root$/m);
    expect(unit).toContain('on master01');
    expect(unit).not.toMatch(/rkt|quay.io|bootkube start/);
  });

  test('custom directories', () => {
    const unit = renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER, {
      directory: '/srv/bk/',
      assetDir: '/srv/assets',
      hacpPath: '/opt/hacp/bin/hacp',
      clusterFile: '/etc/hacp/cluster.yaml',
      kubectlPath: '/usr/bin/kubectl',
    });
    const exec = unit.match(/^ExecStart=((?:.*\\\n)*.*)$/m)![1].replace(/ \\\n\s*/g, ' ');
    expect(exec).toBe(
      '/opt/hacp/bin/hacp bootstrap --asset-dir=/srv/assets --cluster=/etc/hacp/cluster.yaml --done-marker=/srv/bk/init_bootkube.done --kubectl=/usr/bin/kubectl',
    );
    expect(unit).toMatch(/^WorkingDirectory=\/srv\/bk$/m);
    expect(unit).toMatch(/^ConditionPathExists=!\/srv\/bk\/init_bootkube.done$/m);
    expect(() => renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER, { assetDir: 'assets' })).toThrow(
      'assetDir: "assets" must be an absolute path',
    );
    expect(() => renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER, { hacpPath: 'hacp' })).toThrow(
      'hacpPath: "hacp" must be an absolute path',
    );
  });

  itVerify('passes systemd-analyze verify (and fails without the hacp executable)', () => {
    const unit = renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER);
    expect(verifyUnits({ 'bootkube.service': unit }, ['/usr/local/bin/hacp'])).toEqual({
      ok: true,
      status: 0,
      output: '',
    });
    const missing = verifyUnits({ 'bootkube.service': unit });
    expect(missing.ok).toBe(false);
    expect(missing.output).toContain('/usr/local/bin/hacp is not executable');
  });
});
