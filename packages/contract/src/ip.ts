import { isIP } from 'node:net';

/**
 * IP addresses and CIDR prefixes as numbers, for list entries (a prefix is matched by masking the
 * address, not by comparing text: `2001:db8::1` and `2001:0db8:0:0::1` are one address).
 */
export interface IpBits {
  family: 4 | 6;
  /** the address as an unsigned 32- or 128-bit integer */
  bits: bigint;
}

export interface IpPrefix extends IpBits {
  /** leading bits that must match (0..32 or 0..128); `bits` is masked to them */
  length: number;
}

/** The address as an integer, or null when it is no IPv4 or IPv6 address (zone ids are refused). */
export function ipBits(text: string): IpBits | null {
  const s = text.trim().toLowerCase();
  const family = isIP(s);
  if (family === 4) return { family: 4, bits: v4Bits(s) };
  if (family !== 6 || s.includes('%')) return null;
  // an embedded IPv4 tail (::ffff:192.0.2.1) is two groups
  let groups = s;
  const dot = s.lastIndexOf(':');
  if (s.slice(dot + 1).includes('.')) {
    const v4 = v4Bits(s.slice(dot + 1));
    groups = `${s.slice(0, dot + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = groups.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const all = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  let bits = 0n;
  for (const g of all) bits = (bits << 16n) | BigInt(Number.parseInt(g, 16));
  return { family: 6, bits };
}

function v4Bits(s: string): bigint {
  return s.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
}

/** `address/length` as a masked prefix, or null when it is not one. */
export function parsePrefix(text: string): IpPrefix | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return null;
  const ip = ipBits(m[1]);
  const length = Number(m[2]);
  if (!ip || length > (ip.family === 4 ? 32 : 128)) return null;
  return { family: ip.family, bits: maskBits(ip, length), length };
}

/** The address's leading `length` bits, the rest zero. */
export function maskBits(ip: IpBits, length: number): bigint {
  const width = ip.family === 4 ? 32n : 128n;
  const keep = BigInt(length);
  return keep === 0n ? 0n : (ip.bits >> (width - keep)) << (width - keep);
}

/**
 * The /24 of an IPv4 address or the /48 of an IPv6 one, as a CIDR in one spelling
 * (`2001:0db8:77:1::9` and `2001:db8:77::1` are both `2001:db8:77::/48`): the range a provider
 * hands one customer, or a proxy pool shares. Null when the text is no address.
 */
export function networkOf(text: string): string | null {
  const ip = ipBits(text);
  if (!ip) return null;
  if (ip.family === 4) return `${[24n, 16n, 8n].map((s) => String((ip.bits >> s) & 0xffn)).join('.')}.0/24`;
  return `${[112n, 96n, 80n].map((s) => ((ip.bits >> s) & 0xffffn).toString(16)).join(':')}::/48`;
}
