/**
 * Running a synthesized etcd static pod without a kubelet: the pod's hostPath volumes are mapped into the master's
 * synthesized folder (or a scratch root for host directories such as the data dir), the env values that are mount
 * paths get the mapped prefix, nothing else changes; etcd runs as `env -i <env> /usr/bin/etcd <args>`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ETCD_CLIENT_PORT } from '../../lib/control-plane';
import { hostPathToAssetPath } from '../../lib/pki/paths';
import { Lab, LabHost, tool } from './_lab';
import { RunResult, run } from './_proc';

/** How a synthesized etcd pod runs on a test host. */
export interface EtcdLaunch {
  /** The container's env as synthesized (name → value). */
  readonly manifestEnv: Record<string, string>;
  /** The env etcd gets: `manifestEnv` with mount paths mapped (and, in loopback mode, the listed adaptations). */
  readonly env: Record<string, string>;
  /** `env -i K=V... /usr/bin/etcd <args>` (to be run on the master's host). */
  readonly argv: string[];
  /** Container path → test path, one per volume. */
  readonly mounts: Array<{ mountPath: string; hostPath: string; path: string }>;
  /** What had to change because the masters share one network namespace (loopback mode); empty otherwise. */
  readonly adaptations: string[];
}

/** Reads a one-document manifest. */
export function readManifest(file: string): any {
  return parse(fs.readFileSync(file, 'utf8'));
}

/**
 * Maps a synthesized etcd pod onto a test host. `assetDir` is the master's synthesized folder (mirrors
 * /etc/kubernetes); host paths outside /etc/kubernetes go under `scratchDir` (created as the kubelet would for
 * `DirectoryOrCreate`).
 */
export function etcdLaunch(
  pod: any,
  assetDir: string,
  scratchDir: string,
  options: { loopback?: boolean } = {},
): EtcdLaunch {
  const container = pod.spec.containers[0];
  const volumes = new Map<string, any>(pod.spec.volumes.map((v: any) => [v.name, v]));
  const mounts = (container.volumeMounts ?? []).map((m: any) => {
    const hostPath = volumes.get(m.name)?.hostPath?.path;
    if (!hostPath) throw new Error(`volumeMount ${m.name} has no hostPath volume`);
    const asset = hostPathToAssetPath(hostPath);
    const mapped = asset !== undefined ? path.join(assetDir, asset) : path.join(scratchDir, hostPath);
    if (volumes.get(m.name).hostPath.type === 'DirectoryOrCreate')
      fs.mkdirSync(mapped, { recursive: true, mode: 0o755 });
    return { mountPath: m.mountPath as string, hostPath: hostPath as string, path: mapped };
  });
  const mapValue = (value: string): string => {
    const m = mounts
      .filter((x: any) => value === x.mountPath || value.startsWith(`${x.mountPath}/`))
      .sort((a: any, b: any) => b.mountPath.length - a.mountPath.length)[0];
    return m ? m.path + value.slice(m.mountPath.length) : value;
  };
  const manifestEnv: Record<string, string> = Object.fromEntries(
    (container.env ?? []).map((e: any) => {
      if (e.valueFrom) throw new Error(`env ${e.name} uses valueFrom, which needs a kubelet`);
      return [e.name, String(e.value)];
    }),
  );
  const env = Object.fromEntries(Object.entries(manifestEnv).map(([k, v]) => [k, mapValue(v)]));
  const adaptations = options.loopback ? adaptForSharedLoopback(env) : [];

  const [command, ...commandArgs] = container.command ?? [];
  if (command !== 'etcd')
    throw new Error(`etcd pod command is ${JSON.stringify(container.command)}, expected ["etcd", ...]`);
  const args = [...commandArgs, ...(container.args ?? [])];
  const argv = [tool('env'), '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), tool('etcd'), ...args];
  return { manifestEnv, env, argv, mounts, adaptations };
}

/**
 * In loopback mode the three members share one network namespace, so the listeners every member puts on
 * 127.0.0.1 (client port and metrics) would collide: they move to the member's own 127.0.0.x address.
 */
function adaptForSharedLoopback(env: Record<string, string>): string[] {
  const own = new URL(env.ETCD_ADVERTISE_CLIENT_URLS.split(',')[0]).hostname;
  const changes: string[] = [];
  const listen = env.ETCD_LISTEN_CLIENT_URLS.split(',').filter((u) => new URL(u).hostname !== '127.0.0.1');
  if (listen.join(',') !== env.ETCD_LISTEN_CLIENT_URLS) {
    changes.push(`ETCD_LISTEN_CLIENT_URLS: dropped https://127.0.0.1:${ETCD_CLIENT_PORT} (shared by all members)`);
    env.ETCD_LISTEN_CLIENT_URLS = listen.join(',');
  }
  if (env.ETCD_LISTEN_METRICS_URLS?.includes('127.0.0.1')) {
    changes.push(`ETCD_LISTEN_METRICS_URLS: 127.0.0.1 → ${own}`);
    env.ETCD_LISTEN_METRICS_URLS = env.ETCD_LISTEN_METRICS_URLS.replace('127.0.0.1', own);
  }
  return changes;
}

/** The `ETCD_*` variables etcd logged as recognized (name → value) and as unrecognized. */
export function envReport(log: string): { recognized: Record<string, string>; unrecognized: Record<string, string> } {
  const pick = (re: RegExp) => Object.fromEntries([...log.matchAll(re)].map((m) => [m[1], m[2]]));
  return {
    recognized: pick(/recognized and used environment variable (ETCD_[A-Z0-9_]+)=(.*)$/gm),
    unrecognized: pick(/unrecognized environment variable (ETCD_[A-Z0-9_]+)=(.*)$/gm),
  };
}

/** TLS material of an etcdctl client; no cert/key means no client certificate at all. */
export interface EtcdCredentials {
  readonly cacert: string;
  readonly cert?: string;
  readonly key?: string;
}

/** `etcdctl` run on a lab host, with bounded timeouts. */
export class Etcdctl {
  private readonly bin = tool('etcdctl');
  constructor(
    private readonly lab: Lab,
    private readonly creds: EtcdCredentials,
  ) {}

  /** Same client, other credentials. */
  with(creds: EtcdCredentials): Etcdctl {
    return new Etcdctl(this.lab, creds);
  }

  run(host: LabHost, endpoints: string[], args: string[], timeoutMs = 8_000): Promise<RunResult> {
    const tls = [
      `--cacert=${this.creds.cacert}`,
      ...(this.creds.cert ? [`--cert=${this.creds.cert}`, `--key=${this.creds.key}`] : []),
    ];
    return run(
      this.lab.on(host, [
        this.bin,
        `--endpoints=${endpoints.join(',')}`,
        ...tls,
        '--dial-timeout=2s',
        '--command-timeout=3s',
        ...args,
      ]),
      { timeoutMs },
    );
  }

  async ok(host: LabHost, endpoints: string[], args: string[]): Promise<string> {
    const r = await this.run(host, endpoints, args);
    if (r.code !== 0)
      throw new Error(
        `etcdctl ${args.join(' ')} on ${endpoints.join(',')} failed (exit ${r.code}): ${(r.stderr + r.stdout).trim().slice(0, 500)}`,
      );
    return r.stdout;
  }

  /** `endpoint status` of each endpoint: member id, leader flag, raft term and index. */
  async status(
    host: LabHost,
    endpoints: string[],
  ): Promise<Array<{ endpoint: string; id: string; isLeader: boolean; term: number; raftIndex: number }>> {
    const out = await this.ok(host, endpoints, ['endpoint', 'status', '-w', 'simple']);
    return out
      .trim()
      .split('\n')
      .map((line) => {
        const f = line.split(', ');
        return { endpoint: f[0], id: f[1], isLeader: f[4] === 'true', term: Number(f[6]), raftIndex: Number(f[7]) };
      });
  }

  /** `member list`: id, name, peer URLs, client URLs. */
  async members(
    host: LabHost,
    endpoints: string[],
  ): Promise<Array<{ id: string; name: string; peerUrls: string; clientUrls: string }>> {
    const out = await this.ok(host, endpoints, ['member', 'list', '-w', 'simple']);
    return out
      .trim()
      .split('\n')
      .map((line) => {
        const f = line.split(', ');
        return { id: f[0], name: f[2], peerUrls: f[3], clientUrls: f[4] };
      });
  }

  /** Keys and values under a prefix, read from exactly these endpoints without a quorum (serializable). */
  async dump(host: LabHost, endpoint: string, prefix: string): Promise<Map<string, string>> {
    const out = await this.ok(host, [endpoint], ['get', '--prefix', prefix, '--consistency=s', '-w', 'json']);
    const kvs: Array<{ key: string; value: string }> = JSON.parse(out).kvs ?? [];
    const b64 = (s: string) => Buffer.from(s, 'base64').toString();
    return new Map(kvs.map((kv) => [b64(kv.key), b64(kv.value)]));
  }
}

/** `https://ip:port`. */
export function endpointUrl(host: string, port: number): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
