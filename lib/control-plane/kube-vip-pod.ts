import { Construct } from 'constructs';
import { KubePod } from '../../imports/k8s';
import { RUNTIME_DEFAULT_POD_SECURITY } from '../common';
import { KubeconfigPaths } from '../pki/paths';
import { ClusterSpec, ResolvedClusterSpec, isIp, resolveSpec } from '../spec';

/** The kube-vip image used when `loadBalancer.kubeVip.image` is not set. */
export const DEFAULT_KUBE_VIP_IMAGE = 'ghcr.io/kube-vip/kube-vip:v1.0.1';

/** kube-vip's leader-election Lease in kube-system (`vip_leasename`): what `KubeVipRbac` lets it take. */
export const KUBE_VIP_LEASE_NAME = 'plndr-cp-lock';

/** Props of `KubeVipPod`. */
export interface KubeVipPodProps {
  /** The cluster spec. */
  readonly cluster: ClusterSpec | ResolvedClusterSpec;
  /** The master this static pod runs on. */
  readonly master: string;
  /**
   * kube-vip image.
   * @default - loadBalancer.kubeVip.image, else ghcr.io/kube-vip/kube-vip:v1.0.1
   */
  readonly image?: string;
  /**
   * Network interface to announce the VIP on.
   * @default - loadBalancer.kubeVip.interface, else eth0
   */
  readonly interface?: string;
  /**
   * Kubeconfig (host path) kube-vip uses for its leader-election Lease. The default, `kube-vip.conf`, is kube-vip's
   * own identity (user `hacp:kube-vip`, issued by the PKI for every master with `loadBalancer.type: kube-vip`), which
   * `KubeVipRbac` lets take and renew its Lease and nothing else; that Role and RoleBinding are the first objects the
   * bring-up applies, through the master's own API server (plan step `kube-vip-rbac`). `admin.conf` would work only
   * once the cluster-admins binding exists, which is applied through the VIP itself (a deadlock), and
   * `super-admin.conf` (system:masters) would leave unrestricted credentials in a pod for the life of the cluster.
   * @default /etc/kubernetes/kube-vip.conf
   */
  readonly kubeconfigPath?: string;
}

/**
 * The kube-vip static pod of one master: ARP mode, control-plane VIP only (no Service load balancing), leader
 * election through a Lease so that exactly one master answers ARP for the VIP. It talks to its own node's API
 * server (host alias `kubernetes` → 127.0.0.1: in control-plane mode kube-vip dials `https://kubernetes:<port>`
 * whatever server its kubeconfig names), so it needs no VIP to start, with its own narrow identity (`kube-vip.conf`,
 * bound by `KubeVipRbac`). Runs with NET_ADMIN and NET_RAW only. Goes to `/etc/kubernetes/manifests/kube-vip.yaml` on
 * every master, of both topologies (static pods, and self-hosted from the first boot on).
 */
export class KubeVipPod extends KubePod {
  /** The virtual IP this pod announces (`loadBalancer.kubeVip.vip`, else the API endpoint host). */
  public readonly vip: string;

  constructor(scope: Construct, id: string, props: KubeVipPodProps) {
    const spec = resolveSpec(props.cluster);
    const settings = spec.loadBalancer.kubeVip ?? {};
    if (!spec.masters.some((master) => master.name === props.master)) {
      throw new Error(
        `master: ${JSON.stringify(props.master)} is not a master (masters: ${spec.masters.map((master) => master.name).join(', ')})`,
      );
    }
    const vip = settings.vip ?? spec.apiEndpoint.host;
    if (!isIp(vip)) throw new Error(`loadBalancer.kubeVip.vip: ${JSON.stringify(vip)} is not an IP address`);
    if (spec.masters.some((master) => master.ip === vip))
      throw new Error(
        `loadBalancer.kubeVip.vip: ${JSON.stringify(vip)} is a master's own address; use a free address on the masters' subnet`,
      );
    const iface = props.interface ?? settings.interface ?? 'eth0';
    if (!/^[A-Za-z0-9._@-]{1,15}$/.test(iface))
      throw new Error(`interface: ${JSON.stringify(iface)} is not a network interface name`);
    const image = props.image ?? settings.image ?? DEFAULT_KUBE_VIP_IMAGE;
    if (!image || /\s/.test(image)) throw new Error(`image: ${JSON.stringify(image)} is not an image reference`);
    const kubeconfig = props.kubeconfigPath ?? KubeconfigPaths.kubeVip;
    if (!kubeconfig.startsWith('/'))
      throw new Error(`kubeconfigPath: ${JSON.stringify(kubeconfig)} must be an absolute path`);

    const env: Record<string, string> = {
      vip_arp: 'true',
      address: vip,
      port: String(spec.apiServerPort),
      vip_interface: iface,
      vip_subnet: vip.includes(':') ? '128' : '32',
      cp_enable: 'true',
      cp_namespace: 'kube-system',
      svc_enable: 'false',
      vip_leaderelection: 'true',
      vip_leasename: KUBE_VIP_LEASE_NAME,
      vip_leaseduration: '5',
      vip_renewdeadline: '3',
      vip_retryperiod: '1',
    };
    super(scope, id, {
      metadata: {
        name: 'kube-vip',
        namespace: 'kube-system',
        labels: { component: 'kube-vip', tier: 'control-plane' },
      },
      spec: {
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        // kube-vip reaches the API server as https://kubernetes:<port> (a SAN of the apiserver certificate).
        hostAliases: [{ ip: '127.0.0.1', hostnames: ['kubernetes'] }],
        securityContext: RUNTIME_DEFAULT_POD_SECURITY,
        containers: [
          {
            name: 'kube-vip',
            image,
            imagePullPolicy: 'IfNotPresent',
            args: ['manager'],
            env: [
              { name: 'vip_nodename', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              ...Object.entries(env).map(([name, value]) => ({ name, value })),
            ],
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
            },
            // kube-vip v1.0 reads its kubeconfig only from /etc/kubernetes/admin.conf (later versions default to it too),
            // whichever host file it is: kube-vip.conf by default.
            volumeMounts: [{ name: 'kubeconfig', mountPath: '/etc/kubernetes/admin.conf', readOnly: true }],
          },
        ],
        volumes: [{ name: 'kubeconfig', hostPath: { path: kubeconfig, type: 'File' } }],
      },
    });
    this.vip = vip;
  }

  /** The pod itself (the escape hatch every construct of this library has; a `KubeVipPod` is its own `KubePod`). */
  public get apiObject(): KubePod {
    return this;
  }
}
