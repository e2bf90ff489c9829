/**
 * The cloud-routes pod network with the real CNI plugins (bridge, host-local, loopback, portmap from
 * containernetworking-plugins) in network namespaces this test makes. Seed 000's layout:
 *
 *            router (Neutron router): lan0 10.180.0.1/24, routes "pod CIDR via node IP" as the OCCM route controller
 *              |                      adds them, an "outside" address 198.51.100.10 (on its lo)
 *       +------+------+
 *   node A              node B        eth0 10.180.0.10 / 10.180.0.11, default via 10.180.0.1,
 *   cbr0 10.180.131.1   cbr0 10.180.128.1    the pod-masquerade rule in their nat table
 *     |                   |
 *   pod A               pod B         loopback + the node's rendered conflist (bridge + host-local + portmap)
 *
 * Each node's conflist is `renderCniConf(<node pod CIDR>)`: the template containerd would render, executed as
 * containerd executes it. The container runtime is NOT here: `CniRuntime` (./_cni-runtime) invokes the plugins the
 * way libcni does. Traffic goes only between namespaces of this test.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { podMasqueradeRule, renderCniConf } from '../../../lib/host/cni/bridge-cni';
import {
  CONTAINERD_LOOPBACK,
  CniError,
  CniRuntime,
  NetworkList,
  cniUnavailableReason,
  must,
  run,
} from './_cni-runtime';

const CLUSTER_CIDR = '10.180.128.0/17';
const ROUTER_IP = '10.180.0.1';
const OUTSIDE_IP = '198.51.100.10';
const NODES = [
  { key: 'a', ip: '10.180.0.10', podCidr: '10.180.131.0/24', gateway: '10.180.131.1' },
  { key: 'b', ip: '10.180.0.11', podCidr: '10.180.128.0/24', gateway: '10.180.128.1' },
] as const;
const ECHO_PORT = 8080;
const HOST_PORT = 30080;

const unavailable = cniUnavailableReason();
const prefix = `hcni${process.pid % 100000}`;
const ns = (name: string) => `${prefix}-${name}`;
const netnsPath = (name: string) => `/run/netns/${ns(name)}`;
const ALL_NS = ['router', 'node-a', 'node-b', 'pod-a', 'pod-b', 'pod-c'];

/** A TCP server in a namespace that answers each connection with the peer's address and closes. */
function startEcho(netns: string, host: string, port: number): Promise<ChildProcess> {
  const script = `const s=require('net').createServer(c=>c.end(c.remoteAddress+'\\n'));s.listen(${port},${JSON.stringify(host)},()=>console.log('listening'));`;
  const child = spawn('ip', ['netns', 'exec', ns(netns), process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
    });
    child.stdout!.on('data', (d) => {
      if (String(d).includes('listening')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`echo server in ${netns} exited (${code}): ${err}`)));
  });
}

/** Connects from a namespace to host:port; resolves to what the echo server saw as our address, or an error text. */
async function connect(netns: string, host: string, port: number): Promise<{ ok: boolean; text: string }> {
  const script =
    `const c=require('net').connect(${port},${JSON.stringify(host)});let d='';c.setTimeout(15000,()=>{console.error('timeout');process.exit(1)});` +
    `c.on('data',x=>d+=x);c.on('end',()=>process.stdout.write(d));c.on('error',e=>{console.error(e.code||e.message);process.exit(1)});`;
  const r = await run(['ip', 'netns', 'exec', ns(netns), process.execPath, '-e', script]);
  return { ok: r.code === 0, text: (r.code === 0 ? r.stdout : r.stderr).trim() };
}

async function cleanup(): Promise<void> {
  for (const n of ALL_NS) await run(['ip', 'netns', 'del', ns(n)]);
}

if (unavailable) {
  test.skip(`real CNI plugins in network namespaces: skipped, ${unavailable}`, () => undefined);
} else {
  describe('cloud-routes pod network with the real CNI plugins (runtime: CniRuntime, a libcni stand-in)', () => {
    const runtime = new CniRuntime();
    const servers: ChildProcess[] = [];
    let dataDir: string;
    const lists: Record<string, NetworkList> = {};
    const attach = (
      node: 'a' | 'b' | 'c',
      pod: string,
      extra: Partial<{ args: string; capabilityArgs: Record<string, unknown> }> = {},
    ) => ({
      hostNetns: ns(`node-${node === 'c' ? 'a' : node}`),
      containerId: `${prefix}-${pod}`,
      netns: netnsPath(pod),
      ifName: 'eth0',
      ...extra,
    });
    const results: Record<string, any> = {};
    // Each pod's attachment as the runtime keeps it: the same CNI_* values and capability args for ADD, CHECK, DEL.
    const podAttachment = (key: 'a' | 'b') =>
      attach(
        key,
        `pod-${key}`,
        key === 'b'
          ? { capabilityArgs: { portMappings: [{ hostPort: HOST_PORT, containerPort: ECHO_PORT, protocol: 'tcp' }] } }
          : {},
      );

    beforeAll(async () => {
      await cleanup();
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-cni-ipam-'));
      for (const n of ALL_NS) await must(['ip', 'netns', 'add', ns(n)]);
      for (const n of ALL_NS) await must(['ip', '-n', ns(n), 'link', 'set', 'lo', 'up']);
      // The tenant network: a bridge in the router namespace, one veth per node.
      const r = ns('router');
      await must(['ip', '-n', r, 'link', 'add', 'lan0', 'type', 'bridge']);
      await must(['ip', '-n', r, 'addr', 'add', `${ROUTER_IP}/24`, 'dev', 'lan0']);
      await must(['ip', '-n', r, 'link', 'set', 'lan0', 'up']);
      await must(['ip', '-n', r, 'addr', 'add', `${OUTSIDE_IP}/32`, 'dev', 'lo']);
      await must(['ip', 'netns', 'exec', r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      for (const node of NODES) {
        const n = ns(`node-${node.key}`);
        await must([
          'ip',
          'link',
          'add',
          'eth0',
          'netns',
          n,
          'type',
          'veth',
          'peer',
          'name',
          `lan-${node.key}`,
          'netns',
          r,
        ]);
        await must(['ip', '-n', r, 'link', 'set', `lan-${node.key}`, 'master', 'lan0', 'up']);
        await must(['ip', '-n', n, 'addr', 'add', `${node.ip}/24`, 'dev', 'eth0']);
        await must(['ip', '-n', n, 'link', 'set', 'eth0', 'up']);
        await must(['ip', '-n', n, 'route', 'add', 'default', 'via', ROUTER_IP]);
        // pod-masquerade.service's rule, as the unit installs it on a node.
        await must([
          'ip',
          'netns',
          'exec',
          n,
          'iptables',
          '-w',
          '-t',
          'nat',
          '-A',
          'POSTROUTING',
          ...podMasqueradeRule(CLUSTER_CIDR),
        ]);
        lists[node.key] = JSON.parse(renderCniConf(node.podCidr, { dataDir, mtu: 1450 }));
      }
      // The Neutron router's route for node A's pod CIDR; node B's comes later (the test shows it is needed).
      await must(['ip', '-n', r, 'route', 'add', NODES[0].podCidr, 'via', NODES[0].ip]);
      servers.push(await startEcho('router', OUTSIDE_IP, ECHO_PORT));
    });

    afterAll(async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise((resolve) => {
              if (s.exitCode !== null || s.signalCode !== null) return resolve(undefined);
              s.once('exit', resolve);
              s.kill();
            }),
        ),
      );
      await cleanup();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('the rendered conflist is what the runtime loads: bridge cbr0 + host-local over the node pod CIDR + portmap', () => {
      const a = lists.a;
      expect(a).toMatchObject({ cniVersion: '1.0.0', name: 'cbr0' });
      expect(a.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
      expect(a.plugins[0]).toMatchObject({
        bridge: 'cbr0',
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        mtu: 1450,
      });
      expect(a.plugins[0].ipam).toEqual({
        type: 'host-local',
        dataDir,
        ranges: [[{ subnet: '10.180.131.0/24' }]],
        routes: [{ dst: '0.0.0.0/0' }],
      });
    });

    test("ADD (loopback, then the chain with portmap) gives each pod an address from its node's pod CIDR", async () => {
      for (const node of NODES) {
        const pod = `pod-${node.key}`;
        const lo = await runtime.add(CONTAINERD_LOOPBACK, { ...attach(node.key, pod), ifName: 'lo' });
        expect(lo.interfaces?.[0]?.name ?? 'lo').toBe('lo');
        const res = await runtime.add(lists[node.key], podAttachment(node.key));
        results[node.key] = res;
        expect(res.cniVersion).toBe('1.0.0');
        expect(res.ips).toHaveLength(1);
        const [address, prefixLen] = res.ips[0].address.split('/');
        expect(prefixLen).toBe('24');
        expect(address.startsWith(node.podCidr.replace(/0\/24$/, ''))).toBe(true);
        expect(address).not.toBe(node.gateway);
        // host-local's default gateway (the template cannot compute it): the first address, held by cbr0.
        expect(res.ips[0].gateway).toBe(node.gateway);
        expect(await must(['ip', '-n', ns(`node-${node.key}`), '-4', '-o', 'addr', 'show', 'dev', 'cbr0'])).toContain(
          `${node.gateway}/24`,
        );
        expect(await must(['ip', '-n', ns(pod), '-o', 'link', 'show', 'dev', 'eth0'])).toContain('mtu 1450');
        expect(await must(['ip', '-n', ns(pod), 'route', 'show', 'default'])).toContain(
          `default via ${node.gateway} dev eth0`,
        );
        expect(await must(['ip', '-n', ns(pod), '-o', 'addr', 'show', 'dev', 'lo'])).toContain('127.0.0.1/8');
        // The reservation lives in host-local's dataDir, under the network name.
        expect(fs.readdirSync(path.join(dataDir, 'cbr0'))).toContain(address);
      }
    });

    test('CHECK passes on both attachments (portmap with a hostPort: up to its known IPv6 bug)', async () => {
      await expect(runtime.check(lists.a, podAttachment('a'))).resolves.toBeUndefined();
      // plugins < 1.3 (Debian 12 ships 1.1.1): portmap's CHECK also looks for an ip6tables chain it never made for an
      // IPv4-only pod (containernetworking/plugins#819). bridge and host-local have checked pod B by then; containerd
      // does not run CHECK on pods.
      const b = await runtime.check(lists.b, podAttachment('b')).then(
        () => undefined,
        (e) => e,
      );
      if (b !== undefined) expect(b.message).toMatch(/^portmap CHECK: could not check ipv6 dnat/);
    });

    test('pods reach each other across the router, without NAT, only once the router has the route', async () => {
      const ipA = results.a.ips[0].address.split('/')[0];
      const ipB = results.b.ips[0].address.split('/')[0];
      servers.push(await startEcho('pod-b', '0.0.0.0', ECHO_PORT));
      servers.push(await startEcho('pod-a', '0.0.0.0', ECHO_PORT));
      // No route for node B's pod CIDR yet: the router has nowhere to send the packet.
      const before = await connect('pod-a', ipB, ECHO_PORT);
      expect(before.ok).toBe(false);
      // What the OCCM route controller adds for node B ("10.180.128.0/24 via 10.180.0.11" in the seed's router).
      await must(['ip', '-n', ns('router'), 'route', 'add', NODES[1].podCidr, 'via', NODES[1].ip]);
      // Pod B sees pod A's own address: no masquerading between pods.
      expect(await connect('pod-a', ipB, ECHO_PORT)).toEqual({ ok: true, text: ipA });
      expect(await connect('pod-b', ipA, ECHO_PORT)).toEqual({ ok: true, text: ipB });
    });

    test("traffic from a pod to outside the pod network leaves with the node's address (pod-masquerade rule)", async () => {
      expect(await connect('pod-a', OUTSIDE_IP, ECHO_PORT)).toEqual({ ok: true, text: NODES[0].ip });
      expect(await connect('pod-b', OUTSIDE_IP, ECHO_PORT)).toEqual({ ok: true, text: NODES[1].ip });
    });

    test('portmap: a hostPort on node B reaches pod B', async () => {
      expect(await connect('router', NODES[1].ip, HOST_PORT)).toEqual({ ok: true, text: ROUTER_IP });
    });

    test("an address outside the node's pod CIDR is not assigned (host-local keeps to its range)", async () => {
      // Pod C on node A asks for an address of node B's pod CIDR (CNI_ARGS IP=, as a static-IP request would).
      const at = attach('c', 'pod-c', { args: 'IgnoreUnknown=1;IP=10.180.128.50' });
      const err = await runtime.add(lists.a, at).then(
        () => undefined,
        (e) => e,
      );
      expect(err).toBeInstanceOf(CniError);
      expect(err.message).toMatch(/host-local|bridge ADD/);
      expect(err.message).toContain('failed to allocate all requested IPs: 10.180.128.50');
      expect(await must(['ip', '-n', ns('pod-c'), '-4', '-o', 'addr', 'show'])).not.toContain('10.180.128.50');
      expect(fs.readdirSync(path.join(dataDir, 'cbr0'))).not.toContain('10.180.128.50');
      // A runtime tears down a failed ADD.
      await runtime.del(lists.a, at);
      expect(await must(['ip', '-n', ns('pod-c'), '-o', 'link', 'show'])).not.toContain('eth0');
    });

    test("DEL (reverse order) releases the addresses and removes the pods' interfaces", async () => {
      for (const node of NODES) {
        const address = results[node.key].ips[0].address.split('/')[0];
        await runtime.del(lists[node.key], podAttachment(node.key));
        await runtime.del(CONTAINERD_LOOPBACK, { ...attach(node.key, `pod-${node.key}`), ifName: 'lo' });
        expect(fs.readdirSync(path.join(dataDir, 'cbr0'))).not.toContain(address);
        expect(await must(['ip', '-n', ns(`pod-${node.key}`), '-o', 'link', 'show'])).not.toContain('eth0');
      }
      // portmap removed its DNAT for the hostPort.
      expect(await must(['ip', 'netns', 'exec', ns('node-b'), 'iptables', '-w', '-t', 'nat', '-S'])).not.toContain(
        `--dport ${HOST_PORT}`,
      );
    });

    test("why the bridge's ipMasq stays false: with it, pod-to-pod traffic between nodes is NAT-ed to the node address", async () => {
      const masq: NetworkList = { ...lists.a, plugins: [{ ...lists.a.plugins[0], ipMasq: true }, lists.a.plugins[1]] };
      const a = attach('a', 'pod-a');
      await runtime.add(masq, a);
      const b = await runtime.add(lists.b, podAttachment('b'));
      try {
        // The bridge plugin exempts only the node's own pod CIDR from its MASQUERADE, so pod B sees node A.
        expect(await connect('pod-a', b.ips[0].address.split('/')[0], ECHO_PORT)).toEqual({
          ok: true,
          text: NODES[0].ip,
        });
      } finally {
        await runtime.del(masq, a);
        await runtime.del(lists.b, podAttachment('b'));
      }
    });
  });
}
