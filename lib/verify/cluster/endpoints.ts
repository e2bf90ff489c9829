/**
 * Endpoints: every address a component dials must be served in the model, in every phase the component runs: by an
 * API server or etcd member bound there (a loopback address only on the client's own node), by a load balancer whose
 * backends are served, or by a Service (through a Service proxy on the client's node) whose endpoints run. The
 * certificate presented there must carry the dialed host in its SANs and chain to the CA the client trusts.
 */
import * as crypto from 'crypto';
import { cidrContains, parseCidr } from '../../spec/network';
import { Finding } from '../finding';
import { KUBERNETES_SERVICE } from './builtins';
import {
  ClusterModel,
  Dial,
  ExternalServer,
  LoadBalancer,
  ModelObject,
  PHASE_WORDS,
  Phase,
  Server,
  Workload,
  isLoopback,
  isUnspecified,
  normaliseIp,
} from './model';
import { listNames, selectorMatches } from './placement';

/** What serves an address, or why nothing does. */
export interface Resolution {
  /** True when something serves the address. */
  readonly served: boolean;
  /** The servers answering (their certificates are what the client sees). */
  readonly servers: readonly Server[];
  /** Load balancers on the way. */
  readonly loadBalancers: readonly LoadBalancer[];
  /** Service on the way (`default/kubernetes`, `kube-system/kube-dns`). */
  readonly service?: string;
  /** Workloads behind a Service, and the Service proxies it needs. */
  readonly workloads: readonly Workload[];
  /** Why nothing serves it. */
  readonly problem?: string;
  /** Servers outside the tree answering (an external etcd's members). */
  readonly external?: readonly ExternalServer[];
}

type ServerKind = Server['kind'];

const SERVER_WORDS: Record<ServerKind, string> = {
  'kube-apiserver': 'API server',
  'etcd-client': 'etcd member',
  'etcd-peer': 'etcd member (peer port)',
};

/** Which servers a dial can be answered by. */
function serverKindsOf(d: Dial): ServerKind[] {
  if (d.kind === 'etcd') return ['etcd-client'];
  if (d.kind === 'etcd-peer') return ['etcd-peer'];
  return ['kube-apiserver'];
}

const unserved = (problem: string): Resolution => ({
  served: false,
  servers: [],
  loadBalancers: [],
  workloads: [],
  problem,
});

function binds(s: Server, host: string, nodeIp: string): boolean {
  return s.binds.some((b) => isUnspecified(b) || b === host || (b === nodeIp && host === nodeIp));
}

/** Workloads providing the Service proxy on each node, in a phase. */
export function serviceProxies(model: ClusterModel, phase: Phase): Workload[] {
  return model.workloads.filter(
    (w) => w.phases.includes(phase) && (w.components.has('kube-proxy') || w.components.has('service-proxy')),
  );
}

/** Resolves what answers `host:port` dialed from `from` (a node name, or undefined off-cluster) in `phase`. */
export function resolve(
  model: ClusterModel,
  host: string,
  port: number,
  from: string | undefined,
  phase: Phase,
  kinds: ServerKind[],
  seen = new Set<string>(),
): Resolution {
  const h = normaliseIp(host);
  const word = SERVER_WORDS[kinds[0]];
  const running = (node: string) =>
    model.servers.filter(
      (s) => s.node === node && s.phases.includes(phase) && kinds.includes(s.kind) && s.port === port,
    );
  const ofKind = model.servers.filter((s) => kinds.includes(s.kind));
  const atAll = !ofKind.length
    ? ` (the tree runs no ${word} at all)`
    : !ofKind.some((s) => s.phases.includes(phase))
      ? ` (no ${word} runs ${PHASE_WORDS[phase]})`
      : '';
  if (isLoopback(h)) {
    if (!from) return unserved(`${host} is a loopback address, dialed from outside any node`);
    const here = running(from).filter((s) => s.binds.some((b) => isUnspecified(b) || isLoopback(b)));
    if (here.length) return { served: true, servers: here, loadBalancers: [], workloads: [] };
    const elsewhere = model.servers.filter(
      (s) =>
        s.node !== from &&
        s.phases.includes(phase) &&
        kinds.includes(s.kind) &&
        s.port === port &&
        s.binds.some((b) => isUnspecified(b) || isLoopback(b)),
    );
    return unserved(
      `no ${word} listens on ${host}:${port} on ${from}${elsewhere.length ? ` (one does on ${listNames([...new Set(elsewhere.map((s) => s.node))])}, but a loopback address reaches only its own node)` : atAll}`,
    );
  }
  // An external etcd's members may run on the masters' hosts (outside Kubernetes): the spec says they are there.
  const external = model.externalServers.filter(
    (x) => kinds.includes(x.kind) && x.port === port && normaliseIp(x.host) === h,
  );
  if (external.length) return { served: true, servers: [], loadBalancers: [], workloads: [], external };
  const node = model.nodes.find((n) => normaliseIp(n.ip) === h);
  for (const lb of model.loadBalancers) {
    const addresses = [lb.address, ...lb.alsoOn, ...lb.names].map(normaliseIp);
    if (!addresses.includes(h)) continue;
    if (lb.port !== port) {
      if (!node) return unserved(`${lb.source} listens on ${lb.address}:${lb.port}, not port ${port}`);
      continue;
    }
    return resolveLoadBalancer(model, lb, phase, seen);
  }
  if (node) {
    const here = running(node.name).filter((s) => binds(s, h, normaliseIp(node.ip)));
    if (here.length) return { served: true, servers: here, loadBalancers: [], workloads: [] };
    return unserved(`no ${word} listens on ${host}:${port} (${node.name})${atAll}`);
  }
  if (inServiceRange(model, h)) return resolveService(model, h, port, from, phase);
  if (normaliseIp(model.spec.apiEndpoint.host) === h && !model.loadBalancers.length) {
    return unserved(
      `${host} is the spec's apiEndpoint, but loadBalancer.type is ${model.spec.loadBalancer.type} and ${host} is no master's address: nothing in the model answers there`,
    );
  }
  return unserved(`no node, load balancer or Service of the model has the address ${host}`);
}

function resolveService(
  model: ClusterModel,
  ip: string,
  port: number,
  from: string | undefined,
  phase: Phase,
): Resolution {
  const isKubernetes = normaliseIp(model.spec.apiServiceIp) === ip;
  const svc: ModelObject | undefined = model.objects.find(
    (o) => o.kind === 'Service' && o.object.spec?.clusterIP && normaliseIp(String(o.object.spec.clusterIP)) === ip,
  );
  const name = isKubernetes
    ? `${KUBERNETES_SERVICE.namespace}/${KUBERNETES_SERVICE.name}`
    : svc
      ? `${svc.namespace}/${svc.name}`
      : undefined;
  if (!name) return unserved(`no Service has the ClusterIP ${ip}`);
  if (!from) return unserved(`${ip} is the ClusterIP of Service ${name}, which only nodes with a Service proxy reach`);
  const proxies = serviceProxies(model, phase);
  const proxy = proxies.filter((w) => w.nodes.includes(from));
  if (!proxy.length) {
    return unserved(
      `${ip} is the ClusterIP of Service ${name}, but no Service proxy runs on ${from}${proxies.length ? ` (${listNames(proxies.map((w) => w.id))} does not fit it)` : ' (no kube-proxy or replacement in the tree)'}`,
    );
  }
  if (isKubernetes) {
    if (port !== KUBERNETES_SERVICE.port)
      return unserved(`Service ${name} serves port ${KUBERNETES_SERVICE.port}, not ${port}`);
    const apis = model.servers.filter((s) => s.kind === 'kube-apiserver' && s.phases.includes(phase));
    if (!apis.length) {
      const stuck = model.workloads.filter(
        (w) => w.components.has('kube-apiserver') && w.phases.includes(phase) && !w.nodes.length,
      );
      return unserved(
        `Service ${name} has no endpoint ${PHASE_WORDS[phase]}: no API server runs${stuck.length ? ` (${listNames(stuck.map((w) => w.id))} fits no node)` : ''}`,
      );
    }
    return { served: true, servers: apis, loadBalancers: [], service: name, workloads: proxy };
  }
  const ports: any[] = svc!.object.spec?.ports ?? [];
  if (!ports.some((p) => Number(p.port) === port))
    return unserved(
      `Service ${name} (${ip}) has no port ${port} (ports ${ports.map((p) => p.port).join(', ') || 'none'})`,
    );
  const selector = svc!.object.spec?.selector;
  const pods = model.workloads.filter(
    (w) =>
      w.namespace === svc!.namespace &&
      w.phases.includes(phase) &&
      selector &&
      selectorMatches({ matchLabels: selector }, w.labels),
  );
  const running = pods.filter((w) => w.nodes.length);
  if (!running.length) {
    return unserved(
      `Service ${name} (${ip}) has no endpoint: ${pods.length ? `${listNames(pods.map((w) => w.id))} fits no node` : `its selector ${JSON.stringify(selector ?? {})} matches no pod template of the tree`}`,
    );
  }
  return { served: true, servers: [], loadBalancers: [], service: name, workloads: [...running, ...proxy] };
}

/** Why a kube-vip speaker can (not) hold the VIP: its API dial, its Lease rights. */
export interface SpeakerState {
  readonly workload: Workload;
  readonly node: string;
  readonly ok: boolean;
  readonly problem?: string;
  /** The binding that grants its Lease rights, when it is an object of the tree. */
  readonly binding?: ModelObject;
  readonly role?: string;
}

/** The kube-vip speakers of a load balancer in a phase. */
export function kubeVipSpeakers(
  model: ClusterModel,
  lb: LoadBalancer,
  phase: Phase,
  seen = new Set<string>(),
): SpeakerState[] {
  const out: SpeakerState[] = [];
  for (const w of lb.speakers.filter((s) => s.phases.includes(phase))) {
    for (const node of w.nodes) {
      const dial = model.dials.find((d) => d.kind === 'kube-vip' && d.workload === w);
      if (!dial) {
        out.push({ workload: w, node, ok: false, problem: 'it has no kubeconfig the model can read' });
        continue;
      }
      const key = `${w.id}|${node}|${phase}`;
      if (seen.has(key)) {
        out.push({ workload: w, node, ok: false, problem: 'its API server is reached only through its own VIP' });
        continue;
      }
      const r = resolve(model, dial.connectHost, dial.port, node, phase, ['kube-apiserver'], new Set([...seen, key]));
      if (!r.served) {
        out.push({
          workload: w,
          node,
          ok: false,
          problem: `it reaches no API server at ${dial.address} (${dial.connectHost}): ${r.problem}`,
        });
        continue;
      }
      const auth = leaseAuthorization(model, dial);
      out.push({ workload: w, node, ok: auth.ok, problem: auth.problem, binding: auth.binding, role: auth.role });
    }
  }
  return out;
}

/** Whether a client identity may take a Lease in kube-system: built-in superuser group, or a binding of the tree. */
export function leaseAuthorization(
  model: ClusterModel,
  dial: Dial,
): { ok: boolean; problem?: string; binding?: ModelObject; role?: string } {
  const id = dial.identity;
  if (!id)
    return {
      ok: false,
      problem: `its kubeconfig has no client certificate the model can read (${dial.trust?.where ?? dial.client})`,
    };
  if (id.groups.some((g) => model.builtins.superuserGroups.has(g))) return { ok: true };
  const subjectMatches = (s: any) =>
    (s.kind === 'User' && s.name === id.user) || (s.kind === 'Group' && id.groups.includes(s.name));
  for (const b of model.objects) {
    if (!(b.kind === 'ClusterRoleBinding' || (b.kind === 'RoleBinding' && b.namespace === 'kube-system'))) continue;
    if (!(b.object.subjects ?? []).some(subjectMatches)) continue;
    const ref = b.object.roleRef ?? {};
    const role = model.objects.find(
      (o) => o.kind === ref.kind && o.name === ref.name && (ref.kind === 'ClusterRole' || o.namespace === b.namespace),
    );
    const grants = role
      ? (role.object.rules ?? []).some(
          (r: any) =>
            (r.apiGroups ?? []).some((g: string) => g === 'coordination.k8s.io' || g === '*') &&
            (r.resources ?? []).some((x: string) => x === 'leases' || x === '*') &&
            (r.verbs ?? []).some((v: string) => v === 'update' || v === '*'),
        )
      : ref.kind === 'ClusterRole' && model.builtins.leaseRoles.has(ref.name);
    if (grants) return { ok: true, binding: b, role: `${ref.kind} ${ref.name}` };
  }
  return {
    ok: false,
    problem: `its identity (user ${id.user ?? '?'}, groups ${id.groups.join(', ') || 'none'}, from ${id.where}) is in no built-in superuser group and no binding of the tree lets it update Leases in kube-system`,
  };
}

function resolveLoadBalancer(model: ClusterModel, lb: LoadBalancer, phase: Phase, seen: Set<string>): Resolution {
  if (lb.type === 'kube-vip') {
    if (!lb.speakers.length)
      return unserved(
        `loadBalancer.type is kube-vip, but no kube-vip pod is in the tree to hold the VIP ${lb.address}`,
      );
    const speakers = kubeVipSpeakers(model, lb, phase, seen);
    if (!speakers.length) return unserved(`no kube-vip pod runs ${PHASE_WORDS[phase]} to hold the VIP ${lb.address}`);
    const servers: Server[] = [];
    const problems: string[] = [];
    for (const s of speakers) {
      if (!s.ok) {
        problems.push(`kube-vip on ${s.node} cannot take its Lease: ${s.problem}`);
        continue;
      }
      const here = model.servers.filter(
        (x) =>
          x.kind === 'kube-apiserver' &&
          x.node === s.node &&
          x.phases.includes(phase) &&
          x.port === lb.port &&
          x.binds.some((b) => isUnspecified(b) || b === normaliseIp(lb.address)),
      );
      if (here.length) servers.push(...here);
      else problems.push(`no API server on ${s.node} accepts ${lb.address}:${lb.port} when the VIP is there`);
    }
    if (!servers.length)
      return unserved(
        `the kube-vip VIP ${lb.address}:${lb.port} is not served ${PHASE_WORDS[phase]}: ${problems.join('; ')}`,
      );
    return {
      served: true,
      servers,
      loadBalancers: [lb],
      workloads: speakers.filter((s) => s.ok).map((s) => s.workload),
    };
  }
  const servers: Server[] = [];
  const down: string[] = [];
  for (const b of lb.backends) {
    const r = resolve(model, b.address, b.port, undefined, phase, ['kube-apiserver'], seen);
    if (r.served) servers.push(...r.servers);
    else down.push(`${b.name} ${b.address}:${b.port}`);
  }
  if (!servers.length) return unserved(`${lb.source} has no served backend ${PHASE_WORDS[phase]} (${listNames(down)})`);
  return { served: true, servers, loadBalancers: [lb], workloads: [] };
}

/** Resolves a dial from each node it runs on (one resolution when the address does not depend on the node). */
export function resolveDial(
  model: ClusterModel,
  d: Dial,
  phase: Phase,
): Array<{ node?: string; resolution: Resolution }> {
  const perNode = isLoopback(normaliseIp(d.connectHost)) || inServiceRange(model, d.connectHost);
  // A workload that runs nowhere dials nothing from a node (placement reports it); node-independent addresses are still checked.
  if (perNode && d.workload && !d.nodes.length) return [];
  const nodes: Array<string | undefined> = perNode ? (d.nodes.length ? [...d.nodes] : [undefined]) : [d.nodes[0]];
  return nodes.map((node) => ({
    node,
    resolution: resolve(model, d.connectHost, d.port, node, phase, serverKindsOf(d)),
  }));
}

const rangeCache = new WeakMap<ClusterModel, Map<string, boolean>>();

/** True when an address lies in the spec's service range (cached per model). */
export function inServiceRange(model: ClusterModel, host: string): boolean {
  let m = rangeCache.get(model);
  if (!m) rangeCache.set(model, (m = new Map()));
  let hit = m.get(host);
  if (hit === undefined) {
    const c = parseCidr(model.spec.networking.serviceCidr);
    try {
      hit = !!c && /^[\d.]+$|:/.test(host) && cidrContains(c, normaliseIp(host));
    } catch {
      hit = false;
    }
    m.set(host, hit);
  }
  return hit;
}

const verified = new WeakMap<crypto.X509Certificate, WeakMap<crypto.X509Certificate, boolean>>();

/** True when `cert` was issued and signed by `ca` (cached). */
function chainsTo(cert: crypto.X509Certificate, ca: crypto.X509Certificate): boolean {
  let m = verified.get(cert);
  if (!m) verified.set(cert, (m = new WeakMap()));
  let ok = m.get(ca);
  if (ok === undefined) {
    ok = cert.raw.equals(ca.raw) || (cert.checkIssued(ca) && cert.verify(ca.publicKey));
    m.set(ca, ok);
  }
  return ok;
}

/** True when the certificate carries `host` (an IP or a DNS name) in its SANs. */
function certCovers(cert: crypto.X509Certificate, host: string): boolean {
  return /^[\d.]+$|:/.test(host)
    ? cert.checkIP(host) !== undefined
    : cert.checkHost(host, { subject: 'never' }) !== undefined;
}

/** The endpoint findings of a model. */
export function endpointFindings(model: ClusterModel): Finding[] {
  const findings: Finding[] = [];
  const groups = new Map<string, { id: string; file?: string; clients: string[]; text: (clients: string) => string }>();
  const group = (
    id: string,
    file: string | undefined,
    key: string,
    client: string,
    text: (clients: string) => string,
  ) => {
    const k = `${id}|${file ?? ''}|${key}`;
    const g = groups.get(k) ?? { id, file, clients: [], text };
    if (!g.clients.includes(client)) g.clients.push(client);
    groups.set(k, g);
  };
  const certChecked = new Set<string>();
  for (const d of model.dials) {
    if (d.kind === 'dns') continue; // the cluster services check reports DNS as a whole
    const failures = new Map<string, Phase[]>();
    for (const phase of d.phases) {
      for (const { node, resolution } of resolveDial(model, d, phase)) {
        if (!resolution.served) {
          const problem = resolution.problem!;
          failures.set(problem, [...new Set([...(failures.get(problem) ?? []), phase])]);
          continue;
        }
        if (d.kind === 'etcd-peer') {
          const wrong = resolution.servers.find((s) => s.etcdName !== d.expectEtcdName);
          if (wrong) {
            findings.push({
              severity: 'error',
              check: 'cluster',
              id: 'etcd-member-mismatch',
              file: d.file,
              message: `${d.client}: the initial cluster names ${d.expectEtcdName} at ${d.address}, but the member listening there is ${wrong.etcdName} (${wrong.name})`,
            });
          }
        }
        if (!d.tlsName || !d.trust) continue;
        for (const s of resolution.servers) {
          if (!s.cert) continue;
          const key = `${d.client}|${d.address}|${s.name}`;
          if (certChecked.has(key)) continue;
          certChecked.add(key);
          if (!certCovers(s.cert, d.tlsName)) {
            findings.push({
              severity: 'error',
              check: 'cluster',
              id: 'endpoint-san',
              file: d.file ?? s.workload.obj.file.rel,
              message: `${d.client} dials ${d.address}: ${s.name} presents ${s.certWhere} without ${d.tlsName} in its subject alternative names (${s.cert.subjectAltName ?? 'none'})${node ? '' : ''}`,
            });
          }
          if (!chainsTo(s.cert, d.trust.cert)) {
            findings.push({
              severity: 'error',
              check: 'cluster',
              id: 'endpoint-ca',
              file: d.file ?? s.workload.obj.file.rel,
              message: `${d.client} dials ${d.address} trusting ${d.trust.where} (${oneLine(d.trust.cert.subject)}), but ${s.name} presents ${s.certWhere}, issued by ${oneLine(s.cert.issuer)}`,
            });
          }
        }
      }
    }
    for (const [problem, phases] of failures) {
      const when =
        model.phases.length > 1 && phases.length < model.phases.length
          ? ` ${phases.map((p) => PHASE_WORDS[p]).join(' and ')}`
          : '';
      const id =
        d.kind === 'etcd-peer'
          ? 'etcd-member-missing'
          : isLoopback(normaliseIp(d.connectHost))
            ? 'endpoint-loopback'
            : 'endpoint-unserved';
      const target = d.kind === 'etcd-peer' ? `member ${d.expectEtcdName} at ${d.address}` : d.address;
      group(id, d.file, `${target}|${problem}|${when}`, d.client, (clients) =>
        d.kind === 'etcd-peer'
          ? `${clients} expects ${target} in its initial cluster${when}, but ${problem}`
          : `${clients} ${clients.includes(' and ') ? 'dial' : 'dials'} ${d.address}${d.connectHost !== d.host ? ` (${d.connectHost})` : ''}${when}, which is not served: ${problem}`,
      );
    }
  }
  for (const g of groups.values()) {
    findings.push({
      severity: 'error',
      check: 'cluster',
      id: g.id,
      file: g.file ?? model.root,
      message: g.text(listNames(g.clients)),
    });
  }
  findings.push(...loadBalancerFindings(model), ...portConflicts(model));
  return findings;
}

/**
 * Two listeners on one node, port and address in the same phase: the second cannot bind. HAProxy binding `*` on the
 * masters counts as a listener there. bootkube's bootstrap API server and the self-hosted one are meant to meet on the
 * bootstrap master (the self-hosted one binds once the pivot removed the other) and are not reported.
 */
function portConflicts(model: ClusterModel): Finding[] {
  const out: Finding[] = [];
  type Listener = {
    name: string;
    file: string;
    node: string;
    binds: readonly string[];
    port: number;
    phases: readonly Phase[];
    bootstrapOnly: boolean;
    applied: boolean;
  };
  const listeners: Listener[] = model.servers.map((s) => ({
    name: s.name,
    file: s.workload.obj.file.rel,
    node: s.node,
    binds: s.binds,
    port: s.port,
    phases: s.phases,
    bootstrapOnly: s.phases.length === 1 && s.phases[0] === 'bootstrap',
    applied: s.workload.obj.delivery === 'apply',
  }));
  for (const lb of model.loadBalancers.filter((x) => x.type === 'haproxy')) {
    for (const m of model.nodes.filter((n) => lb.alsoOn.includes(n.ip))) {
      listeners.push({
        name: `HAProxy on ${m.name} (bind *:${lb.port})`,
        file: model.root,
        node: m.name,
        binds: ['0.0.0.0'],
        port: lb.port,
        phases: model.phases,
        bootstrapOnly: false,
        applied: false,
      });
    }
  }
  const seen = new Set<string>();
  for (let i = 0; i < listeners.length; i++) {
    for (let j = i + 1; j < listeners.length; j++) {
      const a = listeners[i];
      const b = listeners[j];
      if (a.node !== b.node || a.port !== b.port || a.name === b.name) continue;
      if (!a.phases.some((p) => b.phases.includes(p))) continue;
      if ((a.bootstrapOnly && b.applied) || (b.bootstrapOnly && a.applied)) continue;
      const overlap = a.binds.some((x) => b.binds.some((y) => x === y || isUnspecified(x) || isUnspecified(y)));
      if (!overlap) continue;
      const key = [a.name, b.name].sort().join('|');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        severity: 'error',
        check: 'cluster',
        id: 'port-conflict',
        file: b.file === model.root ? a.file : b.file,
        message: `${a.name} and ${b.name} both listen on port ${b.port} of ${b.node} (${[...new Set([...a.binds, ...b.binds])].join(', ')}): the second cannot bind`,
      });
    }
  }
  return out;
}

/** Backends of Octavia/HAProxy nothing serves; kube-vip speakers that cannot hold the VIP or rely on admin rights. */
function loadBalancerFindings(model: ClusterModel): Finding[] {
  const out: Finding[] = [];
  for (const lb of model.loadBalancers) {
    for (const phase of model.phases) {
      if (lb.type === 'kube-vip') {
        for (const s of kubeVipSpeakers(model, lb, phase)) {
          if (!s.ok) {
            out.push({
              severity: 'error',
              check: 'cluster',
              id: 'kube-vip-lease',
              file: s.workload.obj.file.rel,
              message: `${s.workload.id} cannot hold the VIP ${lb.address} ${PHASE_WORDS[phase]}: ${s.problem}`,
            });
          } else if (s.binding && phase === model.phases[model.phases.length - 1]) {
            const admin = /ClusterRole (cluster-admin|admin|edit)$/.test(s.role ?? '');
            if (admin) {
              out.push({
                severity: 'warning',
                check: 'cluster',
                id: 'kube-vip-rbac',
                file: s.workload.obj.file.rel,
                message: `${s.workload.id} takes its Lease with admin credentials: its kubeconfig's identity gets ${s.role} only from ${s.binding.kind} ${s.binding.name} (${s.binding.file.rel}), so the VIP ${lb.address} comes up only after that file is applied through a master's own address (\`hacp cluster apply\` does so first, plan step kube-vip-rbac); applied through the API endpoint, the apply waits for the VIP it is meant to bring up. Give kube-vip its own identity with a Role on leases in kube-system.`,
              });
            }
          }
        }
        continue;
      }
      for (const b of lb.backends) {
        const r = resolve(model, b.address, b.port, undefined, phase, ['kube-apiserver']);
        if (!r.served) {
          out.push({
            severity: 'error',
            check: 'cluster',
            id: 'lb-backend-unserved',
            file: model.root,
            message: `${lb.source} sends traffic for ${lb.address}:${lb.port} to ${b.name} ${b.address}:${b.port}${model.phases.length > 1 ? ` ${PHASE_WORDS[phase]}` : ''}, which is not served: ${r.problem}`,
          });
        }
      }
    }
  }
  const dedup = new Map(out.map((f) => [`${f.id}|${f.message}`, f]));
  return [...dedup.values()];
}

function oneLine(dn: string): string {
  return dn.replace(/\n/g, ',');
}
