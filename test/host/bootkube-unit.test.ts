import { renderBootkubeUnit } from '../../lib/host';
import { BOOTKUBE_EXAMPLE_CLUSTER } from '../../lib/spec';
import { systemdAnalyzeAvailable, verifyUnits } from '../support/systemd-verify';

const itVerify = systemdAnalyzeAvailable() ? test : test.skip;

describe('bootkube.service', () => {
  test('defaults (snapshot)', () => {
    expect(renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER)).toMatchSnapshot();
  });

  test('runs bootkube start once, after the kubelet, as the seed did', () => {
    const unit = renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER);
    expect(unit).toContain('ExecStart=/opt/bootkube/bootkube start --asset-dir=/opt/bootkube/assets\n');
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^RemainAfterExit=true$/m);
    expect(unit).toMatch(/^ConditionPathExists=!\/opt\/bootkube\/init_bootkube.done$/m);
    expect(unit).toMatch(/^ExecStartPost=\/usr\/bin\/touch \/opt\/bootkube\/init_bootkube.done$/m);
    expect(unit).toMatch(/^After=kubelet.service$/m);
    expect(unit).toContain('on master01');
    expect(unit).not.toMatch(/rkt|quay.io/);
  });

  test('custom directories', () => {
    const unit = renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER, { directory: '/srv/bk/', assetDir: '/srv/assets', bootkubePath: '/usr/local/bin/bootkube' });
    expect(unit).toContain('ExecStart=/usr/local/bin/bootkube start --asset-dir=/srv/assets\n');
    expect(unit).toMatch(/^WorkingDirectory=\/srv\/bk$/m);
    expect(() => renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER, { assetDir: 'assets' })).toThrow('assetDir: "assets" must be an absolute path');
  });

  itVerify('passes systemd-analyze verify (and fails without the bootkube binary)', () => {
    const unit = renderBootkubeUnit(BOOTKUBE_EXAMPLE_CLUSTER);
    expect(verifyUnits({ 'bootkube.service': unit }, ['/opt/bootkube/bootkube'])).toEqual({ ok: true, status: 0, output: '' });
    expect(verifyUnits({ 'bootkube.service': unit }).ok).toBe(false);
  });
});
