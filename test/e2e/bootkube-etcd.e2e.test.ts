/**
 * The self-hosted tree's etcd, for real: the bootkube app's per-master folders (`dist/bootkube/masters/<master>/`:
 * `etcd.yaml` and `pki/etcd/*`, nothing else) run as a real etcd cluster (Debian's etcd 3.4) on three test hosts, and
 * the API servers' etcd settings as the tree writes them reach it: the bootstrap API server's flags with the files of
 * `tls/` (what `hacp bootstrap` copies to /etc/kubernetes/bootstrap-secrets on the first master), and the self-hosted
 * DaemonSet's flags with its Secret's keys (mounted at /etc/kubernetes/secrets), from another master. Then every
 * member is killed at once (a full power loss) and restarted from the same manifests: the data survives.
 *
 * Second: an external etcd (`etcd.external`, as seed 004's Ansible role ran it): a real etcd outside the tree with a CA
 * and certificates made by openssl; `readExternalEtcd()` reads the files, the tree has no etcd pods, and both API
 * servers' etcd settings reach it.
 *
 * The API servers themselves cannot run here: etcdctl stands in for their etcd client, with exactly their
 * `--etcd-servers`, `--etcd-cafile`, `--etcd-certfile` and `--etcd-keyfile`. Network namespaces when root, else
 * loopback mode (see _lab.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ClusterPki } from '../../lib/pki';
import { ClusterSpec, readExternalEtcd, resolveSpec } from '../../lib/spec';
import { synthBootkube } from '../../lib/synth';
import { EtcdLaunch, Etcdctl, etcdLaunch, readManifest } from './_etcd';
import { Lab, probeLabMode, tool } from './_lab';
import { Daemon, FatalError, killAll, runOk, waitFor } from './_proc';

const MASTERS = 3;
const choice = probeLabMode();
if (choice.mode === 'loopback') console.warn(`bootkube etcd e2e: LOOPBACK mode (${choice.reason})`);

/** `--flag=value` args as a map. */
const flags = (args: string[]) =>
  Object.fromEntries(
    args
      .map((a) => /^--([^=]+)=(.*)$/.exec(a))
      .filter(Boolean)
      .map((m) => [m![1], m![2]]),
  );

/** An etcd client as the API servers of a synthesized bootkube tree configure it: their flags, their files. */
interface ApiServerEtcdClient {
  readonly endpoints: string[];
  readonly ctl: Etcdctl;
}

/**
 * The etcd clients of a bootkube tree's two API servers: the bootstrap one (reads /etc/kubernetes/bootstrap-secrets =
 * the asset dir's tls/) and the self-hosted DaemonSet (reads its Secret at /etc/kubernetes/secrets, written to
 * `secretDir` here as the kubelet would).
 */
function apiServerEtcdClients(
  lab: Lab,
  root: string,
  secretDir: string,
): { bootstrap: ApiServerEtcdClient; selfHosted: ApiServerEtcdClient } {
  const boot = flags(
    parseAllDocuments(
      fs.readFileSync(path.join(root, 'bootstrap-manifests/bootstrap-apiserver.yaml'), 'utf8'),
    )[0].toJS().spec.containers[0].args,
  );
  const inTls = (p: string) => path.join(root, 'tls', path.posix.relative('/etc/kubernetes/bootstrap-secrets', p));
  const docs = (f: string) =>
    parseAllDocuments(fs.readFileSync(path.join(root, 'manifests', f), 'utf8')).map((d) => d.toJS());
  const ds = docs('kube-apiserver.yaml').find((o) => o.kind === 'DaemonSet');
  const sh = flags(ds.spec.template.spec.containers[0].args);
  fs.mkdirSync(secretDir, { mode: 0o700 });
  for (const [k, v] of Object.entries<string>(docs('kube-apiserver-secret.yaml')[0].stringData))
    fs.writeFileSync(path.join(secretDir, k), v, { mode: 0o600 });
  const inSecret = (p: string) => path.join(secretDir, path.posix.relative('/etc/kubernetes/secrets', p));
  return {
    bootstrap: {
      endpoints: boot['etcd-servers'].split(','),
      ctl: new Etcdctl(lab, {
        cacert: inTls(boot['etcd-cafile']),
        cert: inTls(boot['etcd-certfile']),
        key: inTls(boot['etcd-keyfile']),
      }),
    },
    selfHosted: {
      endpoints: sh['etcd-servers'].split(','),
      ctl: new Etcdctl(lab, {
        cacert: inSecret(sh['etcd-cafile']),
        cert: inSecret(sh['etcd-certfile']),
        key: inSecret(sh['etcd-keyfile']),
      }),
    },
  };
}

/** Polls `endpoint health --cluster` through a client until it passes; fails at once when a daemon died. */
function healthy(client: ApiServerEtcdClient, host: number, daemons: Array<Daemon | undefined>): Promise<boolean> {
  return waitFor(
    'endpoint health --cluster',
    20_000,
    async () => {
      for (const m of daemons) if (m && !m.alive) throw new FatalError(`${m.name} exited:\n${m.log.slice(-3000)}`);
      const r = await client.ctl.run(host, client.endpoints, ['endpoint', 'health', '--cluster']);
      if (r.code !== 0) throw new Error((r.stderr + r.stdout).trim());
      return true;
    },
    200,
  );
}

describe(`the self-hosted tree's etcd members, from dist/bootkube/masters/ (${choice.mode} mode)`, () => {
  let lab: Lab;
  let tmp: string;
  let root: string;
  let launches: EtcdLaunch[];
  const members: Array<Daemon | undefined> = [];
  let bootstrapClient: ApiServerEtcdClient;
  let selfHostedClient: ApiServerEtcdClient;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-e2e-bootkube-'));
    lab = await Lab.create(MASTERS, choice);
    const input: ClusterSpec = {
      name: 'e2e-bootkube',
      etcdVersion: '3.5.21',
      masters: lab.masterIps.map((ip, i) => ({ name: `master${i}`, ip })),
      apiEndpoint: { host: lab.endpointHost, port: 443 },
      apiServerPort: 443,
      loadBalancer: { type: 'kube-vip', kubeVip: { vip: lab.endpointHost } },
    };
    const spec = resolveSpec(input);
    // The fast test PKI: etcd's TLS needs valid certificates, not secret ones.
    synthBootkube(spec, ClusterPki.forTesting(spec), path.join(tmp, 'dist'), {
      encryptionKey: Buffer.alloc(32, 7).toString('base64'),
    });
    root = path.join(tmp, 'dist', 'bootkube');
    launches = spec.masters.map((m) =>
      etcdLaunch(
        readManifest(path.join(root, 'masters', m.name, 'etcd.yaml')),
        path.join(root, 'masters', m.name),
        path.join(tmp, 'hosts', m.name),
        { loopback: lab.mode === 'loopback' },
      ),
    );

    ({ bootstrap: bootstrapClient, selfHosted: selfHostedClient } = apiServerEtcdClients(
      lab,
      root,
      path.join(tmp, 'secret'),
    ));
  }, 60_000);

  afterAll(async () => {
    try {
      await killAll(members);
    } finally {
      await lab?.destroy();
    }
    if (tmp && process.env.HACP_E2E_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  const start = () =>
    launches.forEach((l, i) => {
      members[i] = new Daemon(`etcd master${i}`, lab.on(i, l.argv), {}, path.join(tmp, `etcd-master${i}.log`));
    });

  test("a master's folder holds exactly what its etcd member needs: it boots from it alone", () => {
    for (const [i, launch] of launches.entries()) {
      for (const [name, value] of Object.entries(launch.manifestEnv)) {
        if (!value.startsWith('/etc/kubernetes')) continue;
        expect({ name, exists: fs.existsSync(launch.env[name]) }).toEqual({ name, exists: true });
        expect(launch.env[name].startsWith(path.join(root, 'masters', `master${i}`))).toBe(true);
      }
    }
  });

  test("the bootstrap API server's etcd client (tls/, from the first master) reaches a healthy 3-member cluster and writes", async () => {
    start();
    await healthy(bootstrapClient, 0, members);
    expect(bootstrapClient.endpoints).toEqual(lab.masterIps.map((ip) => `https://${ip}:2379`));
    expect(
      (
        await bootstrapClient.ctl.ok(0, bootstrapClient.endpoints, [
          'put',
          '/registry/e2e/bootstrap',
          'written before the pivot',
        ])
      ).trim(),
    ).toBe('OK');
  }, 40_000);

  test("the self-hosted API server's etcd client (its Secret, from another master) reads what the bootstrap one wrote", async () => {
    expect(selfHostedClient.endpoints).toEqual(bootstrapClient.endpoints);
    const out = await selfHostedClient.ctl.ok(1, selfHostedClient.endpoints, [
      'get',
      '/registry/e2e/bootstrap',
      '--print-value-only',
    ]);
    expect(out.trim()).toBe('written before the pivot');
  }, 20_000);

  test('every member killed at once, restarted from the same manifests: the data is still there', async () => {
    await killAll(members);
    start();
    await healthy(selfHostedClient, 2, members);
    const out = await selfHostedClient.ctl.ok(2, selfHostedClient.endpoints, [
      'get',
      '/registry/e2e/bootstrap',
      '--print-value-only',
    ]);
    expect(out.trim()).toBe('written before the pivot');
  }, 40_000);
});

describe(`an external etcd (etcd.external): no etcd pods, the API servers dial it with its own CA and client pair (${choice.mode} mode)`, () => {
  let lab: Lab;
  let tmp: string;
  let root: string;
  let etcd: Daemon | undefined;
  let clients: ReturnType<typeof apiServerEtcdClients>;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-e2e-external-etcd-'));
    lab = await Lab.create(MASTERS, choice);
    // The operator's etcd: its own CA (not the cluster's), a serving certificate for the switch host's address, a client
    // certificate for the API servers. Relative paths in the spec, resolved against the working directory (tmp).
    const ext = path.join(tmp, 'etcd');
    fs.mkdirSync(ext, { mode: 0o700 });
    const f = (n: string) => path.join(ext, n);
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
      '2',
      '-subj',
      '/CN=ansible-etcd-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,digitalSignature',
    ]);
    for (const [name, cn, ext2] of [
      ['server', 'etcd', `subjectAltName=IP:${lab.endpointHost}\nextendedKeyUsage=serverAuth,clientAuth`],
      ['client', 'kube-apiserver-etcd-client', 'extendedKeyUsage=clientAuth'],
    ]) {
      await runOk([
        openssl,
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f(`${name}.key`),
        '-out',
        f(`${name}.csr`),
        '-subj',
        `/CN=${cn}`,
      ]);
      fs.writeFileSync(
        f(`${name}.ext`),
        `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n${ext2}\n`,
      );
      await runOk([
        openssl,
        'x509',
        '-req',
        '-in',
        f(`${name}.csr`),
        '-CA',
        f('ca.crt'),
        '-CAkey',
        f('ca.key'),
        '-CAcreateserial',
        '-out',
        f(`${name}.crt`),
        '-days',
        '2',
        '-extfile',
        f(`${name}.ext`),
      ]);
    }
    const endpoint = `https://${lab.endpointHost}:2379`;
    const input: ClusterSpec = {
      name: 'e2e-external',
      masters: lab.masterIps.map((ip, i) => ({ name: `master${i}`, ip })),
      apiEndpoint: { host: lab.masterIps[0], port: 443 },
      apiServerPort: 443,
      etcd: {
        external: {
          endpoints: [endpoint],
          caFile: 'etcd/ca.crt',
          certFile: 'etcd/client.crt',
          keyFile: 'etcd/client.key',
        },
      },
    };
    const spec = resolveSpec(input);
    const externalEtcd = readExternalEtcd(spec, { cwd: tmp })!;
    synthBootkube(spec, ClusterPki.forTesting(spec), path.join(tmp, 'dist'), {
      encryptionKey: Buffer.alloc(32, 7).toString('base64'),
      externalEtcd,
    });
    root = path.join(tmp, 'dist', 'bootkube');
    clients = apiServerEtcdClients(lab, root, path.join(tmp, 'secret'));
    const data = path.join(tmp, 'etcd-data');
    etcd = new Daemon(
      'external etcd',
      lab.on('switch', [
        tool('env'),
        '-i',
        tool('etcd'),
        '--name=external',
        `--data-dir=${data}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=http://127.0.0.1:2390`,
        `--initial-advertise-peer-urls=http://127.0.0.1:2390`,
        '--initial-cluster=external=http://127.0.0.1:2390',
        `--cert-file=${f('server.crt')}`,
        `--key-file=${f('server.key')}`,
        `--trusted-ca-file=${f('ca.crt')}`,
        '--client-cert-auth',
      ]),
      {},
      path.join(tmp, 'etcd.log'),
    );
  }, 60_000);

  afterAll(async () => {
    try {
      await killAll([etcd]);
    } finally {
      await lab?.destroy();
    }
    if (tmp && process.env.HACP_E2E_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  test("the tree runs no etcd: the masters' folders hold kube-vip at most (here: none at all)", () => {
    expect(fs.existsSync(path.join(root, 'masters'))).toBe(false);
    expect(fs.readFileSync(path.join(root, 'tls/etcd-client-ca.crt'), 'utf8')).toBe(
      fs.readFileSync(path.join(tmp, 'etcd/ca.crt'), 'utf8'),
    );
  });

  test("both API servers' etcd clients reach it: the bootstrap one writes from the first master, the self-hosted one reads from another", async () => {
    await healthy(clients.bootstrap, 0, [etcd]);
    expect(clients.bootstrap.endpoints).toEqual([`https://${lab.endpointHost}:2379`]);
    expect(
      (
        await clients.bootstrap.ctl.ok(0, clients.bootstrap.endpoints, [
          'put',
          '/registry/e2e/external',
          'kept outside',
        ])
      ).trim(),
    ).toBe('OK');
    const out = await clients.selfHosted.ctl.ok(1, clients.selfHosted.endpoints, [
      'get',
      '/registry/e2e/external',
      '--print-value-only',
    ]);
    expect(out.trim()).toBe('kept outside');
  }, 40_000);
});
