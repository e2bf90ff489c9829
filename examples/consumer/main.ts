/**
 * A cluster repo's cdk8s app: the static-pod control plane of each master (with this cluster's own API server and
 * scheduler settings) and two add-ons (CoreDNS with 3 replicas, kube-proxy in nftables mode).
 *
 * `npm run synth` writes dist/<master>.k8s.yaml (the master's static pods) and dist/addons.k8s.yaml.
 */
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Dns, KubeProxy, ProxyMode, ResolvedClusterSpec, StaticControlPlane, StaticControlPlaneProps, resolveSpec,
} from 'cdk8s-ha-control-plane';

/** The cluster: validated and resolved once (a bad field throws, naming it). */
export const cluster: ResolvedClusterSpec = resolveSpec({
  name: 'prod-eu1',
  kubernetesVersion: 'v1.35.4',
  masters: [
    { name: 'cp1', ip: '10.20.0.11' },
    { name: 'cp2', ip: '10.20.0.12' },
    { name: 'cp3', ip: '10.20.0.13' },
  ],
  apiEndpoint: { host: 'api.prod-eu1.example.com', port: 443 },
  networking: { serviceCidr: '10.21.0.0/16', podCidr: '10.22.0.0/16' },
});

/** This cluster's control-plane settings, shared by every master. */
export const controlPlaneOptions: Omit<StaticControlPlaneProps, 'cluster' | 'master'> = {
  apiServer: {
    extraArgs: { 'audit-log-maxage': '90', 'event-ttl': '4h' },
    extraAdmissionPlugins: ['AlwaysPullImages'],
  },
  scheduler: { extraArgs: { v: '2' } },
};

/** The add-ons, with custom props. */
export function addons(scope: Construct): void {
  new Dns(scope, 'dns', {
    clusterIp: cluster.dnsServiceIp,
    clusterDomain: cluster.networking.clusterDomain,
    replicas: 3,
  });
  new KubeProxy(scope, 'kube-proxy', {
    podCidr: cluster.networking.podCidr,
    apiServerUrl: cluster.apiServerUrl,
    kubernetesVersion: cluster.kubernetesVersion,
    mode: ProxyMode.NFTABLES,
  });
}

/** One chart per master (its static pods) and one for the add-ons. */
export function buildApp(app: App): App {
  for (const master of cluster.masters) {
    const chart = new Chart(app, master.name);
    new StaticControlPlane(chart, 'control-plane', { ...controlPlaneOptions, cluster, master: master.name });
  }
  addons(new Chart(app, 'addons'));
  return app;
}

if (require.main === module) {
  buildApp(new App()).synth();
}
