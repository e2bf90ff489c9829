import { execFile } from 'child_process';
import { ClusterSpec, ResolvedClusterSpec, isIp, resolveSpec } from '../../spec';

/** Environment variable that overrides the `openstack` binary (tests point it at the real CLI in another place). */
export const OPENSTACK_BIN_ENV = 'HACP_OPENSTACK_BIN';

/** Stands for the VIP port ID in a planned command; `apply` substitutes the port of the load balancer it made. */
export const VIP_PORT_PLACEHOLDER = '{vip_port_id}';

/** The Octavia resources of a cluster, derived from the spec. */
export interface OctaviaSettings {
  /** Subnet (name or ID) of the VIP and the members (`loadBalancer.octavia.subnet`). */
  readonly subnet: string;
  /** Name of the load balancer: `<prefix>-lb`. */
  readonly loadBalancer: string;
  /** Name of the pool: `<prefix>-pool`. */
  readonly pool: string;
  /** Name of the health monitor: `<prefix>-hm`. */
  readonly healthMonitor: string;
  /** Name of the listener: `<prefix>-listener`. */
  readonly listener: string;
  /** One member per master, named after it. */
  readonly members: ReadonlyArray<{
    /** The master's name. */
    readonly name: string;
    /** The master's IP. */
    readonly address: string;
  }>;
  /** Port of every member: the API servers' port (`apiServerPort`). */
  readonly memberPort: number;
  /** Port the listener accepts clients on: the API endpoint's port. */
  readonly listenerPort: number;
  /** Health monitor type (`loadBalancer.octavia.healthMonitor`). */
  readonly monitorType: 'HTTPS' | 'TCP';
  /** The floating IP to associate with the VIP port; undefined when the API endpoint is a DNS name and none is set. */
  readonly floatingIp?: string;
  /** Seconds to wait for the load balancer to become ACTIVE after each change. */
  readonly timeoutSeconds: number;
}

/** Resolves the `loadBalancer.octavia` settings; throws naming the field when they cannot work. */
export function octaviaSettings(cluster: ClusterSpec | ResolvedClusterSpec): OctaviaSettings {
  const spec = resolveSpec(cluster);
  const octavia = spec.loadBalancer.octavia;
  if (spec.loadBalancer.type !== 'octavia' || !octavia) {
    throw new Error(
      `loadBalancer.type: ${JSON.stringify(spec.loadBalancer.type)} is not "octavia" (with loadBalancer.octavia.subnet set)`,
    );
  }
  const prefix = octavia.namePrefix ?? spec.name;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(prefix))
    throw new Error(
      `loadBalancer.octavia.namePrefix: ${JSON.stringify(prefix)} may only hold letters, digits, '.', '_' and '-'`,
    );
  const host = spec.apiEndpoint.host;
  const floatingIp = octavia.floatingIp ?? (isIp(host) ? host : undefined);
  const master = spec.masters.find((candidate) => candidate.ip === floatingIp);
  if (master) {
    throw new Error(
      `${octavia.floatingIp ? 'loadBalancer.octavia.floatingIp' : 'apiEndpoint.host'}: ${JSON.stringify(floatingIp)} is the address of ${master.name}, not a floating IP; set apiEndpoint.host (or loadBalancer.octavia.floatingIp) to the floating IP reserved for the API`,
    );
  }
  const timeoutSeconds = octavia.timeoutSeconds ?? 300;
  if (!(timeoutSeconds > 0)) throw new Error(`loadBalancer.octavia.timeoutSeconds: ${timeoutSeconds} must be positive`);
  return {
    subnet: octavia.subnet,
    loadBalancer: `${prefix}-lb`,
    pool: `${prefix}-pool`,
    healthMonitor: `${prefix}-hm`,
    listener: `${prefix}-listener`,
    members: spec.masters.map((member) => ({ name: member.name, address: member.ip })),
    memberPort: spec.apiServerPort,
    listenerPort: spec.apiEndpoint.port,
    monitorType: octavia.healthMonitor ?? 'HTTPS',
    floatingIp,
    timeoutSeconds,
  };
}

/** One step of `hacp lb apply`: a resource and the `openstack` command that creates it. */
export interface OctaviaStep {
  /** The kind of resource the step creates. */
  readonly kind: 'loadbalancer' | 'pool' | 'member' | 'healthmonitor' | 'listener' | 'floatingip';
  /** Resource name (members: the master's name; floating IP: its address or ID). */
  readonly name: string;
  /** What the step makes, for progress output. */
  readonly title: string;
  /** Arguments of `openstack` (no binary). The floating IP step holds `VIP_PORT_PLACEHOLDER`. */
  readonly argv: readonly string[];
  /** Whether the load balancer goes through PENDING_* and must be polled back to ACTIVE afterwards. */
  readonly waitActive: boolean;
}

/**
 * The API load balancer as Octavia commands, in creation order: load balancer on the subnet, TCP pool ROUND_ROBIN,
 * one member per master on the API server port, a health monitor, a TCP listener on the API endpoint port, and the
 * floating IP on the VIP port. The monitor is HTTPS `GET /readyz` expecting 200 by default, which also takes out an
 * API server that runs but cannot serve (lost etcd, still starting); `TCP` only checks that the port accepts
 * connections. Resources are referred to by name, so the plan prints exactly what apply runs.
 */
export function octaviaApplySteps(cluster: ClusterSpec | ResolvedClusterSpec): OctaviaStep[] {
  const settings = octaviaSettings(cluster);
  const monitor =
    settings.monitorType === 'HTTPS'
      ? ['--type', 'HTTPS', '--http-method', 'GET', '--url-path', '/readyz', '--expected-codes', '200']
      : ['--type', 'TCP'];
  const steps: OctaviaStep[] = [
    {
      kind: 'loadbalancer',
      name: settings.loadBalancer,
      title: `load balancer ${settings.loadBalancer} on subnet ${settings.subnet}`,
      waitActive: true,
      argv: ['loadbalancer', 'create', '--name', settings.loadBalancer, '--vip-subnet-id', settings.subnet],
    },
    {
      kind: 'pool',
      name: settings.pool,
      title: `pool ${settings.pool} (TCP, ROUND_ROBIN)`,
      waitActive: true,
      argv: [
        'loadbalancer',
        'pool',
        'create',
        '--name',
        settings.pool,
        '--lb-algorithm',
        'ROUND_ROBIN',
        '--protocol',
        'TCP',
        '--loadbalancer',
        settings.loadBalancer,
      ],
    },
    ...settings.members.map((member): OctaviaStep => ({
      kind: 'member',
      name: member.name,
      title: `member ${member.name} ${member.address}:${settings.memberPort}`,
      waitActive: true,
      argv: [
        'loadbalancer',
        'member',
        'create',
        '--name',
        member.name,
        '--subnet-id',
        settings.subnet,
        '--address',
        member.address,
        '--protocol-port',
        String(settings.memberPort),
        settings.pool,
      ],
    })),
    {
      kind: 'healthmonitor',
      name: settings.healthMonitor,
      title: `health monitor ${settings.healthMonitor} (${settings.monitorType === 'HTTPS' ? 'HTTPS GET /readyz' : 'TCP'})`,
      waitActive: true,
      argv: [
        'loadbalancer',
        'healthmonitor',
        'create',
        '--name',
        settings.healthMonitor,
        '--delay',
        '5',
        '--timeout',
        '3',
        '--max-retries',
        '2',
        ...monitor,
        settings.pool,
      ],
    },
    {
      kind: 'listener',
      name: settings.listener,
      title: `listener ${settings.listener} (TCP ${settings.listenerPort})`,
      waitActive: true,
      argv: [
        'loadbalancer',
        'listener',
        'create',
        '--name',
        settings.listener,
        '--protocol',
        'TCP',
        '--protocol-port',
        String(settings.listenerPort),
        '--default-pool',
        settings.pool,
        settings.loadBalancer,
      ],
    },
  ];
  if (settings.floatingIp) {
    steps.push({
      kind: 'floatingip',
      name: settings.floatingIp,
      title: `floating IP ${settings.floatingIp} on the VIP port of ${settings.loadBalancer}`,
      waitActive: false,
      argv: ['floating', 'ip', 'set', '--port', VIP_PORT_PLACEHOLDER, settings.floatingIp],
    });
  }
  return steps;
}

/** Quotes a word for a POSIX shell (only where needed). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `hacp lb plan` for Octavia: the exact commands `apply` runs on an empty project, as a shell script. */
export function renderOctaviaPlan(cluster: ClusterSpec | ResolvedClusterSpec): string {
  const spec = resolveSpec(cluster);
  const settings = octaviaSettings(spec);
  const steps = octaviaApplySteps(spec);
  const wait = `openstack loadbalancer show ${shellQuote(settings.loadBalancer)} -f json`;
  const lines = [
    `# Octavia load balancer for the API of cluster ${spec.name}: what 'hacp lb apply' runs, in this order.`,
    '# apply skips every resource that already exists (looked up by name) and, after each change, polls',
    `#   ${wait}`,
    `# until provisioning_status is ACTIVE (fails on ERROR, gives up after ${settings.timeoutSeconds}s).`,
  ];
  steps.forEach((step, index) => {
    lines.push('', `# ${index + 1}/${steps.length} ${step.title}`);
    const argv = step.argv.map((arg) =>
      arg === VIP_PORT_PLACEHOLDER
        ? `"$(openstack loadbalancer show ${shellQuote(settings.loadBalancer)} -f value -c vip_port_id)"`
        : shellQuote(arg),
    );
    lines.push(`openstack ${argv.join(' ')}`);
  });
  if (!settings.floatingIp)
    lines.push(
      '',
      '# no floating IP: apiEndpoint.host is a DNS name; point it at the VIP address (or set loadBalancer.octavia.floatingIp)',
    );
  return lines.join('\n') + '\n';
}

/** A failure of the Octavia driver, with a message for a human. */
export class OctaviaError extends Error {
  /** @param output what the failed `openstack` command printed, if one failed */
  constructor(
    message: string,
    public readonly output = '',
  ) {
    super(message);
    this.name = 'OctaviaError';
  }
}

/** Options of `OctaviaDriver`. */
export interface OctaviaDriverOptions {
  /**
   * The `openstack` binary.
   * @default - $HACP_OPENSTACK_BIN, else `openstack` on the PATH
   */
  readonly openstackBin?: string;
  /**
   * Environment of the `openstack` processes (the user's `OS_*` variables or `OS_CLOUD` + clouds.yaml).
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Seconds to wait for the load balancer to become ACTIVE after each change (and to disappear after delete).
   * @default - loadBalancer.octavia.timeoutSeconds (300)
   */
  readonly timeoutSeconds?: number;
  /**
   * Seconds between two status polls (each poll is one `openstack` call, itself about a second).
   * @default 5
   */
  readonly pollIntervalSeconds?: number;
  /**
   * Seconds one `openstack` call may take before it is killed.
   * @default 120
   */
  readonly commandTimeoutSeconds?: number;
  /** Receives progress lines. @default - discarded */
  readonly log?: (line: string) => void;
}

/** A JSON object as the `openstack` CLI prints it with `-f json`. */
type Json = Record<string, any>;

/** What exists in the project, looked up by name. */
export interface OctaviaState {
  /** The load balancer; undefined when there is none. */
  readonly loadBalancer?: {
    /** Its ID. */
    readonly id: string;
    /** Its provisioning status, upper case (`ACTIVE`, `PENDING_UPDATE`, `ERROR`, ...). */
    readonly status: string;
  };
  /** The pool; undefined when there is none. */
  readonly pool?: {
    /** Its ID. */
    readonly id: string;
    /** ID of its health monitor; undefined when it has none. */
    readonly healthMonitorId?: string;
  };
  /** The pool's members (empty without a pool). */
  readonly members: ReadonlyArray<{
    /** The member's ID. */
    readonly id: string;
    /** Its name (empty when it has none). */
    readonly name: string;
    /** Its address. */
    readonly address: string;
    /** Its protocol port. */
    readonly port: number;
  }>;
  /** The listener; undefined when there is none. */
  readonly listener?: {
    /** Its ID. */
    readonly id: string;
    /** The port it listens on. */
    readonly port: number;
  };
  /** The floating IP of the settings, when it exists (its absence is an error). */
  readonly floatingIp?: {
    /** Its ID. */
    readonly id: string;
    /** The port it is associated with; undefined when it is free. */
    readonly portId?: string;
  };
  /** The load balancer's VIP port; undefined without a load balancer. */
  readonly vipPortId?: string;
}

/**
 * Drives the real `openstack` CLI (python-octaviaclient) to create, check and delete the API load balancer.
 * Every call is an argv array (no shell). Idempotent: resources are looked up by name first and only the missing
 * ones are created. The CLI's own `--wait` polls forever, so the driver polls `loadbalancer show` itself, with a
 * bounded timeout, and stops on ERROR.
 */
export class OctaviaDriver {
  private readonly spec: ResolvedClusterSpec;
  private readonly settings: OctaviaSettings;
  private readonly bin: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly commandTimeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(cluster: ClusterSpec | ResolvedClusterSpec, options: OctaviaDriverOptions = {}) {
    this.spec = resolveSpec(cluster);
    this.settings = octaviaSettings(this.spec);
    this.env = options.env ?? process.env;
    this.bin = options.openstackBin ?? this.env[OPENSTACK_BIN_ENV] ?? process.env[OPENSTACK_BIN_ENV] ?? 'openstack';
    const timeout = options.timeoutSeconds ?? this.settings.timeoutSeconds;
    const poll = options.pollIntervalSeconds ?? 5;
    const commandTimeout = options.commandTimeoutSeconds ?? 120;
    if (!(timeout > 0)) throw new Error(`timeoutSeconds: ${timeout} must be positive`);
    if (!(poll >= 0)) throw new Error(`pollIntervalSeconds: ${poll} must not be negative`);
    if (!(commandTimeout > 0)) throw new Error(`commandTimeoutSeconds: ${commandTimeout} must be positive`);
    this.timeoutMs = timeout * 1000;
    this.pollMs = poll * 1000;
    this.commandTimeoutMs = commandTimeout * 1000;
    this.log = options.log ?? (() => undefined);
  }

  /** Looks up the existing resources (read-only). */
  public async state(): Promise<OctaviaState> {
    const settings = this.settings;
    const floatingIp = settings.floatingIp ? await this.findFloatingIp(settings.floatingIp) : undefined;
    // `show` by name: one call instead of list + show (octaviaclient says "Unable to locate" when there is none and
    // refuses names that are not unique).
    const lb = await this.showLoadBalancer(true);
    if (!lb) return { members: [], floatingIp };
    const pools = (
      (await this.json([
        'loadbalancer',
        'pool',
        'list',
        '--loadbalancer',
        settings.loadBalancer,
        '-f',
        'json',
      ])) as Json[]
    ).filter((candidate) => candidate.name === settings.pool);
    let pool: OctaviaState['pool'];
    let members: OctaviaState['members'] = [];
    if (pools.length) {
      const shown = (await this.json(['loadbalancer', 'pool', 'show', String(pools[0].id), '-f', 'json'])) as Json;
      pool = { id: String(pools[0].id), healthMonitorId: shown.healthmonitor_id || undefined };
      members = ((await this.json(['loadbalancer', 'member', 'list', pool.id, '-f', 'json'])) as Json[]).map(
        (member) => ({
          id: String(member.id),
          name: String(member.name ?? ''),
          address: String(member.address),
          port: Number(member.protocol_port),
        }),
      );
    }
    const listeners = (
      (await this.json([
        'loadbalancer',
        'listener',
        'list',
        '--loadbalancer',
        settings.loadBalancer,
        '-f',
        'json',
      ])) as Json[]
    ).filter((candidate) => candidate.name === settings.listener);
    const listener = listeners.length
      ? { id: String(listeners[0].id), port: Number(listeners[0].protocol_port) }
      : undefined;
    return {
      loadBalancer: { id: lb.id, status: lb.status },
      pool,
      members,
      listener,
      floatingIp,
      vipPortId: lb.vipPortId,
    };
  }

  /** Creates whatever is missing, step by step; returns the names of the steps that ran. */
  public async apply(): Promise<string[]> {
    const settings = this.settings;
    const steps = octaviaApplySteps(this.spec);
    this.log(`checking Octavia resources of cluster ${this.spec.name} (${this.bin})`);
    const state = await this.state();
    if (state.floatingIp?.portId && state.floatingIp.portId !== state.vipPortId) {
      throw new OctaviaError(
        `floating IP ${settings.floatingIp} is already associated with port ${state.floatingIp.portId}, not with the VIP port of ${settings.loadBalancer}; hacp does not move it: free it ('openstack floating ip unset --port ${settings.floatingIp}') or set loadBalancer.octavia.floatingIp`,
      );
    }
    if (state.loadBalancer && state.loadBalancer.status !== 'ACTIVE') {
      this.log(`load balancer ${settings.loadBalancer} is ${state.loadBalancer.status}`);
      await this.waitActive('the previous change');
    }
    let vipPortId = state.vipPortId;
    const done: string[] = [];
    for (const [index, step] of steps.entries()) {
      const prefix = `[${index + 1}/${steps.length}] ${step.title}`;
      const existing = this.existing(step, state, vipPortId);
      if (existing) {
        this.log(`${prefix}: exists (${existing})`);
        continue;
      }
      this.log(`${prefix}: creating`);
      const argv = step.argv.map((arg) => (arg === VIP_PORT_PLACEHOLDER ? (vipPortId ?? '') : arg));
      if (argv.includes(''))
        throw new OctaviaError(
          `load balancer ${settings.loadBalancer} has no vip_port_id; cannot associate floating IP ${settings.floatingIp}`,
        );
      await this.run(argv, true);
      if (step.waitActive) vipPortId = (await this.waitActive(`${step.kind} ${step.name}`)).vipPortId;
      done.push(`${step.kind} ${step.name}`);
    }
    this.log(done.length ? `done: created ${done.length} resource(s)` : 'done: nothing to create, everything exists');
    return done;
  }

  /** Deletes the resources in the reverse order of `apply`; returns what was deleted. */
  public async destroy(): Promise<string[]> {
    const settings = this.settings;
    this.log(`checking Octavia resources of cluster ${this.spec.name} (${this.bin})`);
    const state = await this.state();
    const done: string[] = [];
    const step = async (what: string, argv: string[], wait: boolean) => {
      this.log(`${what}: deleting`);
      await this.run(argv, true);
      if (wait) await this.waitActive(`deleting ${what}`);
      done.push(what);
    };
    if (state.floatingIp?.portId && state.floatingIp.portId === state.vipPortId) {
      await step(
        `floating IP ${settings.floatingIp}`,
        ['floating', 'ip', 'unset', '--port', state.floatingIp.id],
        false,
      );
    } else if (settings.floatingIp) {
      this.log(`floating IP ${settings.floatingIp}: not on the VIP port, left alone`);
    }
    if (state.loadBalancer && state.loadBalancer.status !== 'ACTIVE') await this.waitActive('the previous change');
    if (state.listener)
      await step(`listener ${settings.listener}`, ['loadbalancer', 'listener', 'delete', state.listener.id], true);
    if (state.pool?.healthMonitorId)
      await step(
        `health monitor of ${settings.pool}`,
        ['loadbalancer', 'healthmonitor', 'delete', state.pool.healthMonitorId],
        true,
      );
    for (const member of [...state.members].reverse()) {
      await step(
        `member ${member.name || member.address}`,
        ['loadbalancer', 'member', 'delete', state.pool!.id, member.id],
        true,
      );
    }
    if (state.pool) await step(`pool ${settings.pool}`, ['loadbalancer', 'pool', 'delete', state.pool.id], true);
    if (state.loadBalancer) {
      this.log(`load balancer ${settings.loadBalancer}: deleting`);
      await this.run(['loadbalancer', 'delete', state.loadBalancer.id], true);
      await this.waitDeleted();
      done.push(`load balancer ${settings.loadBalancer}`);
    }
    this.log(done.length ? `done: deleted ${done.length} resource(s)` : 'done: nothing to delete');
    return done;
  }

  /** How an existing resource satisfies `step` (`id ...`, for the log), or undefined when the step must run. */
  private existing(step: OctaviaStep, state: OctaviaState, vipPortId: string | undefined): string | undefined {
    switch (step.kind) {
      case 'loadbalancer':
        return state.loadBalancer && `id ${state.loadBalancer.id}`;
      case 'pool':
        return state.pool && `id ${state.pool.id}`;
      case 'member': {
        const want = this.settings.members.find((member) => member.name === step.name)!;
        const found = state.members.find(
          (member) => member.address === want.address && member.port === this.settings.memberPort,
        );
        return found && `id ${found.id}`;
      }
      case 'healthmonitor':
        return state.pool?.healthMonitorId && `id ${state.pool.healthMonitorId}`;
      case 'listener': {
        if (state.listener && state.listener.port !== this.settings.listenerPort) {
          this.log(
            `warning: listener ${this.settings.listener} listens on ${state.listener.port}, the spec says ${this.settings.listenerPort}; delete it to change the port`,
          );
        }
        return state.listener && `id ${state.listener.id}`;
      }
      case 'floatingip':
        return state.floatingIp?.portId && state.floatingIp.portId === vipPortId ? `on port ${vipPortId}` : undefined;
    }
  }

  /** The floating IP (address or ID) and its port; throws an `OctaviaError` saying to reserve it when it does not exist. */
  private async findFloatingIp(floatingIp: string): Promise<OctaviaState['floatingIp']> {
    let shown: Json;
    try {
      shown = (await this.json(['floating', 'ip', 'show', floatingIp, '-f', 'json'])) as Json;
    } catch (e) {
      if (!(e instanceof OctaviaError) || !/not found|no \w+ found|unable to (find|locate)/i.test(e.output)) throw e;
      throw new OctaviaError(
        `floating IP ${floatingIp} (loadBalancer.octavia.floatingIp / apiEndpoint.host) does not exist; reserve it first ('openstack floating ip create <external network>'):\n${e.message}`,
      );
    }
    return { id: String(shown.id), portId: shown.port_id || undefined };
  }

  private async showLoadBalancer(): Promise<{ id: string; status: string; vipPortId?: string }>;
  private async showLoadBalancer(
    allowMissing: true,
  ): Promise<{ id: string; status: string; vipPortId?: string } | undefined>;
  private async showLoadBalancer(
    allowMissing = false,
  ): Promise<{ id: string; status: string; vipPortId?: string } | undefined> {
    let lb: Json;
    try {
      lb = (await this.json(['loadbalancer', 'show', this.settings.loadBalancer, '-f', 'json'])) as Json;
    } catch (e) {
      if (
        allowMissing &&
        e instanceof OctaviaError &&
        e.output.includes(`Unable to locate ${this.settings.loadBalancer} in loadbalancers`)
      )
        return undefined;
      throw e;
    }
    return {
      id: String(lb.id),
      status: String(lb.provisioning_status ?? '').toUpperCase(),
      vipPortId: lb.vip_port_id || undefined,
    };
  }

  /** Polls the load balancer until ACTIVE; throws on ERROR and at the timeout. */
  private async waitActive(after: string): Promise<{ vipPortId?: string }> {
    const started = Date.now();
    for (let polls = 1; ; polls++) {
      const lb = await this.showLoadBalancer();
      if (lb.status === 'ACTIVE') {
        this.log(
          `      ${this.settings.loadBalancer} is ACTIVE${polls > 1 ? ` after ${Math.round((Date.now() - started) / 1000)}s` : ''}`,
        );
        return lb;
      }
      if (lb.status === 'ERROR') {
        throw new OctaviaError(
          `load balancer ${this.settings.loadBalancer} went to provisioning_status ERROR after ${after}; see 'openstack loadbalancer show ${this.settings.loadBalancer}' and the Octavia logs, then 'hacp lb destroy' and apply again`,
        );
      }
      if (Date.now() - started >= this.timeoutMs) {
        throw new OctaviaError(
          `timed out after ${this.timeoutMs / 1000}s waiting for load balancer ${this.settings.loadBalancer} to become ACTIVE after ${after} (still ${lb.status || 'without a status'}); run 'hacp lb apply' again later, it continues where it stopped`,
        );
      }
      this.log(`      ${this.settings.loadBalancer} is ${lb.status}, waiting`);
      await sleep(Math.min(this.pollMs, Math.max(0, this.timeoutMs - (Date.now() - started))));
    }
  }

  /** Polls until the load balancer is gone; throws on ERROR and at the timeout. */
  private async waitDeleted(): Promise<void> {
    const started = Date.now();
    for (;;) {
      const lb = await this.showLoadBalancer(true);
      if (!lb) return;
      const status = lb.status;
      if (status === 'ERROR')
        throw new OctaviaError(
          `load balancer ${this.settings.loadBalancer} went to provisioning_status ERROR while deleting; see 'openstack loadbalancer show ${this.settings.loadBalancer}'`,
        );
      if (Date.now() - started >= this.timeoutMs)
        throw new OctaviaError(
          `timed out after ${this.timeoutMs / 1000}s waiting for load balancer ${this.settings.loadBalancer} to be deleted (still ${status})`,
        );
      await sleep(this.pollMs);
    }
  }

  /** Runs `openstack` with `argv` (which asks for `-f json`) and parses what it prints. */
  private async json(argv: string[]): Promise<unknown> {
    const out = await this.run(argv, false);
    try {
      return JSON.parse(out || 'null');
    } catch {
      throw new OctaviaError(`'openstack ${argv.join(' ')}' did not print JSON: ${out.slice(0, 200)}`);
    }
  }

  /** Runs `openstack` with `argv` (no shell; `show`: log the command); resolves to its stdout, rejects with an `OctaviaError`. */
  private run(argv: string[], show: boolean): Promise<string> {
    if (show) this.log(`      $ openstack ${argv.map(shellQuote).join(' ')}`);
    return new Promise((resolve, reject) => {
      execFile(
        this.bin,
        argv,
        { env: this.env, timeout: this.commandTimeoutMs, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (!err) return resolve(stdout);
          const failure = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          if (failure.code === 'ENOENT') {
            return reject(
              new OctaviaError(
                `the openstack CLI (${this.bin}) was not found: install python3-openstackclient and python3-octaviaclient, or set ${OPENSTACK_BIN_ENV}`,
              ),
            );
          }
          const why = failure.killed ? `killed after ${this.commandTimeoutMs / 1000}s` : `exit code ${failure.code}`;
          const detail = String(stderr || stdout)
            .trim()
            .split('\n')
            .slice(-5)
            .join('\n');
          const hint = /auth-url|auth plugin|credential|OS_CLOUD/i.test(detail)
            ? '\nhint: load your OpenStack credentials first (source the openrc file, or set OS_CLOUD with a clouds.yaml)'
            : '';
          reject(
            new OctaviaError(
              `'openstack ${argv.map(shellQuote).join(' ')}' failed (${why}):\n${detail}${hint}`,
              String(stderr || stdout),
            ),
          );
        },
      );
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
