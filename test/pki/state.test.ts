import { execFileSync } from 'child_process';
import { X509Certificate, createHash, createPrivateKey } from 'crypto';
import * as fs from 'fs';
// Spies go on the real module object (the `import * as` namespace only has getters).
const nodeFs: typeof import('fs') = require('fs');
const nodeCrypto: typeof import('crypto') = require('crypto');
import * as os from 'os';
import * as path from 'path';
import { ClusterPki, PkiError } from '../../lib/pki';
import { writeFilesAtomic } from '../../lib/util';
import { JOURNAL_FILE } from '../../lib/pki/_state';
import { writeFileAtomic } from '../../lib/util/files';
import { ClusterSpec, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { fixturePki, seedPkiState } from '../support/fixture-pki';

const spec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
let fixture: ClusterPki;
let root: string;
beforeAll(async () => {
  fixture = await fixturePki(spec);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-pki-state-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

let n = 0;
/** A state dir holding the fixture PKI. */
function seeded(): string {
  const dir = path.join(root, `s${n++}`);
  seedPkiState(dir, fixture);
  return dir;
}

/** Every file under `dir` → sha256 + mode (what "byte for byte" and "file modes" compare). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = `${createHash('sha256').update(fs.readFileSync(p)).digest('hex').slice(0, 12)} 0${(fs.statSync(p).mode & 0o777).toString(8)}`;
    }
  };
  walk(dir);
  return out;
}

async function ensure(dir: string, s: ClusterSpec = spec, extra: { now?: Date; force?: boolean; byoCaDir?: string } = {}) {
  const lines: string[] = [];
  const pki = await ClusterPki.ensure(s, { dir, log: (l) => lines.push(l), ...extra });
  return { pki, lines };
}

const DAY = 86_400_000;
const small = resolveSpec({ name: 'small', masters: [{ name: 'm1', ip: '10.0.0.1' }] });

describe('cold start, idempotence, modes, locking', () => {
  test('two concurrent cold runs make one PKI; a third run changes nothing, byte for byte', async () => {
    const dir = path.join(root, 'cold');
    const [a, b] = await Promise.all([ensure(dir, small), ensure(dir, small)]);
    expect(a.pki.snapshot()).toEqual(b.pki.snapshot()); // one CA, not two
    const [writer, waiter] = a.lines.length ? [a, b] : [b, a];
    expect(writer.lines).toContain('created CA ca (CN=kubernetes, 3650 days): not in the state directory');
    expect(writer.lines).toContain('issued apiserver (m1): not in the state directory');
    expect(waiter.lines).toEqual([]);

    const before = tree(dir);
    const mtimes = fs.statSync(path.join(dir, 'ca.key')).mtimeMs;
    const again = await ensure(dir, small);
    expect(again.lines).toEqual([]);
    expect(tree(dir)).toEqual(before);
    expect(fs.statSync(path.join(dir, 'ca.key')).mtimeMs).toBe(mtimes);
    expect(again.pki.masterFiles('m1')).toEqual(a.pki.masterFiles('m1'));

    // Modes: state dir and subdirs 0700, keys 0600, certificates 0644; no journal, lock or temp file left.
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const d of ['nodes', 'nodes/m1', 'etcd', 'kubeconfig', 'bootkube']) expect([d, fs.statSync(path.join(dir, d)).mode & 0o777]).toEqual([d, 0o700]);
    for (const [file, desc] of Object.entries(before)) {
      expect([file, desc.split(' ')[1]]).toEqual([file, file.endsWith('.key') || file === '.verified.json' ? '0600' : '0644']);
    }
    expect(Object.keys(before).filter((f) => /(^|\/)\./.test(f))).toEqual(['.verified.json']); // no journal, lock or temp file
    expect(Object.keys(before)).toHaveLength(2 * 17 + 2 + 1); // 17 certificates and keys, sa.key, sa.pub, .verified.json

    // Pairs checked once are not parsed again while their bytes are unchanged...
    const parse = jest.spyOn(nodeCrypto, 'createPrivateKey');
    expect((await ensure(dir, small)).lines).toEqual([]);
    expect(parse).not.toHaveBeenCalled();
    // ...and a changed file is checked in full again.
    fs.copyFileSync(path.join(dir, 'nodes/m1/scheduler.key'), path.join(dir, 'nodes/m1/controller-manager.key'));
    await expect(ensure(dir, small)).rejects.toThrow('nodes/m1/controller-manager.key does not match nodes/m1/controller-manager.crt');
    expect(parse).toHaveBeenCalled();
  }, 120_000);

  test('a warm run reads and checks everything without writing', async () => {
    const dir = seeded();
    fs.chmodSync(dir, 0o700);
    // A state without .verified.json (made by an older version, or restored by hand): the first warm run checks
    // every pair and records the digests, and writes nothing else.
    expect(fs.existsSync(path.join(dir, '.verified.json'))).toBe(false);
    const before = tree(dir);
    const first = await ensure(dir);
    expect(first.lines).toEqual([]);
    const { '.verified.json': verified, ...rest } = tree(dir);
    expect(verified).toMatch(/ 0600$/);
    expect(rest).toEqual(before);

    const recorded = tree(dir);
    const writes = jest.spyOn(nodeFs, 'writeSync');
    const parse = jest.spyOn(nodeCrypto, 'createPrivateKey');
    const { lines, pki } = await ensure(dir);
    expect(lines).toEqual([]);
    expect(writes).not.toHaveBeenCalled();
    expect(parse).not.toHaveBeenCalled(); // the recorded pairs are trusted
    expect(tree(dir)).toEqual(recorded);
    expect(pki.snapshot()).toEqual(fixture.snapshot());
  });

  test('a key readable by others is tightened to 0600, and said so', async () => {
    const dir = seeded();
    fs.chmodSync(path.join(dir, 'nodes/master1/apiserver.key'), 0o644);
    const { lines } = await ensure(dir);
    expect(lines).toEqual(['changed the mode of nodes/master1/apiserver.key from 0644 to 0600']);
    expect(fs.statSync(path.join(dir, 'nodes/master1/apiserver.key')).mode & 0o777).toBe(0o600);
  });
});

describe('re-issue only what changed', () => {
  test('an extra SAN re-issues the apiserver certificates and nothing else', async () => {
    const dir = seeded();
    const before = tree(dir);
    const { lines, pki } = await ensure(dir, { ...STATIC_EXAMPLE_CLUSTER, extraCertSans: ['api.example.com'] });
    expect(lines.sort()).toEqual([
      'issued apiserver (master0): SANs changed: +DNS:api.example.com',
      'issued apiserver (master1): SANs changed: +DNS:api.example.com',
      'issued apiserver (master2): SANs changed: +DNS:api.example.com',
      'issued bootkube tls/apiserver: SANs changed: +DNS:api.example.com',
    ]);
    const after = tree(dir);
    const changed = Object.keys(after).filter((f) => after[f] !== before[f]).sort();
    expect(changed).toEqual(['.verified.json', 'bootkube/apiserver.crt', 'bootkube/apiserver.key',
      ...['master0', 'master1', 'master2'].flatMap((m) => [`nodes/${m}/apiserver.crt`, `nodes/${m}/apiserver.key`])]);
    expect(new X509Certificate(pki.bootkubeAssets().apiserverCrt).checkHost('api.example.com')).toBe('api.example.com');
  });

  test('a master moving to another IP: its apiserver, etcd and kubelet serving certificates; other masters untouched', async () => {
    const dir = seeded();
    const moved = { ...STATIC_EXAMPLE_CLUSTER, masters: STATIC_EXAMPLE_CLUSTER.masters.map((m) => (m.name === 'master1' ? { ...m, ip: '10.180.0.21' } : m)) };
    const { lines, pki } = await ensure(dir, moved);
    expect(lines.sort()).toEqual([
      'issued apiserver (master1): SANs changed: +IP:10.180.0.21 -IP:10.180.0.11',
      'issued bootkube tls/apiserver: SANs changed: +IP:10.180.0.21 -IP:10.180.0.11',
      'issued etcd/peer (master1): SANs changed: +IP:10.180.0.21 -IP:10.180.0.11',
      'issued etcd/server (master1): SANs changed: +IP:10.180.0.21 -IP:10.180.0.11',
      'issued kubelet serving (master1): SANs changed: +IP:10.180.0.21 -IP:10.180.0.11',
    ]);
    // The kubeconfig follows without a new certificate.
    expect(pki.kubeconfig('scheduler', 'master1')).toContain('server: https://10.180.0.21:6443');
    expect(pki.masterFiles('master0')).toEqual(fixture.masterFiles('master0'));
  });

  test('leaves inside the renewal window are renewed, the CAs are kept (and warned about when they run short)', async () => {
    const dir = path.join(root, 'renew');
    const base = await fixturePki(small);
    seedPkiState(dir, base);
    const caBefore = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    const adminExpiry = new X509Certificate(base.snapshot()['kubeconfig/admin.crt']).validTo;
    const caExpiry = Date.parse(new X509Certificate(caBefore).validTo);
    const now = new Date(Date.parse(adminExpiry) - 12 * DAY + 3_600_000); // 11 days and 23 hours left
    const status = ClusterPki.status(small, { dir, now });
    expect(status.find((r) => r.name === 'admin.conf')).toMatchObject({ state: 'expiring', daysLeft: 11 });
    expect(status.find((r) => r.name === 'ca')).toMatchObject({ state: 'ok' });

    const { lines, pki } = await ensure(dir, small, { now });
    const day = new Date(adminExpiry).toISOString().slice(0, 10);
    expect(lines).toContain(`renewed admin.conf: expires ${day} (11 days left, pki.renewBeforeDays 30)`);
    expect(lines.filter((l) => l.startsWith('renewed'))).toHaveLength(14);
    expect(lines.filter((l) => !l.startsWith('renewed'))).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe(caBefore);
    expect(pki.status(now).every((r) => r.state === 'ok')).toBe(true);

    // Years later the CA runs short (warned, kept) and, once expired, stops everything: never regenerated.
    const later = ClusterPki.status(small, { dir, now: new Date(caExpiry - 200 * DAY) });
    expect(later.find((r) => r.name === 'ca')).toMatchObject({ state: 'expiring', reason: expect.stringMatching(/ \(200 days left, pki.validityDays 365\)$/) });
    expect(later.find((r) => r.name === 'admin.conf')).toMatchObject({ state: 'expired' });
    await expect(ensure(dir, small, { now: new Date(caExpiry + DAY) })).rejects.toThrow(/ca: expired \d{4}-\d\d-\d\d; a CA is never regenerated automatically/);
    expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe(caBefore);
  });
});

describe('never silently replace', () => {
  test('a corrupt certificate is reported with its path and left alone', async () => {
    const dir = seeded();
    fs.writeFileSync(path.join(dir, 'nodes/master0/apiserver.crt'), 'garbage\n');
    const err = await ensure(dir).catch((e) => e);
    expect(err).toBeInstanceOf(PkiError);
    expect(err.message).toMatch(/apiserver \(master0\): nodes\/master0\/apiserver.crt is not a readable certificate .*restore the file\(s\) or delete them/);
    expect(fs.readFileSync(path.join(dir, 'nodes/master0/apiserver.crt'), 'utf8')).toBe('garbage\n');
    expect(ClusterPki.status(spec, { dir }).find((r) => r.name === 'apiserver (master0)')?.state).toBe('invalid');
  });

  test('a key that does not match its certificate is reported, and --force re-issues it', async () => {
    const dir = path.join(root, 'force');
    seedPkiState(dir, await fixturePki(small));
    fs.copyFileSync(path.join(dir, 'nodes/m1/scheduler.key'), path.join(dir, 'nodes/m1/controller-manager.key'));
    await expect(ensure(dir, small)).rejects.toThrow('controller-manager.conf (m1): nodes/m1/controller-manager.key does not match nodes/m1/controller-manager.crt');
    const forced = await ensure(dir, small, { force: true });
    expect(forced.lines).toContain('issued controller-manager.conf (m1): nodes/m1/controller-manager.key does not match nodes/m1/controller-manager.crt (--force)');
    expect(forced.lines).toContain('issued admin.conf: --force');
    expect(forced.lines.filter((l) => l.startsWith('created'))).toEqual([]); // CAs and sa kept
    expect(forced.lines).toHaveLength(14); // every leaf
    expect(forced.pki.status().every((r) => r.state === 'ok')).toBe(true);
  });

  test('a missing CA key is an error, never a new CA; a missing CA with leaves too', async () => {
    const dir = seeded();
    fs.unlinkSync(path.join(dir, 'etcd/ca.key'));
    await expect(ensure(dir)).rejects.toThrow(/etcd\/ca: etcd\/ca.crt exists but etcd\/ca.key is missing/);
    fs.unlinkSync(path.join(dir, 'etcd/ca.crt'));
    const err = await ensure(dir).catch((e) => e);
    expect(err.message).toMatch(/etcd\/server \(master0\): cannot be checked: its CA etcd\/ca is missing/);
    expect(fs.existsSync(path.join(dir, 'etcd/ca.crt'))).toBe(false);
  });

  test('writeFileAtomic never clobbers a CA file', () => {
    const dir = seeded();
    expect(() => writeFileAtomic(path.join(dir, 'ca.crt'), 'other', 0o644, { noClobber: true })).toThrow(/refusing to overwrite/);
    expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe(fixture.snapshot()['ca.crt']);
  });
});

describe('interrupted writes', () => {
  const changed = { ...STATIC_EXAMPLE_CLUSTER, extraCertSans: ['api.example.com'] };

  test('killed before the journal is in place: the previous state is intact', async () => {
    const dir = seeded();
    const before = tree(dir);
    jest.spyOn(nodeFs, 'renameSync').mockImplementationOnce(() => {
      throw new Error('simulated crash');
    });
    await expect(ensure(dir, changed)).rejects.toThrow('simulated crash');
    jest.restoreAllMocks();
    expect(tree(dir)).toEqual(before); // no journal, no temp file, no lock, nothing changed
    expect(ClusterPki.status(spec, { dir }).every((r) => r.state === 'ok')).toBe(true);
  });

  test('killed half-way through the files: readers see consistent pairs, the next run finishes without new keys', async () => {
    const dir = seeded();
    const real = nodeFs.renameSync;
    let calls = 0;
    jest.spyOn(nodeFs, 'renameSync').mockImplementation((a, b) => {
      if (++calls === 3) throw new Error('simulated crash'); // journal + one key done: a mismatched pair on disk
      return real(a, b);
    });
    await expect(ensure(dir, changed)).rejects.toThrow('simulated crash');
    jest.restoreAllMocks();
    expect(fs.existsSync(path.join(dir, JOURNAL_FILE))).toBe(true);
    expect(ClusterPki.status(changed, { dir }).every((r) => r.state === 'ok')).toBe(true); // journal overlaid

    const { lines, pki } = await ensure(dir, changed);
    expect(lines).toEqual([`completed an interrupted update of ${dir} (9 files)`]); // 4 pairs + .verified.json
    expect(fs.existsSync(path.join(dir, JOURNAL_FILE))).toBe(false);
    for (const m of ['master0', 'master1', 'master2']) {
      const crt = new X509Certificate(fs.readFileSync(path.join(dir, `nodes/${m}/apiserver.crt`)));
      expect(crt.checkPrivateKey(createPrivateKey(fs.readFileSync(path.join(dir, `nodes/${m}/apiserver.key`))))).toBe(true);
      expect(crt.checkHost('api.example.com')).toBe('api.example.com');
    }
    expect(pki.status().every((r) => r.state === 'ok')).toBe(true);
  });
});

describe('bring your own CA', () => {
  test('ca.crt/ca.key from disk are imported as they are; the other CAs are generated; leaves chain to it', async () => {
    const byo = path.join(root, 'byo');
    fs.mkdirSync(byo);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/O=Example Corp/CN=example-root', '-days', '3650',
      '-keyout', path.join(byo, 'ca.key'), '-out', path.join(byo, 'ca.crt'), '-addext', 'keyUsage=critical,keyCertSign,digitalSignature'], { stdio: 'ignore' });
    const dir = path.join(root, 'byo-state');
    const { lines, pki } = await ensure(dir, small, { byoCaDir: byo });
    expect(lines).toContain(`imported ca.crt from ${byo}`);
    expect(lines).toContain('created CA etcd/ca (CN=etcd-ca, 3650 days): not in the state directory');
    expect(lines.some((l) => l.startsWith('created CA ca '))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe(fs.readFileSync(path.join(byo, 'ca.crt'), 'utf8'));
    const out = path.join(root, 'byo-out');
    writeFilesAtomic(out, pki.masterFiles('m1'));
    expect(execFileSync('openssl', ['verify', '-CAfile', path.join(byo, 'ca.crt'), path.join(out, 'pki/apiserver.crt')]).toString()).toMatch(/OK/);
    expect(new X509Certificate(fs.readFileSync(path.join(out, 'pki/apiserver.crt'))).issuer).toBe('O=Example Corp\nCN=example-root');

    // Same CA again: fine. Another CA into a state that has one: refused, nothing written.
    expect((await ensure(dir, small, { byoCaDir: byo })).lines).toEqual([]);
    const other = path.join(root, 'byo2');
    fs.mkdirSync(other);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=other', '-keyout', path.join(other, 'ca.key'),
      '-out', path.join(other, 'ca.crt')], { stdio: 'ignore' });
    const before = tree(dir);
    await expect(ensure(dir, small, { byoCaDir: other })).rejects.toThrow(/the state already has a different ca; a CA is never replaced/);
    expect(tree(dir)).toEqual(before);
  }, 120_000);

  test('a BYO directory without ca.crt, or with a key that does not match, is refused', async () => {
    const empty = fs.mkdtempSync(path.join(root, 'byo-empty-'));
    await expect(ensure(path.join(root, 'never'), small, { byoCaDir: empty })).rejects.toThrow(/ca.crt: required in the bring-your-own CA directory/);
    fs.writeFileSync(path.join(empty, 'ca.crt'), fixture.snapshot()['ca.crt']);
    fs.writeFileSync(path.join(empty, 'ca.key'), fixture.snapshot()['front-proxy-ca.key']);
    await expect(ensure(path.join(root, 'never'), small, { byoCaDir: empty })).rejects.toThrow(/ca.key does not match ca.crt/);
    expect(fs.existsSync(path.join(root, 'never', 'ca.crt'))).toBe(false);
  });
});
