import type { IpType } from '@kanshi/contract';
import type { Rng } from './rng.js';

/** Where a login comes from: the brokerage's IP intelligence view of it. */
export interface Network {
  asn: number;
  country: string;
  ipType: IpType;
  /** first three octets; the last varies per connection (or more, for mobile carriers) */
  prefix: string;
  /** mobile carrier-grade NAT hands out addresses across many /24s */
  rotating: boolean;
  /**
   * An IPv6 network: the first four groups (a /64 delegated to a home line, which stays for
   * months), or for a carrier the first three (each attach gets a new /64 inside it).
   */
  v6?: string;
}

export interface Device {
  id: string;
  userAgent: string;
  channel: 'web' | 'app';
  /** the session this device keeps resuming, once it has one */
  sessionId: string | null;
}

interface AsnSpec {
  asn: number;
  country: string;
  ipType: IpType;
  /** first octets this ASN's addresses come from (synthetic, not real allocations) */
  octets: number[];
}

// Synthetic address plans: the numbers of ASNs are the public ones of each kind of network,
// but the address blocks are made up and deliberately overlap nothing in particular.
const HOME_ISPS: AsnSpec[] = [
  { asn: 4713, country: 'JP', ipType: 'residential', octets: [60, 122, 153, 180] },
  { asn: 2516, country: 'JP', ipType: 'residential', octets: [106, 111, 119] },
  { asn: 17676, country: 'JP', ipType: 'residential', octets: [126, 219, 221] },
  { asn: 2527, country: 'JP', ipType: 'residential', octets: [114, 118] },
  { asn: 2519, country: 'JP', ipType: 'residential', octets: [133, 202] },
  { asn: 18126, country: 'JP', ipType: 'residential', octets: [175, 182] },
];
const MOBILE: AsnSpec[] = [
  { asn: 9605, country: 'JP', ipType: 'mobile', octets: [1, 49] },
  { asn: 2516, country: 'JP', ipType: 'mobile', octets: [27, 182] },
  { asn: 17676, country: 'JP', ipType: 'mobile', octets: [126] },
  { asn: 131924, country: 'JP', ipType: 'mobile', octets: [157] },
];
const FOREIGN_ISPS: Record<string, AsnSpec[]> = {
  US: [{ asn: 7922, country: 'US', ipType: 'residential', octets: [24, 73] }, { asn: 21928, country: 'US', ipType: 'mobile', octets: [172] }],
  TW: [{ asn: 3462, country: 'TW', ipType: 'residential', octets: [36, 114] }],
  KR: [{ asn: 4766, country: 'KR', ipType: 'residential', octets: [59, 121] }],
  TH: [{ asn: 45758, country: 'TH', ipType: 'mobile', octets: [49, 171] }],
  FR: [{ asn: 3215, country: 'FR', ipType: 'residential', octets: [90, 92] }],
  CN: [{ asn: 4134, country: 'CN', ipType: 'residential', octets: [58, 113, 183] }, { asn: 4837, country: 'CN', ipType: 'residential', octets: [60, 123] }],
  HK: [{ asn: 4760, country: 'HK', ipType: 'residential', octets: [14, 203] }],
  SG: [{ asn: 9506, country: 'SG', ipType: 'residential', octets: [116, 175] }],
  VN: [{ asn: 7552, country: 'VN', ipType: 'mobile', octets: [27, 113] }],
};
/** Commercial VPN exits, used by privacy-minded customers and attackers alike */
export const VPN_EXITS: AsnSpec[] = [
  { asn: 9009, country: 'JP', ipType: 'vpn', octets: [37, 89] },
  { asn: 212238, country: 'JP', ipType: 'vpn', octets: [138, 156] },
  { asn: 9009, country: 'SG', ipType: 'vpn', octets: [89, 146] },
  { asn: 60068, country: 'US', ipType: 'vpn', octets: [185, 195] },
];
/** Cloud and hosting networks: API traders' servers, and attackers' relays */
export const HOSTING: AsnSpec[] = [
  { asn: 16509, country: 'JP', ipType: 'hosting', octets: [13, 18, 52] },
  { asn: 20473, country: 'JP', ipType: 'hosting', octets: [45, 139, 167] },
  { asn: 45102, country: 'HK', ipType: 'hosting', octets: [8, 47] },
  { asn: 132203, country: 'SG', ipType: 'hosting', octets: [43, 101] },
  { asn: 14061, country: 'SG', ipType: 'hosting', octets: [128, 159] },
  { asn: 4609, country: 'CN', ipType: 'hosting', octets: [103, 154] },
  { asn: 63949, country: 'US', ipType: 'hosting', octets: [50, 172] },
];

function networkFrom(rng: Rng, spec: AsnSpec): Network {
  return {
    asn: spec.asn, country: spec.country, ipType: spec.ipType,
    prefix: `${rng.pick(spec.octets)}.${rng.int(0, 255)}.${rng.int(0, 255)}`,
    rotating: spec.ipType === 'mobile',
  };
}

export const homeIsp = (rng: Rng) => networkFrom(rng, rng.pick(HOME_ISPS));
export const mobileCarrier = (rng: Rng) => networkFrom(rng, rng.pick(MOBILE));
export const vpnExit = (rng: Rng, country?: string) => networkFrom(rng, rng.pick(VPN_EXITS.filter((v) => !country || v.country === country)));
export const hostingNetwork = (rng: Rng, country?: string) =>
  networkFrom(rng, rng.pick(HOSTING.filter((h) => !country || h.country === country).concat(country ? [] : HOSTING)));
export function foreignIsp(rng: Rng, country: string): Network {
  const specs = FOREIGN_ISPS[country] ?? FOREIGN_ISPS.US;
  return networkFrom(rng, rng.pick(specs));
}
export const FOREIGN_COUNTRIES = Object.keys(FOREIGN_ISPS);

/** An address for one connection from `net`. */
export function ipFrom(rng: Rng, net: Network): string {
  if (net.v6) {
    // privacy extensions give each connection a fresh interface id
    const iid = `${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}`;
    return net.rotating ? `${net.v6}:${rng.hex(4)}:${iid}` : `${net.v6}:${iid}`;
  }
  if (net.rotating && rng.chance(0.7)) {
    const [a] = net.prefix.split('.');
    return `${a}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  }
  return `${net.prefix}.${rng.int(1, 254)}`;
}

const UA_APP = ['KabuApp/7.4.1 (iPhone; iOS 18.3)', 'KabuApp/7.4.1 (Android 15; Pixel 8)', 'KabuApp/7.3.9 (iPhone; iOS 17.7)', 'KabuApp/7.4.0 (Android 14; SH-M26)'];
const UA_WEB = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:136.0) Gecko/20100101 Firefox/136.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
];

export function newDevice(rng: Rng, channel: 'web' | 'app'): Device {
  return { id: `fp_${rng.hex(20)}`, userAgent: rng.pick(channel === 'app' ? UA_APP : UA_WEB), channel, sessionId: null };
}

// Synthetic IPv6 plans of the same kinds: home lines on IPoE, carriers giving each attach a /64.
const HOME_V6: [number, string][] = [[4713, '2400:4050'], [17676, '240b:10'], [2516, '2001:268'], [2497, '2001:240'], [2527, '2400:2410']];
const MOBILE_V6: [number, string][] = [[9605, '2001:268:c0'], [2516, '2001:268:9a'], [17676, '240b:c0'], [131924, '2400:2200:3e']];

export function homeIspV6(rng: Rng): Network {
  const [asn, p] = rng.pick(HOME_V6);
  return { asn, country: 'JP', ipType: 'residential', prefix: p, rotating: false, v6: `${p}:${rng.hex(4)}:${rng.hex(4)}` };
}

export function mobileV6(rng: Rng): Network {
  const [asn, p] = rng.pick(MOBILE_V6);
  return { asn, country: 'JP', ipType: 'mobile', prefix: p, rotating: true, v6: p };
}

// Offices behind their own NAT (a business line, which IP intelligence rarely types) and the
// cloud web proxies large employers route all staff traffic through, exiting in another country.
const BUSINESS_LINES = [4713, 2914, 2497, 17506, 7521];
const CLOUD_PROXIES: [number, string][] = [[62044, 'SG'], [62044, 'US'], [62044, 'HK'], [55256, 'SG'], [55256, 'US'], [13335, 'JP'], [62044, 'DE']];

/** One office's NAT exit: a handful of addresses in one /24 that every employee shares, all day. */
export function corporateExit(rng: Rng): Network {
  return { asn: rng.pick(BUSINESS_LINES), country: 'JP', ipType: rng.chance(0.6) ? 'unknown' : 'residential', prefix: `${rng.pick([61, 114, 153, 210, 211])}.${rng.int(0, 255)}.${rng.int(0, 255)}`, rotating: false };
}

/** A cloud security proxy's exit: a hosting address, often abroad, shared by a whole employer. */
export function cloudProxyExit(rng: Rng): Network {
  const [asn, country] = rng.pick(CLOUD_PROXIES);
  return { asn, country, ipType: 'hosting', prefix: `${rng.pick([136, 147, 165, 185])}.${rng.int(0, 255)}.${rng.int(0, 255)}`, rotating: false };
}

/** Home ISPs: the address space residential-proxy services rent out, so an exit looks like a customer's. */
export const residentialProxy = homeIsp;
