import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { parseCidr } from '../spec/network';
import {
  KUBE_SYSTEM, RUNTIME_DEFAULT_SECCOMP, TOLERATE_EVERYTHING, bindClusterRole, checkImage, finishWorkload,
  rollingUpdateOneAtATime, serviceAccount, serviceAccountRef,
} from './_common';
import { AddonImages } from './images';

/** flannel backends this construct configures. */
export enum FlannelBackend {
  /** VXLAN overlay on UDP 8472 (flannel's Linux default). */
  VXLAN = 'vxlan',
  /** Direct routes between hosts; needs L2 adjacency. */
  HOST_GW = 'host-gw',
  /** WireGuard-encrypted tunnels. */
  WIREGUARD = 'wireguard',
}

export interface FlannelProps {
  /** The cluster's pod CIDR (`net-conf.json` `Network`); must equal the controller manager's `--cluster-cidr`. IPv4 or IPv6. */
  readonly podCidr: string;
  /**
   * Namespace of every flannel object.
   * @default kube-system
   */
  readonly namespace?: string;
  /**
   * Backend.
   * @default FlannelBackend.VXLAN
   */
  readonly backend?: FlannelBackend;
  /**
   * flanneld image.
   * @default ghcr.io/flannel-io/flannel:v0.28.9
   */
  readonly image?: string;
  /**
   * Image carrying the `flannel` CNI plugin binary.
   * @default ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3
   */
  readonly cniPluginImage?: string;
}

/**
 * flannel, the seed's pod network: a ConfigMap `kube-flannel-cfg` (CNI conflist + `net-conf.json` from the pod CIDR), a
 * DaemonSet `kube-flannel` on every node (host network, `--kube-subnet-mgr`: node subnets come from the controller
 * manager's `--allocate-node-cidrs`), its ServiceAccount and a ClusterRole limited to what flanneld reads and patches.
 *
 * Compared with the seed: current upstream images and layout (`/opt/cni/bin`, not `/var/lib/cni/bin`), flannel's
 * default VXLAN port, `NET_ADMIN`/`NET_RAW` instead of a fully privileged container, and one `updateStrategy`.
 */
export class Flannel extends Construct {
  public readonly namespace: string;
  public readonly podCidr: string;
  public readonly backend: FlannelBackend;
  public readonly image: string;
  public readonly cniPluginImage: string;
  public readonly labels = { 'k8s-app': 'flannel', 'tier': 'node' };
  public readonly configMap: k8s.KubeConfigMap;
  public readonly daemonSet: kplus.DaemonSet;

  constructor(scope: Construct, id: string, props: FlannelProps) {
    super(scope, id);
    const cidr = parseCidr(props.podCidr);
    if (!cidr) throw new Error(`podCidr: '${props.podCidr}' is not a valid CIDR`);
    this.podCidr = props.podCidr;
    this.namespace = props.namespace ?? KUBE_SYSTEM;
    this.backend = props.backend ?? FlannelBackend.VXLAN;
    if (!Object.values(FlannelBackend).includes(this.backend)) {
      throw new Error(`backend: '${this.backend}' is not one of ${Object.values(FlannelBackend).join(', ')}`);
    }
    this.image = checkImage('image', props.image ?? AddonImages.flannel);
    this.cniPluginImage = checkImage('cniPluginImage', props.cniPluginImage ?? AddonImages.flannelCniPlugin);
    const ns = this.namespace;
    const labels = this.labels;

    serviceAccount(this, 'flannel', ns, labels);
    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name: 'flannel', labels },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
      ],
    });
    bindClusterRole(this, 'cluster-role-binding', 'flannel', 'flannel', { name: 'flannel', namespace: ns }, labels);

    const network = cidr.kind === 'ipv4'
      ? { Network: this.podCidr }
      : { EnableIPv4: false, EnableIPv6: true, IPv6Network: this.podCidr };
    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'kube-flannel-cfg', namespace: ns, labels },
      data: {
        'cni-conf.json': JSON.stringify({
          name: 'cbr0',
          cniVersion: '0.3.1',
          plugins: [
            { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
            { type: 'portmap', capabilities: { portMappings: true } },
          ],
        }, null, 2),
        'net-conf.json': JSON.stringify({ ...network, EnableNFTables: false, Backend: { Type: this.backend } }, null, 2),
      },
    });

    const hostPath = (name: string, path: string, type: kplus.HostPathVolumeType) => kplus.Volume.fromHostPath(this, name, name, { path, type });
    const run = hostPath('run', '/run/flannel', kplus.HostPathVolumeType.DIRECTORY_OR_CREATE);
    const cniBin = hostPath('cni-plugin', '/opt/cni/bin', kplus.HostPathVolumeType.DIRECTORY_OR_CREATE);
    const cniConf = hostPath('cni', '/etc/cni/net.d', kplus.HostPathVolumeType.DIRECTORY_OR_CREATE);
    const xtables = hostPath('xtables-lock', '/run/xtables.lock', kplus.HostPathVolumeType.FILE_OR_CREATE);
    const cfg = kplus.Volume.fromConfigMap(this, 'flannel-cfg', kplus.ConfigMap.fromConfigMapName(this, 'cfg-ref', 'kube-flannel-cfg'), { name: 'flannel-cfg' });
    const common = { imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT, securityContext: { ensureNonRoot: false } };

    this.daemonSet = new kplus.DaemonSet(this, 'daemon-set', {
      metadata: { name: 'kube-flannel', namespace: ns, labels },
      select: false,
      podMetadata: { labels },
      hostNetwork: true,
      serviceAccount: serviceAccountRef(this, 'flannel'),
      automountServiceAccountToken: true,
      initContainers: [
        {
          ...common,
          name: 'install-cni-plugin',
          image: this.cniPluginImage,
          command: ['cp', '-f', '/flannel', '/opt/cni/bin/flannel'],
          resources: {},
          volumeMounts: [{ path: '/opt/cni/bin', volume: cniBin }],
        },
        {
          ...common,
          name: 'install-cni',
          image: this.image,
          command: ['cp', '-f', '/etc/kube-flannel/cni-conf.json', '/etc/cni/net.d/10-flannel.conflist'],
          resources: {},
          volumeMounts: [{ path: '/etc/cni/net.d', volume: cniConf }, { path: '/etc/kube-flannel/', volume: cfg, readOnly: true }],
        },
      ],
      containers: [{
        ...common,
        name: 'kube-flannel',
        image: this.image,
        command: ['/opt/bin/flanneld'],
        args: ['--ip-masq', '--kube-subnet-mgr', '--healthz-port=8081'],
        ports: [{ number: 8081, name: 'healthz' }],
        liveness: kplus.Probe.fromHttpGet('/healthz', { port: 8081, initialDelaySeconds: Duration.seconds(10), periodSeconds: Duration.seconds(30) }),
        envVariables: {
          POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
          POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
          EVENT_QUEUE_DEPTH: kplus.EnvValue.fromValue('5000'),
        },
        resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(50) } },
        volumeMounts: [
          { path: '/run/flannel', volume: run },
          { path: '/etc/kube-flannel/', volume: cfg, readOnly: true },
          { path: '/run/xtables.lock', volume: xtables },
        ],
      }],
    });
    // flanneld programs routes, iptables and VXLAN devices: root with NET_ADMIN/NET_RAW, nothing more.
    finishWorkload(this.daemonSet, labels, {
      priorityClassName: 'system-node-critical',
      tolerations: TOLERATE_EVERYTHING,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      securityContext: { seccompProfile: RUNTIME_DEFAULT_SECCOMP },
      initContainerSecurityContexts: [{ allowPrivilegeEscalation: false }, { allowPrivilegeEscalation: false }],
      containerSecurityContexts: [{ privileged: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } }],
    });
    rollingUpdateOneAtATime(this.daemonSet);
  }
}
