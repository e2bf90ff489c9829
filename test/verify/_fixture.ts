/**
 * Test fixture: a clean static-pod tree for one master of the static example (the real control-plane constructs,
 * plus the shared test PKI of `fixturePki()`), written into a temp dir. Call `prepareCleanTree()` in `beforeAll`
 * first. `issue()` makes deliberately defective certificates with throw-away keys.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing, Yaml } from 'cdk8s';
import * as forge from 'node-forge';
import { parseAllDocuments } from 'yaml';
import { ControlPlaneRbac, StaticControlPlane, renderEncryptionConfiguration } from '../../lib/control-plane';
import { ResolvedClusterSpec, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { CheckClass } from '../../lib/verify';
import { fixturePki } from '../support/fixture-pki';

export const SPEC: ResolvedClusterSpec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
export const MASTER = SPEC.masters[0];

/**
 * The checks of single files and pairs. The clean tree is one master of a three-master cluster: complete for these,
 * not a cluster that comes up (the `cluster` check has its own trees, test/verify/cluster).
 */
export const FILE_CHECKS: CheckClass[] = ['schema', 'flags', 'security', 'consistency'];

interface Issued {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.PrivateKey;
}

/** RSA keys from node's fast generator, converted for forge. */
function keyPair(): forge.pki.rsa.KeyPair {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const priv = forge.pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  ) as forge.pki.rsa.PrivateKey;
  return { privateKey: priv, publicKey: forge.pki.setRsaPublicKey(priv.n, priv.e) };
}

export function issue(
  cn: string,
  opts: { ca?: Issued; isCa?: boolean; sans?: string[]; days?: number; org?: string; key?: forge.pki.rsa.KeyPair } = {},
): Issued {
  const kp = opts.key ?? keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = kp.publicKey;
  cert.serialNumber = crypto
    .randomBytes(8)
    .toString('hex')
    .replace(/^[89a-f]/, '1');
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + (opts.days ?? 365) * 86400_000);
  const subject = [
    { name: 'commonName', value: cn },
    ...(opts.org ? [{ name: 'organizationName', value: opts.org }] : []),
  ];
  cert.setSubject(subject);
  cert.setIssuer(opts.ca ? opts.ca.cert.subject.attributes : subject);
  const ext: any[] = [{ name: 'basicConstraints', cA: !!opts.isCa, critical: true }];
  ext.push(
    opts.isCa
      ? { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
  );
  if (opts.sans?.length) {
    ext.push({
      name: 'subjectAltName',
      altNames: opts.sans.map((s) => (/^[\d.]+$|:/.test(s) ? { type: 7, ip: s } : { type: 2, value: s })),
    });
  }
  cert.setExtensions(ext);
  cert.sign((opts.ca?.key ?? kp.privateKey) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return {
    cert,
    key: kp.privateKey,
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(kp.privateKey),
  };
}

/**
 * The PKI and kubeconfigs of one master, as `relative path → [content, mode]`: its `masterFiles()` from the shared
 * test PKI, plus the etcd and front-proxy CA keys (tests re-sign with them).
 */
async function pkiFiles(): Promise<Record<string, [string, number]>> {
  const pki = await fixturePki(SPEC);
  const files: Record<string, [string, number]> = {};
  for (const f of pki.masterFiles(MASTER.name)) files[f.path] = [f.content, f.mode];
  const state = pki.snapshot();
  files['pki/etcd/ca.key'] = [state['etcd/ca.key'], 0o600];
  files['pki/front-proxy-ca.key'] = [state['front-proxy-ca.key'], 0o600];
  return files;
}

let masterPki: Record<string, [string, number]> | undefined;
let cached: Record<string, [string, number]> | undefined;

/** Loads the PKI of the clean tree; `await` it in `beforeAll` before `cleanTreeFiles()` or `writeTree()`. */
export async function prepareCleanTree(): Promise<void> {
  masterPki ??= await pkiFiles();
}

/** The clean tree's files (built once per test file): `static-pods/master0/...`, `static-pods/cluster/rbac.yaml`. */
export function cleanTreeFiles(): Record<string, [string, number]> {
  if (cached) return cached;
  if (!masterPki) throw new Error('call prepareCleanTree() in beforeAll first');
  const chart = new Chart(Testing.app(), 'master0');
  // CIS 1.2.30 (Automated) until the API server sets it by default.
  const apiServer = { extraArgs: { 'service-account-extend-token-expiration': 'false' } };
  const cp = new StaticControlPlane(chart, 'cp', { cluster: SPEC, master: MASTER.name, apiServer });
  const files: Record<string, [string, number]> = {};
  const m = `static-pods/${MASTER.name}`;
  for (const obj of chart.toJson()) files[`${m}/${obj.metadata.name}.yaml`] = [Yaml.stringify(obj), 0o600];
  for (const f of cp.hostFiles()) files[`${m}/${f.path}`] = [f.content, f.mode];
  files[`${m}/apiserver/encryption-config.yaml`] = [
    renderEncryptionConfiguration(crypto.randomBytes(32).toString('base64')),
    0o600,
  ];
  for (const [rel, v] of Object.entries(masterPki)) files[`${m}/${rel}`] = v;
  const cluster = new Chart(Testing.app(), 'cluster');
  new ControlPlaneRbac(cluster, 'rbac');
  files['static-pods/cluster/rbac.yaml'] = [Yaml.stringify(...cluster.toJson()), 0o644];
  return (cached = files);
}

/** Writes the clean tree (optionally changed) into a new temp dir; returns its path. */
export function writeTree(change: (files: Record<string, [string, number]>) => void = () => undefined): string {
  const files = structuredClone(cleanTreeFiles());
  change(files);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-verify-'));
  for (const [rel, [content, mode]] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content, { mode });
    fs.chmodSync(abs, mode);
  }
  return dir;
}

/** Parses a PEM certificate + key of the tree for re-signing. */
export function loadIssued(files: Record<string, [string, number]>, base: string): Issued {
  const certPem = files[`${base}.crt`][0];
  const keyPem = files[`${base}.key`][0];
  return { certPem, keyPem, cert: forge.pki.certificateFromPem(certPem), key: forge.pki.privateKeyFromPem(keyPem) };
}

/** Edits one YAML file of the tree (first document). */
export function editYaml(files: Record<string, [string, number]>, rel: string, edit: (doc: any) => void): void {
  const docs = parseAllDocuments(files[rel][0]).map((d: any) => d.toJS());
  edit(docs[0]);
  files[rel] = [Yaml.stringify(...docs), files[rel][1]];
}
