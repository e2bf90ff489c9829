import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { parseCidr } from '../spec/network';
import {
  KUBE_SYSTEM, RUNTIME_DEFAULT_SECCOMP, TOLERATE_EVERYTHING, bindClusterRole, checkHttpsUrl, checkImage, finishWorkload,
  inClusterKubeconfig, rollingUpdateOneAtATime, serviceAccount, serviceAccountRef,
} from './_common';
import { kubernetesImage } from './images';

/** kube-proxy modes. */
export enum ProxyMode {
  /** iptables rules (kube-proxy's default). */
  IPTABLES = 'iptables',
  /** nftables rules (GA in Kubernetes 1.33, the recommended mode on kernels 5.13+). */
  NFTABLES = 'nftables',
  /** IPVS (deprecated in Kubernetes 1.35). */
  IPVS = 'ipvs',
}

export interface KubeProxyProps {
  /** The cluster's pod CIDR (`--cluster-cidr`): traffic from outside it to Service IPs is masqueraded. */
  readonly podCidr: string;
  /**
   * URL of the API (load balancer or VIP). kube-proxy cannot use the `kubernetes` Service: it is what makes Service IPs work.
   * @example https://172.17.5.100:443
   */
  readonly apiServerUrl: string;
  /** Kubernetes version of the image, `vMAJOR.MINOR.PATCH`; should match the control plane. */
  readonly kubernetesVersion: string;
  /**
   * Registry of the kube-proxy image.
   * @default registry.k8s.io
   */
  readonly imageRegistry?: string;
  /**
   * Full image reference, overriding `imageRegistry` and `kubernetesVersion`.
   * @default - `<imageRegistry>/kube-proxy:<kubernetesVersion>`
   */
  readonly image?: string;
  /**
   * Proxy mode.
   * @default ProxyMode.IPTABLES
   */
  readonly mode?: ProxyMode;
  /**
   * Namespace.
   * @default kube-system
   */
  readonly namespace?: string;
}

/**
 * kube-proxy on every node: a DaemonSet (host network, privileged: it programs the host's packet filter), its own
 * ServiceAccount bound to the built-in `system:node-proxier` ClusterRole, and a ConfigMap `kube-proxy-kubeconfig`
 * that authenticates with that ServiceAccount's token (the seed mounted the node's `system:masters` kubeconfig).
 */
export class KubeProxy extends Construct {
  public readonly namespace: string;
  public readonly image: string;
  public readonly mode: ProxyMode;
  public readonly podCidr: string;
  public readonly labels = { 'k8s-app': 'kube-proxy', 'tier': 'node' };
  public readonly daemonSet: kplus.DaemonSet;

  constructor(scope: Construct, id: string, props: KubeProxyProps) {
    super(scope, id);
    if (!parseCidr(props.podCidr)) throw new Error(`podCidr: '${props.podCidr}' is not a valid CIDR`);
    checkHttpsUrl('apiServerUrl', props.apiServerUrl);
    this.podCidr = props.podCidr;
    this.namespace = props.namespace ?? KUBE_SYSTEM;
    this.mode = props.mode ?? ProxyMode.IPTABLES;
    if (!Object.values(ProxyMode).includes(this.mode)) throw new Error(`mode: '${this.mode}' is not one of ${Object.values(ProxyMode).join(', ')}`);
    this.image = checkImage('image', props.image ?? kubernetesImage(props.imageRegistry ?? 'registry.k8s.io', 'kube-proxy', props.kubernetesVersion));
    const ns = this.namespace;
    const labels = this.labels;

    serviceAccount(this, 'kube-proxy', ns, labels);
    bindClusterRole(this, 'node-proxier', 'kube-proxy:node-proxier', 'system:node-proxier', { name: 'kube-proxy', namespace: ns }, labels);
    new k8s.KubeConfigMap(this, 'kubeconfig', {
      metadata: { name: 'kube-proxy-kubeconfig', namespace: ns, labels },
      data: { kubeconfig: inClusterKubeconfig(props.apiServerUrl) },
    });

    const kubeconfig = kplus.Volume.fromConfigMap(this, 'kubeconfig-volume',
      kplus.ConfigMap.fromConfigMapName(this, 'kubeconfig-ref', 'kube-proxy-kubeconfig'), { name: 'kubeconfig' });
    const xtables = kplus.Volume.fromHostPath(this, 'xtables', 'xtables-lock', { path: '/run/xtables.lock', type: kplus.HostPathVolumeType.FILE_OR_CREATE });
    const modules = kplus.Volume.fromHostPath(this, 'modules', 'lib-modules', { path: '/lib/modules', type: kplus.HostPathVolumeType.DIRECTORY });

    this.daemonSet = new kplus.DaemonSet(this, 'daemon-set', {
      metadata: { name: 'kube-proxy', namespace: ns, labels },
      select: false,
      podMetadata: { labels },
      hostNetwork: true,
      serviceAccount: serviceAccountRef(this, 'kube-proxy'),
      automountServiceAccountToken: true,
      containers: [{
        name: 'kube-proxy',
        image: this.image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['kube-proxy'],
        args: [
          `--cluster-cidr=${this.podCidr}`,
          '--hostname-override=$(NODE_NAME)',
          '--kubeconfig=/var/lib/kube-proxy/kubeconfig',
          `--proxy-mode=${this.mode}`,
        ],
        envVariables: { NODE_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME) },
        ports: [{ number: 10256, name: 'health' }],
        liveness: kplus.Probe.fromHttpGet('/healthz', { port: 10256, initialDelaySeconds: Duration.seconds(15), timeoutSeconds: Duration.seconds(15) }),
        resources: { cpu: { request: kplus.Cpu.millis(50) } },
        securityContext: { ensureNonRoot: false, privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false },
        volumeMounts: [
          { path: '/var/lib/kube-proxy', volume: kubeconfig, readOnly: true },
          { path: '/run/xtables.lock', volume: xtables },
          { path: '/lib/modules', volume: modules, readOnly: true },
        ],
      }],
    });
    finishWorkload(this.daemonSet, labels, {
      priorityClassName: 'system-node-critical',
      tolerations: TOLERATE_EVERYTHING,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      securityContext: { seccompProfile: RUNTIME_DEFAULT_SECCOMP },
      containerSecurityContexts: [{ privileged: true }],
    });
    rollingUpdateOneAtATime(this.daemonSet);
  }
}
