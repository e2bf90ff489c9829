/**
 * The checkpointer's runner (`Checkpointer`, `hacp checkpointer run`) end to end on this machine: a temp directory
 * stands for /, with the fixture PKI's kubelet credentials; FAKE API servers (https on 127.0.0.1, a FAKE Node
 * authorizer) stand for this master's and a peer's API server; a FAKE crictl stands for the container runtime. The
 * real HTTPS client, store, state machine and CLI run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClusterPki } from '../../../lib/pki';
import { writeFilesAtomic } from '../../../lib/util';
import { Checkpointer, CrictlRuntime, HostLayout, loadKubeletCredentials } from '../../../lib/host/checkpointer';
import { fixturePki } from '../../support/fixture-pki';
import { hacp } from '../../support/hacp';
import { FakeCrictlState, fakeCrictl } from './_fake-crictl';
import { FakeNodeApiServer } from './_fake-node-api';
import { apiServerObjects, fakeApiServerPod, fakeApiServerSecret } from './_fakes';

const NODE = 'master0';
const { daemonSet, secret, configMap } = apiServerObjects();

/** Lays out the node's files under `root` as `hacp kubelet-unit` installs them: kubelet.conf, the CA, the kubelet's pairs. */
function installKubeletIdentity(root: string, pki: ClusterPki): void {
  const master = pki.masterFiles(NODE);
  writeFilesAtomic(
    path.join(root, 'etc/kubernetes'),
    master.filter((f) => ['pki/ca.crt', 'kubelet.conf'].includes(f.path)),
  );
  writeFilesAtomic(root, pki.kubeletFiles(NODE));
}

function serverTls(pki: ClusterPki, master = NODE) {
  const files = pki.masterFiles(master);
  const get = (p: string) => files.find((f) => f.path === p)!.content;
  return { cert: get('pki/apiserver.crt'), key: get('pki/apiserver.key'), ca: get('pki/ca.crt') };
}

describe('checkpointer runner against FAKE API servers and a FAKE crictl', () => {
  let pki: ClusterPki;
  let root: string;
  let api: FakeNodeApiServer;
  let peer: FakeNodeApiServer;
  let crictl: ReturnType<typeof fakeCrictl>;
  let logs: string[];
  const parentPod = fakeApiServerPod(daemonSet, NODE, 'uid-parent', { name: 'kube-apiserver-p4r3n' });
  const runningParent: FakeCrictlState = {
    containers: [{ name: 'kube-apiserver', podName: 'kube-apiserver-p4r3n', podUid: 'uid-parent' }],
    sandboxes: [{ name: 'kube-apiserver-p4r3n', uid: 'uid-parent' }],
  };

  beforeAll(async () => {
    pki = await fixturePki();
  });

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-ckpt-run-'));
    installKubeletIdentity(root, pki);
    api = new FakeNodeApiServer(serverTls(pki));
    peer = new FakeNodeApiServer(serverTls(pki, 'master1'));
    await api.start();
    await peer.start();
    for (const s of [api, peer]) {
      s.pods.push(parentPod);
      s.secrets.set('kube-apiserver', fakeApiServerSecret(secret));
      s.secrets.set('unrelated', fakeApiServerSecret(secret));
      s.configMaps.set('kube-apiserver-config', configMap);
    }
    crictl = fakeCrictl(path.join(root, 'bin'), runningParent);
    logs = [];
  });

  afterEach(async () => {
    await api.stop();
    await peer.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const checkpointer = (timings = {}, extra = {}) =>
    new Checkpointer({
      node: NODE,
      port: api.port,
      peers: [`https://127.0.0.1:${peer.port}`],
      root,
      runtime: new CrictlRuntime({ crictl: crictl.bin }),
      timings: { activateAfterMs: 0, handoverAfterMs: 0, handoverTimeoutMs: 0, parentGraceMs: 0, ...timings },
      requestTimeoutMs: 15_000,
      log: (level, message) => logs.push(`${level}: ${message}`),
      ...extra,
    });
  const manifest = () => path.join(root, 'etc/kubernetes/manifests/kube-apiserver-checkpoint.yaml');
  const gens = () => fs.readdirSync(path.join(root, 'etc/kubernetes/checkpoints/kube-system/kube-apiserver')).sort();

  test("steady state: the parent and exactly the Secret and ConfigMap it mounts are read with the kubelet's identity; one checkpoint", async () => {
    const c = checkpointer();
    await c.tick();
    expect(gens()).toEqual(['gen-000001']);
    expect(logs).toContainEqual(
      expect.stringMatching(/^info: wrote checkpoint gen-000001 \(sha256:[0-9a-f]{12}…\) from kube-apiserver-p4r3n$/),
    );
    await c.tick();
    expect(gens()).toEqual(['gen-000001']);
    const reads = api.requests.filter((r) => r.path !== '/readyz');
    expect([...new Set(reads.map((r) => r.path))]).toEqual([
      '/api/v1/namespaces/kube-system/pods?fieldSelector=spec.nodeName%3Dmaster0',
      '/api/v1/namespaces/kube-system/secrets/kube-apiserver',
      '/api/v1/namespaces/kube-system/configmaps/kube-apiserver-config',
    ]);
    expect(new Set(reads.map((r) => `${r.user} ${r.status}`))).toEqual(new Set(['system:node:master0 200']));
    // crictl exactly as documented
    expect(crictl.calls()[0]).toEqual([
      '--runtime-endpoint',
      'unix:///run/containerd/containerd.sock',
      'ps',
      '--name',
      'kube-apiserver',
      '--state',
      'running',
      '-o',
      'json',
    ]);
    expect(crictl.calls()[1]).toEqual([
      '--runtime-endpoint',
      'unix:///run/containerd/containerd.sock',
      'pods',
      '--namespace',
      'kube-system',
      '--state',
      'ready',
      '-o',
      'json',
    ]);
    const pod = fs.readFileSync(
      path.join(root, 'etc/kubernetes/checkpoints/kube-system/kube-apiserver/gen-000001/pod.yaml'),
      'utf8',
    );
    expect(pod).toContain('path: /etc/kubernetes/checkpoints/kube-system/kube-apiserver/gen-000001/volumes/secrets');
    expect(fs.existsSync(manifest())).toBe(false);
  });

  test('a rotated Secret in the API becomes a new generation at the next round', async () => {
    const c = checkpointer();
    await c.tick();
    api.secrets.set('kube-apiserver', fakeApiServerSecret(secret, { 'apiserver.crt': 'rotated' }));
    await c.tick();
    expect(gens()).toEqual(['gen-000001', 'gen-000002']);
    expect(
      fs.readFileSync(
        path.join(
          root,
          'etc/kubernetes/checkpoints/kube-system/kube-apiserver/gen-000002/volumes/secrets/apiserver.crt',
        ),
        'utf8',
      ),
    ).toBe('rotated');
  });

  test('full outage: no API answers, no API server runs -> the checkpoint is activated; API back with a peer and the kubelet holding the parent -> handed over', async () => {
    const c = checkpointer();
    await c.tick();
    api.ready = false;
    peer.ready = false;
    crictl.set({ containers: [], sandboxes: [] });
    await c.tick(); // starts the activateAfter clock (0 here) ...
    expect(c.state?.phase).toBe('active');
    expect(fs.readFileSync(manifest(), 'utf8')).toBe(
      fs.readFileSync(
        path.join(root, 'etc/kubernetes/checkpoints/kube-system/kube-apiserver/gen-000001/pod.yaml'),
        'utf8',
      ),
    );
    expect(fs.statSync(manifest()).mode & 0o777).toBe(0o600);
    expect(logs).toContain(`info: activated checkpoint gen-000001: ${manifest()}`);
    // the checkpoint serves; the kubelet got the DaemonSet's pod from the API and has a sandbox for it
    api.ready = true;
    peer.ready = true;
    crictl.set({
      containers: [{ name: 'kube-apiserver', podName: `kube-apiserver-checkpoint-${NODE}`, podUid: 'uid-static' }],
      sandboxes: [
        { name: 'kube-apiserver-p4r3n', uid: 'uid-parent' },
        { name: `kube-apiserver-checkpoint-${NODE}`, uid: 'uid-static' },
      ],
    });
    await c.tick();
    expect(c.state?.phase).toBe('handover');
    expect(fs.existsSync(manifest())).toBe(false);
    crictl.set(runningParent);
    await c.tick();
    expect(c.state?.phase).toBe('inactive');
    expect(gens()).toEqual(['gen-000001']); // the generation stays for the next time
  });

  test('a hung API server counts as down (bounded wait); a failing crictl blocks activation and says so', async () => {
    await checkpointer().tick();
    expect(gens()).toEqual(['gen-000001']);
    // A short request timeout only where nothing answers anyway: the assertion is about the outcome, not the timing.
    const c = checkpointer({}, { requestTimeoutMs: 1000 });
    api.hang = true;
    peer.hang = true;
    crictl.set({ containers: [], sandboxes: [], fail: true });
    await c.tick();
    await c.tick();
    expect(fs.existsSync(manifest())).toBe(false);
    expect(logs).toContainEqual(
      expect.stringMatching(
        /^warning: no API server answers, but the container runtime cannot be asked \(.*crictl --runtime-endpoint unix:\/\/\/run\/containerd\/containerd.sock ps .*FAKE: connect: no such file or directory"\); not starting the checkpoint$/,
      ),
    );
    expect(logs.filter((l) => l.includes('cannot be asked'))).toHaveLength(1); // said once, not every round
  });

  test("credentials: the kubelet's rotated pair wins over kubelet.conf; a missing CA is named and nothing is started", async () => {
    const layout = new HostLayout(root);
    expect(loadKubeletCredentials(layout).source).toBe('/etc/kubernetes/kubelet.conf');
    const [crt, key] = ['kubelet-client.crt', 'kubelet-client.key'].map((f) =>
      fs.readFileSync(path.join(root, 'var/lib/kubelet/pki', f), 'utf8'),
    );
    fs.writeFileSync(path.join(root, 'var/lib/kubelet/pki/kubelet-client-current.pem'), `${crt}${key}`, {
      mode: 0o600,
    });
    const current = loadKubeletCredentials(layout);
    expect(current).toMatchObject({
      source: '/var/lib/kubelet/pki/kubelet-client-current.pem',
      cert: expect.stringContaining('BEGIN CERTIFICATE'),
      key: expect.stringContaining('PRIVATE KEY'),
    });
    const c = checkpointer();
    await c.tick();
    expect(gens()).toEqual(['gen-000001']); // the rotated pair authenticates

    fs.rmSync(path.join(root, 'etc/kubernetes/pki/ca.crt'));
    expect(() => loadKubeletCredentials(layout)).toThrow(
      `${path.join(root, 'etc/kubernetes/pki/ca.crt')} (the cluster CA): missing`,
    );
    crictl.set({ containers: [], sandboxes: [] });
    await c.tick();
    await c.tick();
    expect(fs.existsSync(manifest())).toBe(false);
    expect(logs).toContainEqual(
      expect.stringMatching(
        /^error: cannot ask the API servers \(.*ca.crt \(the cluster CA\): missing\); nothing is started or changed until this is fixed$/,
      ),
    );
  });

  test('the FAKE Node authorizer refuses what the checkpointer never needs', async () => {
    // (guards the FAKE itself: the least-privilege assertions above would be empty otherwise)
    const creds = loadKubeletCredentials(new HostLayout(root));
    const { apiGet } = await import('../../../lib/host/checkpointer');
    const base = `https://127.0.0.1:${api.port}`;
    expect(await apiGet(base, '/api/v1/namespaces/kube-system/pods', creds, 15_000)).toMatchObject({ status: 403 });
    expect(await apiGet(base, '/api/v1/namespaces/kube-system/secrets/unrelated', creds, 15_000)).toMatchObject({
      status: 403,
    });
    expect(await apiGet(base, '/api/v1/namespaces/kube-system/secrets/kube-apiserver', creds, 15_000)).toMatchObject({
      status: 200,
    });
  });

  test('hacp checkpointer run --once and status, as the unit runs them', async () => {
    const args = [
      'checkpointer',
      'run',
      '--once',
      `--root=${root}`,
      `--node=${NODE}`,
      `--port=${api.port}`,
      `--peer=https://127.0.0.1:${peer.port}`,
      `--crictl=${crictl.bin}`,
      '--request-timeout=15',
    ];
    const r = await hacp(args);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/checkpointing kube-apiserver-p4r3n \(first checkpoint\)\n.*wrote checkpoint gen-000001/s);
    const status = await hacp(['checkpointer', 'status', `--root=${root}`]);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(
      /^checkpoints of kube-system\/kube-apiserver in \/etc\/kubernetes\/checkpoints\/kube-system\/kube-apiserver:\n {2}gen-000001 {2}ok {2}\S+ {2}from kube-apiserver-p4r3n {2}\(newest good\)\nactive: no/,
    );
    const json = JSON.parse((await hacp(['checkpointer', 'status', `--root=${root}`, '--json'])).out);
    expect(json.generations).toEqual([expect.objectContaining({ generation: 'gen-000001', ok: true })]);
    // a round with an error (no cluster CA) exits 1
    const noCa = path.join(root, 'no-ca');
    const broken = await hacp([
      'checkpointer',
      'run',
      '--once',
      `--root=${noCa}`,
      `--node=${NODE}`,
      `--port=${api.port}`,
      `--crictl=${crictl.bin}`,
    ]);
    expect(broken).toEqual({
      code: 1,
      out: '',
      err: `error: cannot ask the API servers (${path.join(noCa, 'etc/kubernetes/pki/ca.crt')} (the cluster CA): missing); nothing is started or changed until this is fixed\n`,
    });
    const empty = await hacp(['checkpointer', 'status', `--root=${path.join(root, 'nothing')}`]);
    expect(empty).toMatchObject({ code: 1, out: expect.stringContaining('  none\n') });
  });

  test('hacp checkpointer run: bad flags and a second instance fail with one line, exit 1', async () => {
    const base = ['checkpointer', 'run', '--once', `--root=${root}`, `--node=${NODE}`, `--crictl=${crictl.bin}`];
    expect(await hacp([...base, '--port=0'])).toEqual({
      code: 1,
      out: '',
      err: 'error: --port: "0" is not a TCP port\n',
    });
    expect(await hacp([...base, '--port=6443', '--interval=soon'])).toEqual({
      code: 1,
      out: '',
      err: 'error: --interval: "soon" is not a number of seconds >= 1\n',
    });
    expect(await hacp([...base, '--port=6443', '--peer=http://10.0.0.1:6443'])).toEqual({
      code: 1,
      out: '',
      err: 'error: --peer: "http://10.0.0.1:6443" must be https://<host>:<port>\n',
    });
    expect(await hacp([...base, '--port=6443', '--node=Not_A_Node'])).toEqual({
      code: 1,
      out: '',
      err: 'error: --node: "Not_A_Node" is not a node name\n',
    });
    fs.mkdirSync(path.join(root, 'etc/kubernetes/checkpoints'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'etc/kubernetes/checkpoints/.lock'),
      `${process.ppid} ${fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}\n`,
    );
    const locked = await hacp([...base, `--port=${api.port}`]);
    expect(locked).toEqual({
      code: 1,
      out: '',
      err: `error: another checkpointer (pid ${process.ppid}) holds ${path.join(root, 'etc/kubernetes/checkpoints/.lock')}\n`,
    });
  });
});
