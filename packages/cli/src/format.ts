import type { Finding, Hold } from '@kanshi/contract';
import type { DetectSummary } from './detect.js';

const SEV_MARK: Record<string, string> = { critical: 'CRIT', high: 'HIGH', medium: 'MED ', low: 'LOW ' };
const RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

/** The alerts as an analyst would scan them: most severe first, one line each, the first reason. */
export function alertsTable(findings: Finding[], limit = 25): string {
  const rows = [...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.score - a.score || a.detectedAt - b.detectedAt);
  const lines = [
    `${'SEV'.padEnd(5)}${'SCORE'.padEnd(6)}${'DETECTED (UTC)'.padEnd(21)}${'KIND'.padEnd(21)}${'ACCOUNTS'.padEnd(22)}${'SYMBOLS'.padEnd(10)}WHY`,
  ];
  for (const f of rows.slice(0, limit)) {
    const accounts = f.accountIds.length > 1 ? `${f.accountIds[0]} +${f.accountIds.length - 1}` : (f.accountIds[0] ?? '-');
    lines.push(
      `${SEV_MARK[f.severity]} ${f.score.toFixed(2).padEnd(6)}${new Date(f.detectedAt).toISOString().slice(0, 19).replace('T', ' ').padEnd(21)}` +
        `${clip(f.kind, 20)} ${clip(accounts, 21)} ${clip(f.symbols.join(',') || '-', 9)} ${clip(f.reasons[0]?.detail ?? '', 90)}`,
    );
  }
  if (rows.length > limit) lines.push(`… and ${rows.length - limit} more in findings.ndjson`);
  return lines.join('\n');
}

export function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const m: Record<string, number> = {};
  for (const x of xs) m[key(x)] = (m[key(x)] ?? 0) + 1;
  return m;
}

export function detectSummaryText(s: DetectSummary, outDir: string): string {
  const kinds = countBy(s.findings, (f) => `${f.kind}/${f.severity}`);
  const lines = [
    `events: ${s.lines.toLocaleString('en-US')} lines, ${s.valid.toLocaleString('en-US')} valid, ${s.rejected.toLocaleString('en-US')} rejected, ${s.stats.duplicates} duplicates dropped` +
      (s.referenceRejected ? `; ${s.referenceRejected} reference lines rejected` : '') + (s.listEntries ? `; ${s.listEntries} list entries` : ''),
    `accounts seen: ${s.stats.accounts.toLocaleString('en-US')}; thin symbols watched: ${s.stats.thinSymbolsWatched}`,
    `findings: ${s.findings.length}${Object.keys(kinds).length ? ` (${Object.entries(kinds).sort().map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
    `holds: ${s.holds.length}${s.holds.length ? ` (${holdModes(s.holds)})` : ''}`,
    `time: ${s.seconds.toFixed(1)} s, ${s.eventsPerSec.toLocaleString('en-US')} events/s`,
    `written: ${outDir}/findings.ndjson, holds.ndjson, rejects.ndjson`,
  ];
  const reasons = Object.entries(s.rejectsByReason).sort((a, b) => b[1] - a[1]).slice(0, 5);
  if (reasons.length) lines.splice(1, 0, `top reject reasons: ${reasons.map(([r, n]) => `${r} (${n})`).join('; ')}`);
  return lines.join('\n');
}

function holdModes(h: Hold[]): string {
  return Object.entries(countBy(h, (x) => x.mode)).map(([m, n]) => `${n} ${m}`).join(', ');
}
