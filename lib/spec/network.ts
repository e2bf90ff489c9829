import * as ipaddr from 'ipaddr.js';

/** A parsed CIDR block. */
export interface Cidr {
  /** The address part as written (host bits may be set: `isNetworkAddress()` tells). */
  readonly address: ipaddr.IPv4 | ipaddr.IPv6;
  /** The prefix length in bits (0-32 for IPv4, 0-128 for IPv6). */
  readonly prefix: number;
  /** The address family. */
  readonly kind: 'ipv4' | 'ipv6';
}

/** True when `value` is a plain IPv4 or IPv6 address (no prefix, IPv4 in dotted-quad form). */
export function isIp(value: string): boolean {
  // ipaddr's isValidFourPartDecimal, with its pattern tested first: isValid throws (and catches) for every value that
  // is not an address, which is slow, and the certificate catalog asks this for every SAN.
  if (FOUR_PART_DECIMAL.test(value)) return ipaddr.IPv4.isValid(value);
  return value.includes(':') && ipaddr.IPv6.isValid(value);
}
const FOUR_PART_DECIMAL = /^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/;

/** `ipv4` or `ipv6` for an address (`isIp()` must hold); an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is `ipv4`. */
export function ipFamily(ip: string): 'ipv4' | 'ipv6' {
  const addr = ipaddr.parse(ip);
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? 'ipv4' : addr.kind();
}

/** True for an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, the IPv4 host 10.0.0.1 in IPv6 notation). */
export function isIpv4Mapped(ip: string): boolean {
  if (!isIp(ip) || !ip.includes(':')) return false;
  return (ipaddr.parse(ip) as ipaddr.IPv6).isIPv4MappedAddress();
}

/**
 * The one spelling of a host address, for comparing addresses: IPv6 compressed and lower-case, an IPv4-mapped IPv6
 * address as its IPv4 address (`::ffff:10.180.0.10` and `10.180.0.10` are one host). `isIp()` must hold.
 */
export function canonicalHost(ip: string): string {
  const addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    return (addr as ipaddr.IPv6).toIPv4Address().toString();
  return addr.toString();
}

/** Parses `a.b.c.d/n` or `x::/n`; returns undefined for anything else. */
export function parseCidr(value: string): Cidr | undefined {
  if (typeof value !== 'string' || !value.includes('/')) return undefined;
  const [addr] = value.split('/');
  if (!isIp(addr)) return undefined;
  try {
    const [address, prefix] = ipaddr.parseCIDR(value);
    return { address, prefix, kind: address.kind() };
  } catch {
    return undefined;
  }
}

/** True when the address part of a CIDR has no host bits set (`10.0.0.0/8`, not `10.0.0.1/8`). */
export function isNetworkAddress(cidr: Cidr): boolean {
  return toBigInt(cidr.address) === networkBase(cidr);
}

/** True when two CIDR blocks share at least one address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.kind !== b.kind) return false;
  const shorter = a.prefix <= b.prefix ? a : b;
  const longer = shorter === a ? b : a;
  return longer.address.match([shorter.address, shorter.prefix] as any);
}

/** True when `ip` lies inside `cidr` (an IPv4-mapped IPv6 address counts as its IPv4 address). */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  const addr = ipaddr.parse(canonicalHost(ip));
  return addr.kind() === cidr.kind && addr.match([cidr.address, cidr.prefix] as any);
}

/** The number of addresses in a CIDR block. */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(bits(cidr) - cidr.prefix);
}

/** The `n`-th address of a CIDR block (0 is the network address). Throws when the block is too small. */
export function nthAddress(cidr: Cidr, n: number): string {
  if (BigInt(n) >= cidrSize(cidr)) {
    throw new Error(`${cidrToString(cidr)} has no address number ${n}`);
  }
  return fromBigInt(networkBase(cidr) + BigInt(n), cidr.kind);
}

/** The block of `prefix` bits that holds `ip` (`10.180.0.10`, 24 → `10.180.0.0/24`). `isIp()` must hold. */
export function enclosingCidr(ip: string, prefix: number): Cidr {
  const address = ipaddr.parse(canonicalHost(ip));
  const kind = address.kind();
  const hostBits = BigInt((kind === 'ipv4' ? 32 : 128) - prefix);
  const base = (toBigInt(address) >> hostBits) << hostBits;
  return { address: ipaddr.parse(fromBigInt(base, kind)), prefix, kind };
}

/** True when `ip` is the network address or (IPv4) the broadcast address of `cidr`: not usable for a host. */
export function isNetworkOrBroadcast(cidr: Cidr, ip: string): boolean {
  if (cidr.kind === 'ipv4' && cidr.prefix >= 31) return false; // /31, /32: no network or broadcast address
  const value = toBigInt(ipaddr.parse(canonicalHost(ip)));
  const base = networkBase(cidr);
  return value === base || (cidr.kind === 'ipv4' && value === base + cidrSize(cidr) - 1n);
}

/** `10.0.0.0/24` */
export function cidrToString(cidr: Cidr): string {
  return `${cidr.address.toString()}/${cidr.prefix}`;
}

function bits(cidr: Cidr): number {
  return cidr.kind === 'ipv4' ? 32 : 128;
}

function networkBase(cidr: Cidr): bigint {
  const hostBits = BigInt(bits(cidr) - cidr.prefix);
  return (toBigInt(cidr.address) >> hostBits) << hostBits;
}

function toBigInt(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  return addr.toByteArray().reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
}

function fromBigInt(value: bigint, kind: 'ipv4' | 'ipv6'): string {
  const length = kind === 'ipv4' ? 4 : 16;
  const bytes: number[] = [];
  for (let i = 0; i < length; i++) {
    bytes.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** `host` or `[host]` for IPv6, for use in URLs. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
