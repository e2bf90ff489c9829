/**
 * What each master of a self-hosted cluster runs by itself, from its first boot on and whatever the API does: its etcd
 * member and (with `loadBalancer.type: kube-vip`) kube-vip, as static pods, with their certificates and kubeconfig.
 * One source for both places they go: `dist/bootkube/masters/<master>/` (synth) and `hacp kubelet-unit --self-hosted`
 * (which installs them on the master with its kubelet), so the two are the same bytes.
 */
import { App, Chart, Yaml } from 'cdk8s';
import { validateTree } from '../common';
import { EtcdStaticPod, KubeVipPod } from '../control-plane';
import { MANIFESTS_DIR, KUBERNETES_DIR } from '../pki/paths';
import { ClusterSpec, ResolvedClusterSpec, findMaster, resolveSpec } from '../spec';
import { OutputFile } from '../util';

/** The folder of `dist/bootkube/` holding one folder per master (`masters/<master>/`). */
export const SELF_HOSTED_MASTERS_DIR = 'masters';

/** What the per-master files need from the PKI (`ClusterPki` fits). */
export interface SelfHostedMasterPki {
  /** A master's files, relative to /etc/kubernetes (only `pki/etcd/*` are taken). */
  masterFiles(master: string): OutputFile[];
  /** kube-vip's kubeconfig on a master (`kube-vip.conf`), or nothing without kube-vip. */
  kubeVipFiles(master: string): OutputFile[];
}

/** The static pods of one master of a self-hosted cluster. */
export interface SelfHostedMasterPods {
  /** The master's name. */
  readonly master: string;
  /** The static pods, one object per manifest file `<metadata.name>.yaml`: `etcd` (stacked etcd), `kube-vip`. */
  readonly objects: any[];
}

/** Options of `buildSelfHostedMasters()`. */
export interface SelfHostedMastersOptions {
  /** The masters to build. @default - every master of the spec */
  readonly masters?: readonly string[];
}

/**
 * The static pods each master of a self-hosted cluster runs on its own: an `EtcdStaticPod` (the same member as the
 * static-pod topology's: the API servers' `--etcd-servers` name every master's) unless `etcd.external` is set, and a
 * `KubeVipPod` with `loadBalancer.type: kube-vip` (it holds the API VIP before and after the pivot, dialing its own
 * master's API server with its own identity). Validated as `App.synth()` does. A master that runs neither gets no
 * objects.
 */
export function buildSelfHostedMasters(
  cluster: ClusterSpec | ResolvedClusterSpec,
  options: SelfHostedMastersOptions = {},
): SelfHostedMasterPods[] {
  const spec = resolveSpec(cluster);
  const names = options.masters ?? spec.masters.map((m) => m.name);
  const app = new App({ outdir: '.' });
  const charts = names.map((name) => {
    findMaster(spec, name); // a clear message for a name that is no master
    const chart = new Chart(app, `master-${name}`);
    if (!spec.etcd.external) new EtcdStaticPod(chart, 'etcd', { cluster: spec, master: name });
    if (spec.loadBalancer.type === 'kube-vip') new KubeVipPod(chart, 'kube-vip', { cluster: spec, master: name });
    return { name, chart };
  });
  validateTree(app);
  return charts.map(({ name, chart }) => ({ master: name, objects: chart.toJson() }));
}

/**
 * One master's files, relative to its folder `dist/bootkube/masters/<master>/`, which mirrors /etc/kubernetes with the
 * static pods at its top level (they go to /etc/kubernetes/manifests): `etcd.yaml` and `pki/etcd/{ca,server,peer,
 * healthcheck-client}.*` (etcd's CA, its serving and peer pairs, the client pair for etcdctl on this master), and with
 * kube-vip `kube-vip.yaml` and `kube-vip.conf`. Manifests and keys 0600. Nothing else of the static topology's master
 * folder: the API server, controller manager and scheduler are the cluster's (DaemonSet, Deployments).
 */
export function selfHostedMasterFiles(
  spec: ResolvedClusterSpec,
  pki: SelfHostedMasterPki,
  pods: SelfHostedMasterPods,
): OutputFile[] {
  const manifests = pods.objects.map((o) => ({
    path: `${o.metadata.name}.yaml`,
    content: Yaml.stringify(o),
    mode: 0o600,
  }));
  const etcd = spec.etcd.external
    ? []
    : pki.masterFiles(pods.master).filter((f) => f.path.startsWith('pki/etcd/') && !f.path.endsWith('/ca.key'));
  return [...manifests, ...etcd, ...pki.kubeVipFiles(pods.master)];
}

/**
 * Where a file of a master's folder goes on the host, relative to `/`: a static pod (top level `*.yaml`) to the
 * kubelet's manifest directory, anything else to the same path under /etc/kubernetes.
 */
export function selfHostedMasterHostPath(rel: string): string {
  const dir = rel.includes('/') || !/\.ya?ml$/.test(rel) ? KUBERNETES_DIR : MANIFESTS_DIR;
  return `${dir.slice(1)}/${rel}`;
}
