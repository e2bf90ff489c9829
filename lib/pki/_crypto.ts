/**
 * Key generation, certificate issuance and certificate inspection.
 *
 * - Keys: node-forge's `pki.rsa.generateKeyPair` in its callback form, which (no `prng` option, `usePureJavaScript`
 *   off) runs Node's native `crypto.generateKeyPair` on the libuv thread pool, so many keys are made in parallel.
 * - Certificates: forge builds the TBSCertificate (ASN.1), Node's `crypto.sign` makes the RSA signature (native;
 *   forge's pure-JavaScript RSA signature is many times slower), forge assembles the DER.
 * - Inspection: Node's `crypto.X509Certificate` and `createPrivateKey` (native, fast) for the warm path.
 */
import * as crypto from 'crypto';
import * as ipaddr from 'ipaddr.js';
import type * as Forge from 'node-forge';
import type { X509Certificate } from '../util/x509';

/** Parts of forge's API its type definitions lack. */
type ForgeExtra = { options: { usePureJavaScript: boolean }; pki: { getTBSCertificate(cert: Forge.pki.Certificate): Forge.asn1.Asn1 } };

let forgeModule: typeof Forge | undefined;
/** node-forge, loaded on first use: only issuing needs it, the warm path (inspection) does not load it at all. */
function loadForge(): { forge: typeof Forge; asn1: typeof Forge.asn1; extra: ForgeExtra } {
  const forge = (forgeModule ??= require('node-forge') as typeof Forge);
  return { forge, asn1: forge.asn1, extra: forge as unknown as ForgeExtra };
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** Certificate profiles: which usages a certificate carries. `peer` is serverAuth + clientAuth (etcd). */
export type CertProfile = 'ca' | 'server' | 'client' | 'peer';

/** The extended key usages of each leaf profile (OIDs, as `X509Certificate.keyUsage` reports them). */
export const PROFILE_EKUS: Record<Exclude<CertProfile, 'ca'>, string[]> = {
  server: [SERVER_AUTH],
  client: [CLIENT_AUTH],
  peer: [SERVER_AUTH, CLIENT_AUTH],
};

/**
 * forge's RSA public key, opaque outside this module: the package's typings must not need `@types/node-forge` (a
 * development dependency).
 */
export interface RsaPublicKey {
  readonly __forgeRsaPublicKey: unique symbol;
}

/** A freshly generated key pair. */
export interface GeneratedKey {
  /** PKCS#1 PEM (`RSA PRIVATE KEY`), as kubeadm writes keys. */
  readonly keyPem: string;
  /** The public key, as forge puts it in a certificate (opaque to callers). */
  readonly publicKey: RsaPublicKey;
}

const opaque = (key: Forge.pki.rsa.PublicKey) => key as unknown as RsaPublicKey;

/** Generates an RSA key on the thread pool (forge's native path). */
export function generateRsaKey(bits: number): Promise<GeneratedKey> {
  const { forge, extra } = loadForge();
  if (extra.options.usePureJavaScript) {
    throw new Error('node-forge usePureJavaScript is set: refusing the slow pure-JavaScript key generation');
  }
  return new Promise((resolve, reject) => {
    forge.pki.rsa.generateKeyPair({ bits, e: 0x10001 }, (err, pair) => {
      if (err) reject(err);
      else resolve({ keyPem: lf(forge.pki.privateKeyToPem(pair.privateKey)), publicKey: opaque(pair.publicKey) });
    });
  });
}

/** A key pair from an RSA private key PEM (as `generateRsaKey()` returns it). */
export function rsaKeyFromPem(keyPem: string): GeneratedKey {
  const { forge } = loadForge();
  return { keyPem, publicKey: opaque(forge.pki.publicKeyFromPem(publicKeyPem(keyPem)) as Forge.pki.rsa.PublicKey) };
}

/** The PKIX (`PUBLIC KEY`) PEM of a private key: `sa.pub`. */
export function publicKeyPem(keyPem: string): string {
  return crypto.createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();
}

/** What to put in a certificate. */
export interface CertRequest {
  /** Subject CN. */
  readonly commonName: string;
  /** Subject O values (sorted by the caller if order matters; written in this order). */
  readonly organizations: readonly string[];
  /** An OU value (the test PKI's marker). @default - none */
  readonly organizationalUnit?: string;
  /** Serial number (hex, positive, minimal DER). @default - random, 63 bits */
  readonly serial?: string;
  /** DNS SANs. */
  readonly dns: readonly string[];
  /** IP SANs. */
  readonly ips: readonly string[];
  /** Key usages: a CA, or a leaf for server auth, client auth or both. */
  readonly profile: CertProfile;
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
}

/** The signer: a CA certificate and key. Self-signed when absent. */
export interface Signer {
  /** The CA certificate (PEM): its subject becomes the issuer, its subject key identifier the authority key identifier. */
  readonly certPem: string;
  /** The CA's private key (PEM; RSA or ECDSA). */
  readonly keyPem: string;
}

/** Issues a certificate for `key`, signed by `signer` (self-signed with `key` when there is none). Returns PEM. */
export function issueCertificate(req: CertRequest, key: GeneratedKey, signer?: Signer): string {
  const { forge, asn1, extra } = loadForge();
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.publicKey as unknown as Forge.pki.rsa.PublicKey;
  cert.serialNumber = req.serial ?? randomSerial();
  cert.validity.notBefore = req.notBefore;
  cert.validity.notAfter = req.notAfter;
  const subject = [
    ...req.organizations.map((value) => ({ shortName: 'O', value })),
    ...(req.organizationalUnit ? [{ shortName: 'OU', value: req.organizationalUnit }] : []),
    { shortName: 'CN', value: req.commonName },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject); // replaced below by the CA's exact subject bytes
  const ca = signer ? caInfo(signer.certPem) : undefined;
  const altNames = [
    ...req.dns.map((value) => ({ type: 2, value })),
    ...req.ips.map((ip) => ({ type: 7, value: String.fromCharCode(...ipaddr.parse(ip).toByteArray()) })),
  ];
  const extensions: any[] = req.profile === 'ca'
    ? [
      { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'basicConstraints', critical: true, cA: true },
      { name: 'subjectKeyIdentifier' },
    ]
    : [
      { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: req.profile !== 'client', clientAuth: req.profile !== 'server' },
      { name: 'basicConstraints', critical: true, cA: false },
    ];
  if (ca?.ski) extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: ca.ski });
  if (altNames.length) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  cert.siginfo.algorithmOid = SHA256_WITH_RSA; // replaced below by the signer key's algorithm

  const signingKey = ca ? ca.key(signer!.keyPem) : crypto.createPrivateKey(key.keyPem);
  const algorithm = signatureAlgorithm(signingKey);
  const tbs = extra.pki.getTBSCertificate(cert);
  const fields = tbs.value as Forge.asn1.Asn1[];
  fields[2] = algorithm; // the signature algorithm of the signer's key (RSA, or ECDSA for a bring-your-own CA)
  if (ca) fields[3] = ca.subject; // issuer = the CA's subject, byte for byte (Go matches issuers by raw bytes)
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = crypto.sign('sha256', tbsDer, signingKey);
  const certAsn1 = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    signatureAlgorithm(signingKey),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\0' + signature.toString('binary')),
  ]);
  return derToPem('CERTIFICATE', Buffer.from(asn1.toDer(certAsn1).getBytes(), 'binary'));
}

/** AlgorithmIdentifier for SHA-256 with the key's algorithm: sha256WithRSAEncryption (NULL parameters) or ecdsa-with-SHA256. */
function signatureAlgorithm(key: crypto.KeyObject): Forge.asn1.Asn1 {
  const { asn1 } = loadForge();
  const oid = (o: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(o).getBytes());
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [oid(SHA256_WITH_RSA), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]);
    case 'ec':
      return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [oid(ECDSA_WITH_SHA256)]);
    default:
      throw new Error(`cannot sign with a ${key.asymmetricKeyType} key (RSA or ECDSA CA keys only)`);
  }
}

/** What signing with a CA needs from its certificate, read once per CA. */
interface CaInfo {
  /** The subject, as raw ASN.1 (copied into the issuer field byte for byte). */
  readonly subject: Forge.asn1.Asn1;
  /** The subject key identifier (raw bytes), when the certificate has one. */
  readonly ski?: string;
  /** The CA's private key object, parsed on first use. */
  readonly key: (pem: string) => crypto.KeyObject;
}
const CA_CACHE = new Map<string, CaInfo>();
const SKI_OID = '2.5.29.14';

/** The CA's raw subject and subject key identifier (read from the DER: works for any key type), once per CA. */
function caInfo(certPem: string): CaInfo {
  let info = CA_CACHE.get(certPem);
  if (!info) {
    const { asn1 } = loadForge();
    const parsed = asn1.fromDer(new crypto.X509Certificate(certPem).raw.toString('binary'));
    const tbs = (parsed.value as Forge.asn1.Asn1[])[0].value as Forge.asn1.Asn1[];
    const versioned = tbs[0].tagClass === asn1.Class.CONTEXT_SPECIFIC;
    const extensions = tbs.find((f) => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && f.type === 3);
    let ski: string | undefined;
    for (const ext of ((extensions?.value as Forge.asn1.Asn1[] | undefined)?.[0]?.value ?? []) as Forge.asn1.Asn1[]) {
      const parts = ext.value as Forge.asn1.Asn1[];
      if (asn1.derToOid(parts[0].value as string) === SKI_OID) {
        ski = asn1.fromDer(parts[parts.length - 1].value as string).value as string;
      }
    }
    let keyObject: crypto.KeyObject | undefined;
    info = { subject: tbs[versioned ? 5 : 4], ski, key: (pem) => (keyObject ??= crypto.createPrivateKey(pem)) };
    CA_CACHE.set(certPem, info);
  }
  return info;
}

/** A positive, 63-bit random serial number (hex), like kubeadm's. */
function randomSerial(): string {
  return serialFrom(crypto.randomBytes(8));
}

/** A positive 63-bit serial number (hex) from the first 8 bytes of `bytes`. */
export function serialFrom(bytes: Buffer): string {
  const serial = Buffer.from(bytes.subarray(0, 8));
  serial[0] = (serial[0] & 0x7f) | 0x40; // positive, and minimal DER (no leading zero byte)
  return serial.toString('hex');
}

function derToPem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

function lf(pem: string): string {
  return pem.replace(/\r\n/g, '\n');
}

/** What the warm path reads from a certificate. */
export interface CertInfo {
  /** Node's parsed certificate (for key pairing and signature checks). */
  readonly x509: X509Certificate;
  /** Subject CN (empty when there is none). */
  readonly commonName: string;
  /** Subject O values. */
  readonly organizations: string[];
  /** DNS SANs. */
  readonly dns: string[];
  /** IP SANs, in canonical text. */
  readonly ips: string[];
  /** Extended key usage OIDs. */
  readonly ekus: string[];
  /** True when basicConstraints says CA:TRUE. */
  readonly isCa: boolean;
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
  /** The subject as one line (`O=system:nodes, CN=system:node:master0`). */
  readonly subject: string;
  /** The issuer's subject as one line. */
  readonly issuer: string;
  /** RSA modulus length in bits; undefined for other key types. */
  readonly keyBits?: number;
}

/** Parses a PEM certificate (throws on garbage). */
export function inspectCertificate(pem: string): CertInfo {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('not a PEM certificate');
  const x509 = new crypto.X509Certificate(pem);
  const subject = parseDn(x509.subject);
  const dns: string[] = [];
  const ips: string[] = [];
  for (const san of splitSans(x509.subjectAltName)) {
    if (san.startsWith('DNS:')) dns.push(san.slice(4));
    else if (san.startsWith('IP Address:')) ips.push(canonicalIp(san.slice(11)));
  }
  return {
    x509,
    commonName: subject.CN?.[0] ?? '',
    organizations: subject.O ?? [],
    dns,
    ips,
    ekus: x509.keyUsage ?? [],
    isCa: x509.ca,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    subject: x509.subject.split('\n').join(', '),
    issuer: x509.issuer.split('\n').join(', '),
    keyBits: x509.publicKey.asymmetricKeyDetails?.modulusLength,
  };
}

/** Parses a PEM private key (throws on garbage). */
export function inspectPrivateKey(pem: string): crypto.KeyObject {
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) throw new Error('not a PEM private key');
  return crypto.createPrivateKey(pem);
}

/** Canonical text of an IP address (`::1`, `10.0.0.1`) for comparisons. */
export function canonicalIp(ip: string): string {
  return ipaddr.parse(ip).toString();
}

function parseDn(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    for (const rdn of line.split('+')) {
      const equals = rdn.indexOf('=');
      if (equals > 0) (out[rdn.slice(0, equals)] ??= []).push(rdn.slice(equals + 1));
    }
  }
  return out;
}

function splitSans(text: string | undefined): string[] {
  return text ? text.split(', ').map((san) => san.replace(/^"|"$/g, '')) : [];
}
