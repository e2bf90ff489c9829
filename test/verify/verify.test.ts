import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  Finding,
  HacpVerifyValidation,
  VerifyReport,
  exitCodeOf,
  formatReport,
  reportKey,
  verifyTree,
} from '../../lib/verify';
import { container } from '../support/synth';
import { FILE_CHECKS, SPEC, editYaml, issue, loadIssued, prepareCleanTree, writeTree } from './_fixture';

const M = 'static-pods/master0';
const dirs: string[] = [];
beforeAll(prepareCleanTree);
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function verify(change?: Parameters<typeof writeTree>[0]): VerifyReport {
  const dir = writeTree(change);
  dirs.push(dir);
  return verifyTree(dir, { spec: SPEC, checks: FILE_CHECKS });
}
const errors = (r: VerifyReport) => r.findings.filter((f) => f.severity === 'error');
const at = (r: VerifyReport, id: string): Finding[] => r.findings.filter((f) => f.id === id);

describe('a clean tree', () => {
  test('has no errors; the warnings are the known Manual CIS checks and deprecated scheduler flags', () => {
    const r = verify();
    expect(errors(r)).toEqual([]);
    expect(r.findings.map((f) => `${f.file} ${f.check}/${f.id}`)).toEqual([
      `${M}/kube-apiserver.yaml security/1.2.3`,
      `${M}/kube-apiserver.yaml security/1.2.9`,
      `${M}/kube-apiserver.yaml security/1.2.11`,
      `${M}/kube-scheduler.yaml flags/flag-deprecated`,
      `${M}/kube-scheduler.yaml flags/flag-deprecated`,
    ]);
    expect(r.objects).toBeGreaterThanOrEqual(5);
    expect(exitCodeOf(r)).toBe(0);
    expect(exitCodeOf(r, true)).toBe(1);
    expect(formatReport(r)).toMatch(/0 errors, 5 warnings\n$/);
  });
});

describe('planted defects are reported with their file and id', () => {
  test('schema: an unknown field and a YAML syntax error', () => {
    const r = verify((files) => {
      editYaml(files, `${M}/kube-apiserver.yaml`, (pod) => {
        container(pod).readinesProbe = {};
      });
      files[`${M}/apiserver/audit-policy.yaml`] = ['a: [b\n', 0o600];
    });
    expect(at(r, 'schema')).toEqual([
      expect.objectContaining({
        severity: 'error',
        check: 'schema',
        file: `${M}/kube-apiserver.yaml`,
        message: 'Pod kube-system/kube-apiserver: /spec/containers/0/readinesProbe: unknown field "readinesProbe"',
      }),
    ]);
    expect(at(r, 'yaml')).toEqual([expect.objectContaining({ file: `${M}/apiserver/audit-policy.yaml` })]);
    expect(exitCodeOf(r)).toBe(1);
  });

  test('flags: unknown, removed and duplicate flags; an etcd setting as env and flag', () => {
    const r = verify((files) => {
      editYaml(files, `${M}/kube-controller-manager.yaml`, (pod) => {
        container(pod).args.push('--use-service-acount-credentials=true', '--port=0', '--leader-elect=false');
      });
      editYaml(files, `${M}/etcd.yaml`, (pod) => {
        container(pod).args = ['--name=master0'];
      });
    });
    const kcm = `${M}/kube-controller-manager.yaml`;
    expect(at(r, 'flag-unknown').map((f) => [f.file, f.message.includes('--use-service-acount-credentials')])).toEqual([
      [kcm, true],
    ]);
    expect(at(r, 'flag-removed').map((f) => f.file)).toEqual([kcm]);
    expect(at(r, 'flag-duplicate')).toEqual([
      expect.objectContaining({ file: kcm, message: expect.stringContaining('--leader-elect is given twice') }),
    ]);
    expect(at(r, 'etcd-env-and-flag')).toEqual([
      expect.objectContaining({ file: `${M}/etcd.yaml`, message: expect.stringContaining('ETCD_NAME and --name') }),
    ]);
  });

  test('security: CIS ids for flags, etcd settings, file modes and the kubelet configuration', () => {
    const r = verify((files) => {
      editYaml(files, `${M}/kube-apiserver.yaml`, (pod) => {
        const c = container(pod);
        c.args = c.args
          .map((a: string) => (a === '--profiling=false' ? '--profiling=true' : a))
          .filter((a: string) => !a.startsWith('--audit-log-path'));
        c.args.push('--token-auth-file=/etc/kubernetes/tokens.csv');
      });
      editYaml(files, `${M}/etcd.yaml`, (pod) => {
        container(pod).env = container(pod).env.map((e: any) =>
          e.name === 'ETCD_PEER_CLIENT_CERT_AUTH' ? { ...e, value: 'false' } : e,
        );
      });
      files[`${M}/kube-scheduler.yaml`][1] = 0o644;
      files[`${M}/pki/apiserver.key`][1] = 0o644;
      files[`${M}/admin.conf`][1] = 0o640;
      files['kubelet/config.yaml'] = [
        'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous: {enabled: true}\n  x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}\n' +
          'authorization: {mode: Webhook}\nreadOnlyPort: 10255\nrotateCertificates: true\nserverTLSBootstrap: true\npodPidsLimit: 4096\nseccompDefault: true\n' +
          'tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA]\n',
        0o644,
      ];
    });
    const ids = (file: string) => r.findings.filter((f) => f.check === 'security' && f.file === file).map((f) => f.id);
    expect(ids(`${M}/kube-apiserver.yaml`)).toEqual(expect.arrayContaining(['1.2.2', '1.2.15', '1.2.16']));
    expect(ids(`${M}/etcd.yaml`)).toEqual(['2.5']);
    expect(ids(`${M}/kube-scheduler.yaml`)).toEqual(['1.1.5']);
    expect(ids(`${M}/pki/apiserver.key`)).toEqual(['1.1.21']);
    expect(ids(`${M}/admin.conf`)).toEqual(['1.1.13']);
    expect(ids('kubelet/config.yaml')).toEqual(['4.2.1', '4.2.4', '4.2.12']);
    expect(at(r, '1.2.15')[0]).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('--profiling is "true", want false'),
    });
  });

  test('consistency: missing files, wrong CA, missing SANs, expiring certificates, mismatched key', () => {
    const r = verify((files) => {
      delete files[`${M}/pki/front-proxy-client.key`];
      const ca = loadIssued(files, `${M}/pki/ca`);
      const etcdCa = loadIssued(files, `${M}/pki/etcd/ca`);
      const wrong = issue('kube-apiserver-etcd-client', { ca });
      files[`${M}/pki/apiserver-etcd-client.crt`] = [wrong.certPem, 0o644];
      files[`${M}/pki/apiserver-etcd-client.key`] = [wrong.keyPem, 0o600];
      const noSan = issue('kube-apiserver', { ca, sans: ['kubernetes', SPEC.masters[0].ip] });
      files[`${M}/pki/apiserver.crt`] = [noSan.certPem, 0o644];
      files[`${M}/pki/apiserver.key`] = [noSan.keyPem, 0o600];
      const soon = issue('kube-etcd-healthcheck-client', { ca: etcdCa, days: 10 });
      files[`${M}/pki/etcd/healthcheck-client.crt`] = [soon.certPem, 0o644];
      files[`${M}/pki/etcd/healthcheck-client.key`] = [soon.keyPem, 0o600];
      files[`${M}/pki/etcd/peer.key`] = [soon.keyPem, 0o600];
    });
    expect(at(r, 'path-missing')).toEqual([
      expect.objectContaining({
        file: `${M}/kube-apiserver.yaml`,
        message: expect.stringContaining(`${M}/pki/front-proxy-client.key is not in the tree`),
      }),
    ]);
    expect(at(r, 'cert-chain')).toEqual([
      expect.objectContaining({
        file: `${M}/pki/apiserver-etcd-client.crt`,
        message: expect.stringContaining(`not signed by ${M}/pki/etcd/ca.crt`),
      }),
    ]);
    expect(at(r, 'cert-san')).toEqual([
      expect.objectContaining({
        file: `${M}/pki/apiserver.crt`,
        message: expect.stringContaining('kubernetes.default.svc.cluster.local, 10.180.1.1, 10.47.40.33'),
      }),
    ]);
    expect(at(r, 'cert-expiring')).toEqual([expect.objectContaining({ file: `${M}/pki/etcd/healthcheck-client.crt` })]);
    expect(at(r, 'cert-key-mismatch')).toEqual([expect.objectContaining({ file: `${M}/pki/etcd/peer.crt` })]);
  });

  test('consistency: CIDRs, the DNS IP and selectors that disagree', () => {
    const r = verify((files) => {
      editYaml(files, `${M}/kube-controller-manager.yaml`, (pod) => {
        container(pod).args = container(pod).args.map((a: string) =>
          a.startsWith('--cluster-cidr=') ? '--cluster-cidr=10.244.0.0/16' : a,
        );
      });
      files['static-pods/cluster/dns.yaml'] = [
        'apiVersion: v1\nkind: Service\nmetadata: {name: kube-dns, namespace: kube-system}\nspec:\n  clusterIP: 10.96.0.10\n  selector: {k8s-app: kube-dns}\n  ports: [{name: dns, port: 53, protocol: UDP}]\n' +
          '---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: coredns, namespace: kube-system}\nspec:\n  selector: {matchLabels: {k8s-app: coredns}}\n' +
          '  template:\n    metadata: {labels: {k8s-app: kube-dns}}\n    spec:\n      containers: [{name: coredns, image: registry.k8s.io/coredns/coredns:v1.12.0}]\n',
        0o644,
      ];
    });
    expect(at(r, 'cidr-mismatch')).toEqual([
      expect.objectContaining({
        file: `${M}/kube-controller-manager.yaml`,
        message: expect.stringContaining('the spec says 10.180.128.0/17'),
      }),
    ]);
    expect(at(r, 'dns-ip-mismatch').map((f) => f.file)).toEqual(
      expect.arrayContaining(['static-pods/cluster/dns.yaml']),
    );
    expect(at(r, 'selector-mismatch')).toEqual([
      expect.objectContaining({
        file: 'static-pods/cluster/dns.yaml',
        message: expect.stringContaining('Deployment coredns'),
      }),
    ]);
  });
});

describe('HacpVerifyValidation (cdk8s plugin)', () => {
  function fakeContext(dir: string) {
    const violations: any[] = [];
    const logs: string[] = [];
    let status: string | undefined;
    const context = {
      manifests: [`${dir}/${M}/etcd.yaml`, `${dir}/static-pods/cluster/rbac.yaml`],
      report: {
        addViolation: (v: any) => violations.push(v),
        submit: (s: string) => {
          status = s;
        },
      },
      logger: { log: (m: string) => logs.push(m) },
    };
    return { context, violations, logs, status: () => status };
  }

  test('passes a clean tree (warnings only logged) and fails a bad one with rule names', async () => {
    const clean = writeTree();
    dirs.push(clean);
    const ok = fakeContext(clean);
    await new HacpVerifyValidation({ example: 'static', cacheDir: false, checks: FILE_CHECKS }).validate(ok.context);
    expect(ok.status()).toBe('success');
    expect(ok.violations).toEqual([]);
    expect(ok.logs).toEqual([expect.stringMatching(/^hacp verify: 5 warning\(s\)/)]);

    const bad = writeTree((files) =>
      editYaml(files, `${M}/kube-scheduler.yaml`, (pod) => {
        container(pod).args.push('--profiling=true');
      }),
    );
    dirs.push(bad);
    const ko = fakeContext(bad);
    await new HacpVerifyValidation({ example: 'static', cacheDir: false, checks: FILE_CHECKS }).validate(ko.context);
    expect(ko.status()).toBe('failure');
    expect(ko.violations.map((v) => v.ruleName)).toEqual(['flags/flag-duplicate', 'security/1.4.1']);
    expect(ko.violations[1].violatingResources[0].manifestPath).toBe(`${bad}/${M}/kube-scheduler.yaml`);
  });

  test('reports are cached by tree content: an unchanged tree reuses its report, any change is checked again', async () => {
    const tree = writeTree();
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-verify-cache-'));
    dirs.push(tree, cacheDir);
    const plugin = new HacpVerifyValidation({ example: 'static', cacheDir, checks: FILE_CHECKS });
    await plugin.validate(fakeContext(tree).context);
    expect(fs.readdirSync(cacheDir)).toHaveLength(1);
    // Poison the cached report: a second run over the same bytes must come from the cache.
    const [entry] = fs.readdirSync(cacheDir);
    const cached = JSON.parse(fs.readFileSync(path.join(cacheDir, entry), 'utf8'));
    cached.findings.push({ severity: 'error', check: 'schema', id: 'from-cache', message: 'cached', file: 'x' });
    fs.writeFileSync(path.join(cacheDir, entry), JSON.stringify(cached));
    const again = fakeContext(tree);
    await plugin.validate(again.context);
    expect(again.violations.map((v) => v.ruleName)).toEqual(['schema/from-cache']);
    // A changed file changes the key: checked afresh (clean again), a second cache entry.
    fs.appendFileSync(path.join(tree, M, 'kube-scheduler.yaml'), '\n');
    const changed = fakeContext(tree);
    await plugin.validate(changed.context);
    expect(changed.violations).toEqual([]);
    expect(fs.readdirSync(cacheDir)).toHaveLength(2);
  });

  test("the report key covers the checks' code: a rewritten file of lib/ means the old report is not reused", () => {
    const tree = writeTree();
    const codeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'hacp-verify-code-'));
    dirs.push(tree, codeRoot);
    fs.mkdirSync(path.join(codeRoot, 'verify'));
    fs.writeFileSync(path.join(codeRoot, 'verify', 'cis.js'), 'old');
    const props = { example: 'static' as const };
    const before = reportKey(tree, props, codeRoot);
    expect(reportKey(tree, props, codeRoot)).toBe(before);
    fs.writeFileSync(path.join(codeRoot, 'verify', 'README.md'), 'not code');
    expect(reportKey(tree, props, codeRoot)).toBe(before);
    fs.rmSync(path.join(codeRoot, 'verify', 'cis.js'));
    fs.writeFileSync(path.join(codeRoot, 'verify', 'cis.js'), 'old'); // the same bytes, rewritten (a rebuild)
    expect(reportKey(tree, props, codeRoot)).not.toBe(before);
  });
});
