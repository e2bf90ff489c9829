/**
 * Errors before work: whatever makes a PKI run fail is found before the first key is generated (key generation takes
 * seconds), and nothing is written.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClusterPki, PkiError } from '../../lib/pki';
import { STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';

// Spies go on the real module objects (the `import * as` namespaces only have getters).
const nodeCrypto: typeof import('crypto') = require('crypto');
const nodeFs: typeof import('fs') = require('fs');
const small = resolveSpec({ name: 'small', masters: [{ name: 'm1', ip: '10.0.0.1' }] });
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-pki-early-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

/** Fails the test at the first key generation instead of spending seconds on it. */
function forbidKeyGeneration(): jest.SpyInstance {
  return jest.spyOn(nodeCrypto, 'generateKeyPair').mockImplementation((() => {
    throw new Error('a key was generated');
  }) as any);
}

test('a bring-your-own CA whose key cannot sign (Ed25519) is refused before any key is made; nothing is written', async () => {
  const byo = path.join(tmp, 'byo-ed25519');
  fs.mkdirSync(byo);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-subj', '/CN=ed-root', '-days', '30',
    '-keyout', path.join(byo, 'ca.key'), '-out', path.join(byo, 'ca.crt')], { stdio: 'ignore' });
  const spy = forbidKeyGeneration();
  const dir = path.join(tmp, 'state-ed25519');
  const run = ClusterPki.ensure(small, { dir, byoCaDir: byo });
  await expect(run).rejects.toThrow(PkiError);
  await expect(run).rejects.toThrow(/ca.key: a ed25519 key; the CA cannot sign .* \(RSA or ECDSA CA keys only\)/);
  expect(spy).not.toHaveBeenCalled();
  expect(fs.existsSync(dir)).toBe(false);
});

test('an invalid date is refused at once', async () => {
  const spy = forbidKeyGeneration();
  await expect(ClusterPki.inMemory(small, { now: new Date('not a date') })).rejects.toThrow(/now: Invalid Date is not a valid date/);
  await expect(ClusterPki.ensure(small, { dir: path.join(tmp, 'state-date'), now: new Date(NaN) })).rejects.toThrow(/now: .* is not a valid date/);
  expect(spy).not.toHaveBeenCalled();
});

test('beforeKeyGeneration runs before the first key; its error stops the run with nothing generated or written', async () => {
  const spy = forbidKeyGeneration();
  const dir = path.join(tmp, 'state-hook');
  const stop = () => {
    expect(spy).not.toHaveBeenCalled();
    throw new Error('construct error: kube-vip');
  };
  await expect(ClusterPki.ensure(small, { dir, beforeKeyGeneration: stop })).rejects.toThrow('construct error: kube-vip');
  await expect(ClusterPki.inMemory(small, { beforeKeyGeneration: stop })).rejects.toThrow('construct error: kube-vip');
  expect(spy).not.toHaveBeenCalled();
  expect(fs.existsSync(dir)).toBe(false);
});

test('beforeKeyGeneration is not called when no key is needed', async () => {
  const hook = jest.fn();
  const files = ClusterPki.forTesting(STATIC_EXAMPLE_CLUSTER).snapshot();
  await ClusterPki.inMemory(STATIC_EXAMPLE_CLUSTER, { files, beforeKeyGeneration: hook });
  expect(hook).not.toHaveBeenCalled();
});

test('spec errors come from resolveSpec(), before the state is even read', async () => {
  const spy = forbidKeyGeneration();
  const read = jest.spyOn(nodeFs, 'statSync');
  await expect(ClusterPki.ensure({ ...STATIC_EXAMPLE_CLUSTER, extraCertSans: ['not a name'] }, { dir: path.join(tmp, 'state-spec') }))
    .rejects.toThrow(/extraCertSans\[0\]: "not a name" is neither an IP address nor a DNS name/);
  expect(read).not.toHaveBeenCalled();
  expect(spy).not.toHaveBeenCalled();
});
