/**
 * The cluster add-ons of a spec, composed once for both trees: what every node and pod needs beyond the control plane
 * (kube-proxy, the pod network, cluster DNS) and what the spec's `addons:` section asks for (metrics, the dashboard,
 * bootkube's retired pod-checkpointer). The static-pod tree writes one file per component under `cluster/`
 * (`buildStaticPodsTree()`), the bootkube tree puts them in `manifests/` (`buildBootkube()`).
 */
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Dashboard,
  Dns,
  DnsProvider,
  Flannel,
  Heapster,
  KubeProxy,
  MetricsServer,
  OpenStackCloudControllerManager,
  PodCheckpointer,
  ProxyMode,
} from '../addons';
import {
  MetricsAddon,
  OpenStackCredential,
  ResolvedClusterSpec,
  needsOpenStackCredential,
  readOpenStackCredential,
} from '../spec';

/** Options of `clusterAddons()`: each choice overrides the spec's `addons:` section. */
export interface ClusterAddonsOptions {
  /**
   * Cluster DNS server.
   * @default - the spec's `addons.dns` (`coredns`)
   */
  readonly dns?: DnsProvider;
  /**
   * Resource metrics: `metrics-server`, the retired `heapster`, or `none`.
   * @default - the spec's `addons.metrics` (`metrics-server`)
   */
  readonly metrics?: MetricsAddon;
  /**
   * The (archived) Kubernetes Dashboard.
   * @default - the spec's `addons.dashboard` (false)
   */
  readonly dashboard?: boolean;
  /**
   * kube-proxy's mode.
   * @default - the spec's `addons.kubeProxyMode` (`iptables`)
   */
  readonly kubeProxyMode?: ProxyMode;
  /**
   * bootkube's retired pod-checkpointer DaemonSet (self-hosted control planes only: it checkpoints the self-hosted API
   * server's pods; `hacp-checkpointer.service` replaces it).
   * @default - the spec's `addons.podCheckpointer` (false)
   */
  readonly podCheckpointer?: boolean;
  /**
   * The OpenStack application credential, secret included, for the cloud controller manager's `cloud.conf`.
   * @default - read with `readOpenStackCredential(spec, env, { cwd })` when the cloud controller manager is deployed
   */
  readonly openStackCredential?: OpenStackCredential;
  /**
   * Environment the credential's `secretEnv` is read from.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Directory relative `openstack.applicationCredential.secretFile` and `openstack.caFile` are resolved against.
   * @default - the working directory
   */
  readonly cwd?: string;
  /**
   * Told warnings (a credential file readable by others).
   * @default - warnings are dropped
   */
  readonly onWarning?: (warning: string) => void;
}

/** One component of the add-ons: its file name (without `.yaml`) in the static-pod tree and its objects. */
export interface ClusterAddonComponent {
  /** `kube-proxy`, `flannel`, `openstack-cloud-controller-manager`, `cloud-config`, `coredns`, `metrics-server`, ... */
  readonly name: string;
  /** The component's API objects, in the order the constructs created them. */
  readonly objects: readonly ApiObject[];
}

/** The add-on constructs `clusterAddons()` created. */
export interface ClusterAddons {
  /** kube-proxy: DaemonSet, ServiceAccount, `system:node-proxier` binding, kubeconfig ConfigMap. */
  readonly kubeProxy: KubeProxy;
  /** The pod network `flannel`. */
  readonly flannel?: Flannel;
  /**
   * The OpenStack cloud controller manager: with `cloudProvider: external` and an `openstack:` section; its route
   * controller is the pod network `cloud-routes`.
   */
  readonly cloudControllerManager?: OpenStackCloudControllerManager;
  /** Cluster DNS (CoreDNS or the retired kube-dns) behind the Service at the spec's DNS IP. */
  readonly dns: Dns;
  /** metrics-server, the retired heapster, or none (`addons.metrics: none`). */
  readonly metrics?: MetricsServer | Heapster;
  /** The Kubernetes Dashboard, when chosen. */
  readonly dashboard?: Dashboard;
  /** bootkube's retired pod-checkpointer, when chosen (never in a static-pod tree). */
  readonly podCheckpointer?: PodCheckpointer;
  /**
   * Every component with its objects, in the order they were added. The cloud controller manager's `cloud-config`
   * Secret is a component of its own (`cloud-config`): it holds the application credential, and its file must be
   * written 0600.
   */
  readonly components: readonly ClusterAddonComponent[];
}

/**
 * True when the add-ons of this spec include the OpenStack cloud controller manager, whose `cloud-config` Secret holds
 * the application credential (`needsOpenStackCredential()`).
 */
export function deploysCloudControllerManager(spec: ResolvedClusterSpec): boolean {
  return needsOpenStackCredential(spec);
}

/**
 * Adds the cluster add-ons the spec chooses to `scope` (options override the spec):
 * - kube-proxy in `addons.kubeProxyMode`, dialing the API endpoint;
 * - the pod network of `networking.podNetwork`: `flannel` (the `Flannel` DaemonSet), `cloud-routes` (the OpenStack
 *   cloud controller manager's route controller; the nodes' CNI config comes from `hacp kubelet-unit`), `none`
 *   (nothing: the user's CNI);
 * - the OpenStack cloud controller manager whenever `cloudProvider` is `external` and `openstack` is set (routes only
 *   with `cloud-routes`): it initialises the Nodes, which register with the `uninitialized` taint;
 * - cluster DNS (`addons.dns`) behind the Service at `spec.dnsServiceIp`, the kubelets' `clusterDNS`;
 * - metrics (`addons.metrics`), the dashboard (`addons.dashboard`), the retired pod-checkpointer (`addons.podCheckpointer`).
 * Retired choices (kube-dns, heapster, pod-checkpointer) are annotated `hacp.io/retired`; the spec's validation warns.
 * Errors reading the credential name the field and the file or variable, never the secret.
 */
export function clusterAddons(
  scope: Construct,
  spec: ResolvedClusterSpec,
  options: ClusterAddonsOptions = {},
): ClusterAddons {
  const net = spec.networking;
  const a = spec.addons;
  const components: ClusterAddonComponent[] = [];
  const add = (name: string, c: Construct, except: ApiObject[] = []) => {
    components.push({
      name,
      objects: c.node.findAll().filter((x): x is ApiObject => ApiObject.isApiObject(x) && !except.includes(x)),
    });
  };

  const kubeProxy = new KubeProxy(scope, 'kube-proxy', {
    podCidr: net.podCidr,
    apiServerUrl: spec.apiServerUrl,
    kubernetesVersion: spec.kubernetesVersion,
    imageRegistry: spec.imageRegistry,
    mode: options.kubeProxyMode ?? (a.kubeProxyMode as ProxyMode),
  });
  add('kube-proxy', kubeProxy);

  let flannel: Flannel | undefined;
  if (net.podNetwork === 'flannel') {
    flannel = new Flannel(scope, 'flannel', { podCidr: net.podCidr });
    add('flannel', flannel);
  }

  let cloudControllerManager: OpenStackCloudControllerManager | undefined;
  if (deploysCloudControllerManager(spec)) {
    const os = spec.openstack!;
    const credential =
      options.openStackCredential ??
      readOpenStackCredential(spec, options.env ?? process.env, { cwd: options.cwd, onWarning: options.onWarning });
    cloudControllerManager = new OpenStackCloudControllerManager(scope, 'cloud-controller-manager', {
      kubernetesVersion: spec.kubernetesVersion,
      podCidr: net.podCidr,
      clusterName: spec.name,
      authUrl: os.authUrl,
      region: os.region,
      networkId: os.networkId,
      subnetId: os.subnetId,
      routerId: os.routerId,
      floatingNetworkId: os.floatingNetworkId,
      caFile: os.caFile !== undefined ? path.resolve(options.cwd ?? process.cwd(), os.caFile) : undefined,
      applicationCredential: os.applicationCredential,
      secretResolver: () => credential.secret,
      configureCloudRoutes: net.podNetwork === 'cloud-routes',
    });
    add('openstack-cloud-controller-manager', cloudControllerManager, [cloudControllerManager.secret]);
    components.push({ name: 'cloud-config', objects: [cloudControllerManager.secret] });
  }

  let podCheckpointer: PodCheckpointer | undefined;
  if (options.podCheckpointer ?? a.podCheckpointer) {
    podCheckpointer = new PodCheckpointer(scope, 'pod-checkpointer', { apiServerUrl: spec.apiServerUrl });
    add('pod-checkpointer', podCheckpointer);
  }

  const dns = new Dns(scope, 'dns', {
    clusterIp: spec.dnsServiceIp,
    clusterDomain: net.clusterDomain,
    provider: options.dns ?? (a.dns as DnsProvider),
  });
  add(dns.provider, dns);

  let metrics: MetricsServer | Heapster | undefined;
  const metricsChoice = options.metrics ?? a.metrics;
  // A cluster of masters only (seed 000) has no untainted node: metrics then tolerates the control-plane taint, as
  // CoreDNS and the dashboard always do.
  const tolerateControlPlane = spec.workers.length === 0 ? { tolerateControlPlane: true } : {};
  if (metricsChoice === 'heapster') metrics = new Heapster(scope, 'heapster', tolerateControlPlane);
  else if (metricsChoice === 'metrics-server')
    metrics = new MetricsServer(scope, 'metrics-server', tolerateControlPlane);
  if (metrics) add(metricsChoice, metrics);

  let dashboard: Dashboard | undefined;
  if (options.dashboard ?? a.dashboard) {
    dashboard = new Dashboard(scope, 'dashboard');
    add('dashboard', dashboard);
  }

  return { kubeProxy, flannel, cloudControllerManager, dns, metrics, dashboard, podCheckpointer, components };
}
