import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderCheckpointerUnit, renderKubeletUnit } from '../../../lib/host';
import { BOOTKUBE_EXAMPLE_CLUSTER, ClusterSpec, resolveSpec } from '../../../lib/spec';
import { buildSelfHostedMasters, selfHostedMasterFiles, selfHostedMasterHostPath } from '../../../lib/synth';
import { fixturePki, seedPkiState } from '../../support/fixture-pki';
import { hacp } from '../../support/hacp';
import { systemdAnalyzeAvailable, verifyUnits } from '../../support/systemd-verify';

const itVerify = systemdAnalyzeAvailable() ? test : test.skip;

/** Every file below `dir`, relative, sorted. */
const listFiles = (dir: string) =>
  (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();

/** The arguments of ExecStart. */
function execStart(unit: string): string[] {
  const m = unit.match(/^ExecStart=((?:.*\\\n)*.*)$/m)!;
  return m[1].replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
}

describe('hacp-checkpointer.service', () => {
  test('second master of the bootkube example (snapshot)', () => {
    expect(renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master02')).toMatchSnapshot();
  });

  test('runs `hacp checkpointer run` for this node, with its IP, the port, the other masters as peers', () => {
    expect(execStart(renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master01'))).toEqual([
      '/usr/local/bin/hacp',
      'checkpointer',
      'run',
      '--node=master01',
      '--node-ip=172.17.5.101',
      '--port=443',
      '--peer=https://172.17.5.102:443',
      '--peer=https://172.17.5.103:443',
      '--interval=10',
      '--activate-after=30',
      '--handover-after=30',
      '--handover-timeout=360',
      '--parent-grace=300',
      '--crictl=/usr/bin/crictl',
    ]);
  });

  test("the handover delay is staggered by the master's position, so masters that all run their checkpoint hand over one at a time", () => {
    const delays = ['master01', 'master02', 'master03'].map((m) =>
      execStart(renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, m)).find((a) => a.startsWith('--handover-after=')),
    );
    expect(delays).toEqual(['--handover-after=30', '--handover-after=90', '--handover-after=150']);
    const custom = execStart(
      renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master03', {
        handoverAfterSeconds: 10,
        handoverStaggerSeconds: 20,
        hacpPath: '/opt/hacp/bin/hacp',
      }),
    );
    expect(custom).toContain('--handover-after=50');
    expect(custom[0]).toBe('/opt/hacp/bin/hacp');
  });

  test('IPv6 peers are bracketed', () => {
    const v6: ClusterSpec = {
      ...BOOTKUBE_EXAMPLE_CLUSTER,
      masters: [
        { name: 'm1', ip: 'fd00::1' },
        { name: 'm2', ip: 'fd00::2' },
        { name: 'm3', ip: 'fd00::3' },
      ],
      loadBalancer: { type: 'none' },
      workers: [],
      apiEndpoint: { host: 'fd00::10', port: 443 },
      networking: { serviceCidr: 'fd01::/108', podCidr: 'fd02::/64', clusterDomain: 'cluster.local' },
    };
    // (quoted for systemd, which strips the quotes)
    expect(execStart(renderCheckpointerUnit(v6, 'm1'))).toEqual(
      expect.arrayContaining(['--node-ip=fd00::1', '"--peer=https://[fd00::2]:443"']),
    );
  });

  test('sandboxed: read-only system but for the static pod directory and the checkpoints, no capabilities, restarts forever', () => {
    const unit = renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master01');
    for (const line of [
      'Restart=always',
      'StartLimitIntervalSec=0',
      'ProtectSystem=strict',
      'ReadWritePaths=/etc/kubernetes/manifests /etc/kubernetes/checkpoints',
      'CapabilityBoundingSet=',
      'NoNewPrivileges=yes',
      'UMask=0077',
      'ExecStartPre=+/usr/bin/install -d -m 0700 /etc/kubernetes/checkpoints',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
  });

  test('bad input: a worker, a relative path, a negative delay', () => {
    expect(() => renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'worker01')).toThrow(
      'worker01 is a worker: the API server and its checkpoint run on masters only',
    );
    expect(() => renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'nope')).toThrow('unknown node "nope"');
    expect(() => renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master01', { hacpPath: 'hacp' })).toThrow(
      'hacpPath: "hacp" must be an absolute path',
    );
    expect(() => renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master01', { activateAfterSeconds: -1 })).toThrow(
      'activateAfterSeconds: -1 must be an integer >= 0',
    );
  });

  test('the kubelet unit of a self-hosted master creates the checkpoint directory 0700 (and nothing of pod-checkpointer)', () => {
    const unit = renderKubeletUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master02', { selfHosted: true });
    expect(unit).toMatch(
      /^ExecStartPre=\/usr\/bin\/install -d -m 0700 \/var\/lib\/etcd \/etc\/kubernetes\/checkpoints$/m,
    );
    expect(unit).not.toMatch(/checkpoint-secrets|inactive-manifests/);
  });

  itVerify('passes systemd-analyze verify with the kubelet unit next to it (and fails without hacp)', () => {
    const units = {
      'hacp-checkpointer.service': renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master01'),
      'kubelet.service': renderKubeletUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master01', { selfHosted: true }),
    };
    expect(verifyUnits(units, ['/usr/local/bin/hacp', '/usr/bin/crictl', '/usr/bin/kubelet'])).toEqual({
      ok: true,
      status: 0,
      output: '',
    });
    expect(verifyUnits(units, ['/usr/bin/kubelet']).output).toContain('/usr/local/bin/hacp is not executable');
    const typo = verifyUnits(
      { 'hacp-checkpointer.service': units['hacp-checkpointer.service'].replace('ProtectSystem=', 'ProtectSystems=') },
      ['/usr/local/bin/hacp'],
    );
    expect(typo.output).toContain("Unknown key 'ProtectSystems'");
  });
});

describe('hacp kubelet-unit --self-hosted', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-ckpt-unit-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('every master gets hacp-checkpointer.service; --bootkube on the first master implies it', async () => {
    const r = await hacp([
      'kubelet-unit',
      '--node',
      'master02',
      '--out',
      dir,
      '--self-hosted',
      '--example',
      'bootkube',
      '--no-pki',
    ]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(fs.readFileSync(path.join(dir, 'hacp-checkpointer.service'), 'utf8')).toBe(
      renderCheckpointerUnit(BOOTKUBE_EXAMPLE_CLUSTER, 'master02'),
    );
    expect(fs.statSync(path.join(dir, 'hacp-checkpointer.service')).mode & 0o777).toBe(0o600);
    expect(r.out).toContain(
      'install -D -m 0600 hacp-checkpointer.service /etc/systemd/system/hacp-checkpointer.service',
    );
    expect(r.out).toContain('systemctl enable --now kubelet hacp-checkpointer');
    expect(fs.readFileSync(path.join(dir, 'kubelet.service'), 'utf8')).toContain('/etc/kubernetes/checkpoints');
    const first = path.join(dir, 'first');
    expect(
      (
        await hacp([
          'kubelet-unit',
          '--node',
          'master01',
          '--out',
          first,
          '--bootkube',
          '--example',
          'bootkube',
          '--no-pki',
        ])
      ).code,
    ).toBe(0);
    expect(fs.readdirSync(first).sort()).toEqual([
      '90-kubelet.conf',
      'bootkube.service',
      'etc',
      'hacp-checkpointer.service',
      'kubelet-config.yaml',
      'kubelet.service',
    ]);
    // --no-pki: the master's own static pods only, and the command names the files to take from dist/.
    expect(listFiles(path.join(first, 'etc'))).toEqual([
      'kubernetes/manifests/etcd.yaml',
      'kubernetes/manifests/kube-vip.yaml',
    ]);
  });

  test("with the PKI state: the master's etcd member and kube-vip with their files, the same bytes as dist/bootkube/masters/<master>/", async () => {
    const spec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
    const pki = await fixturePki(spec);
    const state = path.join(dir, 'state');
    seedPkiState(state, pki);
    const out = path.join(dir, 'out');
    const r = await hacp([
      'kubelet-unit',
      '--node',
      'master02',
      '--out',
      out,
      '--self-hosted',
      '--example',
      'bootkube',
      '--pki-dir',
      state,
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('etcd.yaml, kube-vip.yaml into /etc/kubernetes/manifests with their certificates');
    const [pods] = buildSelfHostedMasters(spec, { masters: ['master02'] });
    const expected = selfHostedMasterFiles(spec, pki, pods);
    expect(expected.map((f) => f.path).sort()).toEqual([
      'etcd.yaml',
      'kube-vip.conf',
      'kube-vip.yaml',
      'pki/etcd/ca.crt',
      'pki/etcd/healthcheck-client.crt',
      'pki/etcd/healthcheck-client.key',
      'pki/etcd/peer.crt',
      'pki/etcd/peer.key',
      'pki/etcd/server.crt',
      'pki/etcd/server.key',
    ]);
    for (const f of expected) {
      const installed = path.join(out, selfHostedMasterHostPath(f.path));
      expect(fs.readFileSync(installed, 'utf8')).toBe(f.content);
      expect(fs.statSync(installed).mode & 0o777).toBe(f.mode);
    }
    expect(fs.statSync(path.join(out, 'etc/kubernetes/pki/etcd/peer.key')).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(out, 'etc/kubernetes/pki/etcd/ca.key'))).toBe(false);
    expect(fs.readFileSync(path.join(out, 'etc/kubernetes/kube-vip.conf'), 'utf8')).toContain(
      'server: https://172.17.5.102:443',
    );
  }, 240_000); // a CLI run that loads the constructs and the PKI state: slow on a loaded machine, never hung

  test('a worker is refused with one line, nothing written', async () => {
    const out = path.join(dir, 'w');
    const r = await hacp([
      'kubelet-unit',
      '--node',
      'worker01',
      '--out',
      out,
      '--self-hosted',
      '--example',
      'bootkube',
      '--no-pki',
    ]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: 'error: --self-hosted: worker01 is a worker; the API server and its checkpointer run on masters only\n',
    });
    expect(fs.existsSync(out)).toBe(false);
  });
});
