/**
 * `hacp lb apply` against the real `openstack` CLI (python-openstackclient + octaviaclient), pointed at a loopback
 * Octavia/Neutron stand-in with OS_AUTH_TYPE=none and OS_ENDPOINT. Every CLI call costs about a second of Python
 * start-up, so the scenarios are few and the fake answers ACTIVE at once unless a test wants otherwise.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OctaviaDriver, OctaviaError } from '../../lib/host';
import { STATIC_EXAMPLE_CLUSTER } from '../../lib/spec';
import { FakeOpenStack } from '../support/fake-openstack';
import { hacp } from '../support/hacp';

const haveCli = spawnSync('openstack', ['--version']).status === 0;
const describeCli = haveCli ? describe : describe.skip;
// A few CLI calls per test, each a Python start-up: seconds apiece when the machine is loaded.
jest.setTimeout(600_000);

describeCli('Octavia apply with the real openstack CLI', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-openstack-'));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  async function withFake<T>(body: (fake: FakeOpenStack) => Promise<T>): Promise<T> {
    const fake = new FakeOpenStack();
    await fake.start();
    try {
      return await body(fake);
    } finally {
      await fake.stop();
    }
  }

  // The wait bound is generous: each CLI call is a Python start-up, seconds apiece on a loaded machine, and only the
  // PENDING test means to hit it.
  const driver = (fake: FakeOpenStack, log: string[] = [], timeoutSeconds = 900) =>
    new OctaviaDriver(STATIC_EXAMPLE_CLUSTER, {
      env: fake.env(home),
      pollIntervalSeconds: 0,
      timeoutSeconds,
      log: (l) => log.push(l),
    });

  test(
    'apply sends exactly the seed steps; a second apply (through hacp) creates nothing',
    () =>
      withFake(async (fake) => {
        const log: string[] = [];
        const created = await driver(fake, log).apply();
        expect(created).toEqual([
          'loadbalancer masters-lb',
          'pool masters-pool',
          'member master0',
          'member master1',
          'member master2',
          'healthmonitor masters-hm',
          'listener masters-listener',
          'floatingip 10.47.40.33',
        ]);
        const lb = fake.list('loadbalancers')[0].id;
        const pool = fake.list('pools')[0].id;
        const ids = (s: string) => s.split(lb).join('<lb>').split(pool).join('<pool>');
        const mutations = fake.mutations().map((m) => JSON.parse(ids(JSON.stringify(m))));
        expect(mutations).toEqual([
          {
            method: 'POST',
            path: '/v2.0/lbaas/loadbalancers',
            body: { loadbalancer: { name: 'masters-lb', vip_subnet_id: 'sub-2222', admin_state_up: true } },
          },
          {
            method: 'POST',
            path: '/v2.0/lbaas/pools',
            body: {
              pool: {
                name: 'masters-pool',
                protocol: 'TCP',
                loadbalancer_id: '<lb>',
                lb_algorithm: 'ROUND_ROBIN',
                admin_state_up: true,
              },
            },
          },
          ...[
            ['master0', '10.180.0.10'],
            ['master1', '10.180.0.11'],
            ['master2', '10.180.0.12'],
          ].map(([name, address]) => ({
            method: 'POST',
            path: '/v2.0/lbaas/pools/<pool>/members',
            body: { member: { name, address, subnet_id: 'sub-2222', protocol_port: 6443 } },
          })),
          {
            method: 'POST',
            path: '/v2.0/lbaas/healthmonitors',
            body: {
              healthmonitor: {
                pool_id: '<pool>',
                name: 'masters-hm',
                delay: 5,
                timeout: 3,
                max_retries: 2,
                type: 'HTTPS',
                http_method: 'GET',
                url_path: '/readyz',
                expected_codes: '200',
                admin_state_up: true,
              },
            },
          },
          {
            method: 'POST',
            path: '/v2.0/lbaas/listeners',
            body: {
              listener: {
                loadbalancer_id: '<lb>',
                name: 'masters-listener',
                protocol: 'TCP',
                default_pool_id: '<pool>',
                protocol_port: 443,
                admin_state_up: true,
              },
            },
          },
          { method: 'PUT', path: '/v2.0/floatingips/fip-4444', body: { floatingip: { port_id: 'port-vip-3333' } } },
        ]);
        // after every change the load balancer was polled with a plain GET (no CLI --wait, which never times out)
        const polls = fake.requests.filter(
          (r) => r.method === 'GET' && r.path === `/v2.0/lbaas/loadbalancers/${lb}`,
        ).length;
        expect(polls).toBeGreaterThanOrEqual(7);
        expect(log.filter((l) => /^\[\d\/8\]/.test(l))).toEqual([
          '[1/8] load balancer masters-lb on subnet kthw-subnet: creating',
          '[2/8] pool masters-pool (TCP, ROUND_ROBIN): creating',
          '[3/8] member master0 10.180.0.10:6443: creating',
          '[4/8] member master1 10.180.0.11:6443: creating',
          '[5/8] member master2 10.180.0.12:6443: creating',
          '[6/8] health monitor masters-hm (HTTPS GET /readyz): creating',
          '[7/8] listener masters-listener (TCP 443): creating',
          '[8/8] floating IP 10.47.40.33 on the VIP port of masters-lb: creating',
        ]);
        expect(fake.list('floatingips')[0].port_id).toBe('port-vip-3333');

        // Second run, through the CLI: looks everything up, changes nothing.
        const before = fake.requests.length;
        const { code, out } = await hacp(
          ['lb', 'apply', '--example', 'static', '--poll-interval', '0'],
          fake.env(home),
        );
        expect(code).toBe(0);
        expect(fake.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
        expect(out).toContain('[3/8] member master0 10.180.0.10:6443: exists (id ');
        expect(out).toContain('done: nothing to create, everything exists');
      }),
    1_200_000,
  );

  test('a load balancer that goes to ERROR fails with a clear message', () =>
    withFake(async (fake) => {
      fake.behaviour = { outcome: 'ERROR' };
      const err = await driver(fake)
        .apply()
        .catch((e) => e);
      expect(err).toBeInstanceOf(OctaviaError);
      expect(err.message).toMatch(
        /^load balancer masters-lb went to provisioning_status ERROR after loadbalancer masters-lb; /,
      );
      expect(fake.mutations().map((m) => `${m.method} ${m.path}`)).toEqual(['POST /v2.0/lbaas/loadbalancers']);
    }));

  test('a load balancer stuck in PENDING hits the timeout', () =>
    withFake(async (fake) => {
      fake.behaviour = { outcome: 'STUCK' };
      const log: string[] = [];
      const err = await driver(fake, log, 1)
        .apply()
        .catch((e) => e);
      expect(err).toBeInstanceOf(OctaviaError);
      expect(err.message).toMatch(
        /^timed out after 1s waiting for load balancer masters-lb to become ACTIVE after loadbalancer masters-lb \(still PENDING_CREATE\)/,
      );
      expect(log).toContain('      $ openstack loadbalancer create --name masters-lb --vip-subnet-id kthw-subnet');
      expect(fake.list('loadbalancers')[0].provisioning_status).toBe('PENDING_CREATE');
    }));

  test('a missing floating IP is reported before anything is created', () =>
    withFake(async (fake) => {
      const spec = {
        ...STATIC_EXAMPLE_CLUSTER,
        loadBalancer: {
          type: 'octavia' as const,
          octavia: { subnet: 'kthw-subnet', floatingIp: '10.47.40.99', namePrefix: 'masters' },
        },
      };
      const err = await new OctaviaDriver(spec, { env: fake.env(home), pollIntervalSeconds: 0 })
        .apply()
        .catch((e) => e);
      expect(err.message).toMatch(
        /^floating IP 10.47.40.99 \(loadBalancer.octavia.floatingIp \/ apiEndpoint.host\) does not exist; reserve it first/,
      );
      expect(fake.mutations()).toEqual([]);
    }));

  test('a floating IP used by another port is left alone and nothing is created', () =>
    withFake(async (fake) => {
      fake.list('floatingips')[0].port_id = 'port-of-some-vm';
      const err = await driver(fake)
        .apply()
        .catch((e) => e);
      expect(err.message).toContain('floating IP 10.47.40.33 is already associated with port port-of-some-vm');
      expect(fake.mutations()).toEqual([]);
    }));
});
