/**
 * The fast test PKI behind `ClusterPki.forTesting()`: the whole catalog issued in milliseconds from five fixed RSA
 * keys, with fixed serials and dates, so it is byte for byte the same on every run and every machine.
 *
 * The keys are not stored anywhere: each prime is the first prime (with p-1 coprime to 65537) at or after a 1024-bit
 * number derived with SHA-256 from a public label. `PRIME_OFFSETS` records where it lies, so deriving a key costs a
 * millisecond instead of a prime search, and `TEST_KEY_FINGERPRINTS` pins each derived key (`searchPrimeOffset()`
 * redoes the search; the tests check offsets, primes and fingerprints). So no private key is committed or shipped
 * (nothing for a secret scanner to flag), but anyone can derive these: a certificate of this PKI must never protect a
 * cluster. Every certificate carries `OU=hacp-insecure-test-pki`; `ClusterPki` refuses such a PKI outside a test
 * runner (`assertTestRun()`), and `ClusterPki.ensure()` refuses it in a state directory.
 */
import * as crypto from 'crypto';
import { ResolvedClusterSpec } from '../spec';
import { GeneratedKey, inspectCertificate, rsaKeyFromPem, serialFrom } from './_crypto';
import { assess, issue, plan } from './_engine';
import { CA_IDS, SA_ID } from './catalog';

/** The OU of every certificate of the test PKI. */
export const TEST_PKI_MARKER = 'hacp-insecure-test-pki';

/** The validity of every certificate of the test PKI: fixed, so that the PEMs never change, and far from expiry. */
export const TEST_PKI_VALIDITY = { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2125-01-01T00:00:00Z') } as const;

/** The five test keys: one per CA, one shared by every leaf, one for service-account tokens. */
export type TestKeyName = 'ca' | 'front-proxy-ca' | 'etcd-ca' | 'leaf' | 'service-account';
/** Every test key name. */
export const TEST_KEY_NAMES: readonly TestKeyName[] = ['ca', 'front-proxy-ca', 'etcd-ca', 'leaf', 'service-account'];

/** The RSA public exponent of every test key. */
const PUBLIC_EXPONENT = 65537n;
const LABEL = 'cdk8s-ha-control-plane insecure test key';

/** Offsets of p and q from their derived start values (see the file comment). */
const PRIME_OFFSETS: Record<TestKeyName, readonly [number, number]> = {
  'ca': [752, 390],
  'front-proxy-ca': [180, 1140],
  'etcd-ca': [280, 662],
  'leaf': [880, 868],
  'service-account': [360, 138],
};

/** SHA-256 (hex) of each test key's SubjectPublicKeyInfo (DER): recognises a test key without deriving it. */
export const TEST_KEY_FINGERPRINTS: Readonly<Record<TestKeyName, string>> = {
  'ca': '4c26b01722b7aeb5c6c16c2526ce82d350ed30cf5c13dd0f2278561967d77632',
  'front-proxy-ca': '53c6c612dff130fa5338c39564948fecc6055d54d98620a822d9f0218a4801b7',
  'etcd-ca': '862f768bbc4b1a9f042e89ebbabbb7d9bd06dadd6159cf48a35929fbbcf4c770',
  'leaf': '1072457b6016bec6fd4fc25ae9d06b88e5fee8709b8cb10d950e7b62bfc8f56f',
  'service-account': 'ce9cd897690644123ae669c08feb66fbc247db749347ffd78c47e5024d410512',
};

/** The 1024-bit start value of a prime: SHA-256 output in counter mode, top two bits and the low bit set. */
export function primeStart(name: TestKeyName, prime: 'p' | 'q'): bigint {
  const blocks = [0, 1, 2, 3].map((i) => crypto.createHash('sha256').update(`${LABEL} ${name} ${prime} ${i}`).digest());
  const bytes = Buffer.concat(blocks);
  bytes[0] |= 0xc0; // p*q has exactly 2048 bits
  bytes[bytes.length - 1] |= 1;
  return BigInt(`0x${bytes.toString('hex')}`);
}

/** The search `PRIME_OFFSETS` records: the distance from `primeStart()` to the first suitable prime (slow: a prime search). */
export function searchPrimeOffset(name: TestKeyName, prime: 'p' | 'q'): number {
  const start = primeStart(name, prime);
  const small = smallPrimes();
  const residues = small.map((s) => Number(start % BigInt(s)));
  for (let delta = 0; ; delta += 2) {
    if (small.some((s, i) => (residues[i] + delta) % s === 0)) continue;
    const candidate = start + BigInt(delta);
    if ((candidate - 1n) % PUBLIC_EXPONENT !== 0n && crypto.checkPrimeSync(candidate)) return delta;
  }
}

let SMALL_PRIMES: number[] | undefined;
function smallPrimes(): number[] {
  if (!SMALL_PRIMES) {
    const limit = 1 << 14;
    const composite = new Uint8Array(limit);
    SMALL_PRIMES = [];
    for (let i = 3; i < limit; i += 2) {
      if (composite[i]) continue;
      SMALL_PRIMES.push(i);
      for (let j = i * i; j < limit; j += 2 * i) composite[j] = 1;
    }
  }
  return SMALL_PRIMES;
}

const KEYS = new Map<TestKeyName, GeneratedKey>();

/** A test key (PKCS#1 PEM and forge public key), derived on first use. */
export function testKey(name: TestKeyName): GeneratedKey {
  let key = KEYS.get(name);
  if (!key) KEYS.set(name, (key = rsaKeyFromPem(deriveKeyPem(name))));
  return key;
}

function deriveKeyPem(name: TestKeyName): string {
  const [p, q] = (['p', 'q'] as const).map((which, i) => primeStart(name, which) + BigInt(PRIME_OFFSETS[name][i]));
  const privateExponent = modInverse(PUBLIC_EXPONENT, lcm(p - 1n, q - 1n));
  const jwk = {
    kty: 'RSA', n: b64url(p * q), e: b64url(PUBLIC_EXPONENT), d: b64url(privateExponent), p: b64url(p), q: b64url(q),
    dp: b64url(privateExponent % (p - 1n)), dq: b64url(privateExponent % (q - 1n)), qi: b64url(modInverse(q, p)),
  };
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  // The recorded fingerprint pins the key (the tests check its primes in full): a damaged table fails here, at no cost.
  if (keyFingerprint(crypto.createPublicKey(key)) !== TEST_KEY_FINGERPRINTS[name]) throw new Error(`test PKI: key ${name} does not derive as recorded`);
  return key.export({ type: 'pkcs1', format: 'pem' }).toString();
}

function b64url(n: bigint): string {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').toString('base64url');
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

function lcm(a: bigint, b: bigint): bigint {
  return (a / gcd(a, b)) * b;
}

/** a^-1 mod m (a and m coprime). */
function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1) {
    const quotient = r0 / r1;
    [r0, r1] = [r1, r0 - quotient * r1];
    [s0, s1] = [s1, s0 - quotient * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return ((s0 % m) + m) % m;
}

/** SHA-256 (hex) of a public key's SubjectPublicKeyInfo. */
export function keyFingerprint(key: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

const FINGERPRINTS = new Set(Object.values(TEST_KEY_FINGERPRINTS));

/** True when a certificate (PEM) belongs to the test PKI: its subject carries the marker, or its key is a test key. */
export function isTestCertificate(pem: string): boolean {
  let info;
  try {
    info = inspectCertificate(pem);
  } catch {
    return false;
  }
  return info.subject.split(', ').includes(`OU=${TEST_PKI_MARKER}`) || FINGERPRINTS.has(keyFingerprint(info.x509.publicKey));
}

/** The CA certificates in `files` (state-relative paths) that belong to the test PKI. */
export function testCaFiles(files: ReadonlyMap<string, string>): string[] {
  return CA_IDS.map((id) => `${id}.crt`).filter((p) => files.has(p) && isTestCertificate(files.get(p)!));
}

/**
 * True inside a test runner: jest (`JEST_WORKER_ID`), vitest (`VITEST_WORKER_ID`), or any other with `NODE_ENV=test`.
 */
export function isTestRun(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.JEST_WORKER_ID !== undefined || env.VITEST_WORKER_ID !== undefined || env.NODE_ENV === 'test';
}

/** Throws unless `isTestRun()`: the test PKI's keys are public, its files must never reach a host. */
export function assertTestRun(what: string): void {
  if (!isTestRun()) {
    throw new Error(`${what}: this is the insecure test PKI (ClusterPki.forTesting(), OU=${TEST_PKI_MARKER}), whose keys anyone can `
      + 'derive; it only works inside a test runner (jest, vitest, or NODE_ENV=test). Use ClusterPki.ensure() for a real cluster.');
  }
}

/** Which test key a catalog entry gets. */
function keyNameFor(id: string): TestKeyName {
  switch (id) {
    case 'ca': return 'ca';
    case 'front-proxy-ca': return 'front-proxy-ca';
    case 'etcd/ca': return 'etcd-ca';
    case SA_ID: return 'service-account';
    default: return 'leaf';
  }
}

/** Every state file of the test PKI of `spec` (state-relative path → PEM). Deterministic. */
export function testPkiFiles(spec: ResolvedClusterSpec): Map<string, string> {
  const empty = new Map<string, string>();
  const actions = plan(assess(spec, empty, TEST_PKI_VALIDITY.notBefore));
  const keys = new Map(actions.map((a) => [a.assessment.id, testKey(keyNameFor(a.assessment.id))]));
  return issue(spec, empty, actions, keys, {
    now: TEST_PKI_VALIDITY.notBefore,
    validity: TEST_PKI_VALIDITY,
    organizationalUnit: TEST_PKI_MARKER,
    serial: (id) => serialFrom(crypto.createHash('sha256').update(`${LABEL} serial ${id}`).digest()),
  }).files;
}
