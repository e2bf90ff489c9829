/** HAProxy for the e2e tests: config check, foreground run, backend states through the admin socket. */
import * as net from 'net';
import { Lab, tool } from './_lab';
import { Daemon, runOk } from './_proc';

/** `haproxy -c -f cfg` (throws with HAProxy's message when the config is invalid). */
export async function checkHaproxyConfig(lab: Lab, cfg: string): Promise<string> {
  return runOk(lab.on('switch', [tool('haproxy'), '-c', '-f', cfg]));
}

/** `haproxy -db -f cfg` on the switch host (foreground, no daemon mode). */
export function startHaproxy(lab: Lab, cfg: string, logFile: string): Daemon {
  return new Daemon('haproxy', lab.on('switch', [tool('haproxy'), '-db', '-f', cfg]), {}, logFile);
}

/** One server of a backend in `show stat`. */
export interface ServerStat {
  /** `UP`, `DOWN`, `UP 1/2`... */
  readonly status: string;
  /** Sessions (client connections) it has served so far. */
  readonly sessions: number;
}

/** Server name → state of one backend, from `show stat` on the admin socket. */
export function backendStats(socket: string, backend: string, timeoutMs = 2_000): Promise<Record<string, ServerStat>> {
  return new Promise((resolve, reject) => {
    let out = '';
    const conn = net.connect(socket);
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer from ${socket} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.on('connect', () => conn.write('show stat\n'));
    conn.on('data', (d) => (out += d));
    conn.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    conn.on('close', () => {
      clearTimeout(timer);
      const rows = out
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(','));
      // CSV columns: 0 pxname, 1 svname, 7 stot, 17 status.
      resolve(
        Object.fromEntries(
          rows
            .filter((r) => r[0] === backend && r[1] !== 'BACKEND')
            .map((r) => [r[1], { status: r[17], sessions: Number(r[7]) }]),
        ),
      );
    });
  });
}

/** A free TCP port on 127.0.0.1 of the root namespace (loopback mode). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
