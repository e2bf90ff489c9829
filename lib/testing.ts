/**
 * Helpers for unit-testing the manifests in a cluster repo (jest snapshots). They never generate keys, so they are
 * fast (milliseconds) and what they return is the same on every run.
 */
import { App, Chart } from 'cdk8s';
import { parse } from 'yaml';
import { ClusterPki } from './pki/cluster-pki';
import { ClusterSpec, ResolvedClusterSpec } from './spec';
import { StaticPodsTreeOptions, buildStaticPodsTree } from './synth/static-pods-tree';
import { ClusterTreeFile, ClusterTreesProps, synthClusterFilesForTesting } from './synth/synth-cluster';

export type { ClusterTreeFile } from './synth/synth-cluster';

/** Options of `synthControlPlane()` (see `buildStaticPodsTree()`). */
export interface SynthControlPlaneOptions extends Omit<StaticPodsTreeOptions, 'addons'> {}

/**
 * Synthesizes the static-pod control plane of a cluster in memory and returns what `npm run synth` writes under
 * `dist/static-pods/`, keyed by file, without the key material:
 *
 * - `<master>/<pod>.yaml`: the static pods (`etcd`, `kube-apiserver`, `kube-controller-manager`, `kube-scheduler`, and
 *   `kube-vip` when `loadBalancer.type` is `kube-vip`), each as a plain object;
 * - `<master>/apiserver/audit-policy.yaml`, `<master>/apiserver/authentication-config.yaml`: parsed;
 * - `cluster/rbac.yaml`: the array of cluster-scoped objects;
 * - `cluster/kube-vip-rbac.yaml` (with kube-vip): kube-vip's Role and RoleBinding on its Lease.
 *
 * Certificates, keys, kubeconfigs and `apiserver/encryption-config.yaml` are left out: the manifests only name their
 * paths, so the result is deterministic without generating a PKI and can go straight into a jest snapshot. The
 * add-ons of `cluster/` (kube-proxy, the pod network, DNS, ...) are left out too: test them with `synthManifests()`
 * and `clusterAddons()` (lib/synth); nothing here reads the OpenStack credential.
 *
 * @example
 * expect(synthControlPlane(cluster, { controlPlane: { apiServer: { extraArgs: { v: '2' } } } })).toMatchSnapshot();
 */
export function synthControlPlane(
  cluster: ClusterSpec | ResolvedClusterSpec,
  options: SynthControlPlaneOptions = {},
): Record<string, any> {
  const tree = buildStaticPodsTree(cluster, { ...options, addons: false });
  const files: Record<string, any> = {};
  for (const { master, objects, hostFiles } of tree.masters) {
    for (const obj of objects) addOnce(files, `${master}/${obj.metadata.name}.yaml`, obj);
    for (const file of hostFiles) addOnce(files, `${master}/${file.path}`, parse(file.content));
  }
  files['cluster/rbac.yaml'] = tree.cluster;
  if (tree.kubeVipRbac.length) files['cluster/kube-vip-rbac.yaml'] = tree.kubeVipRbac;
  return files;
}

/**
 * Synthesizes what `build` adds to a fresh chart and returns the objects keyed `<Kind> <namespace>/<name>` (cluster-scoped
 * objects: `<Kind> <name>`), which keeps snapshot diffs readable, e.g. for the add-ons.
 *
 * @example
 * const objects = synthManifests((chart) => new Dns(chart, 'dns', { clusterIp: '10.96.0.10', replicas: 3 }));
 * expect(objects['Deployment kube-system/coredns'].spec.replicas).toBe(3);
 */
export function synthManifests(build: (chart: Chart) => void): Record<string, any> {
  const chart = new Chart(new App({ outdir: '.' }), 'test');
  build(chart);
  const objects: Record<string, any> = {};
  for (const obj of chart.toJson()) {
    const ns = obj.metadata?.namespace;
    addOnce(objects, `${obj.kind} ${ns ? `${ns}/` : ''}${obj.metadata?.name}`, obj);
  }
  return objects;
}

function addOnce(into: Record<string, any>, key: string, value: unknown): void {
  if (key in into) throw new Error(`two objects synthesize to '${key}': give them different names`);
  into[key] = value;
}

/**
 * The cluster's insecure test PKI (`ClusterPki.forTesting()`), for snapshot tests of what embeds PEMs: the self-hosted
 * control plane's Secrets (`bootkubeAssets()`), kubeconfigs, host files. Every certificate of the catalog in
 * milliseconds instead of the seconds real RSA key generation takes, and byte for byte the same on every run and
 * machine. Its keys are public: it works only inside a test runner (jest, vitest, `NODE_ENV=test`), carries
 * `OU=hacp-insecure-test-pki` in every certificate, and `ClusterPki.ensure()` refuses it.
 *
 * @example
 * expect.addSnapshotSerializer(pemSnapshotSerializer); // optional: the PEMs are stable, masking only shortens them
 * new SelfHostedControlPlane(chart, 'control-plane', { cluster, tls: testClusterPki(cluster).bootkubeAssets() });
 * expect(chart.toJson()).toMatchSnapshot();
 */
export function testClusterPki(cluster: ClusterSpec | ResolvedClusterSpec): ClusterPki {
  return ClusterPki.forTesting(cluster);
}

/** The encryption-at-rest key of `synthClusterFiles()`: fixed, so that snapshots do not change (a test key, public). */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/**
 * What `synthCluster(props)` of `cdk8s-ha-control-plane/synth` writes, in memory: every file of the trees keyed by
 * its path under the output directory (`static-pods/cp1/kube-apiserver.yaml`, `bootkube/manifests/kube-apiserver-secret.yaml`,
 * your charts' files...), with its mode (`'0600'`) and text. The same writers, with the insecure test PKI
 * (`testClusterPki`) and `TEST_ENCRYPTION_KEY` instead of your state: no key is generated, nothing is read or written
 * outside a temporary directory, and the result is byte for byte the same on every run and machine. Only inside a
 * test runner (jest, vitest, `NODE_ENV=test`). Give it the props your main.ts gives `synthCluster()`.
 *
 * @example
 * const files = synthClusterFiles({ ...clusterProps, staticPods: false });
 * expect(files['bootkube/manifests/kube-apiserver-secret.yaml'].mode).toBe('0600');
 * expect(files).toMatchSnapshot();
 */
export function synthClusterFiles(props: ClusterTreesProps): Record<string, ClusterTreeFile> {
  return synthClusterFilesForTesting(props, TEST_ENCRYPTION_KEY);
}

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----\n?/g;
// base64 of "-----BEGIN" (kubeconfigs' *-data fields, Secret `data`).
const BASE64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}/g;

/** `s` with every PEM block, plain or base64-encoded, replaced by `<CERTIFICATE>`, `<base64 RSA PRIVATE KEY>`... */
export function maskPems(s: string): string {
  return s
    .replace(PEM, (_m, label: string) => `<${label}>`)
    .replace(BASE64_PEM, (b64) => {
      const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(Buffer.from(b64, 'base64').toString('latin1'))?.[1];
      return `<base64 ${label ?? 'PEM'}>`;
    });
}

/**
 * A jest snapshot serializer for outputs that do contain certificates or keys (the self-hosted app's Secrets, files
 * from `ClusterPki`): every PEM block, plain or base64-encoded, is written as `<CERTIFICATE>`, `<PRIVATE KEY>`...
 * Keys are random, so without it every run would change the snapshot. Other generated secrets (the encryption-at-rest
 * key) are not masked.
 *
 * @example
 * expect.addSnapshotSerializer(pemSnapshotSerializer);
 */
export const pemSnapshotSerializer: PemSnapshotSerializer = {
  test: (value: unknown): boolean => typeof value === 'string' && maskPems(value) !== value,
  // jest's `printer` formats the masked string as it formats any string (the masked one no longer matches `test`).
  serialize: (value, config, indentation, depth, refs, printer) =>
    printer(maskPems(value), config, indentation, depth, refs),
};

/**
 * The shape of `pemSnapshotSerializer`: jest's `NewPlugin` without a dependency on jest's types (generic in jest's
 * `Config` and `Refs`, so that `expect.addSnapshotSerializer(pemSnapshotSerializer)` type-checks).
 */
export interface PemSnapshotSerializer {
  /** True for strings that hold a PEM block. */
  test(value: unknown): boolean;
  /** The string with its PEM blocks masked, printed by jest's own printer. */
  serialize<C, R>(
    value: string,
    config: C,
    indentation: string,
    depth: number,
    refs: R,
    printer: (value: unknown, config: C, indentation: string, depth: number, refs: R) => string,
  ): string;
}
