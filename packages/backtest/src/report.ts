import { writeFileSync } from 'node:fs';
import type { Finding } from '@kanshi/contract';
import type { BacktestScore } from './metrics.js';
import { TIMELINE_CSS, timelineSvg, type TimelineData } from './timeline.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** A self-contained HTML page: the scores against the targets, a timeline per incident, the top findings. */
export function writeBacktestReport(file: string, score: BacktestScore, timelines: TimelineData[], findings: Finding[], meta: Record<string, string>): void {
  const t = score.totals;
  const target = (ok: boolean) => (ok ? '<span class="ok">✓</span>' : '<span class="bad">✗</span>');
  const rows: [string, string, string, boolean][] = [
    ['hijacked accounts flagged high/critical', pct(t.flaggedRate), '≥ 95%', t.flaggedRate >= 0.95],
    ['flagged before their first pump buy', pct(t.flaggedBeforePumpBuyRate), '≥ 80%', t.flaggedBeforePumpBuyRate >= 0.8],
    ['campaign symbols flagged', pct(t.campaignSymbolRecall), '100%', t.campaignSymbolRecall >= 1],
    ['beneficiaries flagged', pct(t.beneficiaryRecall), '≥ 90%', t.beneficiaryRecall >= 0.9],
    ['false positives per 10k benign accounts', t.falsePositivesPer10k.toFixed(2), '≤ 1', t.falsePositivesPer10k <= 1],
    ['benign symbols flagged as campaigns', String(t.benignSymbolsFlaggedAsCampaigns), '0', t.benignSymbolsFlaggedAsCampaigns === 0],
    ['holds on benign accounts', String(t.holdsOnBenign), '0', t.holdsOnBenign === 0],
  ];
  const incidentRows = score.incidents.map((i) => `<tr><td>${esc(i.name)}</td><td>${i.flagged}/${i.hijacked}</td><td>${i.flaggedBeforePumpBuy}/${i.hijacked}</td>
    <td>${i.detectMinutesP50 ?? '–'} / ${i.detectMinutesP90 ?? '–'} min</td><td>${i.campaignSymbolsFlagged}/${i.campaignSymbols}</td><td>${i.beneficiariesFlagged}/${i.beneficiaries}</td></tr>`).join('');
  const negRows = score.hardNegatives.map((n) => `<tr><td>${esc(n.name)}</td><td>${n.accounts}</td><td>${n.flagged}</td><td>${n.held}</td></tr>`).join('');
  const top = [...findings].filter((f) => f.severity === 'critical' || f.severity === 'high').slice(0, 40)
    .map((f) => `<tr><td class="sev ${f.severity}">${f.severity}</td><td>${f.score}</td><td>${new Date(f.detectedAt).toISOString().replace('T', ' ').slice(0, 19)}</td><td>${esc(f.kind)}</td>
      <td>${esc(f.accountIds.slice(0, 4).join(', '))}${f.accountIds.length > 4 ? ` +${f.accountIds.length - 4}` : ''}</td><td>${esc(f.symbols.join(', '))}</td>
      <td><ul>${f.reasons.map((r) => `<li><b>${esc(r.code)}</b> ${esc(r.detail)}</li>`).join('')}</ul></td></tr>`).join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kanshi backtest</title><style>
body{font:14px/1.45 system-ui,sans-serif;color:#102a43;margin:24px auto;max-width:1040px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px} table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #e4e7eb;padding:4px 8px;text-align:left;vertical-align:top} th{background:#f0f4f8}
.ok{color:#0e7c3a;font-weight:700}.bad{color:#b80f0f;font-weight:700} .meta{color:#627d98}
.sev{font-weight:700;text-transform:uppercase;font-size:12px}.critical{color:#b80f0f}.high{color:#e3592b}
ul{margin:0;padding-left:16px} .chart{margin:12px 0 20px}${TIMELINE_CSS}
</style></head><body>
<h1>Kanshi backtest</h1><p class="meta">${Object.entries(meta).map(([k, v]) => `${esc(k)}: ${esc(v)}`).join(' · ')}</p>
<h2>Against the targets</h2><table><tr><th>measure</th><th>value</th><th>target</th><th></th></tr>
${rows.map(([m, v, tg, ok]) => `<tr><td>${m}</td><td>${v}</td><td>${tg}</td><td>${target(ok)}</td></tr>`).join('')}</table>
<h2>Incidents</h2><table><tr><th>scenario</th><th>flagged</th><th>before first pump buy</th><th>time to detect p50 / p90</th><th>campaign symbols</th><th>beneficiaries</th></tr>${incidentRows}</table>
<h2>Hard negatives</h2><table><tr><th>scenario</th><th>accounts</th><th>flagged high+</th><th>held</th></tr>${negRows}</table>
<h2>Incident timelines</h2><p class="meta">Blue line: fill prices; grey bars: volume per 5 min; red ticks: logins of the hijacked accounts; dashed lines: findings (colour = severity, hover for why).</p>
${timelines.map((d) => `<div class="chart">${timelineSvg(d)}</div>`).join('\n')}
<h2>High and critical findings</h2><table><tr><th>sev</th><th>score</th><th>detected (UTC)</th><th>kind</th><th>accounts</th><th>symbols</th><th>why</th></tr>${top}</table>
</body></html>`;
  writeFileSync(file, html);
}
