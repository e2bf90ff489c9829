import * as ipaddr from 'ipaddr.js';

/** A parsed CIDR block. */
export interface Cidr {
  readonly address: ipaddr.IPv4 | ipaddr.IPv6;
  readonly prefix: number;
  readonly kind: 'ipv4' | 'ipv6';
}

/** True when `value` is a plain IPv4 or IPv6 address (no prefix, IPv4 in dotted-quad form). */
export function isIp(value: string): boolean {
  // ipaddr's isValidFourPartDecimal, with its pattern tested first: isValid throws (and catches) for every name,
  // which made this the slow part of computing the certificate catalog.
  if (FOUR_PART_DECIMAL.test(value)) return ipaddr.IPv4.isValid(value);
  return value.includes(':') && ipaddr.IPv6.isValid(value);
}
const FOUR_PART_DECIMAL = /^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/;

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

/** True when `ip` lies inside `cidr`. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  const addr = ipaddr.parse(ip);
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
