/**
 * Cluster services: what every node and pod needs beyond the control plane. A pod network for the spec's pod CIDR on
 * every node (a CNI DaemonSet, or a host CNI config), a Service proxy on every node (kube-proxy or a declared
 * replacement), a DNS server behind a Service at the kubelets' `clusterDNS`, a cloud controller manager when the
 * kubelets wait for one, and a pod template behind every Service selector.
 */
import { Finding } from '../finding';
import { parseCidr } from '../../spec/network';
import { ClusterModel, Workload, objectData } from './model';
import { listNames, selectorMatches } from './placement';
import { serviceProxies } from './endpoints';

/** How the spec says pods get their network (`networking.podNetwork`, when the spec has the field). */
export function podNetworkMode(model: ClusterModel): string {
  return String((model.spec.networking as any).podNetwork ?? 'cni');
}

/** Workloads providing the pod network. */
export function podNetworkWorkloads(model: ClusterModel): Workload[] {
  return model.workloads.filter((w) => w.components.has('cni'));
}

/** Workloads serving cluster DNS. */
export function dnsWorkloads(model: ClusterModel): Workload[] {
  return model.workloads.filter((w) => w.components.has('dns'));
}

/** The cluster services findings of a model. */
export function serviceFindings(model: ClusterModel): Finding[] {
  const out: Finding[] = [];
  const add = (severity: Finding['severity'], id: string, file: string, message: string) => out.push({ severity, check: 'cluster', id, file, message });
  const where = model.applyDir;
  const allNodes = model.nodes.map((n) => n.name);
  const notCovering = (ws: Workload[]) => allNodes.filter((n) => !ws.some((w) => w.nodes.includes(n)));
  const whyNot = (ws: Workload[], nodes: string[]) => nodes.map((n) => `${n}: ${ws.map((w) => w.misfits.get(n)).filter(Boolean).join('; ') || 'not placed'}`).join('; ');

  // Pod network.
  const mode = podNetworkMode(model);
  const cni = podNetworkWorkloads(model);
  const podCidr = model.spec.networking.podCidr;
  if (!cni.length) {
    if (mode === 'none') {
      add('warning', 'pod-network-missing', where, `networking.podNetwork is none: bring your own CNI for the pod CIDR ${podCidr}; until it runs every node stays NotReady`);
    } else if (mode !== 'cloud-routes') {
      add('error', 'pod-network-missing', where, `no pod network for the pod CIDR ${podCidr}: no CNI DaemonSet (a pod that writes the host's /etc/cni/net.d) is in ${where}/ and no host CNI config is written: every kubelet reports NetworkPluginNotReady, every node stays NotReady and no pod but host-network pods starts`);
    }
  } else {
    const missing = notCovering(cni);
    if (missing.length) add('error', 'pod-network-incomplete', cni[0].obj.file.rel, `the pod network (${listNames(cni.map((w) => w.id))}) does not run on ${listNames(missing)}, which stay NotReady: ${whyNot(cni, missing)}`);
    // Its address range (flannel's net-conf.json) must be the spec's pod CIDR, which the controller manager allocates from.
    for (const w of cni) {
      for (const v of w.spec.volumes ?? []) {
        const cm = v.configMap && model.objects.find((o) => o.kind === 'ConfigMap' && o.namespace === w.namespace && o.name === v.configMap.name);
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
          add('error', 'pod-network-cidr', cm!.file.rel, `${w.id} hands out pod addresses from ${network} (ConfigMap ${cm!.namespace}/${cm!.name} net-conf.json), but the pod CIDR is ${podCidr}: node pod CIDRs allocated by the controller manager lie outside the pod network`);
        }
      }
    }
  }

  // Service proxy.
  const proxies = serviceProxies(model, 'running');
  if (!proxies.length) {
    add('error', 'service-proxy-missing', where, `no Service proxy: neither kube-proxy nor a declared replacement (Cilium --kube-proxy-replacement=true, kube-router --run-service-proxy=true) is in ${where}/: no ClusterIP routes, not even the \`kubernetes\` Service (${model.spec.apiServiceIp}) in-cluster clients use, nor the DNS Service`);
  } else {
    const missing = notCovering(proxies);
    if (missing.length) add('error', 'service-proxy-incomplete', proxies[0].obj.file.rel, `the Service proxy (${listNames(proxies.map((w) => w.id))}) does not run on ${listNames(missing)}: ClusterIPs do not route from there: ${whyNot(proxies, missing)}`);
  }

  // DNS.
  const dns = dnsWorkloads(model);
  const ips = [...new Set(model.nodes.flatMap((n) => n.clusterDns))];
  const kubelets = `the kubelets of ${listNames(model.nodes.filter((n) => n.clusterDns.length).map((n) => n.name))}`;
  const services = model.objects.filter((o) => o.kind === 'Service');
  for (const ip of ips) {
    const svc = services.find((s) => String(s.object.spec?.clusterIP ?? '') === ip);
    if (!svc) {
      const dnsServices = services.filter((s) => dns.some((w) => w.namespace === s.namespace && s.object.spec?.selector && selectorMatches({ matchLabels: s.object.spec.selector }, w.labels)));
      const other = dnsServices.length ? `; ${listNames(dnsServices.map((s) => `Service ${s.namespace}/${s.name} has clusterIP ${s.object.spec?.clusterIP ?? 'unset'}`))}` : '';
      add('error', dns.length ? 'dns-service-missing' : 'dns-missing', dnsServices[0]?.file.rel ?? where,
        `no cluster DNS at ${ip}: ${kubelets} write clusterDNS ${ip} into every pod's resolv.conf, but no Service has that clusterIP${dns.length ? '' : ' and no DNS server (CoreDNS or kube-dns Deployment) is in the tree'}${other}: name lookups in pods fail`);
      continue;
    }
    const what = `Service ${svc.namespace}/${svc.name} (${ip}, the kubelets' clusterDNS)`;
    const selector = svc.object.spec?.selector;
    const behind = dns.filter((w) => w.namespace === svc.namespace && selector && selectorMatches({ matchLabels: selector }, w.labels));
    if (!dns.length) add('error', 'dns-missing', svc.file.rel, `${what} exists, but no DNS server (CoreDNS or kube-dns Deployment) is in the tree`);
    else if (!behind.length) add('error', 'dns-service-selector', svc.file.rel, `${what}: selector ${JSON.stringify(selector ?? {})} matches no DNS server (${listNames(dns.map((w) => w.id))})`);
    const ports: any[] = svc.object.spec?.ports ?? [];
    if (!ports.some((p) => Number(p.port) === 53 && (p.protocol ?? 'TCP') === 'UDP')) add('error', 'dns-service-port', svc.file.rel, `${what} has no UDP port 53`);
  }

  // Cloud controller manager.
  if (model.nodes.some((n) => n.taints.some((t) => t.key === 'node.cloudprovider.kubernetes.io/uninitialized')) && !model.workloads.some((w) => w.components.has('ccm'))) {
    add('error', 'ccm-missing', where, `cloudProvider is external, so every kubelet registers with the taint node.cloudprovider.kubernetes.io/uninitialized=true:NoSchedule until a cloud controller manager initialises its Node, but none is in the tree: nodes stay unschedulable`);
  }

  // Every Service selector matches a pod template.
  for (const svc of services) {
    const selector = svc.object.spec?.selector;
    if (!selector || !Object.keys(selector).length) continue;
    const matched = model.workloads.filter((w) => w.namespace === svc.namespace && selectorMatches({ matchLabels: selector }, w.labels));
    if (!matched.length) {
      add('error', 'service-selector', svc.file.rel, `Service ${svc.namespace}/${svc.name}: selector ${JSON.stringify(selector)} matches no pod template in namespace ${svc.namespace} of the tree: the Service has no endpoints`);
    }
  }
  return out;
}

/** True/false when both are CIDRs and (not) the same block; undefined when one is not a CIDR. */
function sameCidr(a: string, b: string): boolean | undefined {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return undefined;
  return x.kind === y.kind && x.prefix === y.prefix && x.address.toNormalizedString() === y.address.toNormalizedString();
}
