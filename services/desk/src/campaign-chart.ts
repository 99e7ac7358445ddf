/**
 * The campaign view's two pictures, drawn on the server as SVG (no script, no library: a few
 * lines, bars and marks; every label goes through `html`, so a value from the event stream is
 * text inside the SVG, never markup). Pure: data in, Html out.
 */
import { networkOf, type LoginEvent, type OrderEvent } from '@kanshi/contract';
import { html, utc, type Html } from './html.js';

/** the width every desk chart is drawn at (the holdings chart too) */
export const W = 1040;
const PAD = { left: 64, right: 16, top: 16 };
const PRICE_H = 220;
const VOLUME_H = 90;
const BUCKETS = 72;
const COLOR = { member: '#b00020', beneficiary: '#9a4b00', other: '#555', price: '#0b4f8a', volume: '#9db4cc' };

const filled = (o: OrderEvent): o is OrderEvent & { fillQuantity: number; fillPrice: number } =>
  typeof o.fillQuantity === 'number' && o.fillQuantity > 0 && typeof o.fillPrice === 'number' && Number.isFinite(o.fillPrice);

/** Round numbers for an axis: about `n` steps between lo and hi. */
export function ticks(lo: number, hi: number, n: number): number[] {
  const span = hi - lo || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}

export interface PriceVolume {
  svg: Html;
  /** the marked orders, for the table beside the chart */
  marked: { order: OrderEvent; role: 'member' | 'beneficiary' }[];
}

/**
 * Price (volume-weighted per bucket) and volume of every archived fill of the symbol over
 * [from, to]; the hijacked accounts' buys marked ▲, the beneficiaries' sells ▼.
 */
export function priceVolumeChart(orders: OrderEvent[], members: ReadonlySet<string>, beneficiaries: ReadonlySet<string>, from: number, to: number): PriceVolume {
  const fills = orders.filter(filled).filter((o) => o.ts >= from && o.ts <= to);
  const span = Math.max(1, to - from);
  const x = (t: number) => PAD.left + ((t - from) / span) * (W - PAD.left - PAD.right);
  const buckets = Array.from({ length: BUCKETS }, () => ({ q: 0, pq: 0 }));
  for (const o of fills) {
    const b = buckets[Math.min(BUCKETS - 1, Math.floor(((o.ts - from) / span) * BUCKETS))];
    b.q += o.fillQuantity;
    b.pq += o.fillQuantity * o.fillPrice;
  }
  const prices = fills.map((o) => o.fillPrice);
  const lo = prices.length ? Math.min(...prices) * 0.97 : 0;
  const hi = prices.length ? Math.max(...prices) * 1.03 : 1;
  const y = (p: number) => PAD.top + PRICE_H - ((p - lo) / (hi - lo || 1)) * PRICE_H;
  const maxQ = Math.max(1, ...buckets.map((b) => b.q));
  const volTop = PAD.top + PRICE_H + 28;
  const bw = (W - PAD.left - PAD.right) / BUCKETS;
  const points = buckets.map((b, i) => (b.q > 0 ? `${(PAD.left + (i + 0.5) * bw).toFixed(1)},${y(b.pq / b.q).toFixed(1)}` : null)).filter((p): p is string => p !== null);
  const marked = fills.flatMap((o): PriceVolume['marked'] => {
    if (o.side === 'buy' && members.has(o.accountId)) return [{ order: o, role: 'member' }];
    if (o.side === 'sell' && beneficiaries.has(o.accountId)) return [{ order: o, role: 'beneficiary' }];
    return [];
  });
  const mark = (m: PriceVolume['marked'][number]) => {
    const o = m.order as OrderEvent & { fillPrice: number; fillQuantity: number };
    const cx = x(o.ts);
    const cy = y(o.fillPrice);
    const d = m.role === 'member' ? `M${cx - 7},${cy + 6} L${cx + 7},${cy + 6} L${cx},${cy - 7} Z` : `M${cx - 7},${cy - 6} L${cx + 7},${cy - 6} L${cx},${cy + 7} Z`;
    return html`<path class="${`mark mark-${m.role}`}" d="${d}" fill="${COLOR[m.role]}" stroke="#fff" stroke-width="1"><title>${m.role === 'member' ? 'hijacked buy' : 'beneficiary sell'}: ${o.accountId} ${o.side} ${o.fillQuantity.toLocaleString('en-US')} at ${o.fillPrice} (${utc(o.ts)})</title></path>`;
  };
  // clock times on round minutes: the step of 5 min to 2 h that gives about eight of them
  const stepMin = [5, 10, 15, 30, 60, 120].find((m) => span / (m * 60_000) <= 10) ?? 240;
  const timeTicks: number[] = [];
  for (let t = Math.ceil(from / (stepMin * 60_000)) * stepMin * 60_000; t <= to; t += stepMin * 60_000) timeTicks.push(t);
  const h = volTop + VOLUME_H + 24;
  const svg = html`<svg class="chart" role="img" aria-labelledby="pv-title" viewBox="${`0 0 ${W} ${h}`}" width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg">
<title id="pv-title">Price and volume of the symbol, hijacked buys and beneficiary sells marked</title>
<rect x="${PAD.left}" y="${PAD.top}" width="${W - PAD.left - PAD.right}" height="${PRICE_H}" fill="#fafbfc" stroke="#bbb"/>
${ticks(lo, hi, 5).map((p) => html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(p).toFixed(1)}" y2="${y(p).toFixed(1)}" stroke="#e3e6ea"/><text x="${PAD.left - 6}" y="${(y(p) + 4).toFixed(1)}" text-anchor="end" font-size="11">${p.toLocaleString('en-US')}</text>`)}
${points.length > 1 ? html`<polyline points="${points.join(' ')}" fill="none" stroke="${COLOR.price}" stroke-width="2"/>` : ''}
${marked.map(mark)}
${buckets.map((b, i) => (b.q > 0 ? html`<rect x="${(PAD.left + i * bw + 1).toFixed(1)}" y="${(volTop + VOLUME_H - (b.q / maxQ) * VOLUME_H).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${((b.q / maxQ) * VOLUME_H).toFixed(1)}" fill="${COLOR.volume}"/>` : ''))}
<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${volTop + VOLUME_H}" y2="${volTop + VOLUME_H}" stroke="#888"/>
<text x="${PAD.left - 6}" y="${volTop + 10}" text-anchor="end" font-size="11">${maxQ.toLocaleString('en-US')}</text>
<text x="8" y="${PAD.top + 12}" font-size="11">price</text><text x="8" y="${volTop + VOLUME_H / 2}" font-size="11">volume</text>
${timeTicks.map((t) => html`<text x="${x(t).toFixed(1)}" y="${h - 6}" text-anchor="middle" font-size="11">${new Date(t).toISOString().slice(11, 16)}</text>`)}
</svg>`;
  return { svg, marked };
}

export interface SharedInfra {
  kind: 'IP prefix' | 'ASN' | 'device';
  value: string;
  accounts: string[];
}

/** What two or more of the accounts logged in from: prefix, ASN, device; most accounts first. */
export function sharedInfrastructure(logins: LoginEvent[]): SharedInfra[] {
  const seen = new Map<string, SharedInfra>();
  const add = (kind: SharedInfra['kind'], value: string, accountId: string) => {
    const key = `${kind}\u0000${value}`;
    const s = seen.get(key) ?? { kind, value, accounts: [] };
    if (!s.accounts.includes(accountId)) s.accounts.push(accountId);
    seen.set(key, s);
  };
  for (const l of logins) {
    // an address that is none is its own node: what the stream said, shown as it came
    add('IP prefix', networkOf(l.ip) ?? l.ip, l.accountId);
    if (typeof l.asn === 'number') add('ASN', `AS${l.asn}`, l.accountId);
    if (l.deviceId) add('device', l.deviceId, l.accountId);
  }
  return [...seen.values()].filter((s) => s.accounts.length >= 2).sort((a, b) => b.accounts.length - a.accounts.length || a.value.localeCompare(b.value)).slice(0, 30);
}

/** Accounts on the left, what they share on the right, a line for each use. */
export function infraGraph(accounts: string[], shared: SharedInfra[], members: ReadonlySet<string>, beneficiaries: ReadonlySet<string>): Html {
  const row = 34;
  const h = Math.max(accounts.length, shared.length) * row + 40;
  const ay = (i: number) => 30 + i * row;
  const left = 250;
  const right = 640;
  const roleOf = (a: string) => (members.has(a) ? 'member' : beneficiaries.has(a) ? 'beneficiary' : 'other');
  const fillOf = { 'IP prefix': '#dbe9f6', ASN: '#e6e0f3', device: '#f6e6d8' } as const;
  return html`<svg class="graph" role="img" aria-labelledby="ig-title" viewBox="${`0 0 ${W} ${h}`}" width="${W}" height="${h}" xmlns="http://www.w3.org/2000/svg">
<title id="ig-title">Accounts and the infrastructure two or more of them share</title>
${shared.flatMap((s, j) => s.accounts.map((a) => {
  const i = accounts.indexOf(a);
  return i < 0 ? '' : html`<line x1="${left}" y1="${ay(i)}" x2="${right}" y2="${ay(j)}" stroke="${COLOR[roleOf(a)]}" stroke-opacity="0.55" stroke-width="2"/>`;
}))}
${accounts.map((a, i) => html`<circle cx="${left}" cy="${ay(i)}" r="7" fill="${COLOR[roleOf(a)]}"/><text x="${left - 14}" y="${ay(i) + 4}" text-anchor="end" font-size="13">${a}</text>`)}
${shared.map((s, j) => html`<rect x="${right}" y="${ay(j) - 11}" width="300" height="22" rx="4" fill="${fillOf[s.kind]}" stroke="#777"/><text x="${right + 8}" y="${ay(j) + 4}" font-size="12">${s.kind}: ${s.value} (${s.accounts.length})</text>`)}
</svg>`;
}
