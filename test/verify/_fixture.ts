/**
 * Test fixture: a clean static-pod tree for one master of the static example (the real control-plane constructs,
 * plus a PKI made here with throw-away keys), written into a temp dir.
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

export const SPEC: ResolvedClusterSpec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
export const MASTER = SPEC.masters[0];

interface Issued { certPem: string; keyPem: string; cert: forge.pki.Certificate; key: forge.pki.PrivateKey }

const keys: forge.pki.rsa.KeyPair[] = [];
/** RSA keys from node's fast generator, converted for forge. */
function keyPair(): forge.pki.rsa.KeyPair {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const priv = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const pair = { privateKey: priv, publicKey: forge.pki.setRsaPublicKey(priv.n, priv.e) };
  keys.push(pair);
  return pair;
}

export function issue(cn: string, opts: { ca?: Issued; isCa?: boolean; sans?: string[]; days?: number; org?: string; key?: forge.pki.rsa.KeyPair } = {}): Issued {
  const kp = opts.key ?? keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = kp.publicKey;
  cert.serialNumber = crypto.randomBytes(8).toString('hex').replace(/^[89a-f]/, '1');
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + (opts.days ?? 365) * 86400_000);
  const subject = [{ name: 'commonName', value: cn }, ...(opts.org ? [{ name: 'organizationName', value: opts.org }] : [])];
  cert.setSubject(subject);
  cert.setIssuer(opts.ca ? opts.ca.cert.subject.attributes : subject);
  const ext: any[] = [{ name: 'basicConstraints', cA: !!opts.isCa, critical: true }];
  ext.push(opts.isCa ? { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true }
    : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
  if (opts.sans?.length) {
    ext.push({ name: 'subjectAltName', altNames: opts.sans.map((s) => (/^[\d.]+$|:/.test(s) ? { type: 7, ip: s } : { type: 2, value: s })) });
  }
  cert.setExtensions(ext);
  cert.sign((opts.ca?.key ?? kp.privateKey) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { cert, key: kp.privateKey, certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(kp.privateKey) };
}

function kubeconfig(ca: Issued, user: Issued, name: string, server: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return Yaml.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': `${name}@kubernetes`,
    clusters: [{ name: 'kubernetes', cluster: { server, 'certificate-authority-data': b64(ca.certPem) } }],
    contexts: [{ name: `${name}@kubernetes`, context: { cluster: 'kubernetes', user: name } }],
    users: [{ name, user: { 'client-certificate-data': b64(user.certPem), 'client-key-data': b64(user.keyPem) } }],
  });
}

/** The PKI and kubeconfigs of one master, as `relative path → [content, mode]`. */
function pkiFiles(): Record<string, [string, number]> {
  const d = SPEC.networking.clusterDomain;
  const ca = issue('kubernetes', { isCa: true, days: 3650, sans: ['kubernetes'] });
  const fp = issue('front-proxy-ca', { isCa: true, days: 3650 });
  const etcdCa = issue('etcd-ca', { isCa: true, days: 3650 });
  const files: Record<string, [string, number]> = {};
  const put = (name: string, i: Issued) => {
    files[`pki/${name}.crt`] = [i.certPem, 0o644];
    files[`pki/${name}.key`] = [i.keyPem, 0o600];
  };
  put('ca', ca);
  put('front-proxy-ca', fp);
  put('etcd/ca', etcdCa);
  put('apiserver', issue('kube-apiserver', { ca, sans: [MASTER.name, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${d}`, SPEC.apiServiceIp, MASTER.ip, SPEC.apiEndpoint.host] }));
  put('apiserver-kubelet-client', issue('kube-apiserver-kubelet-client', { ca, org: 'kubeadm:cluster-admins' }));
  put('front-proxy-client', issue('front-proxy-client', { ca: fp }));
  put('apiserver-etcd-client', issue('kube-apiserver-etcd-client', { ca: etcdCa }));
  put('etcd/server', issue(MASTER.name, { ca: etcdCa, sans: [MASTER.name, 'localhost', MASTER.ip, '127.0.0.1'] }));
  put('etcd/peer', issue(MASTER.name, { ca: etcdCa, sans: [MASTER.name, 'localhost', MASTER.ip, '127.0.0.1'] }));
  put('etcd/healthcheck-client', issue('kube-etcd-healthcheck-client', { ca: etcdCa }));
  const sa = keyPair();
  files['pki/sa.key'] = [forge.pki.privateKeyToPem(sa.privateKey), 0o600];
  files['pki/sa.pub'] = [forge.pki.publicKeyToPem(sa.publicKey), 0o644];
  const local = `https://${MASTER.ip}:${SPEC.apiServerPort}`;
  files['admin.conf'] = [kubeconfig(ca, issue('kubernetes-admin', { ca, org: 'kubeadm:cluster-admins' }), 'kubernetes-admin', SPEC.apiServerUrl), 0o600];
  files['super-admin.conf'] = [kubeconfig(ca, issue('kubernetes-super-admin', { ca, org: 'system:masters' }), 'kubernetes-super-admin', SPEC.apiServerUrl), 0o600];
  files['controller-manager.conf'] = [kubeconfig(ca, issue('system:kube-controller-manager', { ca }), 'system:kube-controller-manager', local), 0o600];
  files['scheduler.conf'] = [kubeconfig(ca, issue('system:kube-scheduler', { ca }), 'system:kube-scheduler', local), 0o600];
  return files;
}

let cached: Record<string, [string, number]> | undefined;

/** The clean tree's files (built once per test file): `static-pods/master0/...`, `static-pods/cluster/rbac.yaml`. */
export function cleanTreeFiles(): Record<string, [string, number]> {
  if (cached) return cached;
  const chart = new Chart(Testing.app(), 'master0');
  // CIS 1.2.30 (Automated) until the API server sets it by default.
  const apiServer = { extraArgs: { 'service-account-extend-token-expiration': 'false' } };
  const cp = new StaticControlPlane(chart, 'cp', { cluster: SPEC, master: MASTER.name, apiServer });
  const files: Record<string, [string, number]> = {};
  const m = `static-pods/${MASTER.name}`;
  for (const obj of chart.toJson()) files[`${m}/${obj.metadata.name}.yaml`] = [Yaml.stringify(obj), 0o600];
  for (const f of cp.hostFiles()) files[`${m}/${f.path}`] = [f.content, f.mode];
  files[`${m}/apiserver/encryption-config.yaml`] = [renderEncryptionConfiguration(crypto.randomBytes(32).toString('base64')), 0o600];
  for (const [rel, v] of Object.entries(pkiFiles())) files[`${m}/${rel}`] = v;
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
