/**
 * Runs real CNI plugins the way a container runtime does (libcni, as containerd uses it through go-cni): one process
 * per plugin with `CNI_COMMAND`, `CNI_CONTAINERID`, `CNI_NETNS`, `CNI_IFNAME`, `CNI_ARGS`, `CNI_PATH`, the plugin's
 * config on stdin with the list's `name` and `cniVersion` injected, `runtimeConfig` for the capabilities a plugin
 * declares, and the previous plugin's result as `prevResult`. ADD runs the list in order and caches the result; CHECK
 * runs in order and DEL in reverse order, both with the cached result as `prevResult`. The "host" side of a plugin is
 * a network namespace of the test (`ip netns exec <host> <plugin>`), standing in for a node.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';

/** Where Debian's containernetworking-plugins puts the plugins (HACP_CNI_BIN overrides). */
export const CNI_BIN = process.env.HACP_CNI_BIN ?? '/usr/lib/cni';
export const REQUIRED_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'];

/** Why the real-CNI test cannot run here, or undefined when it can. */
export function cniUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, iptables)';
  const missing = REQUIRED_PLUGINS.filter((p) => !fs.existsSync(`${CNI_BIN}/${p}`));
  if (missing.length)
    return `CNI plugins missing in ${CNI_BIN}: ${missing.join(', ')} (apt-get install containernetworking-plugins)`;
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['iptables', ['--version']],
  ] as const) {
    if (spawnSync(tool, args).status !== 0) return `'${tool}' is not installed (iproute2, iptables)`;
  }
  return undefined;
}

/** Output of one command. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv (no shell) with optional stdin and environment; never rejects. */
export function run(argv: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (e) => resolve({ code: -1, stdout, stderr: `${stderr}${e.message}` }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // a child that exits without reading its stdin
      child.stdin.end(options.input);
    }
  });
}

/** Runs argv and throws with its output when it fails. */
export async function must(argv: string[]): Promise<string> {
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A conflist as the runtime loads it. */
export interface NetworkList {
  readonly cniVersion: string;
  readonly name: string;
  readonly plugins: Array<Record<string, any>>;
}

/** One attachment of a pod to a network: what the runtime passes in `CNI_*`. */
export interface Attachment {
  /** Network namespace acting as the node (the plugins' current namespace). */
  readonly hostNetns: string;
  readonly containerId: string;
  /** Path of the pod's network namespace. */
  readonly netns: string;
  readonly ifName: string;
  /** `CNI_ARGS` (e.g. `IgnoreUnknown=1;K8S_POD_NAME=a`). */
  readonly args?: string;
  /** Runtime values for declared capabilities (e.g. `portMappings`); a runtime passes them to ADD, CHECK and DEL alike. */
  readonly capabilityArgs?: Record<string, unknown>;
}

/** A plugin failure: the CNI error object the plugin printed. */
export class CniError extends Error {
  constructor(
    public readonly plugin: string,
    public readonly command: string,
    public readonly error: { code?: number; msg?: string; details?: string },
  ) {
    super(`${plugin} ${command}: ${error.msg ?? ''}${error.details ? `: ${error.details}` : ''} (code ${error.code})`);
  }
}

async function invoke(
  plugin: Record<string, any>,
  list: NetworkList,
  command: 'ADD' | 'DEL' | 'CHECK',
  at: Attachment,
  prevResult?: unknown,
): Promise<any> {
  const conf: Record<string, any> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  const runtimeConfig = Object.fromEntries(
    Object.entries(plugin.capabilities ?? {})
      .filter(([cap, on]) => on === true && at.capabilityArgs?.[cap] !== undefined)
      .map(([cap]) => [cap, at.capabilityArgs![cap]]),
  );
  if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    CNI_COMMAND: command,
    CNI_CONTAINERID: at.containerId,
    CNI_NETNS: at.netns,
    CNI_IFNAME: at.ifName,
    CNI_ARGS: at.args ?? '',
    CNI_PATH: CNI_BIN,
  };
  const r = await run(['ip', 'netns', 'exec', at.hostNetns, `${CNI_BIN}/${plugin.type}`], {
    input: JSON.stringify(conf),
    env,
  });
  if (r.code !== 0) {
    let error: any;
    try {
      error = JSON.parse(r.stdout);
    } catch {
      error = { msg: `${r.stdout}${r.stderr}`.trim() };
    }
    throw new CniError(plugin.type, command, error);
  }
  return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

/** A runtime's view of attachments: ADD caches the result that CHECK and DEL pass as `prevResult`. */
export class CniRuntime {
  private readonly cache = new Map<string, unknown>();

  private key(list: NetworkList, at: Attachment): string {
    return `${list.name}/${at.containerId}/${at.ifName}`;
  }

  /** ADD: every plugin in order, each given the previous result; returns the final result. */
  public async add(list: NetworkList, at: Attachment): Promise<any> {
    let prev: unknown;
    for (const plugin of list.plugins) prev = await invoke(plugin, list, 'ADD', at, prev);
    this.cache.set(this.key(list, at), prev);
    return prev;
  }

  /** CHECK: every plugin in order with the cached result. */
  public async check(list: NetworkList, at: Attachment): Promise<void> {
    const cached = this.cache.get(this.key(list, at));
    for (const plugin of list.plugins) await invoke(plugin, list, 'CHECK', at, cached);
  }

  /** DEL: every plugin in reverse order with the cached result (if any). */
  public async del(list: NetworkList, at: Attachment): Promise<void> {
    const cached = this.cache.get(this.key(list, at));
    for (const plugin of [...list.plugins].reverse()) await invoke(plugin, list, 'DEL', at, cached);
    this.cache.delete(this.key(list, at));
  }
}

/**
 * The loopback network containerd attaches every pod to before its own config (go-cni `WithLoNetwork`, unless
 * `use_internal_loopback`): the `loopback` plugin on `lo`.
 */
export const CONTAINERD_LOOPBACK: NetworkList = {
  cniVersion: '0.3.1',
  name: 'cni-loopback',
  plugins: [{ type: 'loopback' }],
};
