import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Hold } from '@kanshi/contract';
import { readLabels, type Labels } from './labels.js';
import { scoreBacktest, type BacktestScore } from './metrics.js';
import { writeBacktestReport } from './report.js';
import type { TimelineData } from './timeline.js';

/** What a backtest needs of a detection run over files: every revision emitted, the latest of each finding, the holds. */
export interface DetectRun {
  /** every revision as emitted: when each finding first reached each severity */
  emitted: Finding[];
  /** latest revision of each finding, in order of first detection */
  findings: Finding[];
  holds: Hold[];
  lines: number;
  seconds: number;
  stats: { accounts: number };
}

/**
 * What a backtest borrows from the command running it: file-mode detection and the NDJSON
 * reader it uses. Both are `kanshi detect`'s own, so a backtest scores exactly what
 * `kanshi detect` finds on the same files; this package only simulates, scores and draws.
 */
export interface Detector {
  detect(input: { events: string; instruments: string; accounts: string; out: string; quiet?: boolean }): Promise<DetectRun>;
  lines(file: string): AsyncIterable<{ line: string }>;
}

export interface BacktestOptions {
  data: string;
  out?: string;
  quiet?: boolean;
  detector: Detector;
}

export interface BacktestResult {
  score: BacktestScore;
  detect: DetectRun;
  reportFile: string;
  outDir: string;
}

export function dataFiles(dir: string) {
  const events = ['events.ndjson', 'events.ndjson.gz'].map((f) => path.join(dir, f)).find((f) => existsSync(f));
  return {
    events: events ?? path.join(dir, 'events.ndjson'),
    instruments: path.join(dir, 'instruments.ndjson'),
    accounts: path.join(dir, 'accounts.ndjson'),
    labels: path.join(dir, 'labels.json'),
  };
}

/** `kanshi backtest`: detect on a labelled data set, score it, and draw each incident. */
export async function runBacktest(opts: BacktestOptions): Promise<BacktestResult> {
  const files = dataFiles(opts.data);
  const labels = readLabels(files.labels);
  const outDir = opts.out ?? path.join(opts.data, 'kanshi-out');
  const detect = await opts.detector.detect({ ...files, out: outDir, quiet: opts.quiet });
  const score = scoreBacktest(labels, detect.emitted, detect.holds, labels.accounts || detect.stats.accounts);
  const timelines = await incidentTimelines(opts.detector.lines(files.events), labels, detect.emitted);
  const reportFile = path.join(outDir, 'report.html');
  writeBacktestReport(reportFile, score, timelines, detect.findings, {
    data: opts.data, seed: String(labels.seed), accounts: String(labels.accounts), days: String(labels.days),
    events: String(detect.lines), 'detect time': `${detect.seconds.toFixed(1)} s`,
  });
  writeFileSync(path.join(outDir, 'backtest.json'), JSON.stringify(score, null, 2));
  return { score, detect, reportFile, outDir };
}

/** One chart per campaign symbol of each incident (at most three per incident), from a second pass over the events. */
async function incidentTimelines(events: AsyncIterable<{ line: string }>, labels: Labels, findings: Finding[]): Promise<TimelineData[]> {
  const charts: TimelineData[] = [];
  const bySymbol = new Map<string, TimelineData[]>();
  const hijacked = new Map<string, TimelineData[]>();
  for (const s of labels.scenarios.filter((x) => x.kind === 'incident')) {
    for (const symbol of s.campaignSymbols.slice(0, 3)) {
      const pumpTimes = Object.values(s.firstPumpBuyAt);
      const first = pumpTimes.length ? Math.min(...pumpTimes) : s.start;
      const last = pumpTimes.length ? Math.max(...pumpTimes) : s.end;
      const d: TimelineData = {
        title: s.name, symbol, from: first - 90 * 60_000, to: Math.min(last + 90 * 60_000, first + 8 * 3600_000),
        fills: [], logins: [], findings: findings.filter((f) => f.symbols.includes(symbol) || f.accountIds.some((a) => s.hijackedAccounts.includes(a))),
      };
      charts.push(d);
      bySymbol.set(symbol, [...(bySymbol.get(symbol) ?? []), d]);
      for (const a of s.hijackedAccounts) hijacked.set(a, [...(hijacked.get(a) ?? []), d]);
    }
  }
  if (charts.length === 0) return charts;
  for await (const { line } of events) {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    const ts = typeof e.ts === 'string' ? Date.parse(e.ts) : Number(e.ts);
    if (e.type === 'order' && typeof e.fillQuantity === 'number' && e.fillQuantity > 0 && typeof e.fillPrice === 'number') {
      for (const d of bySymbol.get(String(e.symbol)) ?? []) if (ts >= d.from && ts <= d.to) d.fills.push({ ts, price: e.fillPrice, quantity: e.fillQuantity });
    } else if (e.type === 'login' && e.result === 'success') {
      for (const d of hijacked.get(String(e.accountId)) ?? []) if (ts >= d.from && ts <= d.to) d.logins.push({ ts, accountId: String(e.accountId), suspicious: true });
    }
  }
  return charts;
}

export function backtestText(r: BacktestResult): string {
  const t = r.score.totals;
  const p = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    'scenario                       flagged    before-pump  detect p50/p90 min  campaigns  beneficiaries',
    ...r.score.incidents.map((i) =>
      `${i.name.padEnd(30)} ${`${i.flagged}/${i.hijacked}`.padEnd(10)} ${`${i.flaggedBeforePumpBuy}/${i.hijacked}`.padEnd(12)} ${`${i.detectMinutesP50 ?? '-'}/${i.detectMinutesP90 ?? '-'}`.padEnd(19)} ${`${i.campaignSymbolsFlagged}/${i.campaignSymbols}`.padEnd(10)} ${i.beneficiariesFlagged}/${i.beneficiaries}`),
    '',
    'hard negative                  accounts   flagged high+  held',
    ...r.score.hardNegatives.map((n) => `${n.name.padEnd(30)} ${String(n.accounts).padEnd(10)} ${String(n.flagged).padEnd(14)} ${n.held}`),
    '',
    `hijacked flagged high/critical: ${p(t.flaggedRate)} (target >= 95%); before first pump buy: ${p(t.flaggedBeforePumpBuyRate)} (>= 80%)`,
    `campaign symbols flagged: ${p(t.campaignSymbolRecall)} (100%); beneficiaries flagged: ${p(t.beneficiaryRecall)} (>= 90%)`,
    `false positives: ${t.benignFlagged} of ${t.benignAccounts.toLocaleString('en-US')} benign accounts = ${t.falsePositivesPer10k.toFixed(2)} per 10k (<= 1); benign symbols as campaigns: ${t.benignSymbolsFlaggedAsCampaigns} (0); holds on benign accounts: ${t.holdsOnBenign} of ${t.holds} holds (0)`,
    `report: ${r.reportFile}`,
  ];
  return lines.join('\n');
}
