import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  KUBE_SYSTEM,
  LINUX_NODE_SELECTOR,
  RUNTIME_DEFAULT_POD_SECURITY,
  TOLERATE_EVERYTHING,
  bindClusterRole,
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
import { checkImage } from './_helpers';
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

/** Properties of `Flannel`. */
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
 * flannel, the default pod network (`networking.podNetwork: flannel`): a ConfigMap `kube-flannel-cfg` (CNI conflist +
 * `net-conf.json` from the pod CIDR), a DaemonSet `kube-flannel` on every node (host network, `--kube-subnet-mgr`: node
 * subnets come from the controller manager's `--allocate-node-cidrs`), its ServiceAccount and a ClusterRole limited to
 * what flanneld reads and patches. Upstream's layout: the CNI plugin goes to `/opt/cni/bin`, the conflist to
 * `/etc/cni/net.d/10-flannel.conflist`; flanneld runs with `NET_ADMIN`/`NET_RAW`, not privileged.
 */
export class Flannel extends Construct {
  /** Namespace of every flannel object. */
  public readonly namespace: string;
  /** The cluster's pod CIDR, as `net-conf.json` gives it to flanneld. */
  public readonly podCidr: string;
  /** The backend flanneld uses between nodes. */
  public readonly backend: FlannelBackend;
  /** The flanneld image (also runs the `install-cni` init container). */
  public readonly image: string;
  /** The image of the `install-cni-plugin` init container. */
  public readonly cniPluginImage: string;
  /** Labels of every object and of the pods (`k8s-app: flannel`, `tier: node`); also the selector. */
  public readonly labels: Record<string, string> = { 'k8s-app': 'flannel', tier: 'node' };
  /** The ConfigMap `kube-flannel-cfg`: the CNI conflist and `net-conf.json`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The DaemonSet (escape hatch). */
  public readonly apiObject: k8s.KubeDaemonSet;
  /** The DaemonSet; the same object as `apiObject`. */
  public readonly daemonSet: k8s.KubeDaemonSet;

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

    const network =
      cidr.kind === 'ipv4'
        ? { Network: this.podCidr }
        : { EnableIPv4: false, EnableIPv6: true, IPv6Network: this.podCidr };
    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'kube-flannel-cfg', namespace: ns, labels },
      data: {
        'cni-conf.json': JSON.stringify(
          {
            name: 'cbr0',
            cniVersion: '0.3.1',
            plugins: [
              { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
              { type: 'portmap', capabilities: { portMappings: true } },
            ],
          },
          null,
          2,
        ),
        'net-conf.json': JSON.stringify(
          { ...network, EnableNFTables: false, Backend: { Type: this.backend } },
          null,
          2,
        ),
      },
    });

    const volumes = {
      run: hostPathVolume('run', '/run/flannel', 'DirectoryOrCreate'),
      cfg: configMapVolume('flannel-cfg', 'kube-flannel-cfg'),
      xtables: hostPathVolume('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
      cniBin: hostPathVolume('cni-plugin', '/opt/cni/bin', 'DirectoryOrCreate'),
      cniConf: hostPathVolume('cni', '/etc/cni/net.d', 'DirectoryOrCreate'),
    };
    const cfgMount: k8s.VolumeMount = { name: volumes.cfg.name, mountPath: '/etc/kube-flannel/', readOnly: true };
    // The init containers only copy files: no privilege escalation.
    const copyOnly: k8s.SecurityContext = { allowPrivilegeEscalation: false };

    this.apiObject = this.daemonSet = createDaemonSet(this, 'daemon-set', {
      name: 'kube-flannel',
      namespace: ns,
      labels,
      apiDefaults: true,
      podSpec: {
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        nodeSelector: LINUX_NODE_SELECTOR,
        tolerations: [...TOLERATE_EVERYTHING],
        serviceAccountName: 'flannel',
        automountServiceAccountToken: true,
        securityContext: RUNTIME_DEFAULT_POD_SECURITY,
        initContainers: [
          {
            name: 'install-cni-plugin',
            image: this.cniPluginImage,
            imagePullPolicy: 'IfNotPresent',
            command: ['cp', '-f', '/flannel', '/opt/cni/bin/flannel'],
            securityContext: copyOnly,
            volumeMounts: [{ name: volumes.cniBin.name, mountPath: '/opt/cni/bin' }],
          },
          {
            name: 'install-cni',
            image: this.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['cp', '-f', '/etc/kube-flannel/cni-conf.json', '/etc/cni/net.d/10-flannel.conflist'],
            securityContext: copyOnly,
            volumeMounts: [{ name: volumes.cniConf.name, mountPath: '/etc/cni/net.d' }, cfgMount],
          },
        ],
        containers: [
          {
            name: 'kube-flannel',
            image: this.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['/opt/bin/flanneld'],
            args: ['--ip-masq', '--kube-subnet-mgr', '--healthz-port=8081'],
            ports: [{ containerPort: 8081, name: 'healthz' }],
            livenessProbe: httpGetProbe('/healthz', 8081, { initialDelaySeconds: 10, periodSeconds: 30 }),
            env: envVars({
              POD_NAME: fieldRef('metadata.name'),
              POD_NAMESPACE: fieldRef('metadata.namespace'),
              EVENT_QUEUE_DEPTH: '5000',
            }),
            resources: { requests: { cpu: quantity('100m'), memory: quantity('50Mi') } },
            // flanneld programs routes, iptables and VXLAN devices: root with NET_ADMIN/NET_RAW, nothing more.
            securityContext: { privileged: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
            volumeMounts: [
              { name: volumes.run.name, mountPath: '/run/flannel' },
              cfgMount,
              { name: volumes.xtables.name, mountPath: '/run/xtables.lock' },
            ],
          },
        ],
        volumes: [volumes.run, volumes.cfg, volumes.xtables, volumes.cniBin, volumes.cniConf],
      },
    });
  }
}
