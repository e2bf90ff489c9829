import type { ErrorObject } from 'ajv';
import { validate as validateShape } from './_spec-validator';
import { ClusterSpec, ResolvedClusterSpec } from './cluster-spec';
import {
  Cidr, cidrContains, cidrSize, cidrsOverlap, cidrToString, isIp, isNetworkAddress, nthAddress, parseCidr, urlHost,
} from './network';
import {
  DEFAULT_ETCD_VERSION, DEFAULT_KUBERNETES_VERSION, MAX_KUBERNETES_MINOR, MIN_KUBERNETES_MINOR,
  SUPPORTED_ETCD_MINORS, SUPPORTED_KUBERNETES_MINORS, minorOf, parseKubernetesVersion,
} from './versions';

/** The outcome of validating a spec: every problem at once. */
export interface SpecValidationResult {
  /** Problems that make the spec unusable. Each names the field and the bad value. */
  readonly errors: string[];
  /** Problems worth knowing about that do not stop synthesis. */
  readonly warnings: string[];
}

/** Thrown by `resolveSpec()` when a spec has errors. `problems` lists every one. */
export class SpecValidationError extends Error {
  constructor(public readonly problems: string[], public readonly source?: string) {
    super(`invalid cluster spec${source ? ` (${source})` : ''}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SpecValidationError';
  }
}

/** A DNS-1123 label (a namespace or node name): lower-case alphanumerics and `-`, at most 63 characters. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;


/** `/masters/1/ip` → `masters[1].ip` */
function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

function valueAt(obj: any, instancePath: string): unknown {
  return instancePath.split('/').filter(Boolean).reduce((o, k) => (o == null ? o : o[k]), obj);
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

function schemaMessage(e: ErrorObject, input: unknown): string {
  const value = valueAt(input, e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as any).additionalProperty;
      const known = Object.keys((e.parentSchema as any)?.properties ?? {});
      return `${fieldPath(e.instancePath, key)}: unknown key${known.length ? ` (known keys: ${known.join(', ')})` : ''}`;
    }
    case 'required':
      return `${fieldPath(e.instancePath, (e.params as any).missingProperty)}: required`;
    case 'enum':
      return `${fieldPath(e.instancePath)}: ${show(value)} is not one of ${(e.params as any).allowedValues.map(show).join(', ')}`;
    default:
      return `${fieldPath(e.instancePath)}: ${show(value)} ${e.message}`;
  }
}

/**
 * Validates a spec as written (a `ClusterSpec` or the parsed `cluster.yaml`): shape, unknown keys, addresses,
 * networks, names and versions. Never throws; returns every problem found.
 */
export function validateSpec(input: unknown): SpecValidationResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  // The JSON schema of schema.ts, precompiled by scripts/compile-spec-schema.js (no ajv compile at start-up).
  if (!validateShape(input)) {
    const shapeErrors = (validateShape as any).errors as ErrorObject[];
    for (const e of shapeErrors) errors.push(schemaMessage(e, input));
    // Wrong types make the semantic checks below unreliable: stop there. Unknown keys alone don't: go on, so that
    // every problem is reported at once.
    if (shapeErrors.some((e) => e.keyword !== 'additionalProperties')) return { errors: dedupe(errors), warnings };
  }
  const spec = input as ClusterSpec;

  const name = spec.name ?? 'kubernetes';
  if (!DNS_LABEL.test(name)) errors.push(`name: ${show(name)} is not a DNS-1123 label (lower-case letters, digits, '-')`);

  const k8s = spec.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
  const k8sParsed = parseKubernetesVersion(k8s);
  if (!k8sParsed) {
    errors.push(`kubernetesVersion: ${show(k8s)} is not a version like "v1.35.4"`);
  } else if (!SUPPORTED_KUBERNETES_MINORS.includes(minorOf(k8s))) {
    errors.push(`kubernetesVersion: ${show(k8s)} is outside the supported window v${MIN_KUBERNETES_MINOR} to v${MAX_KUBERNETES_MINOR}`);
  }
  const etcd = spec.etcdVersion ?? DEFAULT_ETCD_VERSION;
  if (!parseKubernetesVersion(etcd) || etcd.startsWith('v')) {
    errors.push(`etcdVersion: ${show(etcd)} is not a version like "3.6.6"`);
  } else if (!SUPPORTED_ETCD_MINORS.includes(minorOf(etcd))) {
    errors.push(`etcdVersion: ${show(etcd)} is not supported (supported: ${SUPPORTED_ETCD_MINORS.map((m) => m + '.x').join(', ')})`);
  }

  // Nodes.
  const masters = spec.masters ?? [];
  if (masters.length === 0) errors.push('masters: [] must list at least one master');
  else if (masters.length % 2 === 0) {
    warnings.push(`masters: ${masters.length} masters tolerate no more failures than ${masters.length - 1} (etcd quorum); use an odd number`);
  }
  const nodes = [...masters.map((n, i) => ({ n, field: `masters[${i}]` })), ...(spec.workers ?? []).map((n, i) => ({ n, field: `workers[${i}]` }))];
  const seenNames = new Map<string, string>();
  const seenIps = new Map<string, string>();
  for (const { n, field } of nodes) {
    if (!DNS_LABEL.test(n.name)) errors.push(`${field}.name: ${show(n.name)} is not a DNS-1123 label (lower-case letters, digits, '-')`);
    const dupName = seenNames.get(n.name);
    if (dupName) errors.push(`${field}.name: ${show(n.name)} is already used by ${dupName}`);
    else seenNames.set(n.name, field);
    if (!isIp(n.ip)) {
      errors.push(`${field}.ip: ${show(n.ip)} is not a valid IPv4 or IPv6 address`);
      continue;
    }
    const dupIp = seenIps.get(n.ip);
    if (dupIp) errors.push(`${field}.ip: ${show(n.ip)} is already used by ${dupIp}`);
    else seenIps.set(n.ip, field);
  }

  // Networks.
  const net = spec.networking ?? {};
  const checkCidr = (field: string, value: string, minSize: number): Cidr | undefined => {
    const cidr = parseCidr(value);
    if (!cidr) {
      errors.push(`${field}: ${show(value)} is not a valid CIDR (like "10.96.0.0/12")`);
      return undefined;
    }
    if (!isNetworkAddress(cidr)) {
      errors.push(`${field}: ${show(value)} has host bits set (did you mean "${nthAddress(cidr, 0)}/${cidr.prefix}"?)`);
    }
    if (cidrSize(cidr) < BigInt(minSize)) {
      errors.push(`${field}: ${show(value)} is too small (at least ${minSize} addresses are needed)`);
    }
    return cidr;
  };
  const service = checkCidr('networking.serviceCidr', net.serviceCidr ?? DEFAULTS.serviceCidr, 16);
  const pod = checkCidr('networking.podCidr', net.podCidr ?? DEFAULTS.podCidr, 256);
  if (service && service.kind === 'ipv4' && service.prefix < 12) {
    errors.push(`networking.serviceCidr: ${show(net.serviceCidr)} is larger than the API server accepts (/12 at most for IPv4)`);
  }
  if (service && pod && cidrsOverlap(service, pod)) {
    errors.push(`networking.serviceCidr: ${show(cidrToString(service))} overlaps networking.podCidr ${show(cidrToString(pod))}`);
  }
  for (const { n, field } of nodes) {
    if (!isIp(n.ip)) continue;
    for (const [cidr, cfield] of [[service, 'networking.serviceCidr'], [pod, 'networking.podCidr']] as const) {
      if (cidr && cidrContains(cidr, n.ip)) {
        errors.push(`${field}.ip: ${show(n.ip)} lies inside ${cfield} ${show(cidrToString(cidr))}; host, service and pod networks must not overlap`);
      }
    }
  }
  const mask = net.nodeCidrMaskSize;
  if (pod && mask !== undefined && (mask < pod.prefix || mask > (pod.kind === 'ipv4' ? 30 : 126))) {
    errors.push(`networking.nodeCidrMaskSize: ${mask} must lie between the pod CIDR prefix (/${pod.prefix}) and ${pod.kind === 'ipv4' ? 30 : 126}`);
  }
  const domain = net.clusterDomain ?? DEFAULTS.clusterDomain;
  if (!DNS_NAME.test(domain) || domain.startsWith('*')) errors.push(`networking.clusterDomain: ${show(domain)} is not a DNS name`);

  // Endpoint and SANs.
  if (spec.apiEndpoint) {
    const host = spec.apiEndpoint.host;
    if (!isIp(host) && !DNS_NAME.test(host)) errors.push(`apiEndpoint.host: ${show(host)} is neither an IP address nor a DNS name`);
    else if (isIp(host)) {
      for (const [cidr, cfield] of [[service, 'networking.serviceCidr'], [pod, 'networking.podCidr']] as const) {
        if (cidr && cidrContains(cidr, host)) errors.push(`apiEndpoint.host: ${show(host)} lies inside ${cfield} ${show(cidrToString(cidr))}`);
      }
    }
  }
  (spec.extraCertSans ?? []).forEach((san, i) => {
    if (!isIp(san) && !DNS_NAME.test(san)) errors.push(`extraCertSans[${i}]: ${show(san)} is neither an IP address nor a DNS name`);
  });
  (spec.namespaces ?? []).forEach((ns, i) => {
    if (!DNS_LABEL.test(ns)) errors.push(`namespaces[${i}]: ${show(ns)} is not a DNS-1123 label`);
  });

  // Load balancer.
  const lb = spec.loadBalancer;
  const lbType = lb?.type ?? 'none';
  if (lbType === 'octavia' && !lb?.octavia) errors.push('loadBalancer.octavia: required when loadBalancer.type is "octavia" (at least the subnet)');
  for (const [field, vip] of [['loadBalancer.haproxy.vip', lb?.haproxy?.vip], ['loadBalancer.kubeVip.vip', lb?.kubeVip?.vip]] as const) {
    if (vip !== undefined && !isIp(vip)) errors.push(`${field}: ${show(vip)} is not a valid IP address`);
  }
  if ((lbType === 'kube-vip' || lbType === 'haproxy') && spec.apiEndpoint && !isIp(spec.apiEndpoint.host)) {
    const vip = lbType === 'kube-vip' ? lb?.kubeVip?.vip : lb?.haproxy?.vip;
    if (!vip) errors.push(`loadBalancer.type: ${show(lbType)} needs a VIP: apiEndpoint.host ${show(spec.apiEndpoint.host)} is a DNS name, so set the vip`);
  }
  if (lbType === 'kube-vip' && (spec.apiEndpoint?.port ?? spec.apiServerPort ?? 6443) !== (spec.apiServerPort ?? 6443)) {
    errors.push(`apiEndpoint.port: ${spec.apiEndpoint?.port} must equal apiServerPort (${spec.apiServerPort ?? 6443}) with kube-vip, which moves the VIP without forwarding ports`);
  }
  if (lbType === 'haproxy' && (spec.apiEndpoint?.port ?? spec.apiServerPort ?? 6443) === (spec.apiServerPort ?? 6443)) {
    errors.push(`apiEndpoint.port: ${spec.apiEndpoint?.port ?? spec.apiServerPort ?? 6443} must differ from apiServerPort with loadBalancer.type "haproxy": HAProxy runs on the masters, where the API servers already listen on that port`);
  }

  const pki = spec.pki ?? {};
  if (pki.validityDays !== undefined && pki.caValidityDays !== undefined && pki.validityDays > pki.caValidityDays) {
    errors.push(`pki.validityDays: ${pki.validityDays} exceeds pki.caValidityDays (${pki.caValidityDays}); a leaf cannot outlive its CA`);
  }
  if (pki.renewBeforeDays !== undefined && pki.renewBeforeDays >= (pki.validityDays ?? DEFAULTS.validityDays)) {
    errors.push(`pki.renewBeforeDays: ${pki.renewBeforeDays} must be smaller than pki.validityDays (${pki.validityDays ?? DEFAULTS.validityDays})`);
  }
  return { errors: dedupe(errors), warnings };
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** The defaults `resolveSpec()` applies. */
export const DEFAULTS = {
  name: 'kubernetes',
  imageRegistry: 'registry.k8s.io',
  apiServerPort: 6443,
  serviceCidr: '10.96.0.0/12',
  podCidr: '10.244.0.0/16',
  clusterDomain: 'cluster.local',
  keySize: 2048 as const,
  caValidityDays: 3650,
  validityDays: 365,
  renewBeforeDays: 30,
};

/** Options for `resolveSpec()`. */
export interface ResolveOptions {
  /** Where the spec came from (a file path), for error messages. */
  readonly source?: string;
  /** Called with each warning. @default - warnings are ignored */
  readonly onWarning?: (warning: string) => void;
}

/**
 * Validates a spec and fills in every default. Throws `SpecValidationError` listing every problem when the spec
 * is invalid. Idempotent: resolving a resolved spec gives the same spec.
 */
export function resolveSpec(spec: ClusterSpec | ResolvedClusterSpec, options: ResolveOptions = {}): ResolvedClusterSpec {
  if (isResolved(spec)) return spec;
  const { errors, warnings } = validateSpec(spec);
  if (errors.length) throw new SpecValidationError(errors, options.source);
  warnings.forEach((w) => options.onWarning?.(w));

  const net = spec.networking ?? {};
  const serviceCidr = cidrToString(parseCidr(net.serviceCidr ?? DEFAULTS.serviceCidr)!);
  const podCidr = cidrToString(parseCidr(net.podCidr ?? DEFAULTS.podCidr)!);
  const service = parseCidr(serviceCidr)!;
  const apiServerPort = spec.apiServerPort ?? DEFAULTS.apiServerPort;
  const apiEndpoint = {
    host: spec.apiEndpoint?.host ?? spec.masters[0].ip,
    port: spec.apiEndpoint?.port ?? apiServerPort,
  };
  const kubernetesVersion = `v${(spec.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION).replace(/^v/, '')}`;
  const resolved: ResolvedClusterSpec = {
    name: spec.name ?? DEFAULTS.name,
    kubernetesVersion,
    kubernetesMinor: minorOf(kubernetesVersion),
    etcdVersion: spec.etcdVersion ?? DEFAULT_ETCD_VERSION,
    imageRegistry: (spec.imageRegistry ?? DEFAULTS.imageRegistry).replace(/\/+$/, ''),
    masters: spec.masters.map((m) => ({ name: m.name, ip: m.ip })),
    workers: (spec.workers ?? []).map((w) => ({ name: w.name, ip: w.ip })),
    apiEndpoint,
    apiServerPort,
    networking: {
      serviceCidr,
      podCidr,
      clusterDomain: net.clusterDomain ?? DEFAULTS.clusterDomain,
      nodeCidrMaskSize: net.nodeCidrMaskSize ?? (parseCidr(podCidr)!.kind === 'ipv4' ? 24 : 64),
    },
    extraCertSans: [...(spec.extraCertSans ?? [])],
    cloudProvider: spec.cloudProvider ?? 'none',
    loadBalancer: { type: 'none', ...spec.loadBalancer },
    pki: {
      keySize: spec.pki?.keySize ?? DEFAULTS.keySize,
      caValidityDays: spec.pki?.caValidityDays ?? DEFAULTS.caValidityDays,
      validityDays: spec.pki?.validityDays ?? DEFAULTS.validityDays,
      renewBeforeDays: spec.pki?.renewBeforeDays ?? DEFAULTS.renewBeforeDays,
    },
    namespaces: [...(spec.namespaces ?? [])],
    apiServiceIp: nthAddress(service, 1),
    dnsServiceIp: nthAddress(service, 10),
    apiServerUrl: `https://${urlHost(apiEndpoint.host)}:${apiEndpoint.port}`,
  };
  RESOLVED.add(resolved);
  return Object.freeze(resolved);
}

const RESOLVED = new WeakSet<object>();
function isResolved(spec: object): spec is ResolvedClusterSpec {
  return RESOLVED.has(spec);
}

/** Finds a master by name; throws naming the known masters when there is none. */
export function findMaster(spec: ResolvedClusterSpec, name: string) {
  const m = spec.masters.find((x) => x.name === name);
  if (!m) throw new Error(`unknown master '${name}' (masters: ${spec.masters.map((x) => x.name).join(', ')})`);
  return m;
}
