/**
 * The cluster's synth: `npm run synth` compiles this file and `cdk8s synth` runs it. synthCluster() writes
 *   dist/static-pods/<master>/   what goes to /etc/kubernetes on that master (static pods, certificates, kubeconfigs)
 *   dist/static-pods/cluster/    what `hacp cluster apply` applies once the API answers (with your charts)
 *   dist/bootkube/               the asset dir of a self-hosted control plane (`hacp bootstrap`; with your charts)
 * from cluster.yaml, and keeps the cluster's CA, keys and encryption key in pki/<cluster name>/ (back it up).
 * Deploy one of the two control planes: set the other one to `false` below.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { ResolvedClusterSpec, StaticControlPlaneProps } from 'cdk8s-ha-control-plane';
import { ClusterTreesProps, synthClusterMain } from 'cdk8s-ha-control-plane/synth';

/** This cluster's control-plane settings, on every master (the options of `StaticControlPlane`). */
export const controlPlane: Omit<StaticControlPlaneProps, 'cluster' | 'master'> = {
  apiServer: { extraArgs: { 'audit-log-maxage': '30' } },
};

/**
 * Your own objects, applied through the API once the control plane answers: every chart added to `app` becomes
 * one file, `<chart id>.yaml`, in static-pods/cluster/ and bootkube/manifests/. Any constructs will do: the
 * package's add-ons, cdk8s-plus, imported CRDs, `ApiObject`.
 */
export function charts(app: App, cluster: ResolvedClusterSpec): void {
  const apps = new Chart(app, 'apps');
  new ApiObject(apps, 'namespace', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'apps', labels: { 'example.com/cluster': cluster.name } },
  });
}

/** Everything the synth writes, for main below and for the tests. */
export const trees: ClusterTreesProps = {
  cluster: 'cluster.yaml',
  staticPods: { controlPlane },
  bootkube: {},
  charts,
};

if (require.main === module) void synthClusterMain(trees);
