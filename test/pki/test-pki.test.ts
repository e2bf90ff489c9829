/**
 * The fast test PKI (`ClusterPki.forTesting()`): complete, deterministic, derived from public labels as recorded, and
 * refused wherever it could reach a cluster.
 */
import { execFileSync } from 'child_process';
import { X509Certificate, checkPrimeSync, createPrivateKey, createPublicKey, sign, verify } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BOOTKUBE_ASSET_PATHS, ClusterPki, PkiError, certCatalog } from '../../lib/pki';
import { writeFilesAtomic } from '../../lib/util';
import { issueCertificate } from '../../lib/pki/_crypto';
import {
  TEST_KEY_FINGERPRINTS, TEST_KEY_NAMES, TEST_PKI_MARKER, isTestCertificate, isTestRun, keyFingerprint, primeStart, searchPrimeOffset, testKey,
} from '../../lib/pki/_test-pki';
import { BOOTKUBE_EXAMPLE_CLUSTER, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { testClusterPki } from '../../lib/testing';

const nodeCrypto: typeof import('crypto') = require('crypto');
const bootkubeSpec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-test-pki-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

/** Runs `body` as if outside any test runner. */
function outsideTests<T>(body: () => T): T {
  const saved = { JEST_WORKER_ID: process.env.JEST_WORKER_ID, VITEST_WORKER_ID: process.env.VITEST_WORKER_ID, NODE_ENV: process.env.NODE_ENV };
  for (const k of Object.keys(saved)) delete process.env[k];
  try {
    return body();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}

describe('what it is', () => {
  test('every certificate of the catalog, all OK, without generating a key; byte-identical for an equal spec', () => {
    const spy = jest.spyOn(nodeCrypto, 'generateKeyPair');
    const pki = ClusterPki.forTesting(BOOTKUBE_EXAMPLE_CLUSTER);
    const again = ClusterPki.forTesting(resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER)); // another spec object: made again, not cached
    expect(spy).not.toHaveBeenCalled();
    expect(again.snapshot()).toEqual(pki.snapshot());
    expect(testClusterPki(BOOTKUBE_EXAMPLE_CLUSTER).snapshot()).toEqual(pki.snapshot());
    const rows = pki.status();
    expect(rows.map((r) => r.name)).toEqual([...certCatalog(bootkubeSpec).map((e) => e.name), 'sa.key/sa.pub']);
    expect(rows.filter((r) => r.state !== 'ok')).toEqual([]);
  });

  test('marked and dated: OU=hacp-insecure-test-pki, 2025-01-01 to 2125-01-01, fixed distinct serials', () => {
    const certs = Object.entries(ClusterPki.forTesting(bootkubeSpec).snapshot()).filter(([p]) => p.endsWith('.crt')).map(([p, pem]) => [p, new X509Certificate(pem)] as const);
    for (const [p, c] of certs) {
      expect([p, c.subject.split('\n')]).toEqual([p, expect.arrayContaining([`OU=${TEST_PKI_MARKER}`])]);
      expect([p, c.validFrom, c.validTo]).toEqual([p, 'Jan  1 00:00:00 2025 GMT', 'Jan  1 00:00:00 2125 GMT']);
    }
    expect(new Set(certs.map(([, c]) => c.serialNumber)).size).toBe(certs.length);
    // Subjects otherwise as the catalog says: the OU adds no group.
    const admin = new X509Certificate(ClusterPki.forTesting(bootkubeSpec).snapshot()['kubeconfig/admin.crt']);
    expect(admin.subject.split('\n').filter((l) => l.startsWith('O='))).toEqual(['O=kubeadm:cluster-admins']);
  });

  test('openssl verifies the chains with the purposes, like the real PKI', () => {
    const pki = ClusterPki.forTesting(bootkubeSpec);
    const dir = path.join(tmp, 'verify');
    writeFilesAtomic(dir, [...pki.masterFiles('master01'), ...pki.bootkubeFiles()]);
    const run = (ca: string, purpose: string, ...certs: string[]) =>
      execFileSync('openssl', ['verify', '-purpose', purpose, '-CAfile', path.join(dir, ca), ...certs.map((c) => path.join(dir, c))]).toString();
    expect(run('pki/ca.crt', 'sslserver', 'pki/apiserver.crt', 'tls/apiserver.crt')).toMatch(/apiserver.crt: OK\n.*apiserver.crt: OK/);
    expect(run('pki/etcd/ca.crt', 'sslclient', 'pki/apiserver-etcd-client.crt', 'pki/etcd/peer.crt')).toMatch(/peer.crt: OK/);
    expect(run('pki/front-proxy-ca.crt', 'sslclient', 'pki/front-proxy-client.crt')).toMatch(/OK/);
    // Distinct CA keys: a leaf of one CA does not verify against another.
    expect(() => execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'pki/ca.crt'), path.join(dir, 'pki/etcd/server.crt')], { stdio: 'pipe' })).toThrow();
    expect(Object.keys(pki.bootkubeAssets()).sort()).toEqual(Object.keys(BOOTKUBE_ASSET_PATHS).sort());
  });

  test('for any spec: another cluster, workers, IPv6, extra SANs', () => {
    const spec = resolveSpec({
      name: 'prod', masters: [{ name: 'cp1', ip: 'fd00::11' }, { name: 'cp2', ip: 'fd00::10' }], workers: [{ name: 'w1', ip: 'fd00::20' }],
      networking: { serviceCidr: 'fd00:96::/108', podCidr: 'fd00:244::/56' }, extraCertSans: ['k8s.example.com'], pki: { keySize: 4096 },
    });
    const pki = ClusterPki.forTesting(spec);
    expect(pki.status().filter((r) => r.state !== 'ok')).toEqual([]);
    expect(new X509Certificate(pki.masterFiles('cp2').find((f) => f.path === 'pki/apiserver.crt')!.content).checkIP('fd00::10')).toBe('fd00::10');
    expect(pki.workerFiles('w1').map((f) => f.path)).toEqual(['pki/ca.crt', 'kubelet.conf']);
  });
});

describe('the keys: derived from public labels, as recorded', () => {
  test.each(TEST_KEY_NAMES)('%s: recorded offsets are the search result, the primes are prime, the key is the recorded one', (name) => {
    const key = testKey(name);
    const parsed = createPrivateKey(key.keyPem);
    expect(key.keyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(parsed.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    const jwk = parsed.export({ format: 'jwk' });
    const big = (b64: string) => BigInt(`0x${Buffer.from(b64, 'base64url').toString('hex')}`);
    const [p, q] = [big(jwk.p!), big(jwk.q!)];
    expect([p - primeStart(name, 'p'), q - primeStart(name, 'q')]).toEqual([BigInt(searchPrimeOffset(name, 'p')), BigInt(searchPrimeOffset(name, 'q'))]);
    expect(checkPrimeSync(p) && checkPrimeSync(q)).toBe(true);
    expect(keyFingerprint(createPublicKey(parsed))).toBe(TEST_KEY_FINGERPRINTS[name]);
    const data = Buffer.from('test');
    expect(verify('sha256', data, createPublicKey(parsed), sign('sha256', data, parsed))).toBe(true);
  });

  test('five distinct keys', () => {
    expect(new Set(Object.values(TEST_KEY_FINGERPRINTS)).size).toBe(5);
  });
});

describe('refused where it could reach a cluster', () => {
  test('outside a test runner: forTesting() and every accessor of such a PKI throw, naming the reason', () => {
    const pki = ClusterPki.forTesting(bootkubeSpec);
    outsideTests(() => {
      expect(isTestRun()).toBe(false);
      expect(() => ClusterPki.forTesting(bootkubeSpec)).toThrow(/insecure test PKI .* only works inside a test runner/);
      for (const access of [
        () => pki.masterFiles('master01'), () => pki.workerFiles('worker01'), () => pki.kubeletFiles('worker01'), () => pki.kubeconfig('admin'),
        () => pki.bootkubeAssets(), () => pki.bootkubeFiles(), () => pki.snapshot(),
      ]) {
        expect(access).toThrow(/insecure test PKI/);
      }
      expect(pki.status()).toHaveLength(certCatalog(bootkubeSpec).length + 1); // reading it is harmless
    });
    expect(isTestRun({ NODE_ENV: 'test' })).toBe(true);
    expect(isTestRun({ VITEST_WORKER_ID: '1' })).toBe(true);
  });

  test('taken over by inMemory() from its files, it stays a test PKI', async () => {
    const copy = await ClusterPki.inMemory(bootkubeSpec, { files: ClusterPki.forTesting(bootkubeSpec).snapshot() });
    expect(copy.bootkubeAssets().caCrt).toContain('BEGIN CERTIFICATE'); // inside jest: fine
    outsideTests(() => expect(() => copy.bootkubeAssets()).toThrow(/insecure test PKI/));
  });

  test('ensure() refuses a state directory holding it, or a bring-your-own CA from it, and writes nothing', async () => {
    const pki = ClusterPki.forTesting(STATIC_EXAMPLE_CLUSTER);
    const files = Object.entries(pki.snapshot());
    const state = path.join(tmp, 'state');
    writeFilesAtomic(state, files.map(([p, content]) => ({ path: p, content, mode: p.endsWith('.key') ? 0o600 : 0o644 })));
    const before = fs.readdirSync(state, { recursive: true });
    await expect(ClusterPki.ensure(STATIC_EXAMPLE_CLUSTER, { dir: state })).rejects.toThrow(PkiError);
    await expect(ClusterPki.ensure(STATIC_EXAMPLE_CLUSTER, { dir: state })).rejects.toThrow(/ca.crt: a CA of the insecure test PKI/);
    expect(fs.readdirSync(state, { recursive: true })).toEqual(before);

    const byo = path.join(tmp, 'byo');
    writeFilesAtomic(byo, files.filter(([p]) => p === 'ca.crt' || p === 'ca.key').map(([p, content]) => ({ path: p, content, mode: 0o600 })));
    const fresh = path.join(tmp, 'fresh');
    const spy = jest.spyOn(nodeCrypto, 'generateKeyPair');
    await expect(ClusterPki.ensure(STATIC_EXAMPLE_CLUSTER, { dir: fresh, byoCaDir: byo })).rejects.toThrow(/ca.crt: a CA of the insecure test PKI/);
    expect(spy).not.toHaveBeenCalled();
    expect(fs.existsSync(fresh)).toBe(false);
  });

  test('recognised by its keys too, whatever the subject says', () => {
    const when = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') };
    const unmarked = issueCertificate({ commonName: 'kubernetes', organizations: [], dns: [], ips: [], profile: 'ca', ...when }, testKey('ca'));
    expect(new X509Certificate(unmarked).subject).toBe('CN=kubernetes');
    expect(isTestCertificate(unmarked)).toBe(true);
    expect(isTestCertificate(ClusterPki.forTesting(STATIC_EXAMPLE_CLUSTER).snapshot()['ca.crt'])).toBe(true);
  });
});
