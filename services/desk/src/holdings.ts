/**
 * An account's holdings before and after an incident, for the alert view: the snapshot's
 * positions (kanshi.accounts, as the detector knew the account) are "before"; each fill in the
 * timeline from the incident's first evidence event on moves them (a buy adds, a sell takes
 * away) to "after". Valued at the account's own fill prices of the symbol (the last one before
 * the incident for before, the last one of all for after), since the desk has no market data:
 * a symbol never filled has its quantities and no value. Pure: data in, Html out.
 */
import type { AccountSnapshot, InputEvent, OrderEvent } from '@kanshi/contract';
import { ticks, W } from './campaign-chart.js';
import { html, type Html } from './html.js';

export interface Holding {
  symbol: string;
  before: number;
  after: number;
  /** the fill price each side is valued at; null when the account never filled the symbol */
  priceBefore: number | null;
  priceAfter: number | null;
}

const MAX_SYMBOLS = 20;
const worth = (q: number, p: number | null): number | null => (p === null ? null : q * p);
type Fill = OrderEvent & { type: 'order'; fillQuantity: number; fillPrice: number };
const isFill = (e: InputEvent): e is Fill => e.type === 'order' && typeof e.fillQuantity === 'number' && e.fillQuantity > 0 && typeof e.fillPrice === 'number' && Number.isFinite(e.fillPrice);

/** Per symbol, quantities before and after `incidentAt`; the symbols that moved most first, at most 20. */
export function holdingsAround(snapshot: AccountSnapshot, timeline: readonly InputEvent[], incidentAt: number): Holding[] {
  const rows = new Map<string, Holding>();
  const row = (symbol: string) => {
    const h = rows.get(symbol) ?? { symbol, before: 0, after: 0, priceBefore: null, priceAfter: null };
    rows.set(symbol, h);
    return h;
  };
  for (const p of snapshot.positions) {
    const h = row(p.symbol);
    h.before += p.quantity;
    h.after += p.quantity;
  }
  const fills = timeline.filter(isFill).sort((a, b) => a.ts - b.ts);
  for (const f of fills) {
    const h = row(f.symbol);
    if (f.ts < incidentAt) h.priceBefore = f.fillPrice;
    else h.after += f.side === 'buy' ? f.fillQuantity : -f.fillQuantity;
    h.priceAfter = f.fillPrice;
  }
  for (const h of rows.values()) {
    h.after = Math.max(0, h.after);
    h.priceBefore ??= h.priceAfter;
  }
  const value = (q: number, p: number | null) => worth(q, p) ?? 0;
  return [...rows.values()].filter((h) => h.before !== 0 || h.after !== 0)
    .sort((a, b) => Math.abs(value(b.after, b.priceAfter) - value(b.before, b.priceBefore)) - Math.abs(value(a.after, a.priceAfter) - value(a.before, a.priceBefore)) || a.symbol.localeCompare(b.symbol))
    .slice(0, MAX_SYMBOLS);
}

const yen = (v: number | null) => (v === null ? '—' : `¥${Math.round(v).toLocaleString('en-US')}`);
const COLOR = { before: '#7d8a99', after: '#b00020' };

/** Bars per symbol, before (grey) beside after (red), by value; a symbol with no price has no bars. */
export function holdingsChart(holdings: readonly Holding[], chartId: string): Html {
  const left = 150;
  const right = 24;
  const row = 40;
  const top = 28;
  const h = top + holdings.length * row + 28;
  const max = Math.max(1, ...holdings.flatMap((x) => [worth(x.before, x.priceBefore) ?? 0, worth(x.after, x.priceAfter) ?? 0]));
  const x = (v: number) => left + (v / max) * (W - left - right);
  const bar = (v: number | null, y: number, side: 'before' | 'after', symbol: string) => (v === null ? '' : html`<rect class="${`bar bar-${side}`}" x="${left}" y="${y}" width="${Math.max(1, x(v) - left).toFixed(1)}" height="14" fill="${COLOR[side]}"><title>${symbol} ${side}: ${yen(v)}</title></rect>`);
  return html`<svg class="chart" role="img" aria-labelledby="${`${chartId}-title`}" viewBox="${`0 0 ${W} ${h}`}" width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg">
<title id="${`${chartId}-title`}">Holdings by value per symbol, before and after the incident</title>
<rect x="${left}" y="6" width="12" height="12" fill="${COLOR.before}"/><text x="${left + 18}" y="16" font-size="12">before</text>
<rect x="${left + 80}" y="6" width="12" height="12" fill="${COLOR.after}"/><text x="${left + 98}" y="16" font-size="12">after</text>
${ticks(0, max, 5).map((t) => html`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top}" y2="${h - 22}" stroke="#e3e6ea"/><text x="${x(t).toFixed(1)}" y="${h - 8}" text-anchor="middle" font-size="11">${yen(t)}</text>`)}
${holdings.map((s, i) => {
  const y = top + i * row;
  return html`<text x="${left - 8}" y="${y + 20}" text-anchor="end" font-size="12">${s.symbol}</text>
${s.priceAfter === null ? html`<text x="${left + 8}" y="${y + 20}" font-size="11" fill="#555">no fill of it in the timeline: no value (shares in the table)</text>` : html`${bar(worth(s.before, s.priceBefore), y + 2, 'before', s.symbol)}${bar(worth(s.after, s.priceAfter), y + 18, 'after', s.symbol)}`}`;
})}
<line x1="${left}" x2="${left}" y1="${top}" y2="${h - 22}" stroke="#888"/>
</svg>`;
}

/** The chart with the same numbers as a table beside it (what a screen reader reads). */
export function holdingsPanel(snapshot: AccountSnapshot | null, timeline: readonly InputEvent[], incidentAt: number, chartId: string): Html {
  if (!snapshot) return html`<p class="muted">No snapshot of this account in the store (kanshi.accounts): no holdings to compare.</p>`;
  const holdings = holdingsAround(snapshot, timeline, incidentAt);
  if (!holdings.length) return html`<p class="muted">The snapshot lists no positions and the timeline no fills.</p>`;
  return html`<div class="holdings"><figure class="wide">${holdingsChart(holdings, chartId)}</figure>
<table class="holdings-table"><caption>Holdings before and after the incident (valued at the account's own fill prices)</caption>
<thead><tr><th>Symbol</th><th>Before (shares)</th><th>Before (value)</th><th>After (shares)</th><th>After (value)</th></tr></thead><tbody>
${holdings.map((s) => html`<tr><td>${s.symbol}</td><td>${s.before.toLocaleString('en-US')}</td><td>${yen(worth(s.before, s.priceBefore))}</td><td>${s.after.toLocaleString('en-US')}</td><td>${yen(worth(s.after, s.priceAfter))}</td></tr>`)}
</tbody></table></div>`;
}
