/**
 * The cluster spec: the short description of a cluster that every construct, app and the `hacp` CLI read.
 *
 * `ClusterSpec` is what a user writes (in TypeScript or as `cluster.yaml`); most fields are optional.
 * `resolveSpec()` validates it and fills in the defaults, giving a `ResolvedClusterSpec` in which every field is set.
 */

/** A control-plane (or worker) host. */
export interface NodeSpec {
  /** Node name: the kubelet's node name, the etcd member name and the certificates' CN. A DNS-1123 label. */
  readonly name: string;
  /** The address the node's components advertise and listen on (IPv4 or IPv6). */
  readonly ip: string;
}

/** Where clients reach the Kubernetes API: the load balancer, VIP or DNS name in front of the API servers. */
export interface ApiEndpointSpec {
  /** Host: an IP (floating IP, VIP) or a DNS name. Added to the API server certificate's SANs. */
  readonly host: string;
  /**
   * Port clients connect to.
   * @default 6443
   */
  readonly port?: number;
}

/**
 * How pod traffic crosses nodes.
 * - `flannel`: the flannel DaemonSet (VXLAN overlay) with the CNI bridge on each node.
 * - `cloud-routes`: no overlay; the OpenStack cloud controller manager adds a route per node pod CIDR to the
 *   Neutron router (`openstack.routerId`). Needs `openstack`; `cloudProvider` is then `external`.
 * - `none`: nothing; bring your own CNI.
 */
export type PodNetwork = 'flannel' | 'cloud-routes' | 'none';

/** Cluster networking. */
export interface NetworkingSpec {
  /**
   * Service ClusterIP range. Its first address is the `kubernetes` Service, its tenth the cluster DNS Service.
   * @default 10.96.0.0/12
   */
  readonly serviceCidr?: string;
  /**
   * Pod network; node pod CIDRs are allocated from it by the controller manager.
   * @default 10.244.0.0/16
   */
  readonly podCidr?: string;
  /**
   * Cluster DNS domain.
   * @default cluster.local
   */
  readonly clusterDomain?: string;
  /**
   * Prefix length of the pod CIDR given to each node.
   * @default 24 (IPv4), 64 (IPv6)
   */
  readonly nodeCidrMaskSize?: number;
  /**
   * How pod traffic crosses nodes: `flannel`, `cloud-routes` (Neutron router routes set by the OpenStack cloud
   * controller manager; needs `openstack`) or `none` (bring your own CNI).
   * @default flannel
   */
  readonly podNetwork?: PodNetwork;
}

/** Load balancer types the companion tool can set up in front of the API servers. */
export type LoadBalancerType = 'octavia' | 'haproxy' | 'kube-vip' | 'none';

/**
 * OpenStack Octavia settings: `hacp lb apply` creates (and `hacp lb destroy` removes) a TCP load balancer with one
 * pool member per master on the API server port, a health monitor, a listener on the API endpoint's port and the
 * floating IP on its VIP port, with the `openstack` CLI.
 */
export interface OctaviaSpec {
  /** Subnet (name or ID) the load balancer VIP and the members live on. */
  readonly subnet: string;
  /**
   * Existing floating IP (address or ID) to associate with the VIP port.
   * @default - the API endpoint host
   */
  readonly floatingIp?: string;
  /**
   * Prefix for the names of the Octavia resources (`<prefix>-lb`, `-pool`, `-hm`, `-listener`).
   * @default - the cluster name
   */
  readonly namePrefix?: string;
  /**
   * Health monitor type: `HTTPS` probes `/readyz` on every API server (it notices an API server that is up but not
   * ready, e.g. cut off from etcd); `TCP` only checks that the port accepts connections.
   * @default HTTPS
   */
  readonly healthMonitor?: 'HTTPS' | 'TCP';
  /**
   * Seconds to wait for the load balancer to become ACTIVE after each change.
   * @default 300
   */
  readonly timeoutSeconds?: number;
}

/** HAProxy + keepalived settings (where there is no cloud load balancer). */
export interface HaproxySpec {
  /**
   * Virtual IP that keepalived moves between the HAProxy hosts.
   * @default - the API endpoint host, when it is an IP
   */
  readonly vip?: string;
  /**
   * Network interface keepalived announces the VIP on.
   * @default eth0
   */
  readonly interface?: string;
  /**
   * VRRP virtual router id (1-255), unique on the L2 segment.
   * @default 51
   */
  readonly virtualRouterId?: number;
  /**
   * The masters' subnet on `interface` (a CIDR). VRRP and the VIP's gratuitous ARP only reach one L2 segment, so
   * the VIP and every master must lie in it; the spec is rejected otherwise.
   * @default - the /24 (IPv4) or /64 (IPv6) around the first master
   */
  readonly subnet?: string;
}

/** kube-vip settings (ARP mode VIP run as a static pod on every master). */
export interface KubeVipSpec {
  /**
   * The virtual IP.
   * @default - the API endpoint host
   */
  readonly vip?: string;
  /**
   * Network interface to announce the VIP on.
   * @default eth0
   */
  readonly interface?: string;
  /**
   * kube-vip image.
   * @default ghcr.io/kube-vip/kube-vip:v1.0.1
   */
  readonly image?: string;
  /**
   * The masters' subnet on `interface` (a CIDR). kube-vip announces the VIP with gratuitous ARP, which only reaches
   * one L2 segment, so the VIP and every master must lie in it; the spec is rejected otherwise.
   * @default - the /24 (IPv4) or /64 (IPv6) around the first master
   */
  readonly subnet?: string;
}

/** The API load balancer. */
export interface LoadBalancerSpec {
  /**
   * Which load balancer fronts the API servers.
   * @default none
   */
  readonly type?: LoadBalancerType;
  /** Settings for `type: octavia`. */
  readonly octavia?: OctaviaSpec;
  /** Settings for `type: haproxy`. */
  readonly haproxy?: HaproxySpec;
  /** Settings for `type: kube-vip`. */
  readonly kubeVip?: KubeVipSpec;
}

/** PKI settings. */
export interface PkiSpec {
  /**
   * RSA key size for every key (CAs, leaves, service-account key).
   * @default 2048
   */
  readonly keySize?: 2048 | 3072 | 4096;
  /**
   * Validity of the CA certificates, in days.
   * @default 3650
   */
  readonly caValidityDays?: number;
  /**
   * Validity of leaf certificates (and kubeconfig client certificates), in days.
   * @default 365
   */
  readonly validityDays?: number;
  /**
   * A leaf that expires within this many days is re-issued on the next run.
   * @default 30
   */
  readonly renewBeforeDays?: number;
}

/** Kubernetes cloud provider integration. */
export type CloudProvider = 'none' | 'external';

/**
 * The OpenStack application credential the cloud controller manager authenticates with. The secret itself is never
 * written in the spec: exactly one of `secretFile` and `secretEnv` says where it is read from
 * (`readOpenStackCredential()`).
 */
export interface OpenStackApplicationCredentialSpec {
  /** Application credential ID (`openstack application credential create` prints it). */
  readonly id: string;
  /** File holding the secret (its whole content, surrounding whitespace trimmed). Relative to the working directory. */
  readonly secretFile?: string;
  /** Environment variable holding the secret. */
  readonly secretEnv?: string;
}

/** The OpenStack cloud the cluster runs in, for the cloud controller manager (and `podNetwork: cloud-routes`). */
export interface OpenStackSpec {
  /** Keystone URL (`https://...`, e.g. `https://keystone.example.com:5000/v3`). */
  readonly authUrl: string;
  /** Region name (e.g. `RegionOne`). */
  readonly region: string;
  /** ID of the Neutron network the nodes are on. */
  readonly networkId: string;
  /** ID of the nodes' subnet (also the subnet of Service load balancers). */
  readonly subnetId: string;
  /** ID of the Neutron router the nodes' subnet is attached to; `cloud-routes` adds the pod routes to it. */
  readonly routerId: string;
  /**
   * ID of the external network floating IPs for Service load balancers come from.
   * @default - no floating IPs for Services
   */
  readonly floatingNetworkId?: string;
  /**
   * CA bundle (PEM file) to verify Keystone and the OpenStack APIs with. Relative to the working directory.
   * @default - the system trust store
   */
  readonly caFile?: string;
  /** The application credential (ID, and where its secret is read from). */
  readonly applicationCredential: OpenStackApplicationCredentialSpec;
}

/** The cluster DNS server. */
export type DnsAddon = 'coredns' | 'kube-dns';
/** The resource metrics server. */
export type MetricsAddon = 'metrics-server' | 'heapster' | 'none';
/** kube-proxy's mode. */
export type KubeProxyMode = 'iptables' | 'nftables' | 'ipvs';

/** The cluster add-ons. */
export interface AddonsSpec {
  /**
   * Cluster DNS: `coredns`, or the retired `kube-dns` (a warning).
   * @default coredns
   */
  readonly dns?: DnsAddon;
  /**
   * Resource metrics: `metrics-server`, the retired `heapster` (a warning), or `none`.
   * @default metrics-server
   */
  readonly metrics?: MetricsAddon;
  /**
   * The Kubernetes Dashboard (archived upstream; Headlamp is its suggested successor).
   * @default false
   */
  readonly dashboard?: boolean;
  /**
   * kube-proxy's mode: `iptables`, `nftables`, or `ipvs` (deprecated in Kubernetes v1.35: a warning).
   * @default iptables
   */
  readonly kubeProxyMode?: KubeProxyMode;
  /**
   * bootkube's pod-checkpointer DaemonSet (its image is retired: a warning when on).
   * @default false
   */
  readonly podCheckpointer?: boolean;
}

/** An etcd cluster outside the Kubernetes cluster (e.g. set up by an Ansible role), reached over mTLS. */
export interface ExternalEtcdSpec {
  /** Client URLs of the members (`https://host:2379`), at least one. */
  readonly endpoints: string[];
  /** CA certificate (PEM file) the members' serving certificates are checked against. Relative to the working directory. */
  readonly caFile: string;
  /** Client certificate (PEM file) the API server presents. Relative to the working directory. */
  readonly certFile: string;
  /** Client key (PEM file) of `certFile`. Relative to the working directory. */
  readonly keyFile: string;
}

/** etcd settings. */
export interface EtcdSpec {
  /**
   * Use this etcd instead of members on the masters (self-hosted clusters).
   * @default - etcd runs on the masters
   */
  readonly external?: ExternalEtcdSpec;
}

/** The cluster spec a user writes. */
export interface ClusterSpec {
  /**
   * Cluster name (kubeconfig cluster name, `--cluster-name`, load balancer names). A DNS-1123 label.
   * @default kubernetes
   */
  readonly name?: string;
  /**
   * Kubernetes version, `vMAJOR.MINOR.PATCH`, within the supported window (v1.33 to v1.36).
   * @default v1.35.4
   */
  readonly kubernetesVersion?: string;
  /**
   * etcd version, `MAJOR.MINOR.PATCH` (3.5 or 3.6).
   * @default 3.6.6
   */
  readonly etcdVersion?: string;
  /**
   * Registry the control-plane images come from.
   * @default registry.k8s.io
   */
  readonly imageRegistry?: string;
  /**
   * The control-plane hosts: one stacked etcd member, API server, controller manager and scheduler each. Use an odd
   * number; more than 7 is a warning and more than 9 an error (etcd: every write waits for a majority), unless
   * `etcd.external` is set.
   */
  readonly masters: NodeSpec[];
  /**
   * Worker hosts (they get a kubelet unit and a kubelet kubeconfig).
   * @default []
   */
  readonly workers?: NodeSpec[];
  /**
   * Where clients reach the API.
   * @default - the first master's IP on the API server port
   */
  readonly apiEndpoint?: ApiEndpointSpec;
  /**
   * Port every API server listens on.
   * @default 6443
   */
  readonly apiServerPort?: number;
  /** Cluster networking. */
  readonly networking?: NetworkingSpec;
  /**
   * Extra subject alternative names (IPs or DNS names) for the API server certificate.
   * @default []
   */
  readonly extraCertSans?: string[];
  /**
   * `external` runs the kubelet and controller manager with `--cloud-provider=external` (for a cloud controller
   * manager such as openstack-cloud-controller-manager); `none` runs without cloud integration.
   * @default none (`external` with `networking.podNetwork: cloud-routes`)
   */
  readonly cloudProvider?: CloudProvider;
  /**
   * The OpenStack cloud (cloud controller manager settings). Required with `networking.podNetwork: cloud-routes`.
   * @default - none
   */
  readonly openstack?: OpenStackSpec;
  /** The cluster add-ons. */
  readonly addons?: AddonsSpec;
  /** etcd settings. */
  readonly etcd?: EtcdSpec;
  /** The API load balancer. */
  readonly loadBalancer?: LoadBalancerSpec;
  /** PKI settings. */
  readonly pki?: PkiSpec;
  /**
   * Application namespaces to create (self-hosted app).
   * @default []
   */
  readonly namespaces?: string[];
}

/** A spec with every default filled in. Produced by `resolveSpec()`. */
export interface ResolvedClusterSpec {
  /** Cluster name (`ClusterSpec.name`, default `kubernetes`). */
  readonly name: string;
  /** Kubernetes version with its `v`, e.g. `v1.35.4` (`ClusterSpec.kubernetesVersion`, a missing `v` added). */
  readonly kubernetesVersion: string;
  /** `MAJOR.MINOR`, e.g. `1.35`. */
  readonly kubernetesMinor: string;
  /** etcd version, `MAJOR.MINOR.PATCH` without `v` (`ClusterSpec.etcdVersion`). */
  readonly etcdVersion: string;
  /** Registry the control-plane images come from, without trailing `/` (`ClusterSpec.imageRegistry`). */
  readonly imageRegistry: string;
  /** The control-plane hosts, in spec order; `masters[0]` is the one that bootstraps. */
  readonly masters: NodeSpec[];
  /** The worker hosts, in spec order (empty when there are none). */
  readonly workers: NodeSpec[];
  /** Where clients reach the API: host and port, the port defaulting to `apiServerPort`. */
  readonly apiEndpoint: Required<ApiEndpointSpec>;
  /** Port every API server listens on. */
  readonly apiServerPort: number;
  /** Cluster networking, every field set (CIDRs in canonical form). */
  readonly networking: Required<NetworkingSpec>;
  /** Extra subject alternative names for the API server certificate (empty when none). */
  readonly extraCertSans: string[];
  /** `external` when a cloud controller manager initialises the nodes (explicit, or implied by `cloud-routes`). */
  readonly cloudProvider: CloudProvider;
  /** The OpenStack cloud, when the spec names one. */
  readonly openstack?: OpenStackSpec;
  /** The add-ons, every choice made. */
  readonly addons: Required<AddonsSpec>;
  /** etcd settings. */
  readonly etcd: {
    /** The external etcd cluster; undefined when etcd runs on the masters (stacked). */
    readonly external?: ExternalEtcdSpec;
  };
  /** The API load balancer, its type always set. */
  readonly loadBalancer: {
    /** Which load balancer fronts the API servers (`none` when the spec names none). */
    readonly type: LoadBalancerType;
    /** Settings for `type: octavia` as written in the spec. */
    readonly octavia?: OctaviaSpec;
    /** Settings for `type: haproxy` as written in the spec (defaults are applied where they are used). */
    readonly haproxy?: HaproxySpec;
    /** Settings for `type: kube-vip` as written in the spec (defaults are applied where they are used). */
    readonly kubeVip?: KubeVipSpec;
  };
  /** PKI settings, every field set. */
  readonly pki: Required<PkiSpec>;
  /** Application namespaces to create (empty when none). */
  readonly namespaces: string[];
  /** Derived: the first address of the service CIDR (the `kubernetes` Service). */
  readonly apiServiceIp: string;
  /** Derived: the tenth address of the service CIDR (the cluster DNS Service). */
  readonly dnsServiceIp: string;
  /** Derived: `https://<host>:<port>` of the API endpoint (brackets around IPv6). */
  readonly apiServerUrl: string;
}
