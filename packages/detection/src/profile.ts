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
  origin: Origin;
  risk: number;
  at: number;
}

/**
 * An account's own history, learned from the stream. Everything is bounded (small arrays of
 * 32-bit keys, most recent last) so a million accounts fit in memory.
 */
export class AccountProfile {
  logins = 0;
  firstSeen = 0;
  lastSeen = 0;
  devices: number[] = [];
  networks: number[] = [];
  asns: number[] = [];
  countries: string[] = [];
  usesAnonymisingNetworks = false;
  usesApi = false;
  /** login counts per home-market hour of day; allocated on the first learned login */
  hours: Uint16Array | null = null;
  recentOrderJpy: number[] = [];
  symbols: number[] = [];
  sessions: SessionRecord[] = [];
  failures: number[] = [];

  isEstablished(cfg: DetectionConfig): boolean {
    return this.logins >= cfg.establishedProfileLogins;
  }

  knowsDevice(d: number): boolean {
    return d !== 0 && this.devices.includes(d);
  }

  /** Learn a login judged genuine; suspicious ones are never learned, so an attacker's device stays new. */
  learnLogin(o: Origin, login: LoginEvent, cfg: DetectionConfig): void {
    this.logins++;
    if (o.device) remember(this.devices, o.device, cfg.maxDevicesPerAccount);
    remember(this.networks, o.network, cfg.maxNetworksPerAccount);
    if (o.asn) remember(this.asns, o.asn, cfg.maxNetworksPerAccount);
    if (o.country) remember(this.countries, o.country, 4);
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
    this.failures.push(ts);
    if (this.failures.length > 16) this.failures.shift();
  }

  recentFailures(ts: number, cfg: DetectionConfig): number {
    let n = 0;
    for (const t of this.failures) if (ts - t <= cfg.failureWindowMs && t <= ts) n++;
    return n;
  }

  rememberSession(s: SessionRecord, cfg: DetectionConfig): void {
    const i = this.sessions.findIndex((x) => x.key === s.key);
    if (i >= 0) this.sessions.splice(i, 1);
    this.sessions.push(s);
    if (this.sessions.length > cfg.maxSessionsPerAccount) this.sessions.shift();
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
    this.recentOrderJpy.push(jpy);
    if (this.recentOrderJpy.length > 8) this.recentOrderJpy.shift();
  }

  /** Median of the account's recent genuine order values, or null without history. */
  typicalOrderJpy(): number | null {
    return this.recentOrderJpy.length >= 2 ? median(this.recentOrderJpy) : null;
  }

  knowsSymbol(symbol: string): boolean {
    return this.symbols.includes(hash32(symbol));
  }

  learnSymbol(symbol: string): void {
    remember(this.symbols, hash32(symbol), 16);
  }
}

/** Keep `v` as most recent in a bounded most-recent-last list. */
function remember<T>(list: T[], v: T, max: number): void {
  const i = list.indexOf(v);
  if (i >= 0) list.splice(i, 1);
  list.push(v);
  if (list.length > max) list.shift();
}

export function homeHour(ts: number, cfg: DetectionConfig): number {
  return Math.floor(((ts + cfg.homeUtcOffsetMinutes * 60_000) % 86_400_000) / 3_600_000);
}

/** The home-market calendar day of an event time, as yyyy-mm-dd. */
export function homeDay(ts: number, cfg: DetectionConfig): string {
  return new Date(ts + cfg.homeUtcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}
