/**
 * Every file of a real synthesized tree (both apps, the examples, the shared fixture PKI; plus the static-pod tree's
 * cloud-routes add-ons: the OpenStack CCM and its cloud-config Secret) passes kubectl's own parsing without a real
 * API server:
 * - Kubernetes objects: `kubectl apply --dry-run=client --validate=false -o name -f …` against the FAKE API server's
 *   discovery (kubectl needs discovery to map each kind to its resource; `--validate=false` because the fake serves
 *   no schema; nothing is written: client dry run),
 * - kubeconfigs: `kubectl config view --kubeconfig=<file> --raw -o json` (no server at all),
 * - component configuration files (audit policy, authentication and encryption configuration, which are not API
 *   resources): `kubectl label --local -f … -o json` (parses the YAML into objects, no server at all),
 * - certificates and keys are not kubectl's to parse (openssl checks them elsewhere).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ClusterPki } from '../../lib/pki';
import { resolveSpec } from '../../lib/spec';
import { synthStaticPods } from '../../lib/synth';
import { walkTree } from '../../lib/util/files';
import { credentialEnv, staticModeInput } from '../support/cluster-specs';
import { FakeApiServer } from '../support/fake-apiserver';
import { kubectlEnv, runKubectl, tempDir, testWithKubectl } from '../support/kubectl';
import { synthBootkubeTree, synthStaticTree } from './_trees';

jest.setTimeout(240_000);

/** Kinds that configure a component from a file; everything else in the trees is an API object or a kubeconfig. */
const COMPONENT_CONFIG_KINDS = new Set([
  'Policy',
  'AuthenticationConfiguration',
  'EncryptionConfiguration',
  'KubeletConfiguration',
]);

describe('kubectl parses every file of the synthesized trees offline', () => {
  let tmp: { dir: string; remove: () => void };
  let fake: FakeApiServer;
  let env: NodeJS.ProcessEnv;
  let kubeconfig: string;
  const groups = { api: [] as string[], kubeconfig: [] as string[], config: [] as string[], pem: [] as string[] };
  const expectedNames: string[] = [];

  beforeAll(async () => {
    tmp = tempDir('hacp-offline-parse-');
    const dist = path.join(tmp.dir, 'dist');
    await synthStaticTree(dist);
    await synthBootkubeTree(dist);
    // pod network cloud-routes: its cluster/ files only (the rest is the example's), the fast test PKI
    const cloudRoutes = resolveSpec(staticModeInput('cloud-routes'));
    const crDir = path.join(tmp.dir, 'cloud-routes');
    synthStaticPods({
      spec: cloudRoutes,
      pki: ClusterPki.forTesting(cloudRoutes),
      encryptionKey: Buffer.alloc(32, 5).toString('base64'),
      outdir: crDir,
      addons: { env: credentialEnv() },
    });
    for (const f of ['openstack-cloud-controller-manager.yaml', 'cloud-config.yaml']) {
      const target = path.join(dist, 'static-pods', 'cluster', `cloud-routes-${f}`);
      fs.copyFileSync(path.join(crDir, 'static-pods', 'cluster', f), target);
    }
    fake = new FakeApiServer();
    await fake.start();
    kubeconfig = fake.writeKubeconfig(path.join(tmp.dir, 'kubeconfig'));
    env = kubectlEnv(tmp.dir);
    for (const e of walkTree(dist).filter((x) => x.kind === 'file')) {
      if (/\.(crt|key|pub)$/.test(e.rel)) {
        groups.pem.push(e.abs);
        continue;
      }
      const docs = parseAllDocuments(fs.readFileSync(e.abs, 'utf8'))
        .map((d) => d.toJS())
        .filter(Boolean);
      const kinds = new Set(docs.map((d: any) => d.kind));
      if (kinds.size === 1 && kinds.has('Config')) groups.kubeconfig.push(e.abs);
      else if ([...kinds].every((k) => COMPONENT_CONFIG_KINDS.has(k as string))) groups.config.push(e.abs);
      else {
        groups.api.push(e.abs);
        for (const d of docs) expectedNames.push(resourceName(d));
      }
    }
  });
  afterAll(async () => {
    await fake?.stop();
    tmp?.remove();
  });

  testWithKubectl('the trees hold what this test expects: objects, kubeconfigs, component configs, PEM files', () => {
    expect(groups.api.length).toBeGreaterThan(25);
    expect(groups.api.map((f) => path.basename(f))).toEqual(
      expect.arrayContaining([
        'kube-proxy.yaml',
        'flannel.yaml',
        'coredns.yaml',
        'cloud-routes-openstack-cloud-controller-manager.yaml',
        'cloud-routes-cloud-config.yaml',
      ]),
    );
    expect(groups.kubeconfig.map((f) => path.basename(f)).sort()).toEqual(
      expect.arrayContaining([
        'admin.conf',
        'kubeconfig',
        'super-admin.conf',
        'kubelet.conf',
        'scheduler.conf',
        'controller-manager.conf',
      ]),
    );
    expect(groups.config.length).toBeGreaterThanOrEqual(3 * 3 + 3); // each master's audit, authn, encryption; bootkube's tls/ copies
    expect(groups.pem.length).toBeGreaterThan(20);
  });

  testWithKubectl(
    "Kubernetes objects: kubectl apply --dry-run=client --validate=false against the fake's discovery",
    async () => {
      const r = await runKubectl(
        [
          `--kubeconfig=${kubeconfig}`,
          'apply',
          '--dry-run=client',
          '--validate=false',
          '-o',
          'name',
          ...groups.api.flatMap((f) => ['-f', f]),
        ],
        env,
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split('\n').sort()).toEqual([...expectedNames].sort());
      expect(fake.mutations()).toEqual([]); // a client dry run writes nothing
    },
  );

  testWithKubectl('kubeconfigs: kubectl config view, no server', async () => {
    for (const f of groups.kubeconfig) {
      const r = await runKubectl(['config', 'view', `--kubeconfig=${f}`, '--raw', '-o', 'json'], env);
      expect({ f, status: r.status, stderr: r.stderr }).toEqual({ f, status: 0, stderr: '' });
      const config = JSON.parse(r.stdout);
      expect(config.clusters[0].cluster.server).toMatch(/^https:\/\//);
      const user = config.users[0].user;
      expect({ f, cert: user['client-certificate-data'] ?? user['client-certificate'] }).toEqual({
        f,
        cert: expect.any(String),
      });
    }
  });

  testWithKubectl('component configuration files: kubectl label --local, no server', async () => {
    // one file per call: with several -f, `-o yaml` prints the documents without separators
    const kinds = new Set<string>();
    for (const f of groups.config) {
      const r = await runKubectl(['label', '--local', '-o', 'json', 'hacp.test/parsed=true', '-f', f], env);
      expect({ f, status: r.status, stderr: r.stderr }).toEqual({ f, status: 0, stderr: '' });
      const obj = JSON.parse(r.stdout);
      expect(obj.metadata.labels['hacp.test/parsed']).toBe('true');
      kinds.add(obj.kind);
    }
    expect(kinds).toEqual(new Set(['Policy', 'AuthenticationConfiguration', 'EncryptionConfiguration']));
  });

  testWithKubectl('the same invocations reject a broken file (so the checks above can fail)', async () => {
    const broken = path.join(tmp.dir, 'broken.yaml');
    fs.writeFileSync(broken, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\ndata: [\n');
    const a = await runKubectl(
      [`--kubeconfig=${kubeconfig}`, 'apply', '--dry-run=client', '--validate=false', '-o', 'name', '-f', broken],
      env,
    );
    expect(a.status).toBe(1);
    expect(a.stderr).toContain('error converting YAML to JSON');
    fs.writeFileSync(broken, 'apiVersion: v1\nkind: Gadget\nmetadata: {name: x}\n');
    const b = await runKubectl(
      [`--kubeconfig=${kubeconfig}`, 'apply', '--dry-run=client', '--validate=false', '-o', 'name', '-f', broken],
      env,
    );
    expect(b.stderr).toContain('no matches for kind "Gadget" in version "v1"');
    fs.writeFileSync(broken, 'apiVersion: v1\nkind: Config\nclusters: {oops\n');
    expect((await runKubectl(['config', 'view', `--kubeconfig=${broken}`], env)).status).toBe(1);
  });
});

/** `kubectl -o name` of an object: `<lower-case kind>[.<group>]/<name>`. */
function resourceName(o: any): string {
  const group = String(o.apiVersion).includes('/') ? `.${String(o.apiVersion).split('/')[0]}` : '';
  return `${String(o.kind).toLowerCase()}${group}/${o.metadata.name}`;
}
