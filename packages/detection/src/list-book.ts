import { ipBits, maskBits, parsePrefix, type ListEntry, type ListTarget, type LoginEvent } from '@kanshi/contract';
import { hash32 } from './ids.js';

/**
 * The block and allow lists as the account stage consults them: reference data like the
 * instruments, loaded from `kanshi detect --lists FILE` or followed on the kanshi.lists topic,
 * never part of a snapshot.
 *
 * Event time: an entry applies to an event whose `ts` is within [createdAt, expiresAt) and
 * before removedAt, whenever the entry was read. So a replay of the same events with the same
 * lists gives the same findings, and a replay of last month does not see today's entries. A
 * service that reads an entry while running applies it from the next event it processes, as
 * long as that event's time is past createdAt (which it is for a live feed).
 */
export const MAX_LIST_ENTRIES = 100_000;

/** Reason codes of the lists; the allow codes have no weight, they say which signal was dropped and why. */
export const LISTED_BLOCK_CODES: Readonly<Record<ListTarget, string>> = {
  device: 'listed_block_device', ip: 'listed_block_ip', prefix: 'listed_block_prefix', asn: 'listed_block_asn',
};
export const ALLOW_LISTED_EXIT = 'allow_listed_exit';
export const ALLOW_LISTED_DEVICE = 'allow_listed_device';
export const ALLOW_CODES: ReadonlySet<string> = new Set([ALLOW_LISTED_EXIT, ALLOW_LISTED_DEVICE]);

/** What the lists say of one successful login at its time; null fields: no entry applied. */
export interface LoginListing {
  /** block entries that apply, at most one per target, in the order device, ip, prefix, asn */
  blocked: ListEntry[];
  /** an allow-listed exit (ip, prefix or asn): not new, foreign or anonymising for any account */
  exit: ListEntry | null;
  /** the account's allow-listed device: not new for this account */
  device: ListEntry | null;
}

type Index<K> = Map<K, ListEntry[]>;

export class ListBook {
  private readonly byId = new Map<string, ListEntry>();
  private readonly lists = { block: emptyIndexes(), allow: emptyIndexes() };
  /** account + device of allow-listed devices */
  private readonly accountDevices: Index<string> = new Map();
  /** block-listed devices by hash32 of the deviceId: what a session record keeps of its login's device */
  private readonly deviceHashes: Index<string> = new Map();

  constructor(entries: Iterable<ListEntry> = []) {
    for (const e of entries) this.put(e);
  }

  get size(): number {
    return this.byId.size;
  }

  entries(): IterableIterator<ListEntry> {
    return this.byId.values();
  }

  /** Adds or replaces an entry (by entryId); false when the book is full and the entry is new. */
  put(e: ListEntry): boolean {
    if (!this.byId.has(e.entryId) && this.byId.size >= MAX_LIST_ENTRIES) return false;
    this.remove(e.entryId);
    this.byId.set(e.entryId, e);
    for (const [index, key] of this.keys(e)) add(index, key, e);
    return true;
  }

  /** Forgets an entry (a tombstone on the topic); an entry withdrawn in event time carries removedAt instead. */
  remove(entryId: string): void {
    const e = this.byId.get(entryId);
    if (!e) return;
    this.byId.delete(entryId);
    for (const [index, key] of this.keys(e)) drop(index, key, e);
  }

  /** The entries that apply to a successful login at its event time. */
  judgeLogin(ev: Pick<LoginEvent, 'accountId' | 'ts' | 'ip' | 'asn' | 'deviceId'>): LoginListing | null {
    if (this.byId.size === 0) return null;
    const ts = ev.ts;
    const b = this.lists.block, a = this.lists.allow;
    // every login passes here: the address is parsed once, and only when an address is listed
    const ip = b.ips.size || b.prefixes.size || a.ips.size || a.prefixes.size ? addressOf(ev.ip) : null;
    const key = ip ? addressKey(ip) : '';
    const asn = ev.asn ? String(ev.asn) : '';
    const byDevice = ev.deviceId && b.devices.size ? active(b.devices.get(ev.deviceId), ts) : null;
    const byIp = ip && b.ips.size ? active(b.ips.get(key), ts) : null;
    const byPrefix = ip && b.prefixes.size ? inPrefixes(b.prefixes, ip, ts) : null;
    const byAsn = asn && b.asns.size ? active(b.asns.get(asn), ts) : null;
    const exit = (ip && ((a.ips.size ? active(a.ips.get(key), ts) : null) ?? (a.prefixes.size ? inPrefixes(a.prefixes, ip, ts) : null)))
      || (asn && a.asns.size ? active(a.asns.get(asn), ts) : null);
    const device = ev.deviceId && this.accountDevices.size ? active(this.accountDevices.get(`${ev.accountId}\u0000${ev.deviceId}`), ts) : null;
    if (!byDevice && !byIp && !byPrefix && !byAsn && !exit && !device) return null;
    const blocked = [byDevice, byIp, byPrefix, byAsn].filter((e): e is ListEntry => e !== null);
    return { blocked, exit, device };
  }

  /**
   * The block entry of the device a session logged in from (its hash), in force at `ts`: an order
   * in a session opened before the device was listed still counts once it is.
   */
  blockedSessionDevice(deviceHash: number, ts: number): ListEntry | null {
    return this.deviceHashes.size && deviceHash !== 0 ? active(this.deviceHashes.get(String(deviceHash)), ts) : null;
  }

  private keys(e: ListEntry): [Index<string>, string][] {
    const x = this.lists[e.list];
    switch (e.target) {
      case 'device':
        return e.list === 'allow' ? [[this.accountDevices, `${e.accountId ?? ''}\u0000${e.value}`]] : [[x.devices, e.value], [this.deviceHashes, String(hash32(e.value))]];
      case 'asn':
        return [[x.asns, e.value]];
      case 'ip': {
        const ip = addressOf(e.value);
        return ip ? [[x.ips, addressKey(ip)]] : [];
      }
      case 'prefix': {
        const p = parsePrefix(e.value);
        if (!p) return [];
        const key = `${p.family}/${p.length}`;
        const byBits = x.prefixes.get(key) ?? new Map<string, ListEntry[]>();
        x.prefixes.set(key, byBits);
        return [[byBits, prefixKey(p.family === 4 ? { family: 4, v4: Number(p.bits), bits: 0n } : { family: 6, v4: 0, bits: p.bits }, p.length)]];
      }
    }
  }
}

interface Indexes {
  devices: Index<string>;
  ips: Index<string>;
  asns: Index<string>;
  /** by `family/length`, then by the masked bits (hex): one lookup per prefix length in use */
  prefixes: Map<string, Index<string>>;
}

function emptyIndexes(): Indexes {
  return { devices: new Map(), ips: new Map(), asns: new Map(), prefixes: new Map() };
}

/** An address as the book compares it: IPv4 as a plain number (no BigInt on the hot path), IPv6 as 128 bits. */
interface Address {
  family: 4 | 6;
  v4: number;
  bits: bigint;
}

function addressOf(text: string): Address | null {
  const v4 = dottedQuad(text);
  if (v4 >= 0) return { family: 4, v4, bits: 0n };
  const ip = ipBits(text);
  return ip ? { family: ip.family, v4: ip.family === 4 ? Number(ip.bits) : 0, bits: ip.bits } : null;
}

function addressKey(ip: Address): string {
  return ip.family === 4 ? String(ip.v4) : `6:${ip.bits.toString(16)}`;
}

/** The address's leading `length` bits, as a key of the prefixes of that length. */
function prefixKey(ip: Address, length: number): string {
  return ip.family === 4 ? String(length === 0 ? 0 : Math.floor(ip.v4 / 2 ** (32 - length))) : maskBits(ip, length).toString(16);
}

/** `a.b.c.d` as a number, or -1 for anything else (then the full parser decides). */
function dottedQuad(s: string): number {
  let n = 0, part = 0, digits = 0, dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 && part <= 255 ? n * 256 + part : -1;
}

/** Kept ordered by createdAt then entryId: of several entries that apply, the oldest is named, whatever order they were read in. */
function add(index: Index<string>, key: string, e: ListEntry): void {
  const list = index.get(key) ?? [];
  list.push(e);
  list.sort((x, y) => x.createdAt - y.createdAt || (x.entryId < y.entryId ? -1 : x.entryId > y.entryId ? 1 : 0));
  index.set(key, list);
}

function drop(index: Index<string>, key: string, e: ListEntry): void {
  const list = index.get(key)?.filter((x) => x !== e) ?? [];
  if (list.length) index.set(key, list);
  else index.delete(key);
}

function active(list: ListEntry[] | undefined, ts: number): ListEntry | null {
  if (!list) return null;
  for (const e of list) if (appliesAt(e, ts)) return e;
  return null;
}

function inPrefixes(prefixes: Map<string, Index<string>>, ip: Address, ts: number): ListEntry | null {
  let best: ListEntry | null = null;
  for (const [key, byBits] of prefixes) {
    if (byBits.size === 0 || key.charCodeAt(0) !== (ip.family === 4 ? 52 : 54)) continue;
    const e = active(byBits.get(prefixKey(ip, Number(key.slice(2)))), ts);
    if (e && (!best || e.createdAt < best.createdAt || (e.createdAt === best.createdAt && e.entryId < best.entryId))) best = e;
  }
  return best;
}

/** Whether the entry is in force at event time `ts`. */
export function appliesAt(e: ListEntry, ts: number): boolean {
  return ts >= e.createdAt && ts < e.expiresAt && (e.removedAt == null || ts < e.removedAt);
}

/** "by analyst1, until 2026-06-01: <reason>": what a finding says of the entry behind a signal. */
export function describeEntry(e: ListEntry): string {
  return `entry ${e.entryId} by ${e.author}, until ${new Date(e.expiresAt).toISOString().slice(0, 10)}: "${e.reason}"`;
}
