import { octaviaApplySteps, octaviaSettings, renderOctaviaPlan, shellQuote } from '../../lib/host';
import { ClusterSpec, STATIC_EXAMPLE_CLUSTER } from '../../lib/spec';

describe('Octavia plan', () => {
  test('static example (snapshot)', () => {
    expect(renderOctaviaPlan(STATIC_EXAMPLE_CLUSTER)).toMatchSnapshot();
  });

  test("the seed's neutron LBaaS steps one to one, with names from the prefix", () => {
    const steps = octaviaApplySteps(STATIC_EXAMPLE_CLUSTER);
    expect(steps.map((s) => `${s.kind} ${s.name}`)).toEqual([
      'loadbalancer masters-lb',
      'pool masters-pool',
      'member master0',
      'member master1',
      'member master2',
      'healthmonitor masters-hm',
      'listener masters-listener',
      'floatingip 10.47.40.33',
    ]);
    const argv = Object.fromEntries(steps.map((s) => [s.name, s.argv.join(' ')]));
    expect(argv['masters-lb']).toBe('loadbalancer create --name masters-lb --vip-subnet-id kthw-subnet');
    expect(argv['masters-pool']).toBe(
      'loadbalancer pool create --name masters-pool --lb-algorithm ROUND_ROBIN --protocol TCP --loadbalancer masters-lb',
    );
    expect(argv.master1).toBe(
      'loadbalancer member create --name master1 --subnet-id kthw-subnet --address 10.180.0.11 --protocol-port 6443 masters-pool',
    );
    expect(argv['masters-hm']).toBe(
      'loadbalancer healthmonitor create --name masters-hm --delay 5 --timeout 3 --max-retries 2 --type HTTPS --http-method GET --url-path /readyz --expected-codes 200 masters-pool',
    );
    expect(argv['masters-listener']).toBe(
      'loadbalancer listener create --name masters-listener --protocol TCP --protocol-port 443 --default-pool masters-pool masters-lb',
    );
    expect(argv['10.47.40.33']).toBe('floating ip set --port {vip_port_id} 10.47.40.33');
    expect(steps.filter((s) => s.waitActive).map((s) => s.kind)).not.toContain('floatingip');
    // no CLI --wait: it has no timeout; apply polls itself
    expect(steps.some((s) => s.argv.includes('--wait'))).toBe(false);
  });

  test('the plan is a shell script with the exact commands', () => {
    const commands = renderOctaviaPlan(STATIC_EXAMPLE_CLUSTER)
      .split('\n')
      .filter((l) => l.startsWith('openstack '));
    expect(commands).toHaveLength(8);
    expect(commands[7]).toBe(
      'openstack floating ip set --port "$(openstack loadbalancer show masters-lb -f value -c vip_port_id)" 10.47.40.33',
    );
    expect(commands.slice(0, 7)).toEqual(
      octaviaApplySteps(STATIC_EXAMPLE_CLUSTER)
        .slice(0, 7)
        .map((s) => `openstack ${s.argv.join(' ')}`),
    );
  });

  test('TCP monitor, default prefix, no floating IP for a DNS endpoint', () => {
    const spec: ClusterSpec = {
      ...STATIC_EXAMPLE_CLUSTER,
      name: 'prod',
      apiEndpoint: { host: 'api.example.org', port: 443 },
      loadBalancer: { type: 'octavia', octavia: { subnet: 'sub', healthMonitor: 'TCP' } },
    };
    const steps = octaviaApplySteps(spec);
    expect(steps.map((s) => s.name)).toEqual([
      'prod-lb',
      'prod-pool',
      'master0',
      'master1',
      'master2',
      'prod-hm',
      'prod-listener',
    ]);
    expect(steps[5].argv).toEqual(expect.arrayContaining(['--type', 'TCP']));
    expect(steps[5].argv).not.toContain('--url-path');
    expect(renderOctaviaPlan(spec)).toContain('# no floating IP');
  });

  test('settings refuse what cannot work, naming the field', () => {
    expect(() =>
      octaviaSettings({
        ...STATIC_EXAMPLE_CLUSTER,
        loadBalancer: { type: 'haproxy', haproxy: { vip: '10.180.0.100' } },
      }),
    ).toThrow('loadBalancer.type: "haproxy" is not "octavia"');
    expect(() =>
      octaviaSettings({
        ...STATIC_EXAMPLE_CLUSTER,
        apiEndpoint: undefined,
        loadBalancer: { type: 'octavia', octavia: { subnet: 's' } },
      }),
    ).toThrow('apiEndpoint.host: "10.180.0.10" is the address of master0, not a floating IP');
    expect(() =>
      octaviaSettings({
        ...STATIC_EXAMPLE_CLUSTER,
        loadBalancer: { type: 'octavia', octavia: { subnet: 's', namePrefix: 'a b' } },
      }),
    ).toThrow('loadBalancer.octavia.namePrefix: "a b"');
  });

  test('shell quoting', () => {
    expect(shellQuote('masters-lb')).toBe('masters-lb');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
