import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { buildBootkube, manifestFileFor, synthBootkube } from '../../lib/synth';
import { DnsProvider } from '../../lib/addons';
import { BOOTKUBE_EXAMPLE_CLUSTER, resolveSpec } from '../../lib/spec';
import { fixturePki } from '../support/fixture-pki';
import { allProblems, argMap, clusterAdminGrants, find, mastersWithoutToleration } from '../addons/_checks';
import { dummyTls, pemMask } from '../self-hosted/_shared';

expect.addSnapshotSerializer(pemMask);
const spec = resolveSpec(BOOTKUBE_EXAMPLE_CLUSTER);
const all = (m: Record<string, any[]>) => Object.entries(m).filter(([f]) => f.startsWith('manifests/')).flatMap(([, o]) => o);
const container = (objs: any[], kind: string, name: string) => find(objs, kind, name).spec.template.spec.containers[0];

describe('bootkube app', () => {
  const manifests = buildBootkube(spec, dummyTls());
  const objs = all(manifests);

  test('layout: bootkube file names', () => {
    expect(Object.keys(manifests).sort()).toEqual([
      'bootstrap-manifests/bootstrap-apiserver.yaml', 'bootstrap-manifests/bootstrap-controller-manager.yaml', 'bootstrap-manifests/bootstrap-scheduler.yaml',
      'manifests/control-plane-rbac.yaml', 'manifests/coredns.yaml', 'manifests/kube-apiserver-secret.yaml', 'manifests/kube-apiserver.yaml',
      'manifests/kube-controller-manager-disruption.yaml', 'manifests/kube-controller-manager-secret.yaml', 'manifests/kube-controller-manager.yaml',
      'manifests/kube-dashboard.yaml', 'manifests/kube-dns-svc.yaml', 'manifests/kube-flannel-cfg.yaml', 'manifests/kube-flannel.yaml', 'manifests/kube-proxy.yaml',
      'manifests/kube-scheduler-disruption.yaml', 'manifests/kube-scheduler.yaml', 'manifests/metrics-server.yaml', 'manifests/namespace.yaml',
    ]);
    expect(manifests).toMatchSnapshot();
  });

  test('every object is valid, selected, namespaced, pinned; no cluster-admin ServiceAccount', () => {
    expect(allProblems(objs)).toEqual([]);
    expect(allProblems(Object.values(manifests).flat().filter((o) => o.kind === 'Pod'))).toEqual([]);
  });

  test('DaemonSets meant for masters tolerate the control-plane taint', () => {
    expect(mastersWithoutToleration(objs)).toEqual([]);
    expect(find(objs, 'DaemonSet', 'kube-apiserver').spec.template.spec.nodeSelector).toEqual({ 'node.kubernetes.io/controller': 'true' });
  });

  test('the retired pod-checkpointer is off by default (hacp-checkpointer.service replaces it); opt-in, it is marked retired', () => {
    expect(objs.filter((o) => o.metadata.name === 'pod-checkpointer')).toEqual([]);
    const m = buildBootkube(spec, dummyTls(), { podCheckpointer: true });
    const ds = find(m['manifests/pod-checkpointer.yaml'], 'DaemonSet', 'pod-checkpointer');
    expect(ds.spec.template.spec.nodeSelector).toEqual({ 'node.kubernetes.io/controller': 'true' });
    expect(ds.metadata.annotations['hacp.io/retired']).toMatch(/CRI v1alpha2.*hacp-checkpointer.service/);
  });

  test('DNS IP, pod CIDR and service CIDR agree everywhere', () => {
    const api = argMap(container(objs, 'DaemonSet', 'kube-apiserver').args);
    const bootApi = argMap(manifests['bootstrap-manifests/bootstrap-apiserver.yaml'][0].spec.containers[0].args);
    const cm = argMap(container(objs, 'Deployment', 'kube-controller-manager').args);
    const bootCm = argMap(manifests['bootstrap-manifests/bootstrap-controller-manager.yaml'][0].spec.containers[0].args);
    const proxy = argMap(container(objs, 'DaemonSet', 'kube-proxy').args);
    const flannel = JSON.parse(find(objs, 'ConfigMap', 'kube-flannel-cfg').data['net-conf.json']);
    const dns = find(objs, 'Service', 'kube-dns');
    // service CIDR: the seed had 10.3.0.0/24 in the bootstrap API server and 10.3.0.0/16 in the DaemonSet.
    expect(new Set([api['service-cluster-ip-range'], bootApi['service-cluster-ip-range'], cm['service-cluster-ip-range'], bootCm['service-cluster-ip-range']])).toEqual(new Set(['10.3.0.0/24']));
    expect(new Set([cm['cluster-cidr'], bootCm['cluster-cidr'], proxy['cluster-cidr'], flannel.Network])).toEqual(new Set(['10.2.0.0/16']));
    expect(dns.spec.clusterIP).toBe(spec.dnsServiceIp);
    expect(dns.spec.clusterIP).toBe('10.3.0.10');
  });

  test('the CA key is only in the controller manager Secret', () => {
    const withCaKey = objs.filter((o) => o.kind === 'Secret' && o.stringData?.['ca.key']);
    expect(withCaKey.map((o) => o.metadata.name)).toEqual(['kube-controller-manager']);
  });

  test('options: kube-dns, heapster instead of metrics-server, no dashboard, the legacy binding', () => {
    const m = buildBootkube(spec, dummyTls(), { dns: DnsProvider.KUBE_DNS, heapster: true, dashboard: false, legacyKubeSystemDefaultAdmin: true });
    expect(Object.keys(m)).toEqual(expect.arrayContaining(['manifests/kube-dns.yaml', 'manifests/heapster.yaml', 'manifests/kube-system-rbac-role-binding.yaml']));
    expect(Object.keys(m)).not.toContain('manifests/metrics-server.yaml');
    expect(Object.keys(m)).not.toContain('manifests/kube-dashboard.yaml');
    expect(clusterAdminGrants(all(m))).toEqual(['system:default-sa: kube-system/default']);
    expect(allProblems(all(m)).filter((p) => !p.startsWith('system:default-sa'))).toEqual([]);
  });

  test('an object no rule places is an error', () => {
    expect(() => manifestFileFor({ kind: 'ConfigMap', metadata: { name: 'stray' } })).toThrow('no bootkube manifest file for ConfigMap stray');
  });

  test('synthBootkube writes the tree with the PKI files, keys 0600', async () => {
    const pki = await fixturePki(spec);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bootkube-'));
    try {
      fs.mkdirSync(path.join(out, 'bootkube', 'manifests'), { recursive: true });
      fs.writeFileSync(path.join(out, 'bootkube', 'manifests', 'stale.yaml'), 'x');
      const written = synthBootkube(spec, pki, out, { encryptionKey: Buffer.alloc(32, 7).toString('base64') });
      expect(written).toEqual(expect.arrayContaining(['bootkube/auth/kubeconfig', 'bootkube/tls/ca.crt', 'bootkube/manifests/kube-apiserver.yaml', 'bootkube/bootstrap-manifests/bootstrap-apiserver.yaml']));
      expect(fs.existsSync(path.join(out, 'bootkube', 'manifests', 'stale.yaml'))).toBe(false);
      // What the bootstrap API server reads besides the PKI (bootkube copies tls/ to the bootstrap secrets dir).
      expect(written).toEqual(expect.arrayContaining(['bootkube/tls/audit-policy.yaml', 'bootkube/tls/authentication-config.yaml', 'bootkube/tls/encryption-config.yaml']));
      const bootstrapArgs = argMap(parseAllDocuments(fs.readFileSync(path.join(out, 'bootkube/bootstrap-manifests/bootstrap-apiserver.yaml'), 'utf8'))[0].toJS().spec.containers[0].args);
      for (const flag of ['audit-policy-file', 'authentication-config', 'encryption-provider-config']) {
        expect(fs.existsSync(path.join(out, 'bootkube/tls', path.basename(bootstrapArgs[flag])))).toBe(true);
      }
      const mode = (f: string) => fs.statSync(path.join(out, f)).mode & 0o777;
      expect(mode('bootkube/manifests/kube-apiserver-secret.yaml')).toBe(0o600);
      expect(mode('bootkube/manifests/kube-controller-manager-secret.yaml')).toBe(0o600);
      expect(mode('bootkube/tls/ca.key')).toBe(0o600);
      expect(mode('bootkube/manifests/kube-proxy.yaml')).toBe(0o644);
      const docs = parseAllDocuments(fs.readFileSync(path.join(out, 'bootkube/manifests/kube-apiserver-secret.yaml'), 'utf8')).map((d) => d.toJS());
      expect(docs[0].stringData['apiserver.crt']).toBe(pki.bootkubeAssets().apiserverCrt);
      expect(docs[0].stringData['encryption-config.yaml']).toContain('EncryptionConfiguration');
      // Every manifest file parses and its objects pass the checks.
      const files = written.filter((f) => /^bootkube\/(bootstrap-)?manifests\/.*\.yaml$/.test(f));
      const parsed = files.flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(out, f), 'utf8')).map((d) => d.toJS()));
      expect(allProblems(parsed)).toEqual([]);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
