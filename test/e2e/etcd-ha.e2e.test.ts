/**
 * Real HA end to end: the static-pod app's output for three masters (etcd manifests + PKI) runs as a real etcd
 * cluster (Debian's etcd 3.4) on three test hosts, behind HAProxy configured by the `haproxy` load-balancer renderer.
 * Then members are killed, the leader is killed, a member is partitioned; no acknowledged write may be lost.
 *
 * Nothing here configures etcd by hand: each member gets exactly its manifest's command, args and env, with only the
 * hostPath mount prefixes mapped into a temporary root (see _etcd.ts). In loopback mode (no root or no network
 * namespaces) the shared 127.0.0.1 listeners are moved (logged) and the partition test is skipped, loudly.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthStaticPods } from '../../lib/synth';
import { ETCD_CLIENT_PORT, EtcdStaticPod } from '../../lib/control-plane';
import { renderHaproxyConfig } from '../../lib/host/lb/haproxy';
import { PkiPaths, hostPathToAssetPath } from '../../lib/pki/paths';
import { ClusterSpec, resolveSpec } from '../../lib/spec';
import { fixturePki } from '../support/fixture-pki';
import { synthObjects } from '../support/synth';
import { EtcdLaunch, Etcdctl, endpointUrl, envReport, etcdLaunch, readManifest } from './_etcd';
import { backendStats, checkHaproxyConfig, freePort, startHaproxy } from './_haproxy';
import { Lab, probeLabMode, tool } from './_lab';
import { Daemon, FatalError, killAll, runOk, waitFor } from './_proc';

const MASTERS = 3;
const HEALTHY_WITHIN_MS = 15_000;
const WRITES_PER_PHASE = 10;
const choice = probeLabMode();
if (choice.mode === 'loopback') {
  console.warn(
    `etcd HA e2e: LOOPBACK mode (${choice.reason}). The masters share 127.0.0.0/8; the partition test cannot run and is skipped.`,
  );
}
const netnsTest = choice.mode === 'netns' ? test : test.skip;

describe(`etcd HA from the synthesized static pods, behind HAProxy (${choice.mode} mode)`, () => {
  let lab: Lab;
  let tmp: string;
  let specInput: ClusterSpec;
  let launches: EtcdLaunch[];
  let ctl: Etcdctl;
  let memberEndpoints: string[];
  let lbEndpoint: string;
  let statsSocket: string;
  let foreign: { cacert: string; cert: string; key: string };
  let backendName: string;
  const members: Array<Daemon | undefined> = [];
  let haproxy: Daemon | undefined;
  let otherDaemon: Daemon | undefined;
  const acked = new Map<string, string>();
  const refused: string[] = [];
  const measured: Record<string, string> = {};
  const masterDir = (i: number) => path.join(tmp, 'dist', 'static-pods', `master${i}`);
  const asset = (i: number, hostPath: string) => path.join(masterDir(i), hostPathToAssetPath(hostPath)!);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-e2e-etcd-'));
    lab = await Lab.create(MASTERS, choice);
    specInput = {
      name: 'e2e',
      etcdVersion: '3.5.21',
      masters: lab.masterIps.map((ip, i) => ({ name: `master${i}`, ip })),
      apiEndpoint: { host: lab.endpointHost, port: 8443 },
      loadBalancer: { type: 'haproxy' },
    };
    const spec = resolveSpec(specInput);
    const t0 = Date.now();
    const [pki] = await Promise.all([fixturePki(spec), makeForeignClient()]);
    synthStaticPods({
      spec,
      pki,
      encryptionKey: crypto.randomBytes(32).toString('base64'),
      outdir: path.join(tmp, 'dist'),
    });
    launches = spec.masters.map((m, i) =>
      etcdLaunch(readManifest(path.join(masterDir(i), 'etcd.yaml')), masterDir(i), path.join(tmp, 'hosts', m.name), {
        loopback: lab.mode === 'loopback',
      }),
    );
    measured['setup: PKI (RSA-2048 keys), foreign CA, static-pod synth'] = `${Date.now() - t0} ms`;
    if (lab.mode === 'loopback')
      console.warn(`loopback adaptations of every member's env: ${launches[0].adaptations.join('; ')}`);

    ctl = new Etcdctl(lab, {
      cacert: asset(0, PkiPaths.etcdCaCert),
      cert: asset(0, PkiPaths.apiServerEtcdClientCert),
      key: asset(0, PkiPaths.apiServerEtcdClientKey),
    });
    memberEndpoints = lab.masterIps.map((ip) => endpointUrl(ip, ETCD_CLIENT_PORT));
    const lbPort = lab.mode === 'netns' ? ETCD_CLIENT_PORT : await freePort();
    lbEndpoint = endpointUrl(lab.lbAddress, lbPort);
    statsSocket = path.join(tmp, 'haproxy.sock');
    backendName = `${spec.name}-masters`;
    // The `haproxy` mode's renderer, pointed at the etcd client port: a TCP check (etcd's client port wants a
    // client certificate), logs to stderr (no syslog here), an admin socket to watch the backends.
    fs.writeFileSync(
      path.join(tmp, 'haproxy.cfg'),
      renderHaproxyConfig(spec, {
        bindAddress: lab.lbAddress,
        bindPort: lbPort,
        backendPort: ETCD_CLIENT_PORT,
        healthCheck: 'tcp',
        log: 'stderr format raw local0',
        statsSocket,
      }),
    );

    async function makeForeignClient() {
      const dir = path.join(tmp, 'foreign');
      fs.mkdirSync(dir, { mode: 0o700 });
      const f = (n: string) => path.join(dir, n);
      const openssl = tool('openssl');
      await runOk([
        openssl,
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f('ca.key'),
        '-out',
        f('ca.crt'),
        '-days',
        '1',
        '-subj',
        '/CN=etcd-ca',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,digitalSignature',
      ]);
      await runOk([
        openssl,
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f('client.key'),
        '-out',
        f('client.csr'),
        '-subj',
        '/CN=kube-apiserver-etcd-client',
      ]);
      fs.writeFileSync(
        f('client.ext'),
        'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
      );
      await runOk([
        openssl,
        'x509',
        '-req',
        '-in',
        f('client.csr'),
        '-CA',
        f('ca.crt'),
        '-CAkey',
        f('ca.key'),
        '-CAcreateserial',
        '-out',
        f('client.crt'),
        '-days',
        '1',
        '-extfile',
        f('client.ext'),
      ]);
      foreign = { cacert: f('ca.crt'), cert: f('client.crt'), key: f('client.key') };
    }
  }, 90_000);

  afterAll(async () => {
    try {
      await killAll([...members, haproxy, otherDaemon]);
    } finally {
      await lab?.destroy();
    }
    console.log(
      `etcd HA e2e (${lab?.mode} mode${lab?.fallbackReason ? `: ${lab.fallbackReason}` : ''}):\n${Object.entries(
        measured,
      )
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}`,
    );
    if (tmp && process.env.HACP_E2E_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
    else if (tmp) console.log(`e2e files and logs kept in ${tmp}`);
  }, 30_000);

  const startMember = (i: number): Daemon => {
    members[i] = new Daemon(`etcd master${i}`, lab.on(i, launches[i].argv), {}, path.join(tmp, `etcd-master${i}.log`));
    return members[i]!;
  };
  const alive = () => members.filter((m) => m?.alive);
  /** Tests after the boot need the cluster; without it they fail at once instead of waiting out their timeouts. */
  let booted = false;
  const requireCluster = () => {
    if (!booted) throw new Error('the cluster did not boot (see the failure of the boot test)');
  };
  const assertAlive = () => {
    for (const m of members) if (m && !m.alive) throw new FatalError(`${m.name} exited:\n${m.log.slice(-3000)}`);
  };
  const healthy = (timeoutMs = HEALTHY_WITHIN_MS) =>
    waitFor(
      'endpoint health --cluster',
      timeoutMs,
      async () => {
        assertAlive();
        const r = await ctl.run('switch', memberEndpoints, ['endpoint', 'health', '--cluster']);
        if (r.code !== 0) throw new Error((r.stderr + r.stdout).trim());
        return true;
      },
      200,
    );
  const put = async (
    host: 'switch' | number,
    endpoints: string[],
    key: string,
    value = `${key}@${Date.now()}`,
  ): Promise<boolean> => {
    const r = await ctl.run(host, endpoints, ['put', key, value]);
    if (r.code === 0 && r.stdout.trim() === 'OK') {
      acked.set(key, value);
      return true;
    }
    return false;
  };
  /** `WRITES_PER_PHASE` sequential writes through the load balancer; returns the keys that were not acknowledged. */
  const writeThroughLb = async (phase: string): Promise<string[]> => {
    const failed: string[] = [];
    for (let n = 0; n < WRITES_PER_PHASE; n++) {
      const key = `/e2e/${phase}/${n}`;
      if (!(await put('switch', [lbEndpoint], key))) failed.push(key);
    }
    return failed;
  };
  const leaderIndex = async (endpoints = memberEndpoints): Promise<number> => {
    const leader = (await ctl.status('switch', endpoints)).find((s) => s.isLeader);
    if (!leader) throw new Error('no leader');
    return memberEndpoints.indexOf(leader.endpoint);
  };
  /** Waits until a member serves (serializable, from its own data) every acknowledged write. */
  const hasEveryWrite = (i: number, timeoutMs = 10_000) =>
    waitFor(
      `master${i} to hold every acknowledged write`,
      timeoutMs,
      async () => {
        const kv = await ctl.dump('switch', memberEndpoints[i], '/e2e/');
        const missing = [...acked].filter(([k, v]) => kv.get(k) !== v).map(([k]) => k);
        if (missing.length) throw new Error(`missing ${missing.length}: ${missing.slice(0, 5).join(', ')}`);
        return kv;
      },
      200,
    );
  const lbStates = () => {
    if (!haproxy?.alive) throw new FatalError(`HAProxy is not running:\n${haproxy?.log.slice(-2000)}`);
    return backendStats(statsSocket, backendName);
  };
  const lbState = (i: number, want: RegExp, timeoutMs: number) =>
    waitFor(
      `HAProxy to mark master${i} ${want}`,
      timeoutMs,
      async () => {
        const s = (await lbStates())[`master${i}`]?.status;
        return want.test(s ?? '') ? s : undefined;
      },
      100,
    );

  test('report: which variables of the default (etcd 3.6) manifest etcd 3.4 does not know', async () => {
    const spec36 = resolveSpec({ ...specInput, etcdVersion: undefined });
    const [pod] = synthObjects((chart) => new EtcdStaticPod(chart, 'etcd', { cluster: spec36, master: 'master0' }));
    const launch = etcdLaunch(pod, masterDir(0), path.join(tmp, 'hosts-3.6', 'master0'), {
      loopback: lab.mode === 'loopback',
    });
    otherDaemon = new Daemon('etcd 3.6 env', lab.on(0, launch.argv), {}, path.join(tmp, 'etcd-3.6-env.log'));
    await otherDaemon.waitForOutput(/etcdmain: etcd Version: (\S+)/, 10_000);
    await otherDaemon.kill();
    const report = envReport(otherDaemon.log);
    console.log(
      `etcd ${spec36.etcdVersion} environment run through etcd 3.4: unrecognized ${JSON.stringify(Object.keys(report.unrecognized))}`,
    );
    // etcd read every variable: each is reported one way or the other, and only the 3.6 names are unknown to 3.4.
    expect(Object.keys({ ...report.recognized, ...report.unrecognized }).sort()).toEqual(
      Object.keys(launch.env).sort(),
    );
    const old = new Set(Object.keys(launches[0].manifestEnv));
    expect(Object.keys(report.unrecognized).filter((k) => old.has(k))).toEqual([]);
  }, 20_000);

  test('every path in the etcd env is a mounted host path that the static-pod app produced', () => {
    for (const launch of launches) {
      for (const [name, value] of Object.entries(launch.manifestEnv)) {
        if (!value.startsWith('/')) continue;
        expect({ name, mapped: launch.env[name].startsWith(tmp) }).toEqual({ name, mapped: true });
        expect({ name, exists: fs.existsSync(launch.env[name]) }).toEqual({ name, exists: true });
      }
    }
  });

  test('three members boot from their manifests alone and are healthy over mTLS', async () => {
    const t0 = Date.now();
    for (let i = 0; i < MASTERS; i++) startMember(i);
    await healthy();
    measured['time to healthy (spawn of 3 members → endpoint health --cluster OK)'] = `${Date.now() - t0} ms`;
    const list = await ctl.members('switch', memberEndpoints);
    expect(list.map((m) => [m.name, m.peerUrls, m.clientUrls]).sort()).toEqual(
      lab.masterIps.map((ip, i) => [`master${i}`, endpointUrl(ip, 2380), endpointUrl(ip, ETCD_CLIENT_PORT)]),
    );
    booted = true;
  }, 30_000);

  test('etcd recognized exactly the manifest environment, and nothing unknown', () => {
    requireCluster();
    for (const [i, launch] of launches.entries()) {
      const report = envReport(members[i]!.log);
      expect(report.unrecognized).toEqual({});
      expect(report.recognized).toEqual(launch.env);
      expect(Object.keys(launch.env).sort()).toEqual(Object.keys(launch.manifestEnv).sort());
    }
    // Reported, not failed: the kubelet creates a missing DirectoryOrCreate hostPath 0755 (as done here), and
    // nothing in the generated host setup creates /var/lib/etcd 0700 first (CIS 1.1.11; kubeadm does).
    const permission = members[0]!.log.match(/check file permission: .*/)?.[0];
    if (permission) console.warn(`etcd on a fresh host (data dir created as the kubelet would): ${permission}`);
  });

  test('HAProxy with the haproxy mode configuration fronts the three members', async () => {
    requireCluster();
    await checkHaproxyConfig(lab, path.join(tmp, 'haproxy.cfg'));
    haproxy = startHaproxy(lab, path.join(tmp, 'haproxy.cfg'), path.join(tmp, 'haproxy.log'));
    await waitFor(
      'HAProxy to mark every master UP',
      15_000,
      async () => {
        const s = await lbStates();
        return Object.keys(s).length === MASTERS && Object.values(s).every((v) => v.status === 'UP') ? s : undefined;
      },
      200,
    );
    expect(await writeThroughLb('lb')).toEqual([]);
    // Round robin: the writes' connections went to every member.
    const stats = await lbStates();
    expect(
      Object.entries(stats)
        .filter(([, v]) => v.sessions === 0)
        .map(([k]) => k),
    ).toEqual([]);
  }, 30_000);

  test('a client certificate from another CA, and no certificate at all, are refused', async () => {
    requireCluster();
    const target = 1;
    const cases = [
      {
        name: 'foreign CA',
        creds: { cacert: asset(0, PkiPaths.etcdCaCert), cert: foreign.cert, key: foreign.key },
        log: /unknown authority/,
      },
      { name: 'no certificate', creds: { cacert: asset(0, PkiPaths.etcdCaCert) }, log: /didn't provide a certificate/ },
    ];
    const before = members[target]!.log.length;
    const attempts = await Promise.all(
      cases.flatMap((c) =>
        [memberEndpoints[target], lbEndpoint].map(async (endpoint) => {
          const r = await ctl.with(c.creds).run('switch', [endpoint], ['put', `/e2e/refused/${c.name}`, 'x']);
          return { case: c.name, endpoint, code: r.code === 0 ? 0 : 'failed' };
        }),
      ),
    );
    expect(attempts).toEqual(attempts.map((a) => ({ ...a, code: 'failed' })));
    // The member itself says why: its TLS handshake rejected the client.
    for (const c of cases) expect(members[target]!.log.slice(before)).toMatch(c.log);
    const kv = await ctl.dump('switch', memberEndpoints[0], '/e2e/refused/');
    expect([...kv.keys()]).toEqual([]);
    // The trusted client works on the same endpoints.
    expect(await put('switch', [memberEndpoints[target]], '/e2e/trusted/0')).toBe(true);
  }, 30_000);

  test('one member killed: writes go on through the load balancer; restarted, it rejoins with every write', async () => {
    requireCluster();
    const leader = await leaderIndex();
    const victim = (leader + 1) % MASTERS;
    await members[victim]!.kill();
    expect((await ctl.run('switch', memberEndpoints, ['endpoint', 'health', '--cluster'])).code).not.toBe(0);
    expect(await writeThroughLb('member-down')).toEqual([]);
    const t0 = Date.now();
    startMember(victim);
    await healthy();
    await hasEveryWrite(victim);
    measured['killed member restarted → healthy with every write'] = `${Date.now() - t0} ms`;
  }, 45_000);

  test('the leader killed: a new leader is elected and writes go on', async () => {
    requireCluster();
    const old = await leaderIndex();
    const oldTerm = Math.max(...(await ctl.status('switch', memberEndpoints)).map((s) => s.term));
    const rest = memberEndpoints.filter((_, i) => i !== old);
    await members[old]!.kill();
    const t0 = Date.now();
    const elected = await waitFor(
      'a new leader',
      10_000,
      async () => {
        const s = (await ctl.status('switch', rest)).find((x) => x.isLeader && x.term > oldTerm);
        return s ? memberEndpoints.indexOf(s.endpoint) : undefined;
      },
      100,
    );
    measured['leader SIGKILL → new leader elected'] = `${Date.now() - t0} ms`;
    expect(elected).not.toBe(old);
    await waitFor(
      'a write through the load balancer',
      10_000,
      async () => (await put('switch', [lbEndpoint], '/e2e/failover/first')) || undefined,
      50,
    );
    measured['leader SIGKILL → first write acknowledged through the LB (fail over)'] = `${Date.now() - t0} ms`;
    expect(await writeThroughLb('leader-down')).toEqual([]);
    startMember(old);
    await healthy();
    await hasEveryWrite(old);
  }, 45_000);

  netnsTest(
    'one member partitioned: the minority refuses writes, the majority accepts them; healed, all agree',
    async () => {
      requireCluster();
      const victim = ((await leaderIndex()) + 2) % MASTERS;
      const majority = memberEndpoints.filter((_, i) => i !== victim);
      await lab.partition(victim);
      const t0 = Date.now();
      try {
        // The minority: the member's own client URL on its host's loopback (its only reachable one now).
        const minorityKey = '/e2e/partition/minority';
        const minority = await ctl.run(
          victim,
          [endpointUrl('127.0.0.1', ETCD_CLIENT_PORT)],
          ['put', minorityKey, 'lost'],
        );
        expect(minority.code).not.toBe(0);
        refused.push(minorityKey);
        for (let n = 0; n < WRITES_PER_PHASE; n++)
          expect(await put('switch', [majority[n % 2]], `/e2e/partition/majority/${n}`)).toBe(true);
        await lbState(victim, /^DOWN/, 30_000);
        measured['partition → HAProxy marks the member DOWN'] = `${Date.now() - t0} ms`;
        expect(await writeThroughLb('partition-lb')).toEqual([]);
      } finally {
        await lab.heal(victim);
      }
      const t1 = Date.now();
      await healthy();
      const dumps = await waitFor(
        'all members to agree',
        15_000,
        async () => {
          const all = await Promise.all(memberEndpoints.map((e) => ctl.dump('switch', e, '/e2e/')));
          const json = all.map((kv) => JSON.stringify([...kv].sort()));
          if (new Set(json).size !== 1) throw new Error(`members differ: ${all.map((kv) => kv.size).join(' / ')} keys`);
          return all;
        },
        200,
      );
      measured['healed → every member agrees'] = `${Date.now() - t1} ms`;
      expect(dumps[victim].size).toBe(dumps[0].size);
      await lbState(victim, /^UP$/, 15_000);
    },
    90_000,
  );

  test('every acknowledged write is on every member at the end', async () => {
    requireCluster();
    // At least the load-balancer phases every mode runs (healthy, member down, leader down).
    expect(acked.size).toBeGreaterThanOrEqual(3 * WRITES_PER_PHASE);
    await healthy();
    for (let i = 0; i < MASTERS; i++) await hasEveryWrite(i);
    measured['acknowledged writes, all present on every member'] = `${acked.size} (× ${MASTERS} members)`;
    const kv = await ctl.dump('switch', memberEndpoints[0], '/e2e/');
    measured['refused writes (not acknowledged) that appeared anyway'] =
      `${refused.filter((k) => kv.has(k)).length} of ${refused.length}`;
  }, 30_000);

  test('nothing listens outside loopback or the lab network', async () => {
    requireCluster();
    const ss = tool('ss');
    const allowed = (addr: string) =>
      /^(127\.|\[::1\]|::1)/.test(addr) || (lab.mode === 'netns' && addr.startsWith('10.200.0.'));
    const pids = new Set(
      alive()
        .concat(haproxy ? [haproxy] : [])
        .map((d) => d!.pid),
    );
    expect(pids.size).toBe(MASTERS + 1);
    const listeners: string[] = [];
    for (const host of lab.mode === 'netns' ? (['switch', 0, 1, 2] as const) : (['switch'] as const)) {
      const out = await runOk(lab.on(host, [ss, '-Hltnp']));
      for (const line of out.split('\n').filter(Boolean)) {
        const local = line.split(/\s+/)[3];
        const pid = Number(line.match(/pid=(\d+)/)?.[1]);
        if (lab.mode === 'netns' || pids.has(pid)) listeners.push(`${host} ${local.replace(/:\d+$/, '')}`);
      }
    }
    expect(listeners.length).toBeGreaterThan(0);
    expect(listeners.filter((l) => !allowed(l.split(' ')[1]))).toEqual([]);
    if (lab.mode === 'netns') {
      // The root namespace holds none of the lab's processes' sockets.
      const root = await runOk([ss, '-Hltnp']);
      expect([...pids].filter((pid) => root.includes(`pid=${pid},`))).toEqual([]);
    }
  });
});
