import { execFileSync } from 'child_process';
import { X509Certificate, createPrivateKey } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { CLUSTER_ADMINS_GROUP, ClusterPki, KUBE_VIP_USER } from '../../lib/pki';
import { OutputFile, writeFilesAtomic } from '../../lib/util';
import { certCatalog } from '../../lib/pki/catalog';
import { BOOTKUBE_EXAMPLE_CLUSTER, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { fixturePki } from '../support/fixture-pki';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY = 86_400_000;
const staticSpec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
const bootkubeSpec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);

let pki: ClusterPki;
let bootkube: ClusterPki;
let tmp: string;
// Two real PKIs (~70 RSA keys) when this worker has none yet: minutes at load 10 on 2 cores, so no tight timeout.
beforeAll(async () => {
  [pki, bootkube] = await Promise.all([fixturePki(staticSpec), fixturePki(bootkubeSpec)]);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-pki-test-'));
}, 600_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const byPath = (files: OutputFile[]) => new Map(files.map((f) => [f.path, f]));
const x509 = (files: OutputFile[], p: string) => new X509Certificate(byPath(files).get(p)!.content);
const sans = (c: X509Certificate) => (c.subjectAltName ?? '').split(', ').filter(Boolean).sort();
/** The CA a master file must chain to. */
const caOf = (p: string) => (p.startsWith('pki/etcd/') || p === 'pki/apiserver-etcd-client.crt' ? 'pki/etcd/ca.crt' : p.startsWith('pki/front-proxy') ? 'pki/front-proxy-ca.crt' : 'pki/ca.crt');
const certUser = (pem: string) => {
  const subject = new X509Certificate(pem).subject.split('\n');
  return { cn: subject.find((s) => s.startsWith('CN='))!.slice(3), o: subject.filter((s) => s.startsWith('O=')).map((s) => s.slice(2)) };
};
const b64 = (s: string) => Buffer.from(s, 'base64').toString();
const haveKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const itKubectl = haveKubectl ? test : test.skip;

describe('master files', () => {
  test('the file set of the first and of another master (snapshot), with modes', () => {
    const list = (m: string) => pki.masterFiles(m).map((f) => `${f.path} 0${f.mode.toString(8)}`);
    expect(list('master0')).toMatchSnapshot();
    expect(list('master1')).toEqual(list('master0').filter((l) => !l.startsWith('super-admin.conf')));
    for (const f of pki.masterFiles('master0')) {
      const secret = f.path.endsWith('.key') || f.path.endsWith('.conf');
      expect([f.path, f.mode]).toEqual([f.path, secret ? 0o600 : 0o644]);
    }
  });

  test('only the cluster CA key reaches a master; etcd and front-proxy CA keys never do', () => {
    const paths = pki.masterFiles('master2').map((f) => f.path);
    expect(paths).toContain('pki/ca.key');
    expect(paths).not.toContain('pki/etcd/ca.key');
    expect(paths).not.toContain('pki/front-proxy-ca.key');
  });

  test.each(['master0', 'master1', 'master2'])('every certificate of %s chains to its CA and matches its key', (m) => {
    const files = pki.masterFiles(m);
    const map = byPath(files);
    const certs = files.filter((f) => f.path.endsWith('.crt'));
    expect(certs).toHaveLength(10);
    for (const f of certs) {
      const cert = new X509Certificate(f.content);
      const ca = f.path.endsWith('ca.crt') ? cert : x509(files, caOf(f.path));
      expect([f.path, cert.checkIssued(ca) && cert.verify(ca.publicKey)]).toEqual([f.path, true]);
      const key = map.get(f.path.replace(/\.crt$/, '.key'));
      if (key) {
        expect(key.content).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/); // PKCS#1, like kubeadm
        expect([f.path, cert.checkPrivateKey(createPrivateKey(key.content))]).toEqual([f.path, true]);
        expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      }
    }
    const sa = createPrivateKey(map.get('pki/sa.key')!.content);
    expect(map.get('pki/sa.pub')!.content).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(sa.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  test('openssl verify accepts every chain, with the purpose each certificate is for', () => {
    const dir = path.join(tmp, 'master0');
    writeFilesAtomic(dir, pki.masterFiles('master0'));
    const verify = (ca: string, purpose: string, ...certs: string[]) =>
      execFileSync('openssl', ['verify', '-purpose', purpose, '-CAfile', path.join(dir, ca), ...certs.map((c) => path.join(dir, c))]).toString();
    expect(verify('pki/ca.crt', 'sslserver', 'pki/apiserver.crt')).toMatch(/apiserver.crt: OK/);
    expect(verify('pki/ca.crt', 'sslclient', 'pki/apiserver-kubelet-client.crt')).toMatch(/OK/);
    expect(verify('pki/front-proxy-ca.crt', 'sslclient', 'pki/front-proxy-client.crt')).toMatch(/OK/);
    expect(verify('pki/etcd/ca.crt', 'sslclient', 'pki/apiserver-etcd-client.crt', 'pki/etcd/healthcheck-client.crt',
      'pki/etcd/server.crt', 'pki/etcd/peer.crt')).toMatch(/peer.crt: OK/);
    expect(verify('pki/etcd/ca.crt', 'sslserver', 'pki/etcd/server.crt', 'pki/etcd/peer.crt')).toMatch(/server.crt: OK\n.*peer.crt: OK/);
    // A client certificate is not a server certificate: the purposes are really checked.
    expect(() => execFileSync('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', path.join(dir, 'pki/ca.crt'),
      path.join(dir, 'pki/apiserver-kubelet-client.crt')], { stdio: 'pipe' })).toThrow();
    // Key usages and basic constraints as kubeadm sets them.
    const ext = (f: string) => execFileSync('openssl', ['x509', '-noout', '-ext', 'keyUsage,basicConstraints', '-in', path.join(dir, f)]).toString();
    expect(ext('pki/ca.crt')).toMatch(/critical\n\s+Digital Signature, Key Encipherment, Certificate Sign[\s\S]*CA:TRUE/);
    expect(ext('pki/apiserver.crt')).toMatch(/critical\n\s+Digital Signature, Key Encipherment\n[\s\S]*CA:FALSE/);
    // Directories holding keys are private.
    expect(fs.statSync(path.join(dir, 'pki')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'pki/etcd/server.key')).mode & 0o777).toBe(0o600);
  });

  test('apiserver SANs: service names, first service IP, the master, the API endpoint', () => {
    expect(sans(x509(pki.masterFiles('master1'), 'pki/apiserver.crt'))).toEqual([
      'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
      'DNS:master1', 'IP Address:10.180.0.11', 'IP Address:10.180.1.1', 'IP Address:10.47.40.33',
    ]);
    const c = x509(pki.masterFiles('master1'), 'pki/apiserver.crt');
    expect(c.keyUsage).toEqual([SERVER_AUTH]);
    expect(c.checkIP('10.47.40.33')).toBe('10.47.40.33');
    expect(c.checkHost('master0')).toBeUndefined();
  });

  test('etcd server and peer certificates: node name, localhost, node IP, loopbacks; server and client auth', () => {
    for (const p of ['pki/etcd/server.crt', 'pki/etcd/peer.crt']) {
      const c = x509(pki.masterFiles('master2'), p);
      expect(sans(c)).toEqual(['DNS:localhost', 'DNS:master2', 'IP Address:0:0:0:0:0:0:0:1', 'IP Address:10.180.0.12', 'IP Address:127.0.0.1']);
      expect(c.keyUsage?.sort()).toEqual([SERVER_AUTH, CLIENT_AUTH]);
      expect(c.subject).toBe('CN=master2');
    }
  });

  test('client identities: least privilege, system:masters only in super-admin', () => {
    const files = pki.masterFiles('master0');
    const subject = (p: string) => x509(files, p).subject;
    expect(subject('pki/apiserver-kubelet-client.crt')).toBe('CN=kube-apiserver-kubelet-client');
    expect(subject('pki/apiserver-etcd-client.crt')).toBe('CN=kube-apiserver-etcd-client');
    expect(subject('pki/etcd/healthcheck-client.crt')).toBe('CN=kube-etcd-healthcheck-client');
    expect(subject('pki/front-proxy-client.crt')).toBe('CN=front-proxy-client');
    for (const p of ['pki/apiserver-kubelet-client.crt', 'pki/apiserver-etcd-client.crt', 'pki/etcd/healthcheck-client.crt']) {
      expect(x509(files, p).keyUsage).toEqual([CLIENT_AUTH]);
    }
    const masters = files.filter((f) => f.path.endsWith('.crt') && f.content && new X509Certificate(f.content).subject.includes('system:masters'));
    expect(masters).toEqual([]);
  });

  test('validity: CAs 10 years, leaves 1 year, backdated 5 minutes; random positive serials', () => {
    const certs = pki.masterFiles('master0').filter((f) => f.path.endsWith('.crt')).map((f) => [f.path, new X509Certificate(f.content)] as const);
    for (const [p, c] of certs) {
      const days = (Date.parse(c.validTo) - Date.parse(c.validFrom)) / DAY;
      const expected = c.ca ? 3650 : 365;
      expect([p, Math.abs(days - (expected + 5 / 1440)) < 1e-6]).toEqual([p, true]);
      expect(Date.parse(c.validFrom)).toBeLessThanOrEqual(Date.now());
      expect(c.serialNumber).toMatch(/^[4-7][0-9A-F]{15}$/);
    }
    expect(new Set(certs.map(([, c]) => c.serialNumber)).size).toBe(certs.length);
  });

  test('renewalDueAt: the first moment a certificate turns expiring, exactly where status() (and ensure()) flips', () => {
    const due = pki.renewalDueAt().getTime();
    const leaves = Object.entries(pki.snapshot()).filter(([p]) => p.endsWith('.crt')).map(([, pem]) => new X509Certificate(pem)).filter((c) => !c.ca);
    expect(due).toBe(Math.min(...leaves.map((c) => Date.parse(c.validTo))) - staticSpec.pki.renewBeforeDays * DAY);
    expect(pki.status(new Date(due - 1000)).filter((r) => r.state !== 'ok')).toEqual([]);
    expect(pki.status(new Date(due + 1000)).some((r) => r.state === 'expiring')).toBe(true);
  });

  test('unknown master or worker names are refused with the known names', () => {
    expect(() => pki.masterFiles('master9')).toThrow(/unknown master 'master9' \(masters: master0, master1, master2\)/);
    expect(() => pki.workerFiles('worker9')).toThrow(/unknown worker 'worker9' \(workers: none\)/);
    expect(() => pki.kubeletFiles('nope')).toThrow(/unknown node 'nope'/);
  });
});

describe('kubeconfigs', () => {
  const conf = (files: OutputFile[], p: string) => parse(byPath(files).get(p)!.content);

  test.each([
    ['admin.conf', 'kubernetes-admin', [CLUSTER_ADMINS_GROUP], 'https://10.47.40.33:443'],
    ['super-admin.conf', 'kubernetes-super-admin', ['system:masters'], 'https://10.47.40.33:443'],
    ['controller-manager.conf', 'system:kube-controller-manager', [], 'https://10.180.0.10:6443'],
    ['scheduler.conf', 'system:kube-scheduler', [], 'https://10.180.0.10:6443'],
  ])('%s: user %s, groups %j, server %s; embedded credentials match', (file, user, groups, server) => {
    const files = pki.masterFiles('master0');
    const k = conf(files, file);
    expect(k).toMatchObject({ 'apiVersion': 'v1', 'kind': 'Config', 'current-context': `${user}@kubernetes` });
    expect(k.clusters).toEqual([{ name: 'kubernetes', cluster: { 'certificate-authority-data': expect.any(String), server } }]);
    expect(b64(k.clusters[0].cluster['certificate-authority-data'])).toBe(byPath(files).get('pki/ca.crt')!.content);
    expect(k.contexts).toEqual([{ name: `${user}@kubernetes`, context: { cluster: 'kubernetes', user } }]);
    const certPem = b64(k.users[0].user['client-certificate-data']);
    expect(certUser(certPem)).toEqual({ cn: user, o: groups });
    const cert = new X509Certificate(certPem);
    expect(cert.checkPrivateKey(createPrivateKey(b64(k.users[0].user['client-key-data'])))).toBe(true);
    expect(cert.verify(x509(files, 'pki/ca.crt').publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
  });

  test('controller-manager and scheduler talk to their own master; kubelet.conf to the endpoint, by file', () => {
    expect(conf(pki.masterFiles('master2'), 'scheduler.conf').clusters[0].cluster.server).toBe('https://10.180.0.12:6443');
    const kubelet = conf(pki.masterFiles('master2'), 'kubelet.conf');
    expect(kubelet.clusters[0].cluster.server).toBe('https://10.47.40.33:443');
    expect(kubelet.users).toEqual([{ name: 'system:node:master2',
      user: { 'client-certificate': '/var/lib/kubelet/pki/kubelet-client.crt', 'client-key': '/var/lib/kubelet/pki/kubelet-client.key' } }]);
  });

  itKubectl('kubectl reads them (when kubectl is installed)', () => {
    const dir = path.join(tmp, 'kubectl');
    writeFilesAtomic(dir, pki.masterFiles('master0'));
    const view = (f: string) => execFileSync('kubectl', ['config', 'view', '--kubeconfig', path.join(dir, f), '-o', 'jsonpath={.users[0].name} {.clusters[0].cluster.server}']).toString();
    expect(view('admin.conf')).toBe('kubernetes-admin https://10.47.40.33:443');
    expect(view('controller-manager.conf')).toBe('system:kube-controller-manager https://10.180.0.10:6443');
  });
});

describe('nodes and workers', () => {
  test('a worker gets the CA certificate and kubelet.conf, no key at all', () => {
    const files = bootkube.workerFiles('worker01');
    expect(files.map((f) => f.path)).toEqual(['pki/ca.crt', 'kubelet.conf']);
    expect(parse(files[1].content).users[0].name).toBe('system:node:worker01');
  });

  test.each(['master01', 'worker01'])('kubelet pairs of %s: client system:node identity, CA-signed serving cert', (node) => {
    const files = bootkube.kubeletFiles(node);
    expect(files.map((f) => `${f.path} 0${f.mode.toString(8)}`)).toEqual([
      'var/lib/kubelet/pki/kubelet-client.crt 0644', 'var/lib/kubelet/pki/kubelet-client.key 0600',
      'var/lib/kubelet/pki/kubelet.crt 0644', 'var/lib/kubelet/pki/kubelet.key 0600',
    ]);
    const ca = new X509Certificate(bootkube.workerFiles('worker01')[0].content);
    const [client, clientKey, serving, servingKey] = files.map((f) => f.content);
    const ip = [...bootkubeSpec.masters, ...bootkubeSpec.workers].find((n) => n.name === node)!.ip;
    expect(certUser(client)).toEqual({ cn: `system:node:${node}`, o: ['system:nodes'] });
    expect(new X509Certificate(client).keyUsage).toEqual([CLIENT_AUTH]);
    expect(new X509Certificate(serving).keyUsage).toEqual([SERVER_AUTH]);
    expect(sans(new X509Certificate(serving))).toEqual([`DNS:${node}`, `IP Address:${ip}`]);
    for (const [c, k] of [[client, clientKey], [serving, servingKey]]) {
      const cert = new X509Certificate(c);
      expect(cert.verify(ca.publicKey) && cert.checkPrivateKey(createPrivateKey(k))).toBe(true);
    }
  });
});

describe('bootkube assets', () => {
  test('file layout and modes', () => {
    expect(bootkube.bootkubeFiles().map((f) => `${f.path} 0${f.mode.toString(8)}`)).toMatchSnapshot();
  });

  test('openssl verify: bootkube tls/* and the kubelet pairs chain to the cluster and etcd CAs', () => {
    const dir = path.join(tmp, 'bootkube');
    writeFilesAtomic(dir, [...bootkube.bootkubeFiles(), ...bootkube.kubeletFiles('worker01').map((f) => ({ ...f, path: f.path.replace('var/lib/kubelet/pki/', 'kubelet/') }))]);
    const verify = (ca: string, purpose: string, ...certs: string[]) =>
      execFileSync('openssl', ['verify', '-purpose', purpose, '-CAfile', path.join(dir, ca), ...certs.map((c) => path.join(dir, c))]).toString();
    expect(verify('tls/ca.crt', 'sslserver', 'tls/apiserver.crt', 'kubelet/kubelet.crt')).toMatch(/apiserver.crt: OK\n.*kubelet.crt: OK/);
    expect(verify('tls/ca.crt', 'sslclient', 'tls/kubelet.crt', 'tls/apiserver-kubelet-client.crt', 'kubelet/kubelet-client.crt')).toMatch(/(OK\n.*){2}OK/);
    expect(verify('tls/etcd-client-ca.crt', 'sslclient', 'tls/etcd-client.crt')).toMatch(/OK/);
    expect(verify('tls/front-proxy-ca.crt', 'sslclient', 'tls/front-proxy-client.crt')).toMatch(/OK/);
    expect(fs.statSync(path.join(dir, 'tls')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'auth/kubeconfig')).mode & 0o777).toBe(0o600);
    // bootkube start runs before any RBAC binding exists: system:masters; admin.conf is the everyday identity.
    const subjectOf = (file: string) => {
      const conf = parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      return new X509Certificate(Buffer.from(conf.users[0].user['client-certificate-data'], 'base64')).subject;
    };
    expect(subjectOf('auth/kubeconfig')).toMatch(/O=system:masters/);
    expect(subjectOf('auth/admin.conf')).toMatch(/O=kubeadm:cluster-admins/);
  });

  test('one apiserver certificate for every master, the VIP and the service IP', () => {
    const a = bootkube.bootkubeAssets();
    const c = new X509Certificate(a.apiserverCrt);
    for (const ip of ['172.17.5.101', '172.17.5.102', '172.17.5.103', '172.17.5.100', '10.3.0.1']) expect(c.checkIP(ip)).toBe(ip);
    for (const host of ['master01', 'master03', 'kubernetes.default.svc.cluster.local']) expect(c.checkHost(host)).toBe(host);
    expect(c.verify(new X509Certificate(a.caCrt).publicKey)).toBe(true);
    expect(c.checkPrivateKey(createPrivateKey(a.apiserverKey))).toBe(true);
  });

  test('same CAs and keys as the static files; kubelet cert is the first master node identity; admin kubeconfig', () => {
    const a = bootkube.bootkubeAssets();
    const m = byPath(bootkube.masterFiles('master01'));
    expect(a.caCrt).toBe(m.get('pki/ca.crt')!.content);
    expect(a.serviceAccountKey).toBe(m.get('pki/sa.key')!.content);
    expect(a.serviceAccountPub).toBe(m.get('pki/sa.pub')!.content);
    expect(a.etcdClientCaCrt).toBe(m.get('pki/etcd/ca.crt')!.content);
    expect(a.etcdClientCrt).toBe(m.get('pki/apiserver-etcd-client.crt')!.content);
    expect(a.frontProxyCaCrt).toBe(m.get('pki/front-proxy-ca.crt')!.content);
    expect(a.kubeletCrt).toBe(bootkube.kubeletFiles('master01')[0].content);
    expect(certUser(a.kubeletCrt)).toEqual({ cn: 'system:node:master01', o: ['system:nodes'] });
    expect(certUser(a.apiserverKubeletClientCrt)).toEqual({ cn: 'kube-apiserver-kubelet-client', o: [] });
    const k = parse(a.kubeconfig);
    expect(k.clusters[0]).toEqual({ name: 'vagrant', cluster: { 'certificate-authority-data': expect.any(String), 'server': 'https://172.17.5.100:443' } });
    expect(certUser(b64(k.users[0].user['client-certificate-data']))).toEqual({ cn: 'kubernetes-admin', o: [CLUSTER_ADMINS_GROUP] });
    expect(certUser(b64(parse(a.superAdminKubeconfig).users[0].user['client-certificate-data'])).o).toEqual(['system:masters']);
  });
});

describe('kube-vip identity (loadBalancer.type: kube-vip)', () => {
  test('every master gets kube-vip.conf (0600): user hacp:kube-vip without groups, its own API server, embedded pair', () => {
    for (const [i, m] of bootkubeSpec.masters.entries()) {
      const files = bootkube.masterFiles(m.name);
      expect(files.map((f) => `${f.path} 0${f.mode.toString(8)}`).slice(-2)).toEqual(['kubelet.conf 0600', 'kube-vip.conf 0600']);
      expect(bootkube.kubeVipFiles(m.name)).toEqual([files[files.length - 1]]);
      const k = parse(files[files.length - 1].content);
      expect(k.clusters[0].cluster.server).toBe(`https://${m.ip}:443`);
      expect(k['current-context']).toBe(`${KUBE_VIP_USER}@vagrant`);
      const certPem = b64(k.users[0].user['client-certificate-data']);
      expect(certUser(certPem)).toEqual({ cn: 'hacp:kube-vip', o: [] });
      const cert = new X509Certificate(certPem);
      expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
      expect(cert.verify(x509(files, 'pki/ca.crt').publicKey)).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(b64(k.users[0].user['client-key-data'])))).toBe(true);
      // The master's own apiserver certificate names the address kube-vip dials.
      expect(x509(files, 'pki/apiserver.crt').checkIP(m.ip)).toBe(m.ip);
      expect(bootkube.kubeconfig('kube-vip', m.name)).toBe(files[files.length - 1].content);
      expect(bootkube.status().find((r) => r.name === `kube-vip.conf (${m.name})`)).toMatchObject({ state: 'ok' });
      if (i > 0) expect(cert.serialNumber).not.toBe(new X509Certificate(b64(parse(bootkube.kubeVipFiles(bootkubeSpec.masters[0].name)[0].content).users[0].user['client-certificate-data'])).serialNumber);
    }
  });

  test('nowhere else: not on workers, not in the bootkube asset dir, not in other clusters', () => {
    expect(bootkube.workerFiles('worker01').map((f) => f.path)).toEqual(['pki/ca.crt', 'kubelet.conf']);
    expect(bootkube.bootkubeFiles().map((f) => f.path).filter((p) => p.includes('vip'))).toEqual([]);
    expect(pki.kubeVipFiles('master0')).toEqual([]);
    expect(pki.masterFiles('master0').map((f) => f.path)).not.toContain('kube-vip.conf');
    expect(() => pki.kubeconfig('kube-vip', 'master0')).toThrow(/no kube-vip kubeconfig \(loadBalancer.type is not 'kube-vip'\)/);
    expect(() => bootkube.kubeconfig('kube-vip', 'worker01')).toThrow(/unknown master 'worker01'/);
  });

  itKubectl('kubectl reads it (when kubectl is installed)', () => {
    const dir = path.join(tmp, 'kube-vip');
    writeFilesAtomic(dir, bootkube.masterFiles('master03'));
    expect(execFileSync('kubectl', ['config', 'view', '--kubeconfig', path.join(dir, 'kube-vip.conf'), '-o',
      'jsonpath={.users[0].name} {.clusters[0].cluster.server}']).toString()).toBe('hacp:kube-vip https://172.17.5.103:443');
  });
});

describe('catalog', () => {
  const summary = (spec = staticSpec) => certCatalog(spec).map((e) =>
    `${e.name}: ${[...e.organizations.map((o) => `O=${o}`), `CN=${e.commonName}`].join(',')} [${e.profile}${e.signer ? ` by ${e.signer}` : ''}] ${[...e.dns, ...e.ips].join(' ')}`);

  test('default (static example): every certificate kubeadm makes (snapshot)', () => {
    expect(summary()).toMatchSnapshot();
    expect(summary().length).toBe(31);
  });

  test('customised: extra SANs, VIPs, DNS endpoint, other domain, workers, IPv6 master', () => {
    const spec = resolveSpec({
      name: 'prod',
      masters: [{ name: 'cp1', ip: '192.168.1.10' }, { name: 'cp2', ip: 'fd00::10' }],
      workers: [{ name: 'w1', ip: '192.168.1.20' }],
      apiEndpoint: { host: 'api.prod.example.com', port: 8443 },
      networking: { clusterDomain: 'prod.local' },
      extraCertSans: ['k8s.example.com', '203.0.113.7', '192.168.1.10'],
      loadBalancer: { type: 'haproxy', haproxy: { vip: '192.168.1.5' } },
    });
    const s = summary(spec);
    expect(s).toMatchSnapshot();
    const apiserver = certCatalog(spec).find((e) => e.id === 'nodes/cp1/apiserver')!;
    expect(apiserver.dns).toEqual(['cp1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.prod.local',
      'api.prod.example.com', 'k8s.example.com']);
    expect(apiserver.ips).toEqual(['10.96.0.1', '192.168.1.10', '192.168.1.5', '203.0.113.7']); // deduplicated
    expect(certCatalog(spec).find((e) => e.id === 'nodes/cp2/etcd-server')!.ips).toEqual(['fd00::10', '127.0.0.1', '::1']);
  });

  test('the issued certificates carry exactly the catalog SANs and subjects', () => {
    for (const row of pki.status()) {
      expect([row.name, row.state]).toEqual([row.name, 'ok']);
    }
    const entry = certCatalog(staticSpec).find((e) => e.id === 'bootkube/apiserver')!;
    const c = new X509Certificate(pki.bootkubeAssets().apiserverCrt);
    expect(sans(c)).toEqual([...entry.dns.map((d) => `DNS:${d}`), ...entry.ips.map((i) => `IP Address:${i}`)].sort());
  });
});

describe('key sizes and validity settings', () => {
  test('RSA-3072 and custom validity apply to what is issued (front-proxy CA and client made again)', async () => {
    const spec = resolveSpec({ ...STATIC_EXAMPLE_CLUSTER, pki: { keySize: 3072, validityDays: 30, caValidityDays: 100, renewBeforeDays: 7 } });
    const files = Object.fromEntries(Object.entries(pki.snapshot()).filter(([p]) => !p.startsWith('front-proxy-')));
    const lines: string[] = [];
    const now = new Date();
    const custom = await ClusterPki.inMemory(spec, { files, now, log: (l) => lines.push(l) });
    expect(lines).toEqual([
      'created CA front-proxy-ca (CN=front-proxy-ca, 100 days): not in the state directory',
      'issued front-proxy-client: not in the state directory',
    ]);
    const m = custom.masterFiles('master0');
    const ca = x509(m, 'pki/front-proxy-ca.crt');
    const client = x509(m, 'pki/front-proxy-client.crt');
    expect(client.verify(ca.publicKey)).toBe(true);
    for (const [c, days] of [[ca, 100], [client, 30]] as const) {
      expect(c.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
      expect((Date.parse(c.validTo) - Date.parse(c.validFrom)) / DAY).toBeCloseTo(days + 5 / 1440, 6);
      expect(Date.parse(c.validFrom)).toBe(Math.floor(now.getTime() / 1000) * 1000 - 5 * 60_000);
    }
    expect(x509(m, 'pki/apiserver.crt').publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048); // kept, still valid
    const later = custom.status(new Date(now.getTime() + 25 * DAY));
    expect(later.find((r) => r.name === 'front-proxy-client')).toMatchObject({ state: 'expiring', daysLeft: 4 });
    expect(later.find((r) => r.name === 'front-proxy-ca')).toMatchObject({ state: 'ok' });
    expect(later.find((r) => r.name === 'apiserver (master0)')).toMatchObject({ state: 'ok' });
  }, 60_000);
});
