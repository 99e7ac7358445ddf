import { median } from 'simple-statistics';
import type { LoginEvent } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import { hash32 } from './ids.js';

/** What a login came from, reduced to compact keys. */
export interface Origin {
  device: number;
  /** /24 of IPv4 or /48 of IPv6 */
  network: number;
  asn: number;
  country: string;
  anonymising: boolean;
}

export function originOf(login: Pick<LoginEvent, 'deviceId' | 'ip' | 'asn' | 'country' | 'ipType'>): Origin {
  return {
    device: login.deviceId ? hash32(login.deviceId) : 0,
    network: hash32(networkPrefix(login.ip)),
    asn: login.asn ?? 0,
    country: login.country ?? '',
    anonymising: login.ipType === 'hosting' || login.ipType === 'vpn' || login.ipType === 'tor',
  };
}

/**
 * The /24 of an IPv4 address or the /48 of an IPv6 one, in one spelling: `2400:4050::1` and
 * `2400:4050:0:0::9` are the same network, and a feed that compresses zeros (or writes an
 * IPv4-mapped address) must not make every login look like a new range.
 */
export function networkPrefix(ip: string): string {
  const s = ip.trim().toLowerCase();
  if (!s.includes(':')) {
    const dot = s.lastIndexOf('.');
    return dot > 0 ? s.slice(0, dot) : s;
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+)\.\d+$/.exec(s);
  if (mapped) return mapped[1];
  const [head, tail] = s.split('::', 2);
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return groups.slice(0, 3).map((g) => (g.replace(/^0+(?=.)/, '') || '0')).join(':');
}

/** A session as created by a login, so a later resume can be compared with its creator. */
export interface SessionRecord {
  key: number;
  /** the creating login's device, network and ASN keys (flat: a million accounts keep these) */
  device: number;
  network: number;
  asn: number;
  risk: number;
  /** when the session was last used: its creating login, a resume or an order (event time, ms) */
  at: number;
  /** the creating login's channel: 1 web, 2 app, 3 api, 0 unknown (see channelCode) */
  channel: number;
  /**
   * the creating login's device was new to the account: such a session's device is known only
   * because that very login taught it, so the account's history cannot vouch for what it does
   */
  novelDevice: boolean;
  /**
   * the creating login came through a fixed-line or hosting exit new to the account (not a mobile
   * carrier, whose ranges every phone changes all day): shared by several campaign buyers, it is
   * one rented exit, not a place they all know
   */
  novelExit?: boolean;
}

/** Flags in a session's channel slot: see SessionRecord.novelDevice and novelExit. */
const NOVEL_DEVICE = 8;
const NOVEL_EXIT = 16;

/** A channel as a number for the flat session log. */
export function channelCode(c: string | null | undefined): number {
  return c === 'web' ? 1 : c === 'app' ? 2 : c === 'api' ? 3 : 0;
}

/**
 * The login-hour histograms of one stage's accounts, 24 counts each, in shared slabs: a
 * Uint16Array per account costs ~200 bytes of object and buffer headers around 48 of counts.
 */
export class HourHistograms {
  private static readonly SLAB = 4096;
  private readonly slabs: Uint16Array[] = [];
  private used = 0;

  /** a fresh histogram's slot, all zero */
  allocate(): number {
    const slot = this.used++;
    if (slot / HourHistograms.SLAB >= this.slabs.length) this.slabs.push(new Uint16Array(HourHistograms.SLAB * 24));
    return slot;
  }

  count(slot: number, hour: number): void {
    const slab = this.slabs[Math.floor(slot / HourHistograms.SLAB)];
    const i = (slot % HourHistograms.SLAB) * 24 + hour;
    if (slab[i] < 65535) slab[i]++;
  }

  /** this hour's share of the slot's counts, or null while it has none */
  share(slot: number, hour: number): number | null {
    const slab = this.slabs[Math.floor(slot / HourHistograms.SLAB)];
    const from = (slot % HourHistograms.SLAB) * 24;
    let total = 0;
    for (let h = 0; h < 24; h++) total += slab[from + h];
    return total === 0 ? null : slab[from + hour] / total;
  }
}

/** numbers per session in AccountProfile's session log */
const SESSION = 7;

/** Shared by every fresh profile: lists are replaced, never changed in place (see appended). */
/** the one empty list every fresh profile starts with (a snapshot names it, see snapshot.ts) */
export const EMPTY: readonly never[] = Object.freeze([]);

/**
 * An account's own history, learned from the stream. Everything is bounded (small arrays of
 * 32-bit keys, most recent last) so a million accounts fit in memory.
 */
export class AccountProfile {
  logins = 0;
  firstSeen = 0;
  lastSeen = 0;
  devices: readonly number[] = EMPTY;
  networks: readonly number[] = EMPTY;
  asns: readonly number[] = EMPTY;
  countries: readonly string[] = EMPTY;
  usesAnonymisingNetworks = false;
  usesApi = false;
  /** this account's slot in the stage's login-hour histograms; taken on the first learned login */
  private hourSlot = -1;
  recentOrderJpy: readonly number[] = EMPTY;
  symbols: readonly number[] = EMPTY;
  /** sessions created here, flat (key, device, network, asn, risk, at, channel per session, most recent last): one array of doubles instead of an object each */
  private sessionLog: readonly number[] = EMPTY;
  failures: readonly number[] = EMPTY;
  /** devices and networks (their hashes) seen in suspicious logins that were not learned, with when (key, ts pairs, flat) */
  probation: readonly number[] = EMPTY;

  constructor(private readonly hours: HourHistograms) {}

  isEstablished(cfg: DetectionConfig): boolean {
    return this.logins >= cfg.establishedProfileLogins;
  }

  knowsDevice(d: number): boolean {
    return d !== 0 && this.devices.includes(d);
  }

  /** Learn a login judged genuine; suspicious ones are never learned, so an attacker's device stays new. */
  learnLogin(o: Origin, login: LoginEvent, cfg: DetectionConfig): void {
    this.logins++;
    if (o.device) this.devices = remembered(this.devices, o.device, cfg.maxDevicesPerAccount);
    this.networks = remembered(this.networks, o.network, cfg.maxNetworksPerAccount);
    if (o.asn) this.asns = remembered(this.asns, o.asn, cfg.maxNetworksPerAccount);
    if (o.country) this.countries = remembered(this.countries, o.country, 4);
    if (o.anonymising) this.usesAnonymisingNetworks = true;
    if (login.channel === 'api') this.usesApi = true;
    if (this.hourSlot < 0) this.hourSlot = this.hours.allocate();
    this.hours.count(this.hourSlot, homeHour(login.ts, cfg));
  }

  /** Share of learned logins at this home-market hour, or null while there is too little history. */
  hourShare(ts: number, cfg: DetectionConfig): number | null {
    if (this.hourSlot < 0 || this.logins < cfg.hourProfileMinLogins) return null;
    return this.hours.share(this.hourSlot, homeHour(ts, cfg));
  }

  touch(ts: number): void {
    if (this.firstSeen === 0) this.firstSeen = ts;
    if (ts > this.lastSeen) this.lastSeen = ts;
  }

  /**
   * A device the account showed in a suspicious login that led nowhere, seen again after the
   * incident window: the customer's new work PC or phone, not an attacker who would have acted
   * in the first session. Its first sighting is remembered so the return can be recognised.
   */
  onProbation(key: number, ts: number, cfg: DetectionConfig): boolean {
    const p = this.probation;
    for (let k = 0; k < p.length; k += 2) if (p[k] === key) return ts - p[k + 1] >= cfg.incidentWindowMs;
    return false;
  }

  putOnProbation(key: number, ts: number): void {
    const p = this.probation;
    for (let k = 0; k < p.length; k += 2) if (p[k] === key) return;
    const kept = p.length >= 8 ? p.slice(2) : p;
    this.probation = [...kept, key, ts];
  }

  noteFailure(ts: number, cfg: DetectionConfig): void {
    this.failures = this.failures.filter((t) => ts - t <= cfg.failureWindowMs);
    this.failures = appended(this.failures, ts, 16);
  }

  recentFailures(ts: number, cfg: DetectionConfig): number {
    let n = 0;
    for (const t of this.failures) if (ts - t <= cfg.failureWindowMs && t <= ts) n++;
    return n;
  }

  rememberSession(s: SessionRecord, cfg: DetectionConfig): void {
    const log = this.sessionLog;
    const i = this.sessionAt(s.key);
    const keep = Math.min(cfg.maxSessionsPerAccount - 1, log.length / SESSION - (i >= 0 ? 1 : 0));
    const out = new Array<number>((keep + 1) * SESSION);
    let n = 0;
    // the newest `keep` of the others, oldest first, then this one
    for (let k = log.length - SESSION; k >= 0 && n < keep * SESSION; k -= SESSION) {
      if (k === i) continue;
      n += SESSION;
      for (let f = 0; f < SESSION; f++) out[keep * SESSION - n + f] = log[k + f];
    }
    const last = keep * SESSION;
    out[last] = s.key;
    out[last + 1] = s.device;
    out[last + 2] = s.network;
    out[last + 3] = s.asn;
    out[last + 4] = s.risk;
    out[last + 5] = s.at;
    // the novelty rides in the channel slot: the log keeps its stride, and older snapshots read as not novel
    out[last + 6] = s.channel | (s.novelDevice ? NOVEL_DEVICE : 0) | (s.novelExit ? NOVEL_EXIT : 0);
    this.sessionLog = out;
  }

  /** The session was used at `ts` (a resume, an order): it is not idle from then on. */
  touchSession(key: number, ts: number): void {
    const k = this.sessionAt(key);
    // a minute's precision is plenty for a day's idling, and spares a copy per order of a burst
    if (k < 0 || ts - this.sessionLog[k + 5] < 60_000) return;
    // lists are replaced, never changed in place: a fresh profile shares EMPTY, a snapshot its arrays
    const log = [...this.sessionLog];
    log[k + 5] = ts;
    this.sessionLog = log;
  }

  session(sessionId: string | null | undefined): SessionRecord | undefined {
    if (!sessionId) return undefined;
    return this.sessionByKey(hash32(sessionId));
  }

  /** The session whose hashed id is `key` (sell-run.ts keeps runs by it), if still remembered. */
  sessionByKey(key: number): SessionRecord | undefined {
    return this.sessionRecord(this.sessionAt(key));
  }

  latestSession(): SessionRecord | undefined {
    return this.sessionRecord(this.sessionLog.length - SESSION);
  }

  private sessionAt(key: number): number {
    for (let k = 0; k < this.sessionLog.length; k += SESSION) if (this.sessionLog[k] === key) return k;
    return -1;
  }

  private sessionRecord(k: number): SessionRecord | undefined {
    const l = this.sessionLog;
    return k < 0 ? undefined : { key: l[k], device: l[k + 1], network: l[k + 2], asn: l[k + 3], risk: l[k + 4], at: l[k + 5], channel: l[k + 6] & ~(NOVEL_DEVICE | NOVEL_EXIT), novelDevice: (l[k + 6] & NOVEL_DEVICE) !== 0, novelExit: (l[k + 6] & NOVEL_EXIT) !== 0 };
  }

  learnOrderValue(jpy: number): void {
    this.recentOrderJpy = appended(this.recentOrderJpy, jpy, 8);
  }

  /** Median of the account's recent genuine order values, or null without history. */
  typicalOrderJpy(): number | null {
    return this.recentOrderJpy.length >= 2 ? median(this.recentOrderJpy) : null;
  }

  knowsSymbol(symbol: string): boolean {
    return this.symbols.includes(hash32(symbol));
  }

  learnSymbol(symbol: string): void {
    this.symbols = remembered(this.symbols, hash32(symbol), 16);
  }
}

// A million accounts keep these lists: arrays grown by push() reserve room for ~17 elements, so
// every update builds an exactly-sized copy instead (the lists hold at most 16).

/** `list` with `v` as most recent, at most `max` long, most recent last. */
function remembered<T>(list: readonly T[], v: T, max: number): readonly T[] {
  const i = list.indexOf(v);
  if (i === list.length - 1 && i >= 0) return list;
  const kept = i >= 0 ? list.filter((_, k) => k !== i) : list;
  return appended(kept, v, max);
}

/** `list` plus `v`, dropping the oldest beyond `max`. */
function appended<T>(list: readonly T[], v: T, max: number): T[] {
  const from = list.length + 1 > max ? list.length + 1 - max : 0;
  const out = new Array<T>(list.length + 1 - from);
  for (let k = from; k < list.length; k++) out[k - from] = list[k];
  out[out.length - 1] = v;
  return out;
}

export function homeHour(ts: number, cfg: DetectionConfig): number {
  return Math.floor(((ts + cfg.homeUtcOffsetMinutes * 60_000) % 86_400_000) / 3_600_000);
}

/** The home-market calendar day of an event time, as yyyy-mm-dd. */
export function homeDay(ts: number, cfg: DetectionConfig): string {
  return new Date(ts + cfg.homeUtcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}
