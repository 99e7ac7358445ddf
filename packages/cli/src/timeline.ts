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

const W = 960, H = 300, L = 60, R = 20, TOP = 34, PRICE_H = 150, VOL_TOP = 200, VOL_H = 70;
const SEV_COLOR: Record<string, string> = { low: '#9aa5b1', medium: '#f0b429', high: '#e3592b', critical: '#b80f0f' };

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function hhmm(ts: number): string {
  return new Date(ts + 9 * 3600_000).toISOString().slice(11, 16);
}

/** An inline SVG: price line, 5-minute volume bars, login ticks, finding markers. No script, no library. */
export function timelineSvg(d: TimelineData): string {
  const span = Math.max(1, d.to - d.from);
  const x = (ts: number) => L + ((ts - d.from) / span) * (W - L - R);
  const fills = d.fills.filter((f) => f.ts >= d.from && f.ts <= d.to);
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
  const parts: string[] = [];
  parts.push(`<text x="${L}" y="16" class="t">${esc(d.title)} — ${esc(d.symbol)} (times JST)</text>`);
  parts.push(`<rect x="${L}" y="${TOP}" width="${W - L - R}" height="${PRICE_H}" class="frame"/>`);
  for (let i = 0; i <= 6; i++) {
    const ts = d.from + (span * i) / 6;
    parts.push(`<text x="${x(ts)}" y="${VOL_TOP + VOL_H + 16}" class="ax" text-anchor="middle">${hhmm(ts)}</text>`);
  }
  for (const p of [lo, (lo + hi) / 2, hi]) parts.push(`<text x="${L - 6}" y="${y(p) + 4}" class="ax" text-anchor="end">${+p.toPrecision(4)}</text>`);
  for (const [b, v] of vol) {
    const h = (v / maxVol) * VOL_H;
    parts.push(`<rect x="${x(b)}" y="${VOL_TOP + VOL_H - h}" width="${Math.max(1, x(b + bucketMs) - x(b) - 1)}" height="${h}" class="vol"/>`);
  }
  parts.push(`<text x="${L - 6}" y="${VOL_TOP + 10}" class="ax" text-anchor="end">volume</text>`);
  if (fills.length > 1) parts.push(`<polyline class="price" points="${fills.map((f) => `${x(f.ts).toFixed(1)},${y(f.price).toFixed(1)}`).join(' ')}"/>`);
  for (const l of d.logins.filter((l) => l.ts >= d.from && l.ts <= d.to)) {
    parts.push(`<line x1="${x(l.ts)}" x2="${x(l.ts)}" y1="${TOP - 8}" y2="${TOP}" class="${l.suspicious ? 'login bad' : 'login'}"><title>login ${esc(l.accountId)} ${hhmm(l.ts)}</title></line>`);
  }
  for (const f of d.findings.filter((f) => f.detectedAt >= d.from && f.detectedAt <= d.to)) {
    parts.push(`<line x1="${x(f.detectedAt)}" x2="${x(f.detectedAt)}" y1="${TOP}" y2="${VOL_TOP + VOL_H}" stroke="${SEV_COLOR[f.severity]}" class="finding"><title>${esc(`${f.kind} ${f.severity} ${f.score} ${f.accountIds.slice(0, 3).join(',')} — ${f.reasons[0]?.detail ?? ''}`)}</title></line>`);
  }
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(d.title)}">${parts.join('')}</svg>`;
}

export const TIMELINE_CSS = `
svg .t{font:600 13px system-ui;fill:#102a43} svg .ax{font:11px system-ui;fill:#627d98}
svg .frame{fill:#f8fafc;stroke:#d9e2ec} svg .vol{fill:#9fb3c8} svg .price{fill:none;stroke:#1f5fa8;stroke-width:1.6}
svg .login{stroke:#486581;stroke-width:1.5} svg .login.bad{stroke:#d64545;stroke-width:2} svg .finding{stroke-width:1.5;stroke-dasharray:4 2;opacity:.85}`;
