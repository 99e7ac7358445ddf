/**
 * Exchange calendars for the simulator's families: each exchange trades on its own local dates,
 * in its own hours, closed on its own holidays, and US hours move with daylight saving. The
 * brokerage's day is the JST calendar day, so one JST day can hold the tail of yesterday's
 * New York session and the start of today's.
 */
import { DAY, HOUR, MIN } from './market.js';

export interface Calendar {
  /** whether `market` (default: the home exchange) trades during JST day `day` */
  isTradingDay(day: number, market?: string): boolean;
  /** continuous-trading windows of `market` inside JST day `day`, as UTC instants, in order */
  sessions(market: string, day: number): [number, number][];
}

interface ExchangeHours {
  /** which exchange's hours and holidays (markets without their own fall back to another) */
  holidays: Set<string>;
  /** local session windows, minutes after local midnight */
  windows: [number, number][];
  /** UTC offset in ms for a local date (UTC midnight of that date) */
  offset: (localMidnightUtc: number) => number;
}

const ymd = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Second Sunday of March to first Sunday of November, 02:00 local: the US rule since 2007. */
export function usDaylight(localMidnightUtc: number): boolean {
  const d = new Date(localMidnightUtc);
  const y = d.getUTCFullYear();
  const nthSunday = (month: number, n: number) => {
    const first = new Date(Date.UTC(y, month, 1)).getUTCDay();
    return Date.UTC(y, month, 1 + ((7 - first) % 7) + 7 * (n - 1));
  };
  return localMidnightUtc >= nthSunday(2, 2) && localMidnightUtc < nthSunday(10, 1);
}

// Published exchange holidays (weekdays only) for the windows the families draw from.
const JPX = ['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-13', '2025-02-11', '2025-02-24', '2025-03-20', '2025-04-29', '2025-05-05', '2025-05-06',
  '2025-07-21', '2025-08-11', '2025-09-15', '2025-09-23', '2025-10-13', '2025-11-03', '2025-11-24', '2025-12-31', '2026-01-01', '2026-01-02', '2026-01-12'];
const US = ['2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27',
  '2025-12-25', '2026-01-01', '2026-01-19'];
const HKEX = ['2025-01-01', '2025-01-29', '2025-01-30', '2025-01-31', '2025-04-04', '2025-04-18', '2025-04-21', '2025-05-01', '2025-05-05', '2025-05-30',
  '2025-07-01', '2025-10-01', '2025-10-07', '2025-10-29', '2025-12-25', '2025-12-26', '2026-01-01'];

const EXCHANGES: Record<string, ExchangeHours> = {
  XTKS: { holidays: new Set(JPX), windows: [[540, 690], [750, 930]], offset: () => 9 * HOUR },
  XHKG: { holidays: new Set(HKEX), windows: [[570, 720], [780, 960]], offset: () => 8 * HOUR },
  XNAS: { holidays: new Set(US), windows: [[570, 960]], offset: (t) => (usDaylight(t) ? -4 : -5) * HOUR },
};
EXCHANGES.OTCM = EXCHANGES.XNAS;

/** Real exchange hours and holidays, seen from Tokyo, starting at JST midnight `start`. */
export class ExchangeCalendar implements Calendar {
  private readonly cache = new Map<string, [number, number][]>();

  constructor(private readonly start: number, private readonly home = 'XTKS') {}

  isTradingDay(day: number, market = this.home): boolean {
    return this.sessions(market, day).length > 0;
  }

  /** whether the exchange is open on its own local date (weekday, not a holiday) */
  private opensOn(x: ExchangeHours, localMidnightUtc: number): boolean {
    const dow = new Date(localMidnightUtc).getUTCDay();
    return dow !== 0 && dow !== 6 && !x.holidays.has(ymd(localMidnightUtc));
  }

  sessions(market: string, day: number): [number, number][] {
    const key = `${market}:${day}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const x = EXCHANGES[market] ?? EXCHANGES[this.home];
    const from = this.start + day * DAY;
    const to = from + DAY;
    const out: [number, number][] = [];
    // the JST date of this day written as a UTC midnight; the exchange's local dates around it
    const jstDate = from + 9 * HOUR;
    for (const local of [jstDate - DAY, jstDate, jstDate + DAY]) {
      if (!this.opensOn(x, local)) continue;
      const off = x.offset(local);
      for (const [a, b] of x.windows) {
        const s = Math.max(from, local - off + a * MIN);
        const e = Math.min(to, local - off + b * MIN);
        if (e > s) out.push([s, e]);
      }
    }
    out.sort((p, q) => p[0] - q[0]);
    this.cache.set(key, out);
    return out;
  }

  /** local-date holiday lists, for labels: which JST days the home exchange is shut on a weekday */
  homeHolidays(days: number): number[] {
    const out: number[] = [];
    for (let d = 0; d < days; d++) {
      const dow = new Date(this.start + d * DAY + 9 * HOUR).getUTCDay();
      if (dow !== 0 && dow !== 6 && !this.isTradingDay(d)) out.push(d);
    }
    return out;
  }
}
