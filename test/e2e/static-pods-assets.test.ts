/**
 * The parts of the static-pod control plane that need a kubelet and a container runtime (kube-apiserver,
 * kube-controller-manager, kube-scheduler) cannot run here; this checks, on the static-pod app's real output tree,
 * that everything they would read is there and fits together:
 * - every file path a pod references (flags, env) is inside one of its mounts and, under /etc/kubernetes, is a file
 *   the app wrote for that master (private keys 0600); paths outside /etc/kubernetes are writable mounts (logs, data);
 * - every certificate is signed by the CA its reader trusts, matches its key and names what the spec says;
 * - every kubeconfig's server URL, CA and client certificate are consistent with the spec.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { synthStaticPods } from '../../lib/synth';
import { ClusterPki } from '../../lib/pki';
import { KubeletPkiPaths, hostPathToAssetPath } from '../../lib/pki/paths';
import { ResolvedClusterSpec, STATIC_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { fixturePki } from '../support/fixture-pki';
import { argMap } from '../support/synth';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const PODS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

const spec: ResolvedClusterSpec = resolveSpec(STATIC_EXAMPLE_CLUSTER);
let tmp: string;
let pki: ClusterPki;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-assets-'));
  pki = await fixturePki(spec);
  synthStaticPods({ spec, pki, encryptionKey: crypto.randomBytes(32).toString('base64'), outdir: tmp });
}, 120_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** One master's synthesized folder, seen through its pods' eyes. */
class MasterTree {
  readonly dir: string;
  constructor(readonly name: string) {
    this.dir = path.join(tmp, 'static-pods', name);
  }

  pod(component: string): any {
    return parse(fs.readFileSync(path.join(this.dir, `${component}.yaml`), 'utf8'));
  }

  /** Where a host path under /etc/kubernetes is in the tree. */
  file(hostPath: string): string {
    const rel = hostPathToAssetPath(hostPath);
    if (rel === undefined) throw new Error(`${hostPath} is not under /etc/kubernetes`);
    return path.join(this.dir, rel);
  }

  read(hostPath: string): string {
    return fs.readFileSync(this.file(hostPath), 'utf8');
  }

  cert(hostPath: string): crypto.X509Certificate {
    return new crypto.X509Certificate(this.read(hostPath));
  }

  /** The flags of a pod (`name → value`). */
  flags(component: string): Record<string, string> {
    return argMap(this.pod(component).spec.containers[0].args ?? []);
  }

  /** The env of a pod (`name → value`). */
  env(component: string): Record<string, string> {
    return Object.fromEntries((this.pod(component).spec.containers[0].env ?? []).map((e: any) => [e.name, e.value]));
  }
}

const masters = spec.masters.map((m) => m.name);
const samePublicKey = (cert: crypto.X509Certificate, keyPem: string) =>
  cert.publicKey
    .export({ type: 'spki', format: 'der' })
    .equals(crypto.createPublicKey(keyPem).export({ type: 'spki', format: 'der' }));
const subject = (cert: crypto.X509Certificate) => {
  const lines = cert.subject.split('\n');
  return {
    cn: lines.filter((l) => l.startsWith('CN=')).map((l) => l.slice(3)),
    o: lines
      .filter((l) => l.startsWith('O='))
      .map((l) => l.slice(2))
      .sort(),
  };
};

describe.each(masters)('static-pod assets of %s', (master) => {
  const tree = () => new MasterTree(master);
  const ip = () => spec.masters.find((m) => m.name === master)!.ip;

  test.each(PODS)('every file path %s references is mounted and produced for this master', (component) => {
    const t = tree();
    const pod = t.pod(component);
    const c = pod.spec.containers[0];
    const volumes = new Map<string, any>(pod.spec.volumes.map((v: any) => [v.name, v.hostPath]));
    const mounts = (c.volumeMounts ?? []).map((m: any) => ({
      ...m,
      hostPath: volumes.get(m.name).path,
      type: volumes.get(m.name).type,
    }));
    const values = [
      ...(c.args ?? []).map((a: string) => a.slice(a.indexOf('=') + 1)),
      ...(c.env ?? []).map((e: any) => String(e.value)),
    ];
    const paths = values.flatMap((v) => v.split(',')).filter((v) => v.startsWith('/'));
    expect(paths.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const p of paths) {
      const mount = mounts
        .filter((m: any) => p === m.mountPath || p.startsWith(`${m.mountPath}/`))
        .sort((a: any, b: any) => b.mountPath.length - a.mountPath.length)[0];
      if (!mount) {
        problems.push(`${p}: not inside any volume mount`);
        continue;
      }
      const hostPath = mount.hostPath + p.slice(mount.mountPath.length);
      if (hostPathToAssetPath(hostPath) === undefined) {
        // Outside /etc/kubernetes: something the component writes (audit log, etcd data).
        if (mount.readOnly !== false)
          problems.push(`${p}: outside /etc/kubernetes, so written by ${component}, but its mount is read-only`);
        continue;
      }
      const file = t.file(hostPath);
      if (!fs.existsSync(file)) problems.push(`${p}: not produced for ${master} (no ${path.relative(t.dir, file)})`);
      else if (/\.key$|\.conf$|encryption-config/.test(p) && (fs.statSync(file).mode & 0o077) !== 0) {
        problems.push(`${p}: a secret with mode ${(fs.statSync(file).mode & 0o777).toString(8)}`);
      }
    }
    // hostPath volumes of type File/Directory must exist; the ones under /etc/kubernetes are produced by the app.
    for (const m of mounts.filter((x: any) => hostPathToAssetPath(x.hostPath) !== undefined)) {
      const target = t.file(m.hostPath);
      const want = m.type === 'FileOrCreate' || m.type === 'File' ? 'file' : 'directory';
      if (!fs.existsSync(target)) problems.push(`volume ${m.name}: ${m.hostPath} not produced`);
      else if ((want === 'file') !== fs.statSync(target).isFile())
        problems.push(`volume ${m.name}: ${m.hostPath} is not a ${want}`);
    }
    expect(problems).toEqual([]);
  });

  test('controller-manager.conf and scheduler.conf: local API server, cluster CA, their own identities', () => {
    const t = tree();
    const cases = [
      { component: 'kube-controller-manager', cn: 'system:kube-controller-manager' },
      { component: 'kube-scheduler', cn: 'system:kube-scheduler' },
    ];
    for (const c of cases) {
      const flags = t.flags(c.component);
      expect(flags['authentication-kubeconfig']).toBe(flags.kubeconfig);
      expect(flags['authorization-kubeconfig']).toBe(flags.kubeconfig);
      checkKubeconfig(t, flags.kubeconfig, { server: `https://${ip()}:${spec.apiServerPort}`, cn: c.cn, o: [] });
    }
  });

  test('admin.conf, kubelet.conf (and super-admin.conf on the first master only): the API endpoint', () => {
    const t = tree();
    checkKubeconfig(t, '/etc/kubernetes/admin.conf', {
      server: spec.apiServerUrl,
      cn: 'kubernetes-admin',
      o: ['kubeadm:cluster-admins'],
    });
    const superAdmin = t.file('/etc/kubernetes/super-admin.conf');
    if (master === masters[0])
      checkKubeconfig(t, '/etc/kubernetes/super-admin.conf', {
        server: spec.apiServerUrl,
        cn: 'kubernetes-super-admin',
        o: ['system:masters'],
      });
    else expect(fs.existsSync(superAdmin)).toBe(false);
    // kubelet.conf points at the kubelet's own pair, which the PKI hands out for this node.
    const kc = parse(t.read('/etc/kubernetes/kubelet.conf'));
    expect(kc.clusters[0].cluster.server).toBe(spec.apiServerUrl);
    expect(Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(
      t.read('/etc/kubernetes/pki/ca.crt'),
    );
    expect(kc.users[0].user).toEqual({
      'client-certificate': KubeletPkiPaths.clientCert,
      'client-key': KubeletPkiPaths.clientKey,
    });
    const files = new Map(pki.kubeletFiles(master).map((f) => [`/${f.path}`, f.content]));
    const cert = new crypto.X509Certificate(files.get(KubeletPkiPaths.clientCert)!);
    expect(subject(cert)).toEqual({ cn: [`system:node:${master}`], o: ['system:nodes'] });
    expect(cert.verify(t.cert('/etc/kubernetes/pki/ca.crt').publicKey)).toBe(true);
    expect(samePublicKey(cert, files.get(KubeletPkiPaths.clientKey)!)).toBe(true);
  });

  test('kube-apiserver: serving, etcd, kubelet-client, front-proxy and service-account material fit together', () => {
    const t = tree();
    const f = t.flags('kube-apiserver');
    const ca = t.cert(f['client-ca-file']);
    // Serving certificate: signed by the cluster CA, names this master, the endpoint and the kubernetes Service.
    const serving = t.cert(f['tls-cert-file']);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(samePublicKey(serving, t.read(f['tls-private-key-file']))).toBe(true);
    expect(serving.keyUsage).toContain(SERVER_AUTH);
    for (const host of [ip(), f['advertise-address'], spec.apiEndpoint.host, spec.apiServiceIp])
      expect({ host, ok: serving.checkIP(host) }).toEqual({ host, ok: host });
    for (const name of [master, 'kubernetes', `kubernetes.default.svc.${spec.networking.clusterDomain}`])
      expect(serving.checkHost(name)).toBe(name);
    expect(f['secure-port']).toBe(String(spec.apiServerPort));
    expect(f['kubelet-certificate-authority']).toBe(f['client-ca-file']);
    // etcd: the client certificate is trusted by the members, whose serving certificates cover --etcd-servers.
    const etcdCa = t.cert(f['etcd-cafile']);
    const etcdClient = t.cert(f['etcd-certfile']);
    expect(etcdClient.verify(etcdCa.publicKey)).toBe(true);
    expect(etcdClient.keyUsage).toContain(CLIENT_AUTH);
    expect(samePublicKey(etcdClient, t.read(f['etcd-keyfile']))).toBe(true);
    const etcdEnv = t.env('etcd');
    expect(etcdEnv.ETCD_TRUSTED_CA_FILE).toBe(f['etcd-cafile']);
    const etcdServer = t.cert(etcdEnv.ETCD_CERT_FILE);
    expect(etcdServer.verify(etcdCa.publicKey)).toBe(true);
    for (const url of f['etcd-servers'].split(','))
      expect(etcdServer.checkIP(new URL(url).hostname)).toBe(new URL(url).hostname);
    for (const url of etcdEnv.ETCD_ADVERTISE_CLIENT_URLS.split(','))
      expect(etcdServer.checkIP(new URL(url).hostname)).toBe(new URL(url).hostname);
    const peer = t.cert(etcdEnv.ETCD_PEER_CERT_FILE);
    expect(peer.verify(t.cert(etcdEnv.ETCD_PEER_TRUSTED_CA_FILE).publicKey)).toBe(true);
    expect(peer.keyUsage).toEqual(expect.arrayContaining([CLIENT_AUTH, SERVER_AUTH]));
    expect(peer.checkIP(ip())).toBe(ip());
    expect(samePublicKey(peer, t.read(etcdEnv.ETCD_PEER_KEY_FILE))).toBe(true);
    // Towards kubelets and aggregated APIs.
    const kubeletClient = t.cert(f['kubelet-client-certificate']);
    expect(kubeletClient.verify(ca.publicKey)).toBe(true);
    expect(samePublicKey(kubeletClient, t.read(f['kubelet-client-key']))).toBe(true);
    const proxy = t.cert(f['proxy-client-cert-file']);
    expect(proxy.verify(t.cert(f['requestheader-client-ca-file']).publicKey)).toBe(true);
    expect(f['requestheader-allowed-names'].split(',')).toContain(subject(proxy).cn[0]);
    expect(samePublicKey(proxy, t.read(f['proxy-client-key-file']))).toBe(true);
    // Service-account tokens: the verification key is the signing key's public half.
    expect(crypto.createPublicKey(t.read(f['service-account-key-file'])).export({ type: 'spki', format: 'pem' })).toBe(
      crypto.createPublicKey(t.read(f['service-account-signing-key-file'])).export({ type: 'spki', format: 'pem' }),
    );
  });

  test('kube-controller-manager: signs with the cluster CA and hands out the same root CA', () => {
    const t = tree();
    const f = t.flags('kube-controller-manager');
    const signer = t.cert(f['cluster-signing-cert-file']);
    expect(samePublicKey(signer, t.read(f['cluster-signing-key-file']))).toBe(true);
    expect(signer.ca).toBe(true);
    expect(t.read(f['root-ca-file'])).toBe(t.read(t.flags('kube-apiserver')['client-ca-file']));
    expect(t.read(f['client-ca-file'])).toBe(t.read(f['root-ca-file']));
    expect(t.read(f['requestheader-client-ca-file'])).toBe(
      t.read(t.flags('kube-apiserver')['requestheader-client-ca-file']),
    );
    expect(
      crypto.createPublicKey(t.read(f['service-account-private-key-file'])).export({ type: 'spki', format: 'pem' }),
    ).toBe(
      crypto
        .createPublicKey(t.read(t.flags('kube-apiserver')['service-account-key-file']))
        .export({ type: 'spki', format: 'pem' }),
    );
  });
});

test('the masters share the CAs and the service-account key, but not their serving certificates', () => {
  const trees = masters.map((m) => new MasterTree(m));
  for (const shared of [
    '/etc/kubernetes/pki/ca.crt',
    '/etc/kubernetes/pki/etcd/ca.crt',
    '/etc/kubernetes/pki/front-proxy-ca.crt',
    '/etc/kubernetes/pki/sa.pub',
  ]) {
    expect(new Set(trees.map((t) => t.read(shared))).size).toBe(1);
  }
  for (const own of [
    '/etc/kubernetes/pki/apiserver.crt',
    '/etc/kubernetes/pki/etcd/server.crt',
    '/etc/kubernetes/pki/etcd/peer.crt',
  ]) {
    expect(new Set(trees.map((t) => t.read(own))).size).toBe(masters.length);
  }
});

/** Checks a kubeconfig in the tree: one cluster (the spec's name) at `server`, the tree's CA, a client pair. */
function checkKubeconfig(t: MasterTree, hostPath: string, want: { server: string; cn: string; o: string[] }): void {
  const file = t.file(hostPath);
  expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
  const kc = parse(fs.readFileSync(file, 'utf8'));
  const context = kc.contexts.find((c: any) => c.name === kc['current-context']).context;
  const cluster = kc.clusters.find((c: any) => c.name === context.cluster);
  const user = kc.users.find((u: any) => u.name === context.user).user;
  expect({ file: hostPath, cluster: context.cluster, server: cluster.cluster.server }).toEqual({
    file: hostPath,
    cluster: spec.name,
    server: want.server,
  });
  const b64 = (s: string) => Buffer.from(s, 'base64').toString();
  const caPem = b64(cluster.cluster['certificate-authority-data']);
  expect(caPem).toBe(t.read('/etc/kubernetes/pki/ca.crt'));
  const cert = new crypto.X509Certificate(b64(user['client-certificate-data']));
  expect({ file: hostPath, ...subject(cert) }).toEqual({ file: hostPath, cn: [want.cn], o: want.o.sort() });
  expect(context.user).toBe(want.cn);
  expect(cert.verify(new crypto.X509Certificate(caPem).publicKey)).toBe(true);
  expect(cert.keyUsage).toContain(CLIENT_AUTH);
  expect(samePublicKey(cert, b64(user['client-key-data']))).toBe(true);
  // The server URL's host is in the API server certificate the client will be shown.
  const host = new URL(want.server).hostname.replace(/^\[|\]$/g, '');
  expect(t.cert('/etc/kubernetes/pki/apiserver.crt').checkIP(host)).toBe(host);
}
