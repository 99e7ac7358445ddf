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

export function networkPrefix(ip: string): string {
  if (ip.includes(':')) return ip.split(':').slice(0, 3).join(':');
  const dot = ip.lastIndexOf('.');
  return dot > 0 ? ip.slice(0, dot) : ip;
}

/** A session as created by a login, so a later resume can be compared with its creator. */
export interface SessionRecord {
  key: number;
  /** the creating login's device, network and ASN keys (flat: a million accounts keep these) */
  device: number;
  network: number;
  asn: number;
  risk: number;
  at: number;
}

/** Shared by every fresh profile: lists are replaced, never changed in place (see appended). */
const EMPTY: readonly never[] = Object.freeze([]);

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
  /** login counts per home-market hour of day; allocated on the first learned login */
  hours: Uint16Array | null = null;
  recentOrderJpy: readonly number[] = EMPTY;
  symbols: readonly number[] = EMPTY;
  sessions: readonly SessionRecord[] = EMPTY;
  failures: readonly number[] = EMPTY;

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
    this.hours ??= new Uint16Array(24);
    const h = homeHour(login.ts, cfg);
    if (this.hours[h] < 65535) this.hours[h]++;
  }

  /** Share of learned logins at this home-market hour, or null while there is too little history. */
  hourShare(ts: number, cfg: DetectionConfig): number | null {
    if (!this.hours || this.logins < 8) return null;
    let total = 0;
    for (const c of this.hours) total += c;
    return total === 0 ? null : this.hours[homeHour(ts, cfg)] / total;
  }

  touch(ts: number): void {
    if (this.firstSeen === 0) this.firstSeen = ts;
    if (ts > this.lastSeen) this.lastSeen = ts;
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
    const i = this.sessions.findIndex((x) => x.key === s.key);
    const kept = i >= 0 ? this.sessions.filter((_, k) => k !== i) : this.sessions;
    this.sessions = appended(kept, s, cfg.maxSessionsPerAccount);
  }

  session(sessionId: string | null | undefined): SessionRecord | undefined {
    if (!sessionId) return undefined;
    const key = hash32(sessionId);
    return this.sessions.find((s) => s.key === key);
  }

  latestSession(): SessionRecord | undefined {
    return this.sessions[this.sessions.length - 1];
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
