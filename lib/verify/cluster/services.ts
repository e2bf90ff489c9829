/**
 * Cluster services: what every node and pod needs beyond the control plane. A pod network for the spec's pod CIDR on
 * every node (a CNI DaemonSet, or a host CNI config), a Service proxy on every node (kube-proxy or a declared
 * replacement), a DNS server behind a Service at the kubelets' `clusterDNS`, a cloud controller manager when the
 * kubelets wait for one, and a pod template behind every Service selector.
 */
import { cniTemplateData, executeGoTemplate } from '../../host/cni/go-template';
import { Finding } from '../finding';
import { cidrToString, enclosingCidr, nthAddress, parseCidr } from '../../spec/network';
import { ClusterModel, Workload, flagOf, objectData, readInContainer } from './model';
import { listNames, selectorMatches } from './placement';
import { serviceProxies } from './endpoints';

/** How the spec says pods get their network (`networking.podNetwork`, when the spec has the field). */
export function podNetworkMode(model: ClusterModel): string {
  return String((model.spec.networking as any).podNetwork ?? 'cni');
}

/** Workloads providing the pod network: CNI DaemonSets (pods writing the host's CNI config). */
export function podNetworkWorkloads(model: ClusterModel): Workload[] {
  return model.workloads.filter((w) => w.components.has('cni'));
}

/** `--name=value` arguments of a container (for components without a flag reference: the CCM). */
function argsOf(c: any): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of [...(c.command ?? []), ...(c.args ?? [])].map(String)) {
    const m = /^(--[\w-]+)=(.*)$/.exec(a);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** What a cloud controller manager's route controller does, or why it adds no route. */
export interface RouteController {
  readonly workload: Workload;
  /** Undefined when it adds a route for every Node's pod CIDR; else why not. */
  readonly problem?: string;
  /** The router it adds the routes to (`[Route] router-id` of its cloud config). */
  readonly routerId?: string;
}

/**
 * The route controllers of the tree: cloud controller managers with `--configure-cloud-routes` (default true) and
 * `--allocate-node-cidrs=true` (the route controller only runs with both), `--cluster-cidr` the spec's pod CIDR, and
 * a cloud config (`--cloud-config`, read through its volume) naming a router (`[Route] router-id`, OpenStack).
 */
export function routeControllers(model: ClusterModel): RouteController[] {
  const podCidr = model.spec.networking.podCidr;
  return model.workloads
    .filter((w) => w.components.has('ccm'))
    .map((w) => {
      const c =
        w.spec.containers.find((x: any) =>
          /cloud-controller-manager/.test(`${x.image ?? ''} ${(x.command ?? []).join(' ')}`),
        ) ?? w.spec.containers[0];
      const args = argsOf(c);
      const problems: string[] = [];
      if ((args.get('--configure-cloud-routes') ?? 'true') !== 'true')
        problems.push(`--configure-cloud-routes is ${args.get('--configure-cloud-routes')}`);
      if (args.get('--allocate-node-cidrs') !== 'true')
        problems.push('--allocate-node-cidrs is not true (the route controller runs only with it)');
      const cidr = args.get('--cluster-cidr');
      if (!cidr) problems.push('--cluster-cidr is not set');
      else if (sameCidr(cidr, podCidr) === false)
        problems.push(`--cluster-cidr is ${cidr}, not the pod CIDR ${podCidr}`);
      let routerId: string | undefined;
      const confPath = args.get('--cloud-config');
      const conf = confPath ? readInContainer(model, w, c, confPath) : undefined;
      if (!conf?.text) problems.push(`its cloud config ${confPath ?? '(no --cloud-config)'} is not in the tree`);
      else {
        const route = /^\s*\[Route\]\s*$([\s\S]*?)(?=^\s*\[|(?![\s\S]))/m.exec(conf.text)?.[1] ?? '';
        routerId = /^\s*router-id\s*=\s*"?([^"\s]*)"?\s*$/m.exec(route)?.[1] || undefined;
        if (!routerId) problems.push(`its cloud config (${conf.where}) names no router ([Route] router-id)`);
      }
      return { workload: w, routerId, ...(problems.length ? { problem: problems.join('; ') } : {}) };
    });
}

/** Why the controller managers do not give every Node a pod CIDR inside the spec's (undefined: they do). */
function nodeCidrProblem(model: ClusterModel): string | undefined {
  const podCidr = model.spec.networking.podCidr;
  const cms = model.workloads.filter((w) => w.components.has('kube-controller-manager'));
  if (!cms.length) return 'no kube-controller-manager is in the tree';
  for (const w of cms) {
    const allocate = flagOf(w, 'kube-controller-manager', '--allocate-node-cidrs');
    const cidr = flagOf(w, 'kube-controller-manager', '--cluster-cidr');
    if (allocate !== 'true') return `${w.id} runs with --allocate-node-cidrs=${allocate ?? 'false (default)'}`;
    if (!cidr || sameCidr(cidr, podCidr) === false)
      return `${w.id} allocates node CIDRs from ${cidr ?? 'nothing (no --cluster-cidr)'}, not the pod CIDR ${podCidr}`;
  }
  return undefined;
}

/**
 * Why the host CNI config of the nodes does not give pods addresses from their node's pod CIDR (undefined: it does):
 * the template is rendered as containerd renders it, for the first node CIDR of the pod CIDR, and must hold a bridge
 * with host-local IPAM over exactly that CIDR.
 */
function hostCniProblem(model: ClusterModel): string | undefined {
  const net = model.spec.networking;
  const template = model.nodes.flatMap((n) => n.hostCni).find((f) => f.name.endsWith('.tmpl'));
  if (!template) return 'no CNI config template';
  const pod = parseCidr(net.podCidr);
  if (!pod) return undefined; // the spec's validation names it
  const nodeCidr = cidrToString(enclosingCidr(nthAddress(pod, 0), net.nodeCidrMaskSize));
  let conf: any;
  try {
    conf = JSON.parse(executeGoTemplate(template.content, { ...cniTemplateData(nodeCidr) }));
  } catch (e) {
    return `the CNI config template ${template.dest} does not render (${(e as Error).message})`;
  }
  const bridge = (conf.plugins ?? []).find((p: any) => p.type === 'bridge');
  const subnets = (bridge?.ipam?.ranges ?? []).flat().map((r: any) => String(r.subnet));
  if (!bridge || bridge.ipam?.type !== 'host-local')
    return `the CNI config rendered from ${template.dest} has no bridge with host-local IPAM`;
  if (!subnets.some((x: string) => sameCidr(x, nodeCidr)))
    return `the CNI config rendered from ${template.dest} for a node with pod CIDR ${nodeCidr} hands out ${subnets.join(', ') || 'no range'}`;
  return undefined;
}

/** Workloads serving cluster DNS. */
export function dnsWorkloads(model: ClusterModel): Workload[] {
  return model.workloads.filter((w) => w.components.has('dns'));
}

/** The cluster services findings of a model. */
export function serviceFindings(model: ClusterModel): Finding[] {
  const out: Finding[] = [];
  const add = (severity: Finding['severity'], id: string, file: string, message: string) =>
    out.push({ severity, check: 'cluster', id, file, message });
  const where = model.applyDir;
  const allNodes = model.nodes.map((n) => n.name);
  const notCovering = (ws: Workload[]) => allNodes.filter((n) => !ws.some((w) => w.nodes.includes(n)));
  const whyNot = (ws: Workload[], nodes: string[]) =>
    nodes
      .map(
        (n) =>
          `${n}: ${
            ws
              .map((w) => w.misfits.get(n))
              .filter(Boolean)
              .join('; ') || 'not placed'
          }`,
      )
      .join('; ');

  // Pod network.
  const mode = podNetworkMode(model);
  const cni = podNetworkWorkloads(model);
  const podCidr = model.spec.networking.podCidr;
  if (mode === 'cloud-routes') {
    cloudRoutesFindings(model, cni, add);
  } else if (!cni.length) {
    if (mode === 'none') {
      add(
        'warning',
        'pod-network-missing',
        where,
        `networking.podNetwork is none: bring your own CNI for the pod CIDR ${podCidr}; until it runs every node stays NotReady`,
      );
    } else {
      add(
        'error',
        'pod-network-missing',
        where,
        `no pod network for the pod CIDR ${podCidr}: no CNI DaemonSet (a pod that writes the host's /etc/cni/net.d) is in ${where}/ and no host CNI config is written: every kubelet reports NetworkPluginNotReady, every node stays NotReady and no pod but host-network pods starts`,
      );
    }
  } else {
    const missing = notCovering(cni);
    if (missing.length)
      add(
        'error',
        'pod-network-incomplete',
        cni[0].obj.file.rel,
        `the pod network (${listNames(cni.map((w) => w.id))}) does not run on ${listNames(missing)}, which stay NotReady: ${whyNot(cni, missing)}`,
      );
    // Its address range (flannel's net-conf.json) must be the spec's pod CIDR, which the controller manager allocates from.
    for (const w of cni) {
      for (const v of w.spec.volumes ?? []) {
        const cm =
          v.configMap &&
          model.objects.find(
            (o) => o.kind === 'ConfigMap' && o.namespace === w.namespace && o.name === v.configMap.name,
          );
        const text = cm ? objectData(cm.object)['net-conf.json'] : undefined;
        if (!text) continue;
        let network: string | undefined;
        try {
          const conf = JSON.parse(text);
          network = conf.Network ?? conf.IPv6Network;
        } catch {
          network = undefined;
        }
        if (network && sameCidr(network, podCidr) === false) {
          add(
            'error',
            'pod-network-cidr',
            cm!.file.rel,
            `${w.id} hands out pod addresses from ${network} (ConfigMap ${cm!.namespace}/${cm!.name} net-conf.json), but the pod CIDR is ${podCidr}: node pod CIDRs allocated by the controller manager lie outside the pod network`,
          );
        }
      }
    }
  }

  // Service proxy.
  const proxies = serviceProxies(model, 'running');
  if (!proxies.length) {
    add(
      'error',
      'service-proxy-missing',
      where,
      `no Service proxy: neither kube-proxy nor a declared replacement (Cilium --kube-proxy-replacement=true, kube-router --run-service-proxy=true) is in ${where}/: no ClusterIP routes, not even the \`kubernetes\` Service (${model.spec.apiServiceIp}) in-cluster clients use, nor the DNS Service`,
    );
  } else {
    const missing = notCovering(proxies);
    if (missing.length)
      add(
        'error',
        'service-proxy-incomplete',
        proxies[0].obj.file.rel,
        `the Service proxy (${listNames(proxies.map((w) => w.id))}) does not run on ${listNames(missing)}: ClusterIPs do not route from there: ${whyNot(proxies, missing)}`,
      );
  }

  // DNS.
  const dns = dnsWorkloads(model);
  const ips = [...new Set(model.nodes.flatMap((n) => n.clusterDns))];
  const kubelets = `the kubelets of ${listNames(model.nodes.filter((n) => n.clusterDns.length).map((n) => n.name))}`;
  const services = model.objects.filter((o) => o.kind === 'Service');
  for (const ip of ips) {
    const svc = services.find((s) => String(s.object.spec?.clusterIP ?? '') === ip);
    if (!svc) {
      const dnsServices = services.filter((s) =>
        dns.some(
          (w) =>
            w.namespace === s.namespace &&
            s.object.spec?.selector &&
            selectorMatches({ matchLabels: s.object.spec.selector }, w.labels),
        ),
      );
      const other = dnsServices.length
        ? `; ${listNames(dnsServices.map((s) => `Service ${s.namespace}/${s.name} has clusterIP ${s.object.spec?.clusterIP ?? 'unset'}`))}`
        : '';
      add(
        'error',
        dns.length ? 'dns-service-missing' : 'dns-missing',
        dnsServices[0]?.file.rel ?? where,
        `no cluster DNS at ${ip}: ${kubelets} write clusterDNS ${ip} into every pod's resolv.conf, but no Service has that clusterIP${dns.length ? '' : ' and no DNS server (CoreDNS or kube-dns Deployment) is in the tree'}${other}: name lookups in pods fail`,
      );
      continue;
    }
    const what = `Service ${svc.namespace}/${svc.name} (${ip}, the kubelets' clusterDNS)`;
    const selector = svc.object.spec?.selector;
    const behind = dns.filter(
      (w) => w.namespace === svc.namespace && selector && selectorMatches({ matchLabels: selector }, w.labels),
    );
    if (!dns.length)
      add(
        'error',
        'dns-missing',
        svc.file.rel,
        `${what} exists, but no DNS server (CoreDNS or kube-dns Deployment) is in the tree`,
      );
    else if (!behind.length)
      add(
        'error',
        'dns-service-selector',
        svc.file.rel,
        `${what}: selector ${JSON.stringify(selector ?? {})} matches no DNS server (${listNames(dns.map((w) => w.id))})`,
      );
    const ports: any[] = svc.object.spec?.ports ?? [];
    if (!ports.some((p) => Number(p.port) === 53 && (p.protocol ?? 'TCP') === 'UDP'))
      add('error', 'dns-service-port', svc.file.rel, `${what} has no UDP port 53`);
  }

  // Cloud controller manager.
  if (
    model.nodes.some((n) => n.taints.some((t) => t.key === 'node.cloudprovider.kubernetes.io/uninitialized')) &&
    !model.workloads.some((w) => w.components.has('ccm'))
  ) {
    add(
      'error',
      'ccm-missing',
      where,
      `cloudProvider is external, so every kubelet registers with the taint node.cloudprovider.kubernetes.io/uninitialized=true:NoSchedule until a cloud controller manager initialises its Node, but none is in the tree: nodes stay unschedulable`,
    );
  }

  // Every Service selector matches a pod template.
  for (const svc of services) {
    const selector = svc.object.spec?.selector;
    if (!selector || !Object.keys(selector).length) continue;
    const matched = model.workloads.filter(
      (w) => w.namespace === svc.namespace && selectorMatches({ matchLabels: selector }, w.labels),
    );
    if (!matched.length) {
      add(
        'error',
        'service-selector',
        svc.file.rel,
        `Service ${svc.namespace}/${svc.name}: selector ${JSON.stringify(selector)} matches no pod template in namespace ${svc.namespace} of the tree: the Service has no endpoints`,
      );
    }
  }
  return out;
}

/**
 * The pod network `cloud-routes`: every node has the host CNI config `hacp kubelet-unit` writes (a bridge over the
 * node's pod CIDR), the controller managers allocate node CIDRs from the pod CIDR, a cloud controller manager's route
 * controller adds a router route per node CIDR and runs somewhere, and no CNI DaemonSet competes with the host config
 * (containerd renders its template only while /etc/cni/net.d holds no other config).
 */
function cloudRoutesFindings(
  model: ClusterModel,
  cni: Workload[],
  add: (severity: Finding['severity'], id: string, file: string, message: string) => void,
): void {
  const where = model.applyDir;
  const podCidr = model.spec.networking.podCidr;
  const bare = model.nodes.filter((n) => !n.hostCni.length).map((n) => n.name);
  if (bare.length) {
    add(
      'error',
      'pod-network-missing',
      where,
      `networking.podNetwork is cloud-routes, but \`hacp kubelet-unit\` writes no host CNI config on ${listNames(bare)}: their kubelets report NetworkPluginNotReady and the nodes stay NotReady`,
    );
  } else {
    const problem = hostCniProblem(model);
    if (problem)
      add(
        'error',
        'pod-network-host-cni',
        where,
        `networking.podNetwork is cloud-routes: ${problem}: pods get no address from their node's pod CIDR`,
      );
  }
  for (const w of cni) {
    add(
      'error',
      'pod-network-conflict',
      w.obj.file.rel,
      `${w.id} writes the nodes' CNI config, but networking.podNetwork is cloud-routes, whose host CNI config (\`hacp kubelet-unit\`) containerd renders only while /etc/cni/net.d holds no other: two pod networks, and the Neutron routes would point at the wrong one`,
    );
  }
  const cidrs = nodeCidrProblem(model);
  if (cidrs)
    add(
      'error',
      'pod-network-node-cidrs',
      where,
      `networking.podNetwork is cloud-routes, which needs every Node to get a pod CIDR from ${podCidr}, but ${cidrs}: containerd renders no CNI config and no route is added`,
    );
  const routes = routeControllers(model);
  const working = routes.filter((r) => !r.problem && r.workload.nodes.length);
  if (!working.length) {
    const why = routes.length
      ? listNames(
          routes.map(
            (r) =>
              `${r.workload.id}: ${r.problem ?? `fits no node (${[...r.workload.misfits.values()][0] ?? 'not placed'})`}`,
          ),
        )
      : 'no cloud controller manager is in the tree';
    add(
      'error',
      'pod-network-routes',
      routes[0]?.workload.obj.file.rel ?? where,
      `networking.podNetwork is cloud-routes, but nothing adds the Neutron router routes for the node pod CIDRs (${why}): pods on different nodes cannot reach each other`,
    );
  } else if (model.spec.openstack && !working.some((r) => r.routerId === model.spec.openstack!.routerId)) {
    add(
      'error',
      'pod-network-routes',
      working[0].workload.obj.file.rel,
      `the route controller of ${working[0].workload.id} adds routes to router ${working[0].routerId}, but the nodes' subnet is attached to openstack.routerId ${model.spec.openstack.routerId}`,
    );
  }
}

/** True/false when both are CIDRs and (not) the same block; undefined when one is not a CIDR. */
function sameCidr(a: string, b: string): boolean | undefined {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return undefined;
  return (
    x.kind === y.kind && x.prefix === y.prefix && x.address.toNormalizedString() === y.address.toNormalizedString()
  );
}
