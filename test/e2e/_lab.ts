/**
 * The e2e "lab": three hosts for the masters and one "switch" host for the load balancer and the clients.
 *
 * - `netns` mode (root): a namespace per master with `eth0` on 10.200.0.1x/24, bridged inside a switch namespace
 *   (10.200.0.1 on `br0`). The root namespace gets no interface or route in that range, the namespaces have no
 *   default route, so nothing can leave; every command runs inside a namespace (`ip netns exec`). Partitions are
 *   real (`ip link set eth0 down`). Namespace names carry the test's PID; stale ones of dead runs are removed.
 * - `loopback` mode (fallback, no root or no namespaces): the masters are 127.0.0.11-13 in the root namespace. No
 *   partition is possible.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { isProcessAlive } from '../../lib/util/process';
import { run, runOk } from './_proc';

export type LabMode = 'netns' | 'loopback';
/** A host of the lab: a master (by index) or the switch (load balancer, clients). */
export type LabHost = number | 'switch';

const SUBNET = '10.200.0';
const PREFIX = 'hacp-e2e';

/** Absolute path of a tool (children run with an empty environment, so no PATH lookup). */
export function tool(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (fs.existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  throw new Error(`${name} is not installed (.ci/run installs etcd-server, etcd-client, haproxy and iproute2)`);
}

/**
 * Chooses the mode before the tests are declared (so that a test needing namespaces can be skipped loudly):
 * `netns` when this process can create a network namespace, else `loopback` with the reason.
 * `HACP_E2E_LOOPBACK=1` forces loopback mode.
 */
export function probeLabMode(): { mode: LabMode; reason?: string } {
  if (process.env.HACP_E2E_LOOPBACK === '1') return { mode: 'loopback', reason: 'HACP_E2E_LOOPBACK=1 is set' };
  if (process.getuid?.() !== 0) return { mode: 'loopback', reason: 'not running as root' };
  let ip: string;
  try {
    ip = tool('ip');
  } catch (e) {
    return { mode: 'loopback', reason: (e as Error).message };
  }
  const probe = `${PREFIX}-${process.pid}-probe`;
  const add = spawnSync(ip, ['netns', 'add', probe], { encoding: 'utf8', timeout: 5_000 });
  if (add.status !== 0)
    return { mode: 'loopback', reason: `'ip netns add' failed: ${(add.stderr || add.error?.message || '').trim()}` };
  spawnSync(ip, ['netns', 'del', probe], { timeout: 5_000 });
  return { mode: 'netns' };
}

export class Lab {
  /** Creates the lab in the mode `probeLabMode()` chose. */
  static async create(masters: number, choice: { mode: LabMode; reason?: string }): Promise<Lab> {
    const lab = new Lab(choice.mode, masters, choice.reason);
    if (lab.mode === 'netns') {
      // Last resort if the test process exits without its teardown (the next run also removes stale namespaces).
      process.on('exit', () =>
        lab.namespaces().forEach((ns) => spawnSync(lab.ip, ['netns', 'del', ns], { timeout: 5_000 })),
      );
      try {
        await lab.build();
      } catch (e) {
        await lab.destroy();
        throw e;
      }
    }
    return lab;
  }

  /** Master addresses, index = master number. */
  public readonly masterIps: string[];
  /** The API endpoint host written in the spec (the switch's address; never dialled from the root namespace). */
  public readonly endpointHost: string;
  /** Where the load balancer's frontend binds, on the switch host: its loopback, covered by the etcd certificates. */
  public readonly lbAddress = '127.0.0.1';
  private readonly ip = tool('ip');
  private readonly ns: { switch: string; masters: string[] };

  private constructor(
    public readonly mode: LabMode,
    masters: number,
    public readonly fallbackReason?: string,
  ) {
    const base = `${PREFIX}-${process.pid}`;
    this.ns = { switch: `${base}-sw`, masters: Array.from({ length: masters }, (_, i) => `${base}-m${i}`) };
    const net = mode === 'netns' ? SUBNET : '127.0.0';
    this.masterIps = Array.from({ length: masters }, (_, i) => `${net}.${11 + i}`);
    this.endpointHost = mode === 'netns' ? `${SUBNET}.1` : '127.0.0.10';
  }

  /** The argv that runs `argv` on a host (inside its namespace in netns mode). */
  on(host: LabHost, argv: string[]): string[] {
    if (this.mode === 'loopback') return argv;
    return [this.ip, 'netns', 'exec', host === 'switch' ? this.ns.switch : this.ns.masters[host], ...argv];
  }

  /** Cuts a master off the network (its link goes down: packets are dropped, not refused). */
  async partition(master: number): Promise<void> {
    this.requireNetns('partition');
    await runOk([this.ip, '-n', this.ns.masters[master], 'link', 'set', 'eth0', 'down']);
  }

  async heal(master: number): Promise<void> {
    this.requireNetns('heal');
    await runOk([this.ip, '-n', this.ns.masters[master], 'link', 'set', 'eth0', 'up']);
  }

  /** The namespaces of this lab (empty in loopback mode). */
  namespaces(): string[] {
    return this.mode === 'netns' ? [this.ns.switch, ...this.ns.masters] : [];
  }

  /** Deletes this run's namespaces (processes inside must have been killed). Safe to call twice. */
  async destroy(): Promise<void> {
    const existing = new Set(await listNamespaces(this.ip));
    for (const ns of [this.ns.switch, ...this.ns.masters]) {
      if (existing.has(ns)) await runOk([this.ip, 'netns', 'del', ns]);
    }
  }

  private requireNetns(what: string): void {
    if (this.mode !== 'netns')
      throw new Error(`${what} needs network namespaces (lab is in ${this.mode} mode: ${this.fallbackReason})`);
  }

  private async build(): Promise<void> {
    await removeStaleNamespaces(this.ip);
    const ip = (...args: string[]) => runOk([this.ip, ...args]);
    const sw = this.ns.switch;
    await ip('netns', 'add', sw);
    await ip('-n', sw, 'link', 'set', 'lo', 'up');
    await ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', sw, 'addr', 'add', `${SUBNET}.1/24`, 'dev', 'br0');
    await ip('-n', sw, 'link', 'set', 'br0', 'up');
    for (const [i, ns] of this.ns.masters.entries()) {
      await ip('netns', 'add', ns);
      await ip('-n', sw, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await ip('-n', sw, 'link', 'set', `v${i}`, 'master', 'br0', 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', ns, 'addr', 'add', `${this.masterIps[i]}/24`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
  }
}

async function listNamespaces(ip: string): Promise<string[]> {
  const r = await run([ip, 'netns', 'list']);
  return r.code === 0
    ? r.stdout
        .split('\n')
        .map((l) => l.split(' ')[0])
        .filter(Boolean)
    : [];
}

/** Namespaces of earlier runs whose process is gone (a killed jest never reached its afterAll). */
async function removeStaleNamespaces(ip: string): Promise<void> {
  for (const ns of await listNamespaces(ip)) {
    const m = ns.match(new RegExp(`^${PREFIX}-(\\d+)-`));
    if (m && !isProcessAlive(Number(m[1]))) await run([ip, 'netns', 'del', ns]);
  }
}
