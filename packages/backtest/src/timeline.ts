import type { Finding } from '@kanshi/contract';

/** What one incident chart shows: a symbol's trades, the hijacked accounts' logins, the findings. */
export interface TimelineData {
  title: string;
  symbol: string;
  from: number;
  to: number;
  fills: { ts: number; price: number; quantity: number }[];
  logins: { ts: number; accountId: string; suspicious: boolean }[];
  findings: Finding[];
}

const W = 960, H = 340, L = 60, R = 20, LANE = 40, TOP = 74, PRICE_H = 150, VOL_TOP = 234, VOL_H = 70;
const SEV_COLOR: Record<string, string> = { low: '#9aa5b1', medium: '#f0b429', high: '#e3592b', critical: '#b80f0f' };
const FLAGGED = new Set(['high', 'critical']);

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function hhmm(ts: number): string {
  return new Date(ts + 9 * 3600_000).toISOString().slice(11, 16);
}

/**
 * An inline SVG: price line, 5-minute volume bars, and above them two lanes: logins of the
 * hijacked accounts, and the moment each account was first flagged high or critical (a
 * campaign finding draws a line across). Styles are attributes, so the picture survives being
 * copied out of the report. No script, no library.
 */
export function timelineSvg(d: TimelineData): string {
  const span = Math.max(1, d.to - d.from);
  const inside = (ts: number) => ts >= d.from && ts <= d.to;
  const x = (ts: number) => L + ((ts - d.from) / span) * (W - L - R);
  const fills = d.fills.filter((f) => inside(f.ts));
  const prices = fills.map((f) => f.price);
  const lo = prices.length ? Math.min(...prices) : 0, hi = prices.length ? Math.max(...prices) : 1;
  const pad = (hi - lo) * 0.1 || hi * 0.05 || 1;
  const y = (p: number) => TOP + PRICE_H - ((p - (lo - pad)) / (hi - lo + 2 * pad)) * PRICE_H;
  const bucketMs = 5 * 60_000;
  const vol = new Map<number, number>();
  for (const f of fills) {
    const b = Math.floor(f.ts / bucketMs) * bucketMs;
    vol.set(b, (vol.get(b) ?? 0) + f.quantity);
  }
  const maxVol = Math.max(1, ...vol.values());
  const ax = 'font-family="system-ui,sans-serif" font-size="11" fill="#627d98"';
  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${L}" y="16" font-family="system-ui,sans-serif" font-size="13" font-weight="600" fill="#102a43">${esc(d.title)} — ${esc(d.symbol)} (times JST)</text>`);
  parts.push(`<text x="${L - 6}" y="${TOP - LANE + 4}" ${ax} text-anchor="end">logins</text>`);
  parts.push(`<text x="${L - 6}" y="${TOP - LANE / 2 + 4}" ${ax} text-anchor="end">flagged</text>`);
  parts.push(`<rect x="${L}" y="${TOP}" width="${W - L - R}" height="${PRICE_H}" fill="#f8fafc" stroke="#d9e2ec"/>`);
  for (let i = 0; i <= 6; i++) {
    const ts = d.from + (span * i) / 6;
    parts.push(`<text x="${x(ts).toFixed(1)}" y="${VOL_TOP + VOL_H + 16}" ${ax} text-anchor="middle">${hhmm(ts)}</text>`);
  }
  for (const p of [lo, (lo + hi) / 2, hi]) parts.push(`<text x="${L - 6}" y="${(y(p) + 4).toFixed(1)}" ${ax} text-anchor="end">${+p.toPrecision(4)}</text>`);
  for (const [b, v] of vol) {
    const h = (v / maxVol) * VOL_H;
    parts.push(`<rect x="${x(b).toFixed(1)}" y="${(VOL_TOP + VOL_H - h).toFixed(1)}" width="${Math.max(1, x(b + bucketMs) - x(b) - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#9fb3c8"/>`);
  }
  parts.push(`<text x="${L - 6}" y="${VOL_TOP + 10}" ${ax} text-anchor="end">volume</text>`);
  if (fills.length > 1) {
    parts.push(`<polyline fill="none" stroke="#1f5fa8" stroke-width="1.6" points="${fills.map((f) => `${x(f.ts).toFixed(1)},${y(f.price).toFixed(1)}`).join(' ')}"/>`);
  }
  const loginY = TOP - LANE;
  for (const l of d.logins.filter((l) => inside(l.ts))) {
    parts.push(`<line x1="${x(l.ts).toFixed(1)}" x2="${x(l.ts).toFixed(1)}" y1="${loginY - 6}" y2="${loginY + 6}" stroke="${l.suspicious ? '#d64545' : '#486581'}" stroke-width="1.5"><title>login ${esc(l.accountId)} ${hhmm(l.ts)}</title></line>`);
  }
  // first high/critical detection per account: what a hold could have acted on
  const first = new Map<string, Finding>();
  for (const f of d.findings) {
    if (!FLAGGED.has(f.severity) || !inside(f.detectedAt) || f.kind === 'pump_campaign') continue;
    for (const a of f.accountIds) if (!first.has(a) || f.detectedAt < first.get(a)!.detectedAt) first.set(a, f);
  }
  const flagY = TOP - LANE / 2;
  for (const [a, f] of first) {
    const cx = x(f.detectedAt);
    parts.push(`<path d="M${(cx - 4).toFixed(1)},${flagY - 5} L${(cx + 4).toFixed(1)},${flagY - 5} L${cx.toFixed(1)},${flagY + 4} Z" fill="${SEV_COLOR[f.severity]}"><title>${esc(`${a} ${f.kind} ${f.severity} ${f.score} — ${f.reasons[0]?.detail ?? ''}`)}</title></path>`);
  }
  const campaigns = new Map<string, Finding>();
  for (const f of d.findings) {
    if (f.kind !== 'pump_campaign' || !f.symbols.includes(d.symbol) || !FLAGGED.has(f.severity) || !inside(f.detectedAt)) continue;
    if (!campaigns.has(f.findingId) || f.detectedAt < campaigns.get(f.findingId)!.detectedAt) campaigns.set(f.findingId, f);
  }
  for (const f of [...campaigns.values()].slice(0, 1)) {
    const cx = x(f.detectedAt).toFixed(1);
    parts.push(`<line x1="${cx}" x2="${cx}" y1="${TOP}" y2="${VOL_TOP + VOL_H}" stroke="${SEV_COLOR[f.severity]}" stroke-width="1.5" stroke-dasharray="4 2"><title>${esc(`campaign on ${f.symbols.join(',')} flagged ${f.severity}: ${f.reasons[0]?.detail ?? ''}`)}</title></line>`);
    parts.push(`<text x="${cx}" y="${TOP + 12}" font-family="system-ui,sans-serif" font-size="11" fill="${SEV_COLOR[f.severity]}" dx="4">campaign ${f.severity}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(d.title)}">${parts.join('')}</svg>`;
}

export const TIMELINE_CSS = `
svg .t{font:600 13px system-ui;fill:#102a43} svg .ax{font:11px system-ui;fill:#627d98}
svg .frame{fill:#f8fafc;stroke:#d9e2ec} svg .vol{fill:#9fb3c8} svg .price{fill:none;stroke:#1f5fa8;stroke-width:1.6}
svg .login{stroke:#486581;stroke-width:1.5} svg .login.bad{stroke:#d64545;stroke-width:2} svg .finding{stroke-width:1.5;stroke-dasharray:4 2;opacity:.85}`;
