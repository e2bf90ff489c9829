/**
 * The bootkube tree writer: `<outdir>/bootkube/` in bootkube's asset layout, for `hacp bootstrap --asset-dir=...`:
 *   auth/kubeconfig, tls/*                       the PKI's files (`ClusterPki.bootkubeFiles()`)
 *   bootstrap-manifests/bootstrap-*.yaml         the temporary static pods (`BootstrapControlPlane`)
 *   manifests/*.yaml                             the self-hosted control plane and the add-ons
 *   masters/<master>/                            what each master runs by itself (etcd, kube-vip), mirroring
 *                                                /etc/kubernetes (`selfHostedMasterFiles()`; `hacp kubelet-unit
 *                                                --self-hosted` installs the same files)
 * Files holding Secrets or keys are written 0600, the rest 0644.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import { AppNamespace, DnsProvider, KubeSystemAdminBinding } from '../addons';
import { validateTree } from '../common';
import { KubeVipRbac, renderEncryptionConfiguration } from '../control-plane';
import { BOOTKUBE_ASSET_PATHS } from '../pki/bootkube-assets';
import { OutputFile, writeFilesAtomic } from '../util';
import {
  BootstrapControlPlane,
  SelfHostedControlPlane,
  SelfHostedTlsAssets,
  bootstrapAssetFiles,
} from '../self-hosted';
import { ExternalEtcdClient, ResolvedClusterSpec } from '../spec';
import { ClusterAddonsOptions, clusterAddons } from './cluster-addons';
import {
  SELF_HOSTED_MASTERS_DIR,
  SelfHostedMasterPki,
  buildSelfHostedMasters,
  selfHostedMasterFiles,
} from './self-hosted-masters';

/** What the app needs from the PKI (`ClusterPki` fits). */
export interface BootkubePki extends SelfHostedMasterPki {
  /** The PEMs the self-hosted control plane puts into its Secrets (`ClusterPki.bootkubeAssets()`). */
  bootkubeAssets(): SelfHostedTlsAssets;
  /**
   * bootkube's asset files `tls/*`, `auth/kubeconfig` and `auth/admin.conf`, relative to the asset directory
   * (`ClusterPki.bootkubeFiles()`); with `etcd.external` the app replaces the etcd client files with the external ones.
   */
  bootkubeFiles(): OutputFile[];
}

/**
 * Options of the bootkube app. The add-ons come from the spec (`addons:`, `networking.podNetwork`, `openstack:`, see
 * `clusterAddons()`); `dns`, `heapster`, `dashboard` and `podCheckpointer` override the spec's choice when set.
 */
export interface BootkubeOptions {
  /** Cluster DNS server (overrides `addons.dns`). @default - the spec's `addons.dns` (CoreDNS) */
  readonly dns?: DnsProvider;
  /**
   * `true`: the retired heapster, `false`: metrics-server (overrides `addons.metrics`).
   * @default - the spec's `addons.metrics` (metrics-server)
   */
  readonly heapster?: boolean;
  /** The (archived) Kubernetes Dashboard (overrides `addons.dashboard`). @default - the spec's `addons.dashboard` */
  readonly dashboard?: boolean;
  /**
   * Deploy bootkube's retired pod-checkpointer DaemonSet (`PodCheckpointer`; overrides `addons.podCheckpointer`). Its
   * image speaks only CRI v1alpha2 and misbehaves on current nodes; full-reboot recovery comes from
   * `hacp-checkpointer.service` on every master (`hacp kubelet-unit --self-hosted`) instead. Only for clusters that
   * still run a ported image. @default - the spec's `addons.podCheckpointer` (false)
   */
  readonly podCheckpointer?: boolean;
  /**
   * Further add-on options: where the OpenStack credential is read from (`cwd`, `env`) or the credential itself,
   * warnings, kube-proxy's mode. `dns`, `heapster`, `dashboard` and `podCheckpointer` above win over the same choices here.
   * @default {}
   */
  readonly addons?: ClusterAddonsOptions;
  /**
   * Recreate the seed's `system:default-sa` binding (kube-system default ServiceAccount → cluster-admin). Nothing
   * generated here needs it; see `KubeSystemAdminBinding`. @default false
   */
  readonly legacyKubeSystemDefaultAdmin?: boolean;
  /** Encryption-at-rest key (base64, 32 bytes) for the API server. @default - no encryption at rest */
  readonly encryptionKey?: string;
  /**
   * Master the bootstrap control plane runs on. Only the first master is supported: `hacp kubelet-unit --bootkube`
   * puts bootkube.service there, `tls/kubelet.crt` is its kubelet's and `auth/kubeconfig` dials its API server.
   * @default - the first master
   */
  readonly bootstrapMaster?: string;
  /**
   * The external etcd's CA and client pair (`readExternalEtcd()` of a spec with `etcd.external`): they replace the
   * PKI's etcd client files in the API server's Secret and in `tls/` (what the bootstrap API server reads).
   * @default - none; with `etcd.external` in the spec it is required
   */
  readonly externalEtcd?: ExternalEtcdClient;
}

/** The synthesized objects of the bootkube tree, by file (relative to `bootkube/`). */
export type BootkubeManifests = Record<string, any[]>;

/** Which manifest file each object goes to: the first rule that matches. Every object must match one. */
const MANIFEST_RULES: Array<[file: string, match: (o: any) => boolean]> = [
  ['kube-vip-rbac', (o) => (o.kind === 'Role' || o.kind === 'RoleBinding') && o.metadata.name === 'hacp:kube-vip'],
  ['kube-apiserver-secret', (o) => o.kind === 'Secret' && o.metadata.name === 'kube-apiserver'],
  ['kube-controller-manager-secret', (o) => o.kind === 'Secret' && o.metadata.name === 'kube-controller-manager'],
  [
    'kube-controller-manager-disruption',
    (o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'kube-controller-manager',
  ],
  ['kube-scheduler-disruption', (o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'kube-scheduler'],
  ['kube-flannel-cfg', (o) => o.kind === 'ConfigMap' && o.metadata.name === 'kube-flannel-cfg'],
  ['kube-dns-svc', (o) => o.kind === 'Service' && o.metadata.name === 'kube-dns'],
  ['kube-system-rbac-role-binding', (o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'system:default-sa'],
  [
    'namespace',
    (o) => o.kind === 'Namespace' && o.metadata.labels?.['app.kubernetes.io/part-of'] === 'user-applications',
  ],
  [
    'control-plane-rbac',
    (o) =>
      o.kind === 'ClusterRoleBinding' &&
      o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'cdk8s-ha-control-plane',
  ],
];
/** The rest goes by its `k8s-app` label: `kube-proxy.yaml`, `coredns.yaml` (DNS: the provider's name), ... */
const APP_FILES: Record<string, (o: any) => string> = {
  'kube-dns': (o) => (o.metadata.name.includes('coredns') ? 'coredns' : 'kube-dns'),
  flannel: () => 'kube-flannel',
  'kubernetes-dashboard': () => 'kube-dashboard',
  'dashboard-metrics-scraper': () => 'kube-dashboard',
};

/** The file (without `.yaml`) an object of `manifests/` goes to. Throws for an object no rule places. */
export function manifestFileFor(obj: any): string {
  for (const [file, match] of MANIFEST_RULES) if (match(obj)) return file;
  const app = obj.metadata?.labels?.['k8s-app'];
  if (app) return APP_FILES[app]?.(obj) ?? app;
  throw new Error(`no bootkube manifest file for ${obj.kind} ${obj.metadata?.name}`);
}

/**
 * Builds every construct of the bootkube tree, validates it as `App.synth()` does, and returns the objects by file.
 * No file is written.
 */
export function buildBootkube(
  spec: ResolvedClusterSpec,
  tls: SelfHostedTlsAssets,
  options: BootkubeOptions = {},
): BootkubeManifests {
  const first = spec.masters[0].name;
  if (options.bootstrapMaster !== undefined && options.bootstrapMaster !== first) {
    throw new Error(
      `bootstrapMaster: ${JSON.stringify(options.bootstrapMaster)}: the bootstrap runs on the first master, ${first} (bootkube.service, tls/kubelet.crt and auth/kubeconfig are its own); list ${JSON.stringify(options.bootstrapMaster)} first in masters instead`,
    );
  }
  const app = new App();
  const manifests = new Chart(app, 'manifests');
  const encryptionConfiguration = options.encryptionKey
    ? renderEncryptionConfiguration(options.encryptionKey)
    : undefined;
  new SelfHostedControlPlane(manifests, 'control-plane', {
    cluster: spec,
    tls,
    apiServer: encryptionConfiguration ? { encryptionConfiguration } : undefined,
  });
  // kube-vip may take its Lease only with this: the plan applies it first, through the bootstrap master's API server.
  if (spec.loadBalancer.type === 'kube-vip') new KubeVipRbac(manifests, 'kube-vip-rbac');
  addAddons(manifests, spec, options);

  const bootstrap = new Chart(app, 'bootstrap-manifests');
  const bcp = new BootstrapControlPlane(bootstrap, 'bootstrap', {
    cluster: spec,
    master: options.bootstrapMaster,
    encryptionConfiguration,
  });

  validateTree(app); // what App.synth() does first: the constructs' checks (a user's flags) run
  const out: BootkubeManifests = {};
  for (const obj of manifests.toJson()) (out[`manifests/${manifestFileFor(obj)}.yaml`] ??= []).push(obj);
  for (const [file, pod] of [
    ['bootstrap-apiserver', bcp.apiServer],
    ['bootstrap-controller-manager', bcp.controllerManager],
    ['bootstrap-scheduler', bcp.scheduler],
  ] as const) {
    out[`bootstrap-manifests/${file}.yaml`] = [pod.apiObject.toJson()];
  }
  for (const { master, objects } of buildSelfHostedMasters(spec)) {
    for (const obj of objects) out[`${SELF_HOSTED_MASTERS_DIR}/${master}/${obj.metadata.name}.yaml`] = [obj];
  }
  return out;
}

/** The add-ons of the seed, modernised (see docs/self-hosted.md): the spec's choices (`clusterAddons()`), the options' overrides. */
function addAddons(scope: Construct, spec: ResolvedClusterSpec, options: BootkubeOptions): void {
  clusterAddons(scope, spec, {
    ...options.addons,
    ...(options.dns !== undefined ? { dns: options.dns } : {}),
    ...(options.heapster !== undefined
      ? { metrics: options.heapster ? ('heapster' as const) : ('metrics-server' as const) }
      : {}),
    ...(options.dashboard !== undefined ? { dashboard: options.dashboard } : {}),
    ...(options.podCheckpointer !== undefined ? { podCheckpointer: options.podCheckpointer } : {}),
  });
  if (options.legacyKubeSystemDefaultAdmin)
    new KubeSystemAdminBinding(scope, 'kube-system-admin', { acknowledgeClusterAdmin: true });
  for (const ns of spec.namespaces) {
    new AppNamespace(scope, `namespace-${ns}`, {
      name: ns,
      labels: { 'app.kubernetes.io/part-of': 'user-applications' },
    });
  }
}

/**
 * Synthesizes `<outdir>/bootkube/`: manifests, bootstrap manifests and the masters' folders (regenerated: stale files
 * are removed) and the PKI's `tls/` and `auth/kubeconfig`. With `etcd.external`, `options.externalEtcd` replaces the
 * PKI's etcd client files. Returns the files written, relative to `outdir`.
 */
export function synthBootkube(
  spec: ResolvedClusterSpec,
  pki: BootkubePki,
  outdir: string,
  options: BootkubeOptions = {},
): string[] {
  const root = path.join(outdir, 'bootkube');
  const etcd = externalEtcdAssets(spec, options.externalEtcd);
  const manifests = buildBootkube(spec, { ...pki.bootkubeAssets(), ...etcd }, options);
  for (const dir of ['manifests', 'bootstrap-manifests', SELF_HOSTED_MASTERS_DIR])
    fs.rmSync(path.join(root, dir), { recursive: true, force: true });
  const files: OutputFile[] = Object.entries(manifests)
    .filter(([file]) => !file.startsWith(`${SELF_HOSTED_MASTERS_DIR}/`))
    .map(([file, objs]) => ({
      path: file,
      content: Yaml.stringify(...objs),
      mode:
        objs.some((o) => o.kind === 'Secret' && (o.stringData || o.data)) || file.startsWith('bootstrap-')
          ? 0o600
          : 0o644,
    }));
  const masters = buildSelfHostedMasters(spec).flatMap((pods) =>
    selfHostedMasterFiles(spec, pki, pods).map((f) => ({
      ...f,
      path: `${SELF_HOSTED_MASTERS_DIR}/${pods.master}/${f.path}`,
    })),
  );
  const encryption = options.encryptionKey ? renderEncryptionConfiguration(options.encryptionKey) : undefined;
  const tls = pki.bootkubeFiles().map((f) => {
    const asset = Object.entries(BOOTKUBE_ASSET_PATHS).find(([, p]) => p === f.path)?.[0] as
      keyof typeof etcd | undefined;
    return asset && etcd[asset] !== undefined ? { ...f, content: etcd[asset]! } : f;
  });
  const all = [...files, ...masters, ...bootstrapAssetFiles(spec, encryption), ...tls];
  writeFilesAtomic(root, all);
  return all.map((f) => path.join('bootkube', f.path));
}

/** The external etcd's PEMs as bootkube assets (none without `etcd.external`); a spec with it needs them. */
function externalEtcdAssets(
  spec: ResolvedClusterSpec,
  client: ExternalEtcdClient | undefined,
): Partial<Pick<SelfHostedTlsAssets, 'etcdClientCaCrt' | 'etcdClientCrt' | 'etcdClientKey'>> {
  if (!spec.etcd.external) {
    if (client) throw new Error('externalEtcd: given, but the spec has no etcd.external');
    return {};
  }
  if (!client)
    throw new Error(
      'externalEtcd: the spec sets etcd.external; pass its files (readExternalEtcd(spec)) as options.externalEtcd',
    );
  return { etcdClientCaCrt: client.caCrt, etcdClientCrt: client.clientCrt, etcdClientKey: client.clientKey };
}
