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
}

/** Load balancer types the companion tool can set up in front of the API servers. */
export type LoadBalancerType = 'octavia' | 'haproxy' | 'kube-vip' | 'none';

/** OpenStack Octavia settings (the seed's LBaaS, done with the `openstack` CLI). */
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
   * ready, e.g. cut off from etcd); `TCP` only checks that the port accepts connections, as the seed did.
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
  /** The control-plane hosts: one stacked etcd member, API server, controller manager and scheduler each. */
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
   * @default none
   */
  readonly cloudProvider?: CloudProvider;
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
  readonly name: string;
  readonly kubernetesVersion: string;
  /** `MAJOR.MINOR`, e.g. `1.35`. */
  readonly kubernetesMinor: string;
  readonly etcdVersion: string;
  readonly imageRegistry: string;
  readonly masters: NodeSpec[];
  readonly workers: NodeSpec[];
  readonly apiEndpoint: Required<ApiEndpointSpec>;
  readonly apiServerPort: number;
  readonly networking: Required<NetworkingSpec>;
  readonly extraCertSans: string[];
  readonly cloudProvider: CloudProvider;
  readonly loadBalancer: {
    readonly type: LoadBalancerType;
    readonly octavia?: OctaviaSpec;
    readonly haproxy?: HaproxySpec;
    readonly kubeVip?: KubeVipSpec;
  };
  readonly pki: Required<PkiSpec>;
  readonly namespaces: string[];
  /** Derived: the first address of the service CIDR (the `kubernetes` Service). */
  readonly apiServiceIp: string;
  /** Derived: the tenth address of the service CIDR (the cluster DNS Service). */
  readonly dnsServiceIp: string;
  /** Derived: `https://<host>:<port>` of the API endpoint (brackets around IPv6). */
  readonly apiServerUrl: string;
}
