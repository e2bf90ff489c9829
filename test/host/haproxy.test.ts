import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderHaproxyConfig } from '../../lib/host';
import { ClusterSpec, STATIC_EXAMPLE_CLUSTER } from '../../lib/spec';

const HAPROXY_SPEC: ClusterSpec = {
  ...STATIC_EXAMPLE_CLUSTER,
  apiEndpoint: { host: '10.180.0.100', port: 443 },
  loadBalancer: { type: 'haproxy', haproxy: { vip: '10.180.0.100', interface: 'ens3' } },
};

const haveHaproxy = spawnSync('haproxy', ['-v']).status === 0;
const itHaproxy = haveHaproxy ? test : test.skip;

/** `haproxy -c` on a config; returns exit code and output. */
function haproxyCheck(cfg: string): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-haproxy-'));
  try {
    fs.writeFileSync(path.join(dir, 'haproxy.cfg'), cfg);
    const r = spawnSync('haproxy', ['-c', '-f', path.join(dir, 'haproxy.cfg')], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('haproxy.cfg', () => {
  test('defaults (snapshot)', () => {
    expect(renderHaproxyConfig(HAPROXY_SPEC)).toMatchSnapshot();
  });

  test('e2e options: other backends, TCP check, stats socket (snapshot)', () => {
    const cfg = renderHaproxyConfig(HAPROXY_SPEC, {
      bindAddress: '127.0.0.1',
      bindPort: 16443,
      healthCheck: 'tcp',
      log: 'stderr format short local0 info',
      statsSocket: '/tmp/hacp-haproxy.sock',
      check: { interval: 1000, fall: 2, rise: 2 },
      backends: [1, 2, 3].map((n) => ({ name: `m${n}`, address: `127.0.0.${n}`, port: 2379 })),
    });
    expect(cfg).toMatchSnapshot();
    expect(cfg).toMatch(/^ {4}stats socket \/tmp\/hacp-haproxy\.sock mode 600 level admin$/m);
    expect(cfg.split('\n').filter((l) => l.trim().startsWith('server '))).toEqual([
      '    server m1 127.0.0.1:2379 check',
      '    server m2 127.0.0.2:2379 check',
      '    server m3 127.0.0.3:2379 check',
    ]);
  });

  test('TCP frontend on the endpoint port, every master a health-checked backend on the API server port', () => {
    const cfg = renderHaproxyConfig(HAPROXY_SPEC);
    expect(cfg).toMatch(/^ {4}mode tcp$/m);
    expect(cfg).toMatch(/^ {4}bind \*:443$/m);
    expect(cfg).toMatch(/^ {4}balance roundrobin$/m);
    expect(cfg).toMatch(/^ {4}option httpchk GET \/readyz$/m);
    expect(cfg).toMatch(/^ {4}http-check expect status 200$/m);
    expect(cfg).toMatch(/^ {4}timeout connect 5s$/m);
    expect(cfg).toMatch(/^ {4}default-server inter 2000ms fall 3 rise 2$/m);
    const servers = cfg.split('\n').filter((l) => l.trim().startsWith('server '));
    expect(servers).toEqual([
      '    server master0 10.180.0.10:6443 check check-ssl verify none',
      '    server master1 10.180.0.11:6443 check check-ssl verify none',
      '    server master2 10.180.0.12:6443 check check-ssl verify none',
    ]);
  });

  test('overrides: bind address and port, backend port, verified checks, IPv6', () => {
    const cfg = renderHaproxyConfig(HAPROXY_SPEC, {
      bindAddress: 'fd00::1',
      bindPort: 8443,
      backendPort: 16443,
      checkCaFile: '/etc/kubernetes/pki/ca.crt',
    });
    expect(cfg).toContain('    bind [fd00::1]:8443\n');
    expect(cfg).toContain(
      '    server master0 10.180.0.10:16443 check check-ssl verify required ca-file /etc/kubernetes/pki/ca.crt\n',
    );
    const tcp = renderHaproxyConfig(HAPROXY_SPEC, { healthCheck: 'tcp' });
    expect(tcp).toContain('    option tcp-check\n');
    expect(tcp).not.toContain('httpchk');
    expect(tcp).toContain('    server master0 10.180.0.10:6443 check\n');
  });

  test('bad options name the option and value', () => {
    expect(() => renderHaproxyConfig(HAPROXY_SPEC, { bindAddress: 'vip.example' })).toThrow(
      'bindAddress: "vip.example"',
    );
    expect(() => renderHaproxyConfig(HAPROXY_SPEC, { bindPort: 70000 })).toThrow('bindPort: 70000 is not a TCP port');
    expect(() => renderHaproxyConfig(HAPROXY_SPEC, { backends: [] })).toThrow('backends: []');
    expect(() =>
      renderHaproxyConfig(HAPROXY_SPEC, { backends: [{ name: 'a b', address: '127.0.0.1', port: 1 }] }),
    ).toThrow('backends[].name: "a b"');
    expect(() => renderHaproxyConfig(HAPROXY_SPEC, { check: { fall: 0 } })).toThrow('check.fall: 0');
  });

  itHaproxy('haproxy -c accepts the generated configs', () => {
    for (const cfg of [
      renderHaproxyConfig(HAPROXY_SPEC),
      renderHaproxyConfig(HAPROXY_SPEC, {
        healthCheck: 'tcp',
        bindAddress: '127.0.0.1',
        bindPort: 16443,
        log: 'stderr format short local0 info',
      }),
      renderHaproxyConfig(HAPROXY_SPEC, { bindAddress: '::1', backends: [{ name: 'v6', address: '::1', port: 6443 }] }),
    ]) {
      const r = haproxyCheck(cfg);
      expect(r.output).toContain('Configuration file is valid');
      expect(r.status).toBe(0);
    }
  });

  itHaproxy('haproxy -c rejects a broken config (the check can fail)', () => {
    const r = haproxyCheck(renderHaproxyConfig(HAPROXY_SPEC).replace('balance roundrobin', 'balance sometimes'));
    expect(r.status).not.toBe(0);
  });
});
