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
