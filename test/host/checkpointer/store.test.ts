/** The checkpoint store on a real filesystem (a temp directory standing for /). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import {
  CheckpointStore,
  HostLayout,
  PreparedCheckpoint,
  acquireCheckpointerLock,
  prepareCheckpoint,
  selectParent,
} from '../../../lib/host/checkpointer';
import { apiServerObjects, fakeApiServerPod, fakeApiServerSecret } from './_fakes';

const { daemonSet, secret, configMap } = apiServerObjects();
function prepared(secretOverrides: Record<string, string> = {}): PreparedCheckpoint {
  const parent = selectParent(
    [fakeApiServerPod(daemonSet, 'master01', 'uid-1', { name: 'kube-apiserver-abcde' })],
    'master01',
    'kube-apiserver',
  )!;
  return prepareCheckpoint(
    parent,
    {
      secrets: { 'kube-apiserver': fakeApiServerSecret(secret, secretOverrides) },
      configMaps: { 'kube-apiserver-config': configMap },
    },
    'kube-apiserver',
  );
}
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('CheckpointStore', () => {
  let root: string;
  let store: CheckpointStore;
  let dir: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-ckpt-store-'));
    store = new CheckpointStore(new HostLayout(root), 'kube-system', 'kube-apiserver');
    dir = path.join(root, 'etc/kubernetes/checkpoints/kube-system/kube-apiserver');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a generation: 0700 directories, 0600 files, the pod naming its own directory, digests that verify', () => {
    const p = prepared();
    expect(store.write(p, new Date('2026-03-01T00:00:00Z'))).toBe('gen-000001');
    const gen = path.join(dir, 'gen-000001');
    for (const d of [
      'etc/kubernetes/checkpoints',
      'etc/kubernetes/checkpoints/kube-system',
      'etc/kubernetes/checkpoints/kube-system/kube-apiserver',
    ])
      expect(mode(path.join(root, d))).toBe(0o700);
    for (const d of ['', 'volumes', 'volumes/secrets', 'volumes/config']) expect(mode(path.join(gen, d))).toBe(0o700);
    const files = [...p.files.map((f) => f.path), 'pod.yaml', 'checkpoint.json'];
    for (const f of files) expect(mode(path.join(gen, f))).toBe(0o600);
    expect(fs.readFileSync(path.join(gen, 'volumes/secrets/apiserver.key'), 'utf8')).toBe(
      secret.stringData['apiserver.key'],
    );
    const pod = parse(fs.readFileSync(path.join(gen, 'pod.yaml'), 'utf8'));
    expect(pod.spec.volumes[0].hostPath.path).toBe(
      '/etc/kubernetes/checkpoints/kube-system/kube-apiserver/gen-000001/volumes/secrets',
    );
    expect(fs.readFileSync(path.join(gen, 'pod.yaml'), 'utf8')).toMatch(
      /^# Checkpoint of DaemonSet kube-system\/kube-apiserver \(made from pod kube-apiserver-abcde, uid uid-1\)/,
    );
    expect(store.inspect()).toMatchObject({
      good: { generation: 'gen-000001', digest: p.digest },
      corrupt: [],
      active: undefined,
    });
  });

  test('a new checkpoint is a new generation; the old one stays until gc keeps only the newest two (and the active one)', () => {
    store.write(prepared());
    store.activate('gen-000001');
    store.write(prepared({ 'apiserver.crt': 'v2' }));
    store.write(prepared({ 'apiserver.crt': 'v3' }));
    store.write(prepared({ 'apiserver.crt': 'v4' }));
    expect(store.inspect().good?.generation).toBe('gen-000004');
    expect(store.gc()).toEqual(['gen-000002']);
    expect(fs.readdirSync(dir).sort()).toEqual(['gen-000001', 'gen-000003', 'gen-000004']);
    store.deactivate();
    expect(store.gc()).toEqual(['gen-000001']);
  });

  test("activation copies the generation's pod byte for byte into the static pod directory (0600); deactivation removes only it", () => {
    store.write(prepared());
    const other = path.join(root, 'etc/kubernetes/manifests/etcd.yaml');
    fs.mkdirSync(path.dirname(other), { recursive: true });
    fs.writeFileSync(other, 'etcd');
    store.activate('gen-000001');
    const manifest = path.join(root, 'etc/kubernetes/manifests/kube-apiserver-checkpoint.yaml');
    expect(fs.readFileSync(manifest, 'utf8')).toBe(fs.readFileSync(path.join(dir, 'gen-000001/pod.yaml'), 'utf8'));
    expect(mode(manifest)).toBe(0o600);
    expect(store.inspect().active).toEqual({ generation: 'gen-000001', intact: true });
    // no temp file left where the kubelet looks
    expect(fs.readdirSync(path.dirname(manifest)).sort()).toEqual(['etcd.yaml', 'kube-apiserver-checkpoint.yaml']);
    expect(store.deactivate()).toBe(true);
    expect(store.deactivate()).toBe(false);
    expect(fs.readdirSync(path.dirname(manifest))).toEqual(['etcd.yaml']);
  });

  test('corruption is detected: a changed byte, a missing file, a damaged or forged checkpoint.json, a truncated pod', () => {
    const damage: Array<[string, (gen: string) => void, RegExp]> = [
      [
        'flipped key byte',
        (g) => fs.appendFileSync(path.join(g, 'volumes/secrets/apiserver.key'), 'x'),
        /volumes\/secrets\/apiserver.key does not match its digest/,
      ],
      [
        'missing file',
        (g) => fs.rmSync(path.join(g, 'volumes/config/audit-policy.yaml')),
        /volumes\/config\/audit-policy.yaml is missing/,
      ],
      [
        'empty metadata (power loss)',
        (g) => fs.writeFileSync(path.join(g, 'checkpoint.json'), ''),
        /checkpoint.json is unreadable/,
      ],
      [
        'forged digest',
        (g) => {
          const meta = JSON.parse(fs.readFileSync(path.join(g, 'checkpoint.json'), 'utf8'));
          meta.files['pod.yaml'] = `sha256:${'0'.repeat(64)}`;
          fs.writeFileSync(path.join(g, 'checkpoint.json'), JSON.stringify(meta));
        },
        /does not match its integrity digest/,
      ],
      [
        'truncated pod',
        (g) => fs.writeFileSync(path.join(g, 'pod.yaml'), 'apiVersion: v1\n'),
        /pod.yaml does not match its digest/,
      ],
    ];
    for (const [what, hurt, reason] of damage) {
      fs.rmSync(dir, { recursive: true, force: true });
      store.write(prepared());
      store.write(prepared({ 'apiserver.crt': 'v2' }));
      hurt(path.join(dir, 'gen-000002'));
      const s = store.inspect();
      expect({ what, good: s.good?.generation }).toEqual({ what, good: 'gen-000001' });
      expect(s.corrupt).toEqual([{ generation: 'gen-000002', reason: expect.stringMatching(reason) }]);
      expect(() => store.activate('gen-000002')).toThrow(/refusing to activate gen-000002/);
      store.discard(['gen-000002']);
      expect(fs.readdirSync(dir)).toEqual(['gen-000001']);
    }
  });

  test('an edited active manifest is reported as damaged; the generation it names is never discarded', () => {
    store.write(prepared());
    store.activate('gen-000001');
    fs.appendFileSync(path.join(root, 'etc/kubernetes/manifests/kube-apiserver-checkpoint.yaml'), '# edited\n');
    expect(store.inspect().active).toEqual({ generation: 'gen-000001', intact: false });
    fs.appendFileSync(path.join(dir, 'gen-000001/pod.yaml'), '# edited\n');
    expect(store.inspect().corrupt).toHaveLength(1);
    store.discard(['gen-000001']);
    expect(fs.existsSync(path.join(dir, 'gen-000001'))).toBe(true);
  });

  test('a write that crashed half-way leaves a temp directory nobody activates; the next write and gc clean up', () => {
    store.write(prepared());
    fs.mkdirSync(path.join(dir, '.tmp-gen-000002/volumes'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.tmp-gen-000002/pod.yaml'), 'partial');
    expect(store.inspect().generations.map((g) => g.generation)).toEqual(['gen-000001']);
    expect(store.write(prepared({ 'apiserver.crt': 'v2' }))).toBe('gen-000003');
    store.gc();
    expect(fs.readdirSync(dir).sort()).toEqual(['gen-000001', 'gen-000003']);
  });

  test('removeAll deletes every generation', () => {
    store.write(prepared());
    store.removeAll();
    expect(store.inspect()).toMatchObject({ good: undefined, generations: [] });
  });

  test('one checkpointer per root: a live holder is refused, a stale lock (dead pid) taken over', () => {
    const layout = new HostLayout(root);
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const release = acquireCheckpointerLock(layout);
    const lock = path.join(root, 'etc/kubernetes/checkpoints/.lock');
    expect(fs.readFileSync(lock, 'utf8')).toBe(`${process.pid} ${boot}\n`);
    release();
    expect(fs.existsSync(lock)).toBe(false);
    fs.writeFileSync(lock, `${process.ppid} ${boot}\n`); // the jest worker's parent: alive, this boot
    expect(() => acquireCheckpointerLock(layout)).toThrow(`another checkpointer (pid ${process.ppid}) holds ${lock}`);
    fs.writeFileSync(lock, `2147483646 ${boot}\n`); // no such process
    acquireCheckpointerLock(layout)();
    // after a reboot the old PID may belong to anything: a lock of another boot is stale even if that PID lives
    fs.writeFileSync(lock, `${process.ppid} 00000000-0000-0000-0000-000000000000\n`);
    acquireCheckpointerLock(layout)();
  });
});
