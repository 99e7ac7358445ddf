import type { Calendar } from './calendar.js';
import { roundPrice, type SimInstrument } from './instruments.js';
import type { Rng } from './rng.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** Japan Standard Time, the brokerage's clock: customers live by it */
export const JST = 9 * HOUR;

/** Continuous trading sessions in minutes after JST midnight (days are JST calendar days). */
const SESSIONS: Record<string, [number, number][]> = {
  XTKS: [[540, 690], [750, 930]], // 09:00-11:30, 12:30-15:30
  XHKG: [[630, 780], [840, 1020]], // 10:30-13:00, 14:00-17:00
  XNAS: [[0, 300], [1350, 1440]], // 22:30-05:00 (US daylight time)
};

/** A price excursion: the pump of a campaign, or a news-driven rush. */
export interface PriceShock {
  symbol: string;
  start: number;
  /** peak multiple, e.g. 1.35 */
  peak: number;
  riseMs: number;
  holdMs: number;
  decayMs: number;
  /** multiple left after the decay, e.g. 1.03 */
  residual: number;
}

/**
 * Prices and trading hours. Each instrument walks a little from day to day; shocks lift a
 * symbol for minutes and let it fall back within the hour, as the 2025 pumps did.
 */
export class Market {
  private readonly daily = new Map<string, number[]>();
  private readonly shocks = new Map<string, PriceShock[]>();
  readonly bySymbol = new Map<string, SimInstrument>();

  /**
   * Without a calendar, the classic world: every weekday trades, in fixed JST hours. With one,
   * each exchange keeps its own holidays and (US) daylight-saving hours.
   */
  constructor(readonly instruments: SimInstrument[], readonly start: number, readonly days: number, rng: Rng, readonly calendar?: Calendar) {
    for (const i of instruments) {
      this.bySymbol.set(i.symbol, i);
      const sd = i.tier === 'small' ? 0.03 : i.tier === 'mid' ? 0.018 : 0.012;
      const path = [1];
      for (let d = 1; d <= days + 1; d++) path.push(path[d - 1] * Math.exp(rng.normal(0, sd)));
      this.daily.set(i.symbol, path);
    }
  }

  addShock(s: PriceShock): void {
    const list = this.shocks.get(s.symbol) ?? [];
    list.push(s);
    this.shocks.set(s.symbol, list);
  }

  shocksOf(symbol: string): readonly PriceShock[] {
    return this.shocks.get(symbol) ?? [];
  }

  /** Day index (0-based, JST calendar) of an instant. */
  dayOf(ts: number): number {
    return Math.floor((ts - this.start) / DAY);
  }

  /** Whether `market` (default: home) trades on JST day `day`; the classic world knows only weekdays. */
  isTradingDay(day: number, market?: string): boolean {
    if (this.calendar) return this.calendar.isTradingDay(day, market);
    const dow = new Date(this.start + day * DAY + JST).getUTCDay();
    return dow !== 0 && dow !== 6;
  }

  /** Whether `ts` falls in a continuous session of the instrument's market on a trading day. */
  isOpen(symbol: string, ts: number): boolean {
    const market = this.bySymbol.get(symbol)?.market ?? 'XTKS';
    const day = this.dayOf(ts);
    if (this.calendar) return this.calendar.sessions(market, day).some(([a, b]) => ts >= a && ts < b);
    if (!this.isTradingDay(day)) return false;
    const minute = Math.floor((ts - this.start - day * DAY) / MIN);
    return (SESSIONS[market] ?? SESSIONS.XTKS).some(([a, b]) => minute >= a && minute < b);
  }

  /** A random instant within a session of `market` on `day`, or null on a holiday. */
  sessionTime(rng: Rng, market: string, day: number): number | null {
    if (this.calendar) {
      const windows = this.calendar.sessions(market, day);
      if (!windows.length) return null;
      const [a, b] = rng.weighted(windows.map((s) => [s, s[1] - s[0]] as const));
      return rng.int(a, b - 1);
    }
    if (!this.isTradingDay(day)) return null;
    const sessions = SESSIONS[market] ?? SESSIONS.XTKS;
    const [a, b] = rng.weighted(sessions.map((s) => [s, s[1] - s[0]] as const));
    return this.start + day * DAY + rng.int(a * MIN, b * MIN - 1);
  }

  /** Session windows of `market` on `day` as UTC instants. */
  sessions(market: string, day: number): [number, number][] {
    if (this.calendar) return this.calendar.sessions(market, day);
    const base = this.start + day * DAY;
    return (SESSIONS[market] ?? SESSIONS.XTKS).map(([a, b]) => [base + a * MIN, base + b * MIN]);
  }

  /** The traded price at `ts`, before the tick rounding of an actual fill. */
  rawPrice(symbol: string, ts: number): number {
    const i = this.bySymbol.get(symbol)!;
    const path = this.daily.get(symbol)!;
    const d = Math.min(path.length - 1, Math.max(0, this.dayOf(ts)));
    let p = i.prevClose * path[d];
    for (const s of this.shocks.get(symbol) ?? []) p *= shockMultiple(s, ts);
    return p;
  }

  /** A fill price near the market at `ts`, with the spread a thin book has. */
  fillPrice(rng: Rng, symbol: string, ts: number, side: 'buy' | 'sell'): number {
    const i = this.bySymbol.get(symbol)!;
    const spread = i.tier === 'small' ? 0.006 : 0.001;
    const p = this.rawPrice(symbol, ts) * (1 + (side === 'buy' ? 1 : -1) * rng.between(0, spread));
    return roundPrice(p, i.tick);
  }

  round(symbol: string, price: number): number {
    return roundPrice(price, this.bySymbol.get(symbol)!.tick);
  }
}

export function shockMultiple(s: PriceShock, ts: number): number {
  const t = ts - s.start;
  if (t <= 0) return 1;
  const lift = s.peak - 1;
  if (t < s.riseMs) return 1 + lift * (t / s.riseMs);
  if (t < s.riseMs + s.holdMs) return s.peak;
  const rest = s.residual - 1;
  if (t < s.riseMs + s.holdMs + s.decayMs) {
    const f = (t - s.riseMs - s.holdMs) / s.decayMs;
    return 1 + lift + (rest - lift) * f;
  }
  return s.residual;
}

/** The first instant at or after `ts` when `symbol` trades, looking at most a week ahead. */
export function nextOpen(m: Market, symbol: string, ts: number): number | null {
  if (m.isOpen(symbol, ts)) return ts;
  const market = m.bySymbol.get(symbol)?.market ?? 'XTKS';
  const first = m.dayOf(ts);
  for (let d = first; d < first + 8; d++) {
    if (!m.isTradingDay(d, m.calendar ? market : undefined)) continue;
    for (const [a] of m.sessions(market, d)) if (a >= ts) return a;
  }
  return null;
}
