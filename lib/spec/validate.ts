import type { ErrorObject } from 'ajv';
import { validate as validateShape } from './_spec-validator';
import { ClusterSpec, OpenStackSpec, ResolvedClusterSpec } from './cluster-spec';
import { imageReferenceProblem, imageRegistryProblem } from './image-reference';
import {
  Cidr,
  canonicalHost,
  cidrContains,
  cidrSize,
  cidrsOverlap,
  cidrToString,
  enclosingCidr,
  ipFamily,
  isIp,
  isIpv4Mapped,
  isNetworkAddress,
  isNetworkOrBroadcast,
  nthAddress,
  parseCidr,
  urlHost,
} from './network';
import {
  DEFAULT_ETCD_VERSION,
  DEFAULT_KUBERNETES_VERSION,
  MAX_KUBERNETES_MINOR,
  MIN_KUBERNETES_MINOR,
  SUPPORTED_ETCD_MINORS,
  SUPPORTED_KUBERNETES_MINORS,
  minorOf,
  parseKubernetesVersion,
} from './versions';

/** The outcome of validating a spec: every problem at once. */
export interface SpecValidationResult {
  /** Problems that make the spec unusable. Each names the field and the bad value. */
  readonly errors: string[];
  /** Problems worth knowing about that do not stop synthesis. */
  readonly warnings: string[];
}

/** A message lists at most this many problems (`problems` holds them all). */
const MAX_LISTED_PROBLEMS = 40;

/** Presentation of a `SpecValidationError`. */
export interface SpecErrorOptions {
  /** First line, before the source. @default invalid cluster spec */
  readonly heading?: string;
  /** A line after the list: what to do. */
  readonly footer?: string;
  /** The underlying error (shown with HACP_DEBUG=1). */
  readonly cause?: unknown;
}

/**
 * Thrown by `resolveSpec()` when a spec has errors (and by the loaders when the spec cannot be read). `problems`
 * lists every one; the message lists the first 40.
 */
export class SpecValidationError extends Error {
  constructor(
    /** Every problem found, each naming the field (`masters[1].ip: ...`) and the bad value. */
    public readonly problems: string[],
    /** Where the spec came from (a file path, `built-in example`); undefined for a spec given in code. */
    public readonly source?: string,
    options: SpecErrorOptions = {},
  ) {
    const shown = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  - ${p}`);
    if (problems.length > MAX_LISTED_PROBLEMS) shown.push(`  ... and ${problems.length - MAX_LISTED_PROBLEMS} more`);
    if (options.footer) shown.push(options.footer);
    super(
      `${options.heading ?? 'invalid cluster spec'}${source ? ` (${source})` : ''}:\n${shown.join('\n')}`,
      options.cause !== undefined ? { cause: options.cause } : undefined,
    );
    this.name = 'SpecValidationError';
  }
}

/** A DNS-1123 label (a namespace or node name): lower-case alphanumerics and `-`, at most 63 characters. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
/** A network interface name as the kernel accepts it (at most 15 characters). */
const INTERFACE_NAME = /^[A-Za-z0-9._@-]{1,15}$/;
/** An OpenStack resource ID (a UUID, as Neutron prints it). */
const OPENSTACK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Control characters (a newline, a NUL) in a value that becomes a file path or a config line. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * More masters than this is an error. Every master runs an etcd member (stacked etcd), and every write waits for a
 * majority of the members: 9 members already survive 4 failures, and etcd's own guidance is at most 7 (more members
 * add write latency and leader replication load, not useful fault tolerance). From 8 on it is a warning.
 */
export const MAX_MASTERS = 9;
/** More masters than this is a warning (etcd's recommended largest cluster). */
export const RECOMMENDED_MAX_MASTERS = 7;
/** Values longer than this are shown cut, with their length (a 50 MB name is not echoed). */
export const MAX_SHOWN_LENGTH = 80;

/** `/masters/1/ip` → `masters[1].ip` */
function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

function valueAt(obj: any, instancePath: string): unknown {
  return instancePath
    .split('/')
    .filter(Boolean)
    .reduce((o, k) => (o == null ? o : o[k]), obj);
}

/**
 * A value as messages show it: JSON, cut to a short prefix with its length when long (a 50 MB value is never
 * echoed whole; newlines and other control characters are escaped).
 */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  if (text.length <= MAX_SHOWN_LENGTH) return text;
  const length = typeof value === 'string' ? `${value.length} characters` : `${text.length} characters of JSON`;
  return `${text.slice(0, 40)}...${typeof value === 'string' ? '"' : ''} (${length})`;
}
const show = showValue;

/** Fields whose values may be (or be mistaken for) the OpenStack secret: messages never show them. */
const SECRET_FIELDS = /(^|\.)applicationCredential\.(secretFile|secretEnv|secret)$/;

function schemaMessage(e: ErrorObject, input: unknown): string {
  const value = valueAt(input, e.instancePath);
  const field = fieldPath(e.instancePath);
  const shown = SECRET_FIELDS.test(field) ? '(value not shown)' : show(value);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as any).additionalProperty);
      const keyField = fieldPath(e.instancePath, key.length > MAX_SHOWN_LENGTH ? show(key) : key);
      if (key === 'secret' && /applicationCredential$/.test(field)) {
        return `${keyField}: the secret never goes in the spec (it would end up in your repository and in logs); put it in a file (secretFile) or an environment variable (secretEnv)`;
      }
      const known = Object.keys((e.parentSchema as any)?.properties ?? {});
      return `${keyField}: unknown key${known.length ? ` (known keys: ${known.join(', ')})` : ''}`;
    }
    case 'required':
      return `${fieldPath(e.instancePath, (e.params as any).missingProperty)}: required`;
    case 'enum':
      return `${field}: ${shown} is not one of ${(e.params as any).allowedValues.map(show).join(', ')}`;
    default:
      return `${field}: ${shown} ${e.message}`;
  }
}

/** A node (master or worker) and the field it was written at. */
interface NodeAt {
  readonly ip: string;
  readonly name: string;
  readonly field: string;
}

/**
 * Validates a spec as written (a `ClusterSpec` or the parsed `cluster.yaml`): shape, unknown keys, addresses,
 * networks, names, versions, images, address families, the load balancer's VIP, the OpenStack and etcd settings.
 * Never throws; returns every problem found.
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
  if (!DNS_LABEL.test(name))
    errors.push(`name: ${show(name)} is not a DNS-1123 label (lower-case letters, digits, '-')`);

  const k8s = spec.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
  const k8sParsed = parseKubernetesVersion(k8s);
  if (!k8sParsed) {
    errors.push(`kubernetesVersion: ${show(k8s)} is not a version like "v1.35.4"`);
  } else if (!SUPPORTED_KUBERNETES_MINORS.includes(minorOf(k8s))) {
    errors.push(
      `kubernetesVersion: ${show(k8s)} is outside the supported window v${MIN_KUBERNETES_MINOR} to v${MAX_KUBERNETES_MINOR}`,
    );
  }
  const etcd = spec.etcdVersion ?? DEFAULT_ETCD_VERSION;
  if (!parseKubernetesVersion(etcd) || etcd.startsWith('v')) {
    errors.push(`etcdVersion: ${show(etcd)} is not a version like "3.6.6"`);
  } else if (!SUPPORTED_ETCD_MINORS.includes(minorOf(etcd))) {
    errors.push(
      `etcdVersion: ${show(etcd)} is not supported (supported: ${SUPPORTED_ETCD_MINORS.map((m) => m + '.x').join(', ')})`,
    );
  }

  // Images.
  if (spec.imageRegistry !== undefined) {
    const problem = imageRegistryProblem(spec.imageRegistry);
    if (problem) errors.push(`imageRegistry: ${show(spec.imageRegistry)} ${problem}`);
  }
  if (spec.loadBalancer?.kubeVip?.image !== undefined) {
    const problem = imageReferenceProblem(spec.loadBalancer.kubeVip.image);
    if (problem) errors.push(`loadBalancer.kubeVip.image: ${show(spec.loadBalancer.kubeVip.image)} ${problem}`);
  }

  // Nodes.
  const masters = spec.masters ?? [];
  const stackedEtcd = !spec.etcd?.external;
  if (masters.length === 0) errors.push('masters: [] must list at least one master');
  else if (stackedEtcd && masters.length > MAX_MASTERS) {
    errors.push(
      `masters: ${masters.length} masters is more than ${MAX_MASTERS}: each master runs an etcd member and every write waits for a majority of them; ${MAX_MASTERS} already survive ${Math.floor((MAX_MASTERS - 1) / 2)} failures (etcd advises at most ${RECOMMENDED_MAX_MASTERS}); list 3, 5 or 7 masters and run the rest as workers`,
    );
  } else if (stackedEtcd) {
    if (masters.length % 2 === 0) {
      warnings.push(
        `masters: ${masters.length} masters tolerate no more failures than ${masters.length - 1} (etcd quorum); use an odd number`,
      );
    }
    if (masters.length > RECOMMENDED_MAX_MASTERS) {
      warnings.push(
        `masters: ${masters.length} etcd members (one per master) is more than the ${RECOMMENDED_MAX_MASTERS} etcd recommends: writes get slower without useful fault tolerance`,
      );
    }
  }
  const nodes: NodeAt[] = [
    ...masters.map((n, i) => ({ ...n, field: `masters[${i}]` })),
    ...(spec.workers ?? []).map((n, i) => ({ ...n, field: `workers[${i}]` })),
  ];
  const seenNames = new Map<string, string>();
  const seenIps = new Map<string, { field: string; ip: string }>();
  for (const n of nodes) {
    if (!DNS_LABEL.test(n.name))
      errors.push(`${n.field}.name: ${show(n.name)} is not a DNS-1123 label (lower-case letters, digits, '-')`);
    const dupName = seenNames.get(n.name);
    if (dupName) errors.push(`${n.field}.name: ${show(n.name)} is already used by ${dupName}`);
    else seenNames.set(n.name, n.field);
    checkIp(errors, `${n.field}.ip`, n.ip);
    if (!isIp(n.ip)) continue;
    const host = canonicalHost(n.ip);
    const dup = seenIps.get(host);
    if (dup)
      errors.push(
        `${n.field}.ip: ${show(n.ip)} is already used by ${dup.field}${dup.ip === n.ip ? '' : ` (${show(dup.ip)}, the same host)`}`,
      );
    else seenIps.set(host, { field: n.field, ip: n.ip });
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
    errors.push(
      `networking.serviceCidr: ${show(net.serviceCidr)} is larger than the API server accepts (/12 at most for IPv4)`,
    );
  }
  if (service && pod && cidrsOverlap(service, pod)) {
    errors.push(
      `networking.serviceCidr: ${show(cidrToString(service))} overlaps networking.podCidr ${show(cidrToString(pod))}`,
    );
  }
  for (const n of nodes) {
    if (!isIp(n.ip)) continue;
    for (const [cidr, cfield] of [
      [service, 'networking.serviceCidr'],
      [pod, 'networking.podCidr'],
    ] as const) {
      if (cidr && cidrContains(cidr, n.ip)) {
        errors.push(
          `${n.field}.ip: ${show(n.ip)} lies inside ${cfield} ${show(cidrToString(cidr))}; host, service and pod networks must not overlap`,
        );
      }
    }
  }
  const mask = net.nodeCidrMaskSize;
  if (pod && mask !== undefined && (mask < pod.prefix || mask > (pod.kind === 'ipv4' ? 30 : 126))) {
    errors.push(
      `networking.nodeCidrMaskSize: ${mask} must lie between the pod CIDR prefix (/${pod.prefix}) and ${pod.kind === 'ipv4' ? 30 : 126}`,
    );
  }
  const domain = net.clusterDomain ?? DEFAULTS.clusterDomain;
  if (!DNS_NAME.test(domain) || domain.startsWith('*'))
    errors.push(`networking.clusterDomain: ${show(domain)} is not a DNS name`);

  // Endpoint and SANs.
  if (spec.apiEndpoint) {
    const host = spec.apiEndpoint.host;
    if (!isIp(host) && !DNS_NAME.test(host))
      errors.push(`apiEndpoint.host: ${show(host)} is neither an IP address nor a DNS name`);
    else if (isIp(host) && checkIp(errors, 'apiEndpoint.host', host)) {
      for (const [cidr, cfield] of [
        [service, 'networking.serviceCidr'],
        [pod, 'networking.podCidr'],
      ] as const) {
        if (cidr && cidrContains(cidr, host))
          errors.push(`apiEndpoint.host: ${show(host)} lies inside ${cfield} ${show(cidrToString(cidr))}`);
      }
    }
  }
  (spec.extraCertSans ?? []).forEach((san, i) => {
    if (!isIp(san) && !DNS_NAME.test(san))
      errors.push(`extraCertSans[${i}]: ${show(san)} is neither an IP address nor a DNS name`);
  });
  (spec.namespaces ?? []).forEach((ns, i) => {
    if (!DNS_LABEL.test(ns)) errors.push(`namespaces[${i}]: ${show(ns)} is not a DNS-1123 label`);
  });

  // Load balancer.
  const lb = spec.loadBalancer;
  const lbType = lb?.type ?? 'none';
  if (lbType === 'octavia' && !lb?.octavia)
    errors.push('loadBalancer.octavia: required when loadBalancer.type is "octavia" (at least the subnet)');
  for (const [field, vip] of [
    ['loadBalancer.haproxy.vip', lb?.haproxy?.vip],
    ['loadBalancer.kubeVip.vip', lb?.kubeVip?.vip],
  ] as const) {
    if (vip !== undefined && !isIp(vip)) errors.push(`${field}: ${show(vip)} is not a valid IP address`);
    else if (vip !== undefined) checkIp(errors, field, vip);
  }
  for (const [field, iface] of [
    ['loadBalancer.haproxy.interface', lb?.haproxy?.interface],
    ['loadBalancer.kubeVip.interface', lb?.kubeVip?.interface],
  ] as const) {
    if (iface !== undefined && (!INTERFACE_NAME.test(iface) || iface === '.' || iface === '..')) {
      errors.push(
        `${field}: ${show(iface)} is not a network interface name (at most 15 letters, digits, '.', '_', '-', '@')`,
      );
    }
  }
  if ((lbType === 'kube-vip' || lbType === 'haproxy') && spec.apiEndpoint && !isIp(spec.apiEndpoint.host)) {
    const vip = lbType === 'kube-vip' ? lb?.kubeVip?.vip : lb?.haproxy?.vip;
    if (!vip)
      errors.push(
        `loadBalancer.type: ${show(lbType)} needs a VIP: apiEndpoint.host ${show(spec.apiEndpoint.host)} is a DNS name, so set the vip`,
      );
  }
  if (
    lbType === 'kube-vip' &&
    (spec.apiEndpoint?.port ?? spec.apiServerPort ?? 6443) !== (spec.apiServerPort ?? 6443)
  ) {
    errors.push(
      `apiEndpoint.port: ${spec.apiEndpoint?.port} must equal apiServerPort (${spec.apiServerPort ?? 6443}) with kube-vip, which moves the VIP without forwarding ports`,
    );
  }
  if (lbType === 'haproxy' && (spec.apiEndpoint?.port ?? spec.apiServerPort ?? 6443) === (spec.apiServerPort ?? 6443)) {
    errors.push(
      `apiEndpoint.port: ${spec.apiEndpoint?.port ?? spec.apiServerPort ?? 6443} must differ from apiServerPort with loadBalancer.type "haproxy": HAProxy runs on the masters, where the API servers already listen on that port`,
    );
  }
  for (const [field, subnet] of [
    ['loadBalancer.haproxy.subnet', lb?.haproxy?.subnet],
    ['loadBalancer.kubeVip.subnet', lb?.kubeVip?.subnet],
  ] as const) {
    if (subnet !== undefined && !parseCidr(subnet))
      errors.push(`${field}: ${show(subnet)} is not a valid CIDR (like "10.180.0.0/24")`);
  }
  if (lbType === 'haproxy' || lbType === 'kube-vip') checkVip(errors, spec, lbType, nodes);

  // Address families: one family everywhere (dual-stack is not supported: one serviceCidr, one podCidr).
  checkFamilies(errors, spec, nodes);

  const pki = spec.pki ?? {};
  if (pki.validityDays !== undefined && pki.caValidityDays !== undefined && pki.validityDays > pki.caValidityDays) {
    errors.push(
      `pki.validityDays: ${pki.validityDays} exceeds pki.caValidityDays (${pki.caValidityDays}); a leaf cannot outlive its CA`,
    );
  }
  if (pki.renewBeforeDays !== undefined && pki.renewBeforeDays >= (pki.validityDays ?? DEFAULTS.validityDays)) {
    errors.push(
      `pki.renewBeforeDays: ${pki.renewBeforeDays} must be smaller than pki.validityDays (${pki.validityDays ?? DEFAULTS.validityDays})`,
    );
  }

  checkCloud(errors, warnings, spec);
  checkAddons(warnings, spec);
  checkExternalEtcd(errors, spec);
  return { errors: dedupe(errors), warnings };
}

/** True when `value` is a usable host address; pushes why not (an IPv4-mapped IPv6 address is written as IPv4). */
function checkIp(errors: string[], field: string, value: string): boolean {
  if (!isIp(value)) {
    errors.push(`${field}: ${show(value)} is not a valid IPv4 or IPv6 address`);
    return false;
  }
  if (isIpv4Mapped(value)) {
    errors.push(
      `${field}: ${show(value)} is an IPv4-mapped IPv6 address; write the IPv4 address ${show(canonicalHost(value))}`,
    );
    return false;
  }
  return true;
}

/**
 * The VIP of keepalived or kube-vip must be a free address in the masters' subnet: VRRP adverts and the VIP's
 * gratuitous ARP stay on one L2 segment (the `interface` named in the spec, eth0 by default).
 */
function checkVip(errors: string[], spec: ClusterSpec, lbType: 'haproxy' | 'kube-vip', nodes: NodeAt[]): void {
  const settings = lbType === 'haproxy' ? spec.loadBalancer?.haproxy : spec.loadBalancer?.kubeVip;
  const key = lbType === 'haproxy' ? 'haproxy' : 'kubeVip';
  const field = `loadBalancer.${key}.vip`;
  const vipField = settings?.vip !== undefined ? field : 'apiEndpoint.host';
  const vip = settings?.vip ?? spec.apiEndpoint?.host;
  const iface = settings?.interface ?? 'eth0';
  const what =
    lbType === 'haproxy'
      ? `keepalived (VRRP and the VIP's ARP on interface ${iface})`
      : `kube-vip (gratuitous ARP on interface ${iface})`;
  if (vip === undefined) {
    errors.push(
      `${field}: required with loadBalancer.type ${show(lbType)}: set ${field} (or apiEndpoint.host) to a free address in the masters' subnet`,
    );
    return;
  }
  if (!isIp(vip) || isIpv4Mapped(vip)) return; // reported above
  const host = canonicalHost(vip);
  const owner = nodes.find((n) => isIp(n.ip) && canonicalHost(n.ip) === host);
  if (owner) {
    errors.push(
      `${vipField}: ${show(vip)} is ${owner.field}'s own address; the VIP must be a free address in the masters' subnet (it moves between masters)`,
    );
    return;
  }
  const first = nodes.find((n) => n.field === 'masters[0]');
  if (!first || !isIp(first.ip) || isIpv4Mapped(first.ip) || ipFamily(first.ip) !== ipFamily(vip)) return; // reported elsewhere
  const declared = settings?.subnet !== undefined ? parseCidr(settings.subnet) : undefined;
  if (settings?.subnet !== undefined && !declared) return; // reported above
  const subnet = declared
    ? enclosingCidr(nthAddress(declared, 0), declared.prefix)
    : enclosingCidr(first.ip, ipFamily(first.ip) === 'ipv4' ? 24 : 64);
  const subnetText = declared
    ? `loadBalancer.${key}.subnet ${show(settings!.subnet)}`
    : `the masters' subnet ${cidrToString(subnet)} (the /${subnet.prefix} around masters[0].ip; set loadBalancer.${key}.subnet if theirs is larger)`;
  if (subnet.kind !== ipFamily(vip)) return; // reported by the family check
  if (!cidrContains(subnet, vip)) {
    errors.push(`${vipField}: ${show(vip)} is not in ${subnetText}: ${what} works only within the masters' L2 segment`);
  } else if (isNetworkOrBroadcast(subnet, vip)) {
    errors.push(
      `${vipField}: ${show(vip)} is the network or broadcast address of ${cidrToString(subnet)}; use a free host address`,
    );
  }
  for (const m of nodes.filter((n) => n.field.startsWith('masters['))) {
    if (isIp(m.ip) && !isIpv4Mapped(m.ip) && ipFamily(m.ip) === subnet.kind && !cidrContains(subnet, m.ip)) {
      errors.push(
        `${m.field}.ip: ${show(m.ip)} is not in ${subnetText}: ${what} needs every master on that L2 segment`,
      );
    }
  }
}

/** Every address and range of the cluster is of masters[0].ip's family: dual-stack is not supported. */
function checkFamilies(errors: string[], spec: ClusterSpec, nodes: NodeAt[]): void {
  const first = nodes.find((n) => n.field === 'masters[0]');
  if (!first || !isIp(first.ip) || isIpv4Mapped(first.ip)) return;
  const family = ipFamily(first.ip);
  const name = (f: string) => (f === 'ipv4' ? 'IPv4' : 'IPv6');
  const mismatch = (field: string, value: string, kind: string, isDefault = false) => {
    const fix = isDefault ? `; set networking.serviceCidr and networking.podCidr to ${name(family)} ranges` : '';
    errors.push(
      `${field}: ${show(value)}${isDefault ? ' (the default)' : ''} is ${name(kind)}, but masters[0].ip ${show(first.ip)} is ${name(family)}: every node address, VIP, endpoint and range must be one family (dual-stack is not supported)${fix}`,
    );
  };
  for (const n of nodes) {
    if (n !== first && isIp(n.ip) && !isIpv4Mapped(n.ip) && ipFamily(n.ip) !== family)
      mismatch(`${n.field}.ip`, n.ip, ipFamily(n.ip));
  }
  const hosts: Array<[string, string | undefined]> = [
    ['apiEndpoint.host', spec.apiEndpoint?.host],
    ['loadBalancer.haproxy.vip', spec.loadBalancer?.haproxy?.vip],
    ['loadBalancer.kubeVip.vip', spec.loadBalancer?.kubeVip?.vip],
  ];
  for (const [field, value] of hosts) {
    if (value !== undefined && isIp(value) && !isIpv4Mapped(value) && ipFamily(value) !== family)
      mismatch(field, value, ipFamily(value));
  }
  const net = spec.networking ?? {};
  const ranges: Array<[string, string | undefined, string]> = [
    ['networking.serviceCidr', net.serviceCidr, DEFAULTS.serviceCidr],
    ['networking.podCidr', net.podCidr, DEFAULTS.podCidr],
    ['loadBalancer.haproxy.subnet', spec.loadBalancer?.haproxy?.subnet, ''],
    ['loadBalancer.kubeVip.subnet', spec.loadBalancer?.kubeVip?.subnet, ''],
  ];
  for (const [field, value, fallback] of ranges) {
    const cidr = parseCidr(value ?? fallback);
    if (cidr && cidr.kind !== family) mismatch(field, value ?? fallback, cidr.kind, value === undefined);
  }
}

/** `openstack` and `networking.podNetwork: cloud-routes`, and `cloudProvider` with them. */
function checkCloud(errors: string[], warnings: string[], spec: ClusterSpec): void {
  const podNetwork = spec.networking?.podNetwork ?? 'flannel';
  const os = spec.openstack;
  if (podNetwork === 'cloud-routes') {
    if (!os)
      errors.push(
        'openstack: required when networking.podNetwork is "cloud-routes" (the OpenStack cloud controller manager adds the pod routes to openstack.routerId)',
      );
    if (spec.cloudProvider === 'none') {
      errors.push(
        'cloudProvider: "none" contradicts networking.podNetwork "cloud-routes", which needs the OpenStack cloud controller manager (cloudProvider "external"); remove cloudProvider or set it to "external"',
      );
    }
  } else if (os && (spec.cloudProvider ?? 'none') === 'none') {
    warnings.push(
      'openstack: set, but cloudProvider is "none", so no cloud controller manager uses it; set cloudProvider: external (or networking.podNetwork: cloud-routes)',
    );
  }
  if (!os) return;
  let url: URL | undefined;
  try {
    url = new URL(os.authUrl);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || !url.hostname || CONTROL.test(os.authUrl)) {
    errors.push(
      `openstack.authUrl: ${show(os.authUrl)} is not an https:// URL (like "https://keystone.example.com:5000/v3")`,
    );
  } else if (url.username || url.password) {
    errors.push(
      'openstack.authUrl: must not carry a user name or password (value not shown); the application credential authenticates',
    );
  }
  // eslint-disable-next-line no-control-regex -- a region name has no control characters
  if (!/^[^\s\u0000-\u001f\u007f]{1,255}$/.test(os.region))
    errors.push(`openstack.region: ${show(os.region)} is not a region name (like "RegionOne")`);
  for (const key of ['networkId', 'subnetId', 'routerId', 'floatingNetworkId'] as const) {
    const value = os[key];
    if (value !== undefined && !OPENSTACK_ID.test(value)) {
      errors.push(
        `openstack.${key}: ${show(value)} is not an OpenStack ID (a UUID like "6e2b0c1a-4d3f-4c2e-9a7b-1f0e5d4c3b2a"; \`openstack ${key === 'routerId' ? 'router' : key === 'subnetId' ? 'subnet' : 'network'} show NAME -f value -c id\` prints it)`,
      );
    }
  }
  if (os.caFile !== undefined && CONTROL.test(os.caFile))
    errors.push(`openstack.caFile: ${show(os.caFile)} is not a file path (it holds control characters)`);
  const cred = os.applicationCredential;
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(cred.id))
    errors.push(
      `openstack.applicationCredential.id: ${show(cred.id)} is not an application credential ID (letters, digits, '.', '_', '-')`,
    );
  const sources = [cred.secretFile, cred.secretEnv].filter((v) => v !== undefined).length;
  if (sources !== 1) {
    errors.push(
      `openstack.applicationCredential: set exactly one of secretFile and secretEnv (${sources ? 'both are set' : 'neither is set'}); the secret itself never goes in the spec`,
    );
  }
  if (cred.secretEnv !== undefined && !ENV_NAME.test(cred.secretEnv)) {
    errors.push(
      'openstack.applicationCredential.secretEnv: is not an environment variable name (letters, digits, "_"; value not shown, in case it is the secret itself)',
    );
  }
  if (cred.secretFile !== undefined && CONTROL.test(cred.secretFile)) {
    errors.push(
      'openstack.applicationCredential.secretFile: is not a file path (it holds control characters; value not shown, in case it is the secret itself)',
    );
  }
}

/** Retired and deprecated add-on choices are warnings: they still work, but not for long. */
function checkAddons(warnings: string[], spec: ClusterSpec): void {
  const addons = spec.addons ?? {};
  if (addons.dns === 'kube-dns')
    warnings.push(
      'addons.dns: "kube-dns" is retired (kubeadm dropped it in v1.21, its images are unmaintained); use "coredns"',
    );
  if (addons.metrics === 'heapster')
    warnings.push(
      'addons.metrics: "heapster" is retired (archived upstream, it does not serve the metrics API); use "metrics-server"',
    );
  if (addons.kubeProxyMode === 'ipvs')
    warnings.push('addons.kubeProxyMode: "ipvs" is deprecated in Kubernetes v1.35; use "nftables" (or "iptables")');
  if (addons.podCheckpointer === true)
    warnings.push(
      "addons.podCheckpointer: true deploys bootkube's retired pod-checkpointer image (unmaintained); hacp's checkpoint service on the masters replaces it",
    );
}

/** `etcd.external`: https endpoints without duplicates, file paths. */
function checkExternalEtcd(errors: string[], spec: ClusterSpec): void {
  const ext = spec.etcd?.external;
  if (!ext) return;
  const seen = new Map<string, number>();
  ext.endpoints.forEach((endpoint, i) => {
    const field = `etcd.external.endpoints[${i}]`;
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      url.protocol !== 'https:' ||
      !url.hostname ||
      CONTROL.test(endpoint) ||
      (url.pathname !== '/' && url.pathname !== '') ||
      url.search ||
      url.hash
    ) {
      errors.push(
        `${field}: ${show(endpoint)} is not an https:// client URL (like "https://10.0.0.5:2379"; etcd is reached over mTLS only)`,
      );
      return;
    }
    if (url.username || url.password) {
      errors.push(
        `${field}: must not carry a user name or password (value not shown); the client certificate authenticates`,
      );
      return;
    }
    const bare = url.hostname.replace(/^\[|\]$/g, '');
    const key = `${isIp(bare) ? canonicalHost(bare) : bare.toLowerCase()}:${url.port || '2379'}`;
    const dup = seen.get(key);
    if (dup !== undefined)
      errors.push(`${field}: ${show(endpoint)} is the same member as etcd.external.endpoints[${dup}]`);
    else seen.set(key, i);
  });
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    if (CONTROL.test(ext[key]))
      errors.push(`etcd.external.${key}: ${show(ext[key])} is not a file path (it holds control characters)`);
  }
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** The defaults `resolveSpec()` applies (the versions' defaults are in `versions.ts`). */
export const DEFAULTS = {
  /** `ClusterSpec.name`. */
  name: 'kubernetes',
  /** `ClusterSpec.imageRegistry`. */
  imageRegistry: 'registry.k8s.io',
  /** `ClusterSpec.apiServerPort`. */
  apiServerPort: 6443,
  /** `networking.serviceCidr`. */
  serviceCidr: '10.96.0.0/12',
  /** `networking.podCidr`. */
  podCidr: '10.244.0.0/16',
  /** `networking.clusterDomain`. */
  clusterDomain: 'cluster.local',
  /** `pki.keySize`, in bits. */
  keySize: 2048 as const,
  /** `pki.caValidityDays`. */
  caValidityDays: 3650,
  /** `pki.validityDays`. */
  validityDays: 365,
  /** `pki.renewBeforeDays`. */
  renewBeforeDays: 30,
  /** `networking.podNetwork`. */
  podNetwork: 'flannel' as const,
  /** `addons.dns`. */
  dns: 'coredns' as const,
  /** `addons.metrics`. */
  metrics: 'metrics-server' as const,
  /** `addons.kubeProxyMode`. */
  kubeProxyMode: 'iptables' as const,
};

function copyOpenStack(os: OpenStackSpec): OpenStackSpec {
  return { ...os, applicationCredential: { ...os.applicationCredential } };
}

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
export function resolveSpec(
  spec: ClusterSpec | ResolvedClusterSpec,
  options: ResolveOptions = {},
): ResolvedClusterSpec {
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
  const podNetwork = net.podNetwork ?? DEFAULTS.podNetwork;
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
      podNetwork,
    },
    extraCertSans: [...(spec.extraCertSans ?? [])],
    cloudProvider: spec.cloudProvider ?? (podNetwork === 'cloud-routes' ? 'external' : 'none'),
    openstack: spec.openstack ? copyOpenStack(spec.openstack) : undefined,
    addons: {
      dns: spec.addons?.dns ?? DEFAULTS.dns,
      metrics: spec.addons?.metrics ?? DEFAULTS.metrics,
      dashboard: spec.addons?.dashboard ?? false,
      kubeProxyMode: spec.addons?.kubeProxyMode ?? DEFAULTS.kubeProxyMode,
      podCheckpointer: spec.addons?.podCheckpointer ?? false,
    },
    etcd: {
      external: spec.etcd?.external
        ? { ...spec.etcd.external, endpoints: [...spec.etcd.external.endpoints] }
        : undefined,
    },
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

/** Finds a master by name. Throws an `Error` naming the known masters when there is none (a worker's name included). */
export function findMaster(spec: ResolvedClusterSpec, name: string) {
  const master = spec.masters.find((candidate) => candidate.name === name);
  if (!master)
    throw new Error(`unknown master '${name}' (masters: ${spec.masters.map((known) => known.name).join(', ')})`);
  return master;
}
