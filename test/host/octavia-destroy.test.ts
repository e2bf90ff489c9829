/** `hacp lb destroy` against the real `openstack` CLI and the loopback stand-in, starting from a complete setup. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OctaviaDriver } from '../../lib/host';
import { STATIC_EXAMPLE_CLUSTER } from '../../lib/spec';
import { FakeOpenStack } from '../support/fake-openstack';

const haveCli = spawnSync('openstack', ['--version']).status === 0;
const testCli = haveCli ? test : test.skip;

/** What a finished apply of the static example leaves behind. */
function seedCompleteSetup(fake: FakeOpenStack): void {
  const octavia = {
    project_id: 'proj-demo',
    admin_state_up: true,
    provisioning_status: 'ACTIVE',
    operating_status: 'ONLINE',
  };
  fake.put('loadbalancers', {
    ...octavia,
    id: 'lb-1',
    name: 'masters-lb',
    vip_address: '10.180.0.7',
    vip_port_id: 'port-vip-3333',
    vip_subnet_id: 'sub-2222',
    listeners: [{ id: 'lis-1' }],
    pools: [{ id: 'pool-1' }],
    provider: 'amphora',
  });
  fake.put('pools', {
    ...octavia,
    id: 'pool-1',
    name: 'masters-pool',
    protocol: 'TCP',
    lb_algorithm: 'ROUND_ROBIN',
    loadbalancer_id: 'lb-1',
    loadbalancers: [{ id: 'lb-1' }],
    listeners: [{ id: 'lis-1' }],
    members: [0, 1, 2].map((i) => ({ id: `mem-${i}` })),
    healthmonitor_id: 'hm-1',
  });
  [0, 1, 2].forEach((i) =>
    fake.put('members', {
      ...octavia,
      id: `mem-${i}`,
      name: `master${i}`,
      address: `10.180.0.1${i}`,
      protocol_port: 6443,
      subnet_id: 'sub-2222',
      pool_id: 'pool-1',
    }),
  );
  fake.put('healthmonitors', {
    ...octavia,
    id: 'hm-1',
    name: 'masters-hm',
    type: 'HTTPS',
    pool_id: 'pool-1',
    pools: [{ id: 'pool-1' }],
  });
  fake.put('listeners', {
    ...octavia,
    id: 'lis-1',
    name: 'masters-listener',
    protocol: 'TCP',
    protocol_port: 443,
    loadbalancer_id: 'lb-1',
    loadbalancers: [{ id: 'lb-1' }],
    default_pool_id: 'pool-1',
  });
  fake.list('floatingips')[0].port_id = 'port-vip-3333';
}

testCli(
  'destroy removes everything in the reverse order of apply',
  async () => {
    const fake = new FakeOpenStack();
    await fake.start();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-openstack-'));
    try {
      seedCompleteSetup(fake);
      const log: string[] = [];
      const deleted = await new OctaviaDriver(STATIC_EXAMPLE_CLUSTER, {
        env: fake.env(home),
        pollIntervalSeconds: 0,
        timeoutSeconds: 900,
        log: (l) => log.push(l),
      }).destroy();
      expect(deleted).toEqual([
        'floating IP 10.47.40.33',
        'listener masters-listener',
        'health monitor of masters-pool',
        'member master2',
        'member master1',
        'member master0',
        'pool masters-pool',
        'load balancer masters-lb',
      ]);
      expect(fake.mutations()).toEqual([
        { method: 'PUT', path: '/v2.0/floatingips/fip-4444', body: { floatingip: { port_id: null } } },
        { method: 'DELETE', path: '/v2.0/lbaas/listeners/lis-1', body: null },
        { method: 'DELETE', path: '/v2.0/lbaas/healthmonitors/hm-1', body: null },
        { method: 'DELETE', path: '/v2.0/lbaas/pools/pool-1/members/mem-2', body: null },
        { method: 'DELETE', path: '/v2.0/lbaas/pools/pool-1/members/mem-1', body: null },
        { method: 'DELETE', path: '/v2.0/lbaas/pools/pool-1/members/mem-0', body: null },
        { method: 'DELETE', path: '/v2.0/lbaas/pools/pool-1', body: null },
        { method: 'DELETE', path: '/v2.0/lbaas/loadbalancers/lb-1', body: null },
      ]);
      for (const coll of ['loadbalancers', 'pools', 'members', 'healthmonitors', 'listeners'])
        expect(fake.list(coll)).toEqual([]);
      expect(fake.list('floatingips')[0].port_id).toBeNull();
      expect(log[log.length - 1]).toBe('done: deleted 8 resource(s)');
    } finally {
      await fake.stop();
      fs.rmSync(home, { recursive: true, force: true });
    }
  },
  1_200_000,
);
