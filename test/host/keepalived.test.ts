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
    expect(confs[1].match(/unicast_peer \{\n([^}]*)\}/)![1].trim().split(/\s+/)).toEqual(['10.180.0.10', '10.180.0.12']);
  });

  test('VIP: loadBalancer.haproxy.vip wins over the endpoint host; a master address or a DNS name is refused', () => {
    expect(haproxyVip(resolveSpec({ ...SPEC, loadBalancer: { type: 'haproxy', haproxy: { vip: '10.180.0.200' } } }))).toBe('10.180.0.200');
    expect(haproxyVip(resolveSpec(SPEC))).toBe('10.180.0.100');
    expect(() => haproxyVip(resolveSpec({ ...SPEC, apiEndpoint: { host: '10.180.0.10', port: 443 } }))).toThrow('apiEndpoint.host: "10.180.0.10" is masters[0]\'s own address'); // the spec check says it first
  });

  test('workers and unknown nodes are refused', () => {
    expect(() => renderKeepalivedConfig(SPEC, { node: 'worker0' })).toThrow('node: "worker0" is not a master (masters: master0, master1, master2)');
  });
});
