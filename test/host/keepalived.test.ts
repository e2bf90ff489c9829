import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { haproxyVip, renderKeepalivedConfig } from '../../lib/host';
import { ClusterSpec, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';

const SPEC: ClusterSpec = {
  ...STATIC_EXAMPLE_CLUSTER,
  apiEndpoint: { host: '10.180.0.100', port: 443 },
  loadBalancer: { type: 'haproxy', haproxy: { interface: 'ens3', virtualRouterId: 77 } },
};

describe('keepalived.conf', () => {
  test('first master (snapshot)', () => {
    expect(renderKeepalivedConfig(SPEC, { node: 'master0' })).toMatchSnapshot();
  });

  test('one VRRP instance per master: same VIP and router id, distinct priorities, the other masters as peers', () => {
    const confs = ['master0', 'master1', 'master2'].map((node) => renderKeepalivedConfig(SPEC, { node }));
    const prio = confs.map((c) => Number(c.match(/priority (\d+)/)![1]));
    expect(new Set(prio).size).toBe(3);
    expect(prio[0]).toBeGreaterThan(prio[1]);
    for (const c of confs) {
      expect(c).toContain('        10.180.0.100/32 dev ens3\n');
      expect(c).toContain('    virtual_router_id 77\n');
      expect(c).toContain('    state BACKUP\n');
      expect(c).toContain('        chk_haproxy\n');
      expect(c).not.toMatch(/auth_pass/);
    }
    expect(confs[1]).toContain('    unicast_src_ip 10.180.0.11\n');
    expect(
      confs[1]
        .match(/unicast_peer \{\n([^}]*)\}/)![1]
        .trim()
        .split(/\s+/),
    ).toEqual(['10.180.0.10', '10.180.0.12']);
  });

  test('VIP: loadBalancer.haproxy.vip wins over the endpoint host; a master address or a DNS name is refused', () => {
    expect(
      haproxyVip(resolveSpec({ ...SPEC, loadBalancer: { type: 'haproxy', haproxy: { vip: '10.180.0.200' } } })),
    ).toBe('10.180.0.200');
    expect(haproxyVip(resolveSpec(SPEC))).toBe('10.180.0.100');
    expect(() => haproxyVip(resolveSpec({ ...SPEC, apiEndpoint: { host: '10.180.0.10', port: 443 } }))).toThrow(
      'apiEndpoint.host: "10.180.0.10" is masters[0]\'s own address',
    ); // the spec check says it first
  });

  test('workers and unknown nodes are refused', () => {
    expect(() => renderKeepalivedConfig(SPEC, { node: 'worker0' })).toThrow(
      'node: "worker0" is not a master (masters: master0, master1, master2)',
    );
  });
});

/** The real keepalived's config check (`keepalived -t`), in a network namespace of this test that has the interface. */
describe('keepalived -t (real keepalived)', () => {
  const root = process.getuid?.() === 0;
  const keepalived = ['/usr/sbin/keepalived', '/usr/bin/keepalived'].find((p) => fs.existsSync(p));
  const run = root && keepalived ? test : test.skip;
  const ns = `hacp-ka-${process.pid}`;
  let dir: string;

  beforeAll(() => {
    if (!root || !keepalived) {
      console.warn(
        `skipped: ${!root ? 'not root (network namespaces)' : 'keepalived not installed (apt-get install keepalived)'}`,
      );
      return;
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-keepalived-'));
    execFileSync('ip', ['netns', 'add', ns]);
    // keepalived -t checks that the interface exists: a veth named as the spec says, inside the namespace only.
    execFileSync('ip', ['-n', ns, 'link', 'add', 'ens3', 'type', 'veth', 'peer', 'name', 'ens3-peer']);
  });
  afterAll(() => {
    if (!root || !keepalived) return;
    execFileSync('ip', ['netns', 'del', ns]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const check = (conf: string) => {
    const file = path.join(dir, `keepalived-${Math.random().toString(36).slice(2)}.conf`);
    fs.writeFileSync(file, conf);
    return spawnSync('ip', ['netns', 'exec', ns, keepalived!, '-t', '-f', file], { encoding: 'utf8' });
  };

  run("accepts every master's configuration", () => {
    for (const node of ['master0', 'master1', 'master2']) {
      const r = check(renderKeepalivedConfig(SPEC, { node }));
      expect({ node, status: r.status, stderr: r.stderr }).toEqual({ node, status: 0, stderr: '' });
    }
  });

  run('rejects a broken one (the check can fail)', () => {
    const broken = renderKeepalivedConfig(SPEC, { node: 'master0' }).replace(
      'virtual_router_id 77',
      'virtual_router_id 300',
    );
    expect(check(broken).status).not.toBe(0);
  });
});
