import { ResolvedClusterSpec } from '../../spec';
import { parseCidr } from '../../spec/network';
import { execLine, renderUnit } from '../_systemd';
import { cniTemplateData, executeGoTemplate } from './go-template';

/**
 * The `cloud-routes` pod network on a node: what kubenet did, done by the container runtime and the standard CNI
 * plugins. The controller manager gives each Node a pod CIDR (`--allocate-node-cidrs`); the kubelet passes it to
 * containerd (CRI `UpdateRuntimeConfig`); containerd renders its CNI config template with it into
 * `/etc/cni/net.d/10-containerd-net.conflist` (bridge `cbr0` + host-local IPAM over the node's pod CIDR + portmap;
 * containerd sets up `lo` itself with the `loopback` plugin). The OpenStack cloud controller manager's route
 * controller then adds a Neutron router route "pod CIDR via node IP" for each node, so pods reach each other without
 * NAT. Traffic from pods to anything outside the cluster's pod network is masqueraded by one iptables rule, kubenet's
 * own (`pod-masquerade.service`). Why this design: docs/companion-tool.md, "Pod network: cloud-routes".
 */

/** Where the files of the cloud-routes pod network live on a node. */
export const CniPaths = {
  /** The CNI config template containerd renders (`conf_template`). */
  confTemplate: '/etc/containerd/cni-bridge.conflist.tmpl',
  /** containerd 2.x drop-in that points the CRI plugin at the template (`imports` in `/etc/containerd/config.toml`). */
  containerdDropIn: '/etc/containerd/conf.d/50-cni-bridge.toml',
  /** The glob the root containerd config must import (containerd ≥ 2.2 imports it by default). */
  containerdImports: '/etc/containerd/conf.d/*.toml',
  /** containerd's CNI config directory (`conf_dir`, default). */
  confDir: '/etc/cni/net.d',
  /** The file containerd renders from the template (`cniConfigFileName` in containerd). */
  renderedConf: '/etc/cni/net.d/10-containerd-net.conflist',
  /** containerd's CNI plugin directory (`bin_dir` / `bin_dirs`, default). */
  binDir: '/opt/cni/bin',
  /** The unit holding the masquerade rule. */
  masqueradeUnit: '/etc/systemd/system/pod-masquerade.service',
} as const;

/** Options of the node's CNI config. */
export interface CniConfTemplateOptions {
  /**
   * MTU of the bridge and the pods' interfaces. Pod traffic between nodes is routed, not encapsulated, so this is the
   * node network's MTU (a Neutron network's `mtu`, often 1450 on VXLAN tenant networks).
   * @default - the kernel's choice (1500)
   */
  readonly mtu?: number;
  /**
   * Hairpin mode on the pods' bridge ports, so that a pod reaches itself through a Service IP.
   * @default true
   */
  readonly hairpinMode?: boolean;
  /**
   * host-local's directory of reserved addresses (tests point it at a temporary directory).
   * @default - host-local's default, /var/lib/cni/networks
   */
  readonly dataDir?: string;
}

/** The network name (`name`) of the conflist and the Linux bridge it creates. */
export const CNI_NETWORK_NAME = 'cbr0';
/** CNI spec version of the conflist: 1.0.0, which the plugins since v1.0 and containerd's libcni understand. */
export const CNI_VERSION = '1.0.0';

/**
 * The CNI config template containerd renders (Go `text/template`, containerd's `conf_template`): a bridge `cbr0`
 * that is the pods' gateway (`isGateway`, host-local's default gateway: the first address of the node's pod CIDR),
 * host-local IPAM over every pod CIDR of the node (`.PodCIDRRanges`) with default routes (`.Routes`), hairpin mode,
 * an optional MTU, then `portmap` for `hostPort`s. `ipMasq` is false as in kubenet: the bridge plugin's masquerading
 * would also NAT pod-to-pod traffic between nodes (it exempts only the node's own pod CIDR), so pods would see node
 * addresses instead of pod addresses and the Neutron routes would be pointless; `pod-masquerade.service` masquerades
 * only traffic leaving the cluster's pod network, like kubenet. No loopback entry: containerd adds `lo` itself with
 * the `loopback` plugin (go-cni `WithLoNetwork`), and a separate loopback file in `/etc/cni/net.d` would count as a
 * network config and stop containerd from ever rendering this template.
 */
export function renderCniConfTemplate(options: CniConfTemplateOptions = {}): string {
  if (options.mtu !== undefined && (!Number.isInteger(options.mtu) || options.mtu < 576 || options.mtu > 9216)) {
    throw new Error(`mtu: ${options.mtu} must be an integer from 576 to 9216`);
  }
  if (options.dataDir !== undefined && !options.dataDir.startsWith('/')) {
    throw new Error(`dataDir: '${options.dataDir}' must be an absolute path`);
  }
  const q = JSON.stringify;
  const bridge = [
    `"type": "bridge"`,
    `"bridge": ${q(CNI_NETWORK_NAME)}`,
    `"isGateway": true`,
    `"ipMasq": false`,
    `"hairpinMode": ${options.hairpinMode ?? true}`,
    ...(options.mtu !== undefined ? [`"mtu": ${options.mtu}`] : []),
  ];
  const ipam = [
    `"type": "host-local"`,
    ...(options.dataDir !== undefined ? [`"dataDir": ${q(options.dataDir)}`] : []),
    '"ranges": [{{range $i, $range := .PodCIDRRanges}}{{if $i}}, {{end}}[{"subnet": "{{$range}}"}]{{end}}]',
    '"routes": [{{range $i, $route := .Routes}}{{if $i}}, {{end}}{"dst": "{{$route}}"}{{end}}]',
  ];
  return [
    '{',
    `  "cniVersion": ${q(CNI_VERSION)},`,
    `  "name": ${q(CNI_NETWORK_NAME)},`,
    '  "plugins": [',
    '    {',
    ...bridge.map((l) => `      ${l},`),
    '      "ipam": {',
    ...ipam.map((l, i) => `        ${l}${i < ipam.length - 1 ? ',' : ''}`),
    '      }',
    '    },',
    '    {',
    '      "type": "portmap",',
    '      "capabilities": {"portMappings": true}',
    '    }',
    '  ]',
    '}',
    '',
  ].join('\n');
}

/**
 * The conflist containerd writes for a node whose pod CIDRs are `podCidrs` (as the kubelet reports them:
 * `Node.spec.podCIDRs`, a list or comma-separated): the template of `renderCniConfTemplate(options)` executed exactly
 * as containerd executes it. For tests and for showing a node's effective config.
 */
export function renderCniConf(podCidrs: string | readonly string[], options: CniConfTemplateOptions = {}): string {
  const data = cniTemplateData(podCidrs);
  for (const c of data.PodCIDRRanges) {
    if (!parseCidr(c)) throw new Error(`podCidrs: '${c}' is not a valid CIDR`);
  }
  return executeGoTemplate(renderCniConfTemplate(options), { ...data });
}

/** Options of the containerd drop-in. */
export interface ContainerdCniDropInOptions {
  /**
   * Where the template is installed.
   * @default CniPaths.confTemplate
   */
  readonly templatePath?: string;
  /**
   * Directories containerd searches for CNI plugins (`bin_dirs`, containerd ≥ 2.1; e.g. Debian's `/usr/lib/cni`).
   * @default - containerd's default, /opt/cni/bin
   */
  readonly binDirs?: readonly string[];
}

/**
 * The containerd 2.x drop-in (config version 3) that makes the CRI plugin render the CNI config template:
 * `[plugins.'io.containerd.cri.v1.runtime'.cni] conf_template`. containerd 2.x merges a drop-in key by key into the
 * root config (containerd PR #9982), so nothing else of the CRI settings changes; the root config must say
 * `version = 3` (a drop-in may not have a higher version than the root) and import `/etc/containerd/conf.d/*.toml`
 * (containerd 2.2's default config does).
 */
export function renderContainerdCniDropIn(options: ContainerdCniDropInOptions = {}): string {
  const template = options.templatePath ?? CniPaths.confTemplate;
  const toml = (s: string) => {
    if (!s.startsWith('/') || /['\n]/.test(s))
      throw new Error(`'${s}' must be an absolute path without quotes or line breaks`);
    return `'${s}'`;
  };
  const lines = [
    '# containerd 2.x drop-in (config version 3), generated by hacp: the cloud-routes pod network.',
    '# containerd renders conf_template into /etc/cni/net.d/10-containerd-net.conflist once the kubelet reports the',
    "# node's pod CIDR, and only while /etc/cni/net.d holds no other network config.",
    `# The root /etc/containerd/config.toml must have version = 3 and imports = ['${CniPaths.containerdImports}'].`,
    'version = 3',
    '',
    "[plugins.'io.containerd.cri.v1.runtime'.cni]",
    `  conf_template = ${toml(template)}`,
  ];
  if (options.binDirs) {
    if (options.binDirs.length === 0) throw new Error('binDirs: must name at least one directory');
    lines.push(`  bin_dirs = [${options.binDirs.map(toml).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * kubenet's masquerade rule for pods (arguments after `iptables -t nat -A|-D POSTROUTING`): traffic from the pod
 * network to an address outside it that is not local leaves with the node's address. Pod-to-pod traffic keeps its
 * source, Service traffic was already DNAT-ed to a pod address by kube-proxy.
 */
export function podMasqueradeRule(clusterCidr: string): string[] {
  if (!parseCidr(clusterCidr)) throw new Error(`clusterCidr: '${clusterCidr}' is not a valid CIDR`);
  return [
    '-s',
    clusterCidr,
    '!',
    '-d',
    clusterCidr,
    '-m',
    'addrtype',
    '!',
    '--dst-type',
    'LOCAL',
    '-m',
    'comment',
    '--comment',
    'hacp: SNAT for traffic from pods to outside the pod network',
    '-j',
    'MASQUERADE',
  ];
}

/** Options of `renderPodMasqueradeUnit()`. */
export interface PodMasqueradeUnitOptions {
  /**
   * Directory of `iptables` and `ip6tables` on the node.
   * @default /usr/sbin
   */
  readonly iptablesDir?: string;
}

/**
 * `pod-masquerade.service`: installs `podMasqueradeRule()` in the nat table before containerd and the kubelet start
 * and removes it when stopped (idempotent: a leftover copy is deleted first). What kubenet did inside the kubelet.
 */
export function renderPodMasqueradeUnit(clusterCidr: string, options: PodMasqueradeUnitOptions = {}): string {
  const cidr = parseCidr(clusterCidr);
  if (!cidr) throw new Error(`clusterCidr: '${clusterCidr}' is not a valid CIDR`);
  const dir = options.iptablesDir ?? '/usr/sbin';
  if (!dir.startsWith('/')) throw new Error(`iptablesDir: '${dir}' must be an absolute path`);
  const iptables = `${dir}/${cidr.kind === 'ipv6' ? 'ip6tables' : 'iptables'}`;
  const rule = podMasqueradeRule(clusterCidr);
  const cmd = (op: '-A' | '-D') => execLine([iptables, '-w', '-t', 'nat', op, 'POSTROUTING', ...rule]);
  return renderUnit(
    [
      `Masquerades traffic from the pod network ${clusterCidr} to outside it (kubenet's rule). Generated by hacp.`,
      `Install as ${CniPaths.masqueradeUnit} and enable it.`,
    ],
    {
      Unit: [
        ['Description', 'SNAT for traffic from pods to outside the pod network'],
        ['Before', 'containerd.service kubelet.service'],
      ],
      Service: [
        ['Type', 'oneshot'],
        ['RemainAfterExit', 'yes'],
        ['ExecStartPre', `-${cmd('-D')}`],
        ['ExecStart', cmd('-A')],
        ['ExecStop', cmd('-D')],
      ],
      Install: [['WantedBy', 'multi-user.target']],
    },
  );
}

/** One file of a node's cloud-routes pod network: its name in the output folder and where it goes on the node. */
export interface NodeCniFile {
  /** File name in the output folder. */
  readonly name: string;
  /** The file's text. */
  readonly content: string;
  /** Absolute path on the node. */
  readonly dest: string;
}

/** Options of `cloudRoutesNodeFiles()`. */
export interface CloudRoutesNodeFilesOptions
  extends CniConfTemplateOptions, ContainerdCniDropInOptions, PodMasqueradeUnitOptions {}

/**
 * The files `hacp kubelet-unit` writes for a node when the pod network is `cloud-routes`: the CNI config template,
 * the containerd drop-in and `pod-masquerade.service` for the spec's pod CIDR. The same on every node: the node's
 * own pod CIDR is filled in by containerd.
 */
export function cloudRoutesNodeFiles(
  spec: ResolvedClusterSpec,
  options: CloudRoutesNodeFilesOptions = {},
): NodeCniFile[] {
  const template = renderCniConfTemplate(options);
  return [
    { name: 'cni-bridge.conflist.tmpl', content: template, dest: options.templatePath ?? CniPaths.confTemplate },
    { name: '50-cni-bridge.toml', content: renderContainerdCniDropIn(options), dest: CniPaths.containerdDropIn },
    {
      name: 'pod-masquerade.service',
      content: renderPodMasqueradeUnit(spec.networking.podCidr, options),
      dest: CniPaths.masqueradeUnit,
    },
  ];
}

/** Options of `nodePodNetworkFiles()`. */
export interface NodePodNetworkFilesOptions extends CloudRoutesNodeFilesOptions {
  /**
   * Write the cloud-routes files even when `networking.podNetwork` is `none` (`hacp kubelet-unit --cloud-routes`: the
   * user routes the node pod CIDRs by other means). Refused with `flannel`, which writes its own CNI config.
   * @default false
   */
  readonly force?: boolean;
}

/**
 * The pod network files `hacp kubelet-unit` writes on every node (master or worker) of a cluster: the cloud-routes
 * files (`cloudRoutesNodeFiles()`) when `networking.podNetwork` is `cloud-routes` (or `force` with `none`), nothing
 * otherwise (flannel's DaemonSet installs its own CNI config; with `none` the user's CNI does). The `cluster` check
 * models each node's host CNI config with this same function.
 */
export function nodePodNetworkFiles(
  spec: ResolvedClusterSpec,
  options: NodePodNetworkFilesOptions = {},
): NodeCniFile[] {
  const mode = spec.networking.podNetwork;
  if (options.force && mode === 'flannel') {
    throw new Error(
      'the cloud-routes files would sit beside flannel\'s CNI config (networking.podNetwork is "flannel"), and containerd renders its template only while /etc/cni/net.d holds no config: set networking.podNetwork: cloud-routes',
    );
  }
  return mode === 'cloud-routes' || options.force ? cloudRoutesNodeFiles(spec, options) : [];
}
