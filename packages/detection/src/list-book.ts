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
    const ip = b.ips.size || b.prefixes.size || a.ips.size || a.prefixes.size ? ipBits(ev.ip) : null;
    const blocked: ListEntry[] = [];
    const push = (e: ListEntry | null) => { if (e) blocked.push(e); };
    if (ev.deviceId) push(active(b.devices.get(ev.deviceId), ts));
    if (ip) push(active(b.ips.get(ipKey(ip)), ts));
    if (ip) push(inPrefixes(b.prefixes, ip, ts));
    if (ev.asn) push(active(b.asns.get(String(ev.asn)), ts));
    const exit = (ip && (active(a.ips.get(ipKey(ip)), ts) ?? inPrefixes(a.prefixes, ip, ts))) || (ev.asn ? active(a.asns.get(String(ev.asn)), ts) : null);
    const device = ev.deviceId ? active(this.accountDevices.get(`${ev.accountId}\u0000${ev.deviceId}`), ts) : null;
    return blocked.length || exit || device ? { blocked, exit, device } : null;
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
        const ip = ipBits(e.value);
        return ip ? [[x.ips, ipKey(ip)]] : [];
      }
      case 'prefix': {
        const p = parsePrefix(e.value);
        if (!p) return [];
        const key = `${p.family}/${p.length}`;
        const byBits = x.prefixes.get(key) ?? new Map<string, ListEntry[]>();
        x.prefixes.set(key, byBits);
        return [[byBits, p.bits.toString(16)]];
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

function ipKey(ip: { family: number; bits: bigint }): string {
  return `${ip.family}:${ip.bits.toString(16)}`;
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

function inPrefixes(prefixes: Map<string, Index<string>>, ip: { family: 4 | 6; bits: bigint }, ts: number): ListEntry | null {
  let best: ListEntry | null = null;
  for (const [key, byBits] of prefixes) {
    const [family, length] = key.split('/').map(Number);
    if (family !== ip.family) continue;
    const e = active(byBits.get(maskBits(ip, length).toString(16)), ts);
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
