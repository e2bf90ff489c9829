import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as forge from 'node-forge';
import { generateRsaKey, inspectCertificate, issueCertificate } from '../../lib/pki/_crypto';

const nodeCrypto: typeof import('crypto') = require('crypto');
const DAY = 86_400_000;
const start = Math.floor(Date.now() / 1000) * 1000;
const when = { notBefore: new Date(start), notAfter: new Date(start + 20 * DAY) };

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-pki-crypto-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

test('keys come from node-forge\'s native path: Node crypto.generateKeyPair on the thread pool', async () => {
  const spy = jest.spyOn(nodeCrypto, 'generateKeyPair');
  const [a, b] = await Promise.all([generateRsaKey(2048), generateRsaKey(2048)]);
  expect(spy).toHaveBeenCalledTimes(2);
  expect(spy.mock.calls[0][0]).toBe('rsa');
  expect(a.keyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END RSA PRIVATE KEY-----\n$/); // PKCS#1, LF only
  expect(a.keyPem).not.toBe(b.keyPem);
});

test('the slow pure-JavaScript path is refused', () => {
  const options = (forge as any).options;
  options.usePureJavaScript = true;
  try {
    expect(() => generateRsaKey(2048)).toThrow(/usePureJavaScript/);
  } finally {
    options.usePureJavaScript = false;
  }
});

test('a bring-your-own ECDSA CA signs RSA leaves with ecdsa-with-SHA256; issuer bytes are the CA subject bytes', async () => {
  const caKey = path.join(tmp, 'ec.key');
  const caCrt = path.join(tmp, 'ec.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/C=DE/O=Example/CN=ec-root',
    '-days', '30', '-keyout', caKey, '-out', caCrt], { stdio: 'ignore' });
  const key = await generateRsaKey(2048);
  const pem = issueCertificate({ commonName: 'kube-apiserver', organizations: [], dns: ['kubernetes'], ips: ['10.96.0.1', 'fd00::1'], profile: 'server', ...when }, key,
    { certPem: fs.readFileSync(caCrt, 'utf8'), keyPem: fs.readFileSync(caKey, 'utf8') });
  fs.writeFileSync(path.join(tmp, 'leaf.crt'), pem);
  const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', path.join(tmp, 'leaf.crt')]).toString();
  expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
  expect(text).toMatch(/X509v3 Authority Key Identifier: *\n\s+([0-9A-F]{2}:){19}[0-9A-F]{2}/);
  expect(execFileSync('openssl', ['verify', '-CAfile', caCrt, path.join(tmp, 'leaf.crt')]).toString()).toMatch(/OK/);
  const leaf = new crypto.X509Certificate(pem);
  const ca = new crypto.X509Certificate(fs.readFileSync(caCrt));
  expect(leaf.verify(ca.publicKey)).toBe(true);
  // Raw issuer of the leaf == raw subject of the CA (what Go's chain builder compares).
  const rawName = (der: Buffer, field: 'issuer' | 'subject') => {
    const tbs = (forge.asn1.fromDer(der.toString('binary')).value as any[])[0].value as any[];
    const i = tbs[0].tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 0 : -1;
    return forge.asn1.toDer(tbs[field === 'issuer' ? 3 + i : 5 + i]).toHex();
  };
  expect(rawName(leaf.raw, 'issuer')).toBe(rawName(ca.raw, 'subject'));
  expect(inspectCertificate(pem)).toMatchObject({ commonName: 'kube-apiserver', dns: ['kubernetes'], ips: ['10.96.0.1', 'fd00::1'], isCa: false });
});
