/**
 * A loopback stand-in for the Octavia v2 and Neutron v2.0 APIs, enough for the real `openstack` CLI
 * (python-openstackclient + python-octaviaclient) run with `OS_AUTH_TYPE=none OS_ENDPOINT=<url>`
 * (research/feasibility.md §4 and its appendix). It records every request and lets a test decide how the load
 * balancer's provisioning status moves after a change: ACTIVE after N polls, ERROR, or stuck in PENDING_*.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { randomUUID } from 'crypto';

/** One request the CLI sent. */
export interface FakeRequest {
  readonly method: string;
  /** Path with query string. */
  readonly path: string;
  readonly body: any;
}

/** What happens to the load balancer after a create or a child change. */
export interface LbBehaviour {
  /** GETs of the load balancer that still answer PENDING_* before the outcome. @default 0 */
  readonly pendingPolls?: number;
  /** @default ACTIVE; STUCK stays PENDING_* forever */
  readonly outcome?: 'ACTIVE' | 'ERROR' | 'STUCK';
}

const SINGULAR: Record<string, string> = {
  loadbalancers: 'loadbalancer',
  listeners: 'listener',
  pools: 'pool',
  members: 'member',
  healthmonitors: 'healthmonitor',
  subnets: 'subnet',
  ports: 'port',
  floatingips: 'floatingip',
  networks: 'network',
};
const OCTAVIA = new Set(['loadbalancers', 'listeners', 'pools', 'members', 'healthmonitors']);
const IGNORED_QUERY = new Set(['fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse']);

type Obj = Record<string, any>;

export class FakeOpenStack {
  public readonly requests: FakeRequest[] = [];
  public behaviour: LbBehaviour = {};
  private readonly store: Record<string, Map<string, Obj>> = {};
  private readonly polls = new Map<string, number>();
  private server?: http.Server;
  private base = '';

  constructor() {
    this.put('networks', { id: 'net-1111', name: 'k8s-net', status: 'ACTIVE', subnets: ['sub-2222'] });
    this.put('networks', { id: 'ext-0000', name: 'public', 'router:external': true, status: 'ACTIVE' });
    this.put('subnets', {
      id: 'sub-2222',
      name: 'kthw-subnet',
      network_id: 'net-1111',
      cidr: '10.180.0.0/24',
      ip_version: 4,
    });
    this.put('ports', {
      id: 'port-vip-3333',
      name: 'octavia-lb-vip',
      network_id: 'net-1111',
      status: 'ACTIVE',
      fixed_ips: [{ subnet_id: 'sub-2222', ip_address: '10.180.0.7' }],
    });
    this.put('floatingips', {
      id: 'fip-4444',
      floating_ip_address: '10.47.40.33',
      floating_network_id: 'ext-0000',
      port_id: null,
      fixed_ip_address: null,
      status: 'DOWN',
      router_id: null,
      description: '',
    });
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The environment that points the `openstack` CLI at this fake (and nothing else). */
  env(home: string): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', OS_AUTH_TYPE: 'none', OS_ENDPOINT: this.base };
  }

  /** The requests that changed something (POST, PUT, DELETE), without the IDs the fake made up. */
  mutations(): Array<{ method: string; path: string; body: any }> {
    return this.requests
      .filter((r) => r.method !== 'GET')
      .map((r) => ({ method: r.method, path: r.path, body: r.body }));
  }

  /** Objects of a collection. */
  list(coll: string): Obj[] {
    return [...(this.store[coll]?.values() ?? [])];
  }

  /** Adds an object as if it had been created (tests seed existing resources). */
  put(coll: string, obj: Obj): Obj {
    (this.store[coll] ??= new Map()).set(obj.id, obj);
    return obj;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      let body: any;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = raw;
      }
      this.requests.push({ method: req.method!, path: req.url!, body });
      const u = new URL(req.url!, this.base);
      const [code, obj] = this.route(req.method!, u.pathname.split('/').filter(Boolean), u.searchParams, body);
      const data = obj === undefined ? '' : JSON.stringify(obj);
      res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
      res.end(data);
    });
  }

  private route(method: string, parts: string[], query: URLSearchParams, body: any): [number, any?] {
    if (parts.length === 0)
      return [
        200,
        { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${this.base}/v2.0/`, rel: 'self' }] }] },
      ];
    if (parts[0] === 'v2.0' || parts[0] === 'v2') parts = parts.slice(1);
    if (parts.length === 0) return [200, { resources: [] }];
    if (parts[0] === 'extensions') return [200, { extensions: [] }];
    if (parts[0] === 'lbaas') parts = parts.slice(1);
    if (parts.length && parts[parts.length - 1].endsWith('.json'))
      parts[parts.length - 1] = parts[parts.length - 1].slice(0, -5);
    let coll: string;
    let id: string | undefined;
    let parent: string | undefined;
    if (parts[0] === 'pools' && parts[2] === 'members') [coll, id, parent] = ['members', parts[3], parts[1]];
    else if (parts.length <= 2 && SINGULAR[parts[0]]) [coll, id] = [parts[0], parts[1]];
    else return [404, { faultstring: 'no route', NeutronError: { message: 'no route' } }];
    const sing = SINGULAR[coll];
    const c = (this.store[coll] ??= new Map());

    if (method === 'POST' && !id) {
      const o = this.create(coll, { ...(body?.[sing] ?? {}) }, parent);
      return [201, { [sing]: o }];
    }
    if (method === 'GET' && !id) {
      const items = [...c.values()].filter(
        (o) =>
          (!parent || o.pool_id === parent) &&
          [...query.entries()].every(([k, v]) => IGNORED_QUERY.has(k) || String(o[k]) === v),
      );
      return [200, { [coll]: items, [`${coll}_links`]: [] }];
    }
    const o = id ? c.get(id) : undefined;
    if (!o)
      return [
        404,
        {
          faultstring: `${sing} ${id} not found`,
          NeutronError: { type: 'NotFound', message: `${sing} ${id} not found`, detail: '' },
        },
      ];
    if (method === 'GET') {
      if (coll === 'loadbalancers') this.poll(o);
      return [200, { [sing]: o }];
    }
    if (method === 'PUT') {
      Object.assign(o, body?.[sing] ?? {});
      if (coll === 'floatingips')
        Object.assign(o, { status: o.port_id ? 'ACTIVE' : 'DOWN', fixed_ip_address: o.port_id ? '10.180.0.7' : null });
      return [200, { [sing]: o }];
    }
    if (method === 'DELETE') {
      c.delete(id!);
      this.unlink(coll, o);
      if (coll !== 'loadbalancers') this.touch(this.lbOf(coll, o));
      return [204];
    }
    return [405, { faultstring: 'method not allowed' }];
  }

  private create(coll: string, o: Obj, parent?: string): Obj {
    o.id ??= randomUUID();
    o.project_id ??= 'proj-demo';
    if (parent) o.pool_id = parent;
    if (OCTAVIA.has(coll)) {
      Object.assign(o, {
        admin_state_up: o.admin_state_up ?? true,
        provisioning_status: 'ACTIVE',
        operating_status: 'ONLINE',
        created_at: '2026-11-22T00:00:00',
        updated_at: null,
      });
    }
    switch (coll) {
      case 'loadbalancers':
        Object.assign(o, {
          vip_address: '10.180.0.7',
          vip_port_id: 'port-vip-3333',
          vip_network_id: 'net-1111',
          listeners: [],
          pools: [],
          provider: 'amphora',
          flavor_id: null,
        });
        break;
      case 'pools':
        Object.assign(o, {
          members: [],
          listeners: [],
          healthmonitor_id: null,
          session_persistence: null,
          loadbalancers: [{ id: o.loadbalancer_id }],
        });
        this.get('loadbalancers', o.loadbalancer_id)?.pools.push({ id: o.id });
        break;
      case 'listeners':
        Object.assign(o, { l7policies: [], connection_limit: -1, loadbalancers: [{ id: o.loadbalancer_id }] });
        this.get('loadbalancers', o.loadbalancer_id)?.listeners.push({ id: o.id });
        if (o.default_pool_id) this.get('pools', o.default_pool_id)?.listeners.push({ id: o.id });
        break;
      case 'members':
        this.get('pools', parent!)?.members.push({ id: o.id });
        break;
      case 'healthmonitors':
        o.pools = [{ id: o.pool_id }];
        {
          const pool = this.get('pools', o.pool_id);
          if (pool) pool.healthmonitor_id = o.id;
        }
        break;
    }
    this.put(coll, o);
    this.touch(coll === 'loadbalancers' ? o : this.lbOf(coll, o));
    return o;
  }

  private get(coll: string, id: string): Obj | undefined {
    return this.store[coll]?.get(id);
  }

  private lbOf(coll: string, o: Obj): Obj | undefined {
    if (coll === 'pools' || coll === 'listeners') return this.get('loadbalancers', o.loadbalancer_id);
    if (coll === 'members' || coll === 'healthmonitors')
      return this.get('loadbalancers', this.get('pools', o.pool_id)?.loadbalancer_id);
    return undefined;
  }

  private unlink(coll: string, o: Obj): void {
    const drop = (list: Obj[] | undefined) => list?.splice(0, list.length, ...list.filter((x) => x.id !== o.id));
    if (coll === 'pools' || coll === 'listeners') drop(this.get('loadbalancers', o.loadbalancer_id)?.[coll]);
    if (coll === 'members') drop(this.get('pools', o.pool_id)?.members);
    if (coll === 'healthmonitors') {
      const p = this.get('pools', o.pool_id);
      if (p) p.healthmonitor_id = null;
    }
  }

  /** A change on a load balancer: PENDING_* until the behaviour's outcome. */
  private touch(lb: Obj | undefined): void {
    if (!lb) return;
    const { pendingPolls = 0, outcome = 'ACTIVE' } = this.behaviour;
    const pending = this.polls.has(lb.id) ? 'PENDING_UPDATE' : 'PENDING_CREATE';
    this.polls.set(lb.id, 0);
    lb.provisioning_status = pendingPolls > 0 || outcome !== 'ACTIVE' ? pending : 'ACTIVE';
  }

  private poll(lb: Obj): void {
    if (!String(lb.provisioning_status).startsWith('PENDING_')) return;
    const n = (this.polls.get(lb.id) ?? 0) + 1;
    this.polls.set(lb.id, n);
    const { pendingPolls = 0, outcome = 'ACTIVE' } = this.behaviour;
    if (n > pendingPolls && outcome !== 'STUCK') lb.provisioning_status = outcome;
  }
}
