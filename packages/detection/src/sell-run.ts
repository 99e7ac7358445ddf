import type { OrderEvent } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import { hash32 } from './ids.js';

/**
 * A run of sell orders: the rolling window, or one session's sells. When no login gave a
 * takeover away, the run is what opens the incident, so it carries everything the liquidation
 * reason states (orders, symbols, market orders, evidence) and the reason never claims a sale
 * of "0 symbols".
 */
export class SellRun {
  start = 0;
  jpy = 0;
  orders = 0;
  marketOrders = 0;
  symbols: string[] = [];
  evidence: string[] = [];

  constructor(readonly key = 0) {}

  add(ts: number, symbol: string, valueJpy: number, market: boolean, eventId: string): void {
    if (this.orders === 0) this.start = ts;
    this.jpy += valueJpy;
    this.orders++;
    if (market) this.marketOrders++;
    if (!this.symbols.includes(symbol) && this.symbols.length < 32) this.symbols.push(symbol);
    if (this.evidence.length < 16) this.evidence.push(eventId);
  }
}

/** The two runs of sells an account keeps (AccountState): the rolling window and the latest selling session's. */
export interface SellRuns {
  sellWindow: SellRun | null;
  sessionSells: SellRun | null;
}

/** A new sell order, in both runs: a window past liquidationWindowMs, or another session, starts a new one. */
export function recordSell(st: SellRuns, ev: OrderEvent, valueJpy: number, cfg: DetectionConfig): void {
  if (!st.sellWindow || ev.ts - st.sellWindow.start > cfg.liquidationWindowMs) st.sellWindow = new SellRun();
  const market = ev.orderType === 'market';
  st.sellWindow.add(ev.ts, ev.symbol, valueJpy, market, ev.eventId);
  const key = ev.sessionId ? hash32(ev.sessionId) : 0;
  if (!st.sessionSells || st.sessionSells.key !== key) st.sessionSells = new SellRun(key);
  st.sessionSells.add(ev.ts, ev.symbol, valueJpy, market, ev.eventId);
}

/** The larger of the rolling window's sells and this order's own session's, if any. */
export function saleRun(st: SellRuns, ev: OrderEvent, cfg: DetectionConfig): SellRun | null {
  const rolling = st.sellWindow && ev.ts - st.sellWindow.start <= cfg.liquidationWindowMs ? st.sellWindow : null;
  const session = ev.sessionId && st.sessionSells && st.sessionSells.key !== 0 && hash32(ev.sessionId) === st.sessionSells.key ? st.sessionSells : null;
  return (session?.jpy ?? 0) > (rolling?.jpy ?? 0) ? session : rolling;
}

/** The sells (rolling window, or this order's own session) that liquidated the account, if any did. */
export function liquidationRun(st: SellRuns, ev: OrderEvent, holdingsJpy: number, cfg: DetectionConfig): SellRun | null {
  if (holdingsJpy <= 0) return null;
  const run = saleRun(st, ev, cfg);
  return run && run.jpy / holdingsJpy >= cfg.liquidationMinRatio ? run : null;
}

/**
 * A buy that spends a real part of what the account had just sold: the scheme's two steps,
 * however little was sold (a partial sell-off), for the symbol stage to link by exit.
 */
export function fundedBySale(st: SellRuns, ev: OrderEvent, valueJpy: number, cfg: DetectionConfig): boolean {
  const run = saleRun(st, ev, cfg);
  return run !== null && run.jpy > 0 && valueJpy >= cfg.weights.incident.schemeMinBuyOfSold * run.jpy;
}
