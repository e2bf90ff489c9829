import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  FlagOverrides,
  KUBE_SYSTEM,
  LINUX_NODE_SELECTOR,
  RUNTIME_DEFAULT_POD_SECURITY,
  TOLERATE_EVERYTHING,
  bindClusterRole,
  componentArgs,
  configMapVolume,
  createDaemonSet,
  envVars,
  fieldRef,
  hostPathVolume,
  httpGetProbe,
  quantity,
  serviceAccount,
} from '../common';
import { parseCidr } from '../spec/network';
import { checkHttpsUrl, checkImage, inClusterKubeconfig } from './_helpers';
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

/**
 * Properties of `KubeProxy`. `removeArgs` and then `extraArgs` apply over its default flags (`--cluster-cidr`,
 * `--hostname-override`, `--kubeconfig`, `--proxy-mode`); a flag kube-proxy does not know at `kubernetesVersion` fails
 * validation.
 */
export interface KubeProxyProps extends FlagOverrides {
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
 * that authenticates with that ServiceAccount's token, so no node credential is mounted into the pod.
 */
export class KubeProxy extends Construct {
  /** Namespace of every kube-proxy object. */
  public readonly namespace: string;
  /** The kube-proxy image. */
  public readonly image: string;
  /** The proxy mode (`--proxy-mode`). */
  public readonly mode: ProxyMode;
  /** The cluster's pod CIDR (`--cluster-cidr`). */
  public readonly podCidr: string;
  /** Labels of every object and of the pods (`k8s-app: kube-proxy`, `tier: node`); also the selector. */
  public readonly labels: Record<string, string> = { 'k8s-app': 'kube-proxy', tier: 'node' };
  /** The container's arguments (`--flag=value`, sorted). */
  public readonly args: string[];
  /** The DaemonSet (escape hatch). */
  public readonly apiObject: k8s.KubeDaemonSet;
  /** The DaemonSet; the same object as `apiObject`. */
  public readonly daemonSet: k8s.KubeDaemonSet;

  constructor(scope: Construct, id: string, props: KubeProxyProps) {
    super(scope, id);
    if (!parseCidr(props.podCidr)) throw new Error(`podCidr: '${props.podCidr}' is not a valid CIDR`);
    checkHttpsUrl('apiServerUrl', props.apiServerUrl);
    this.podCidr = props.podCidr;
    this.namespace = props.namespace ?? KUBE_SYSTEM;
    this.mode = props.mode ?? ProxyMode.IPTABLES;
    if (!Object.values(ProxyMode).includes(this.mode))
      throw new Error(`mode: '${this.mode}' is not one of ${Object.values(ProxyMode).join(', ')}`);
    this.image = checkImage(
      'image',
      props.image ?? kubernetesImage(props.imageRegistry ?? 'registry.k8s.io', 'kube-proxy', props.kubernetesVersion),
    );
    const ns = this.namespace;
    const labels = this.labels;

    serviceAccount(this, 'kube-proxy', ns, labels);
    bindClusterRole(
      this,
      'node-proxier',
      'kube-proxy:node-proxier',
      'system:node-proxier',
      { name: 'kube-proxy', namespace: ns },
      labels,
    );
    new k8s.KubeConfigMap(this, 'kubeconfig', {
      metadata: { name: 'kube-proxy-kubeconfig', namespace: ns, labels },
      data: { kubeconfig: inClusterKubeconfig(props.apiServerUrl) },
    });

    this.args = componentArgs(this, {
      component: 'kube-proxy',
      version: props.kubernetesVersion,
      defaults: {
        'cluster-cidr': this.podCidr,
        'hostname-override': '$(NODE_NAME)',
        kubeconfig: '/var/lib/kube-proxy/kubeconfig',
        'proxy-mode': this.mode,
      },
      extraArgs: props.extraArgs,
      removeArgs: props.removeArgs,
      hostNetwork: true,
    });
    const volumes = {
      kubeconfig: configMapVolume('kubeconfig', 'kube-proxy-kubeconfig'),
      xtables: hostPathVolume('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
      modules: hostPathVolume('lib-modules', '/lib/modules', 'Directory'),
    };

    this.apiObject = this.daemonSet = createDaemonSet(this, 'daemon-set', {
      name: 'kube-proxy',
      namespace: ns,
      labels,
      apiDefaults: true,
      podSpec: {
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        nodeSelector: LINUX_NODE_SELECTOR,
        tolerations: [...TOLERATE_EVERYTHING],
        serviceAccountName: 'kube-proxy',
        automountServiceAccountToken: true,
        securityContext: RUNTIME_DEFAULT_POD_SECURITY,
        containers: [
          {
            name: 'kube-proxy',
            image: this.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['kube-proxy'],
            args: this.args,
            env: envVars({ NODE_NAME: fieldRef('spec.nodeName') }),
            ports: [{ containerPort: 10256, name: 'health' }],
            livenessProbe: httpGetProbe('/healthz', 10256, { initialDelaySeconds: 15, timeoutSeconds: 15 }),
            resources: { requests: { cpu: quantity('50m') } },
            // It programs the host's packet filter.
            securityContext: { privileged: true },
            volumeMounts: [
              { name: volumes.kubeconfig.name, mountPath: '/var/lib/kube-proxy', readOnly: true },
              { name: volumes.xtables.name, mountPath: '/run/xtables.lock' },
              { name: volumes.modules.name, mountPath: '/lib/modules', readOnly: true },
            ],
          },
        ],
        volumes: [volumes.kubeconfig, volumes.xtables, volumes.modules],
      },
    });
  }
}
