/**
 * `kanshi backtest --family F --seeds 1,2,3`: simulate each family x seed, detect, score, one
 * row each, saying which families thresholds may be tuned on. The rows, the benign false
 * positives by cohort and the recall per attack variant go to backtest-families.json.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FAMILY_NAMES, simulateToDir, TUNING_FAMILIES } from '@kanshi/simulator';
import type { Detector } from './backtest.js';
import { readLabels } from './labels.js';
import { benignByCohort, scoreBacktest, variantRecall, type BacktestScore, type CohortFalsePositives, type VariantRecall } from './metrics.js';

/** A progress line for one run's simulation (the command draws it on its terminal). */
export interface ProgressLine {
  update(done: number, total?: number, unit?: string): void;
  done(): void;
}

export interface FamilyBacktestOptions {
  families: string[];
  seeds: number[];
  accounts: number;
  days: number;
  out: string;
  /** keep each run's events (about 165 MB per 20,000 x 10 days) */
  keepData?: boolean;
  quiet?: boolean;
  log?: (line: string) => void;
  detector: Detector;
  /** a progress line per run's simulation, labelled `<family> seed <seed>: simulate` */
  progress?: (label: string) => ProgressLine;
}

export interface FamilyRow {
  family: string;
  seed: number;
  use: 'TUNING' | 'HELD-OUT';
  accounts: number;
  /** calendar days simulated and home trading days among them */
  days: number;
  tradingDays: number;
  events: number;
  hijacked: number;
  flaggedRate: number;
  flaggedBeforePumpBuyRate: number;
  campaignSymbolRecall: number;
  beneficiaryRecall: number;
  falsePositivesPer10k: number;
  benignFlagged: number;
  benignSymbolsFlaggedAsCampaigns: number;
  holdsOnBenign: number;
  simulateSeconds: number;
  detectSeconds: number;
  incidents: BacktestScore['incidents'];
  /** benign cohorts with a high+ finding or a hold (all cohorts in the JSON) */
  benignByCohort: CohortFalsePositives[];
  variants: VariantRecall[];
}

export function useOf(family: string): FamilyRow['use'] {
  return TUNING_FAMILIES.includes(family) ? 'TUNING' : 'HELD-OUT';
}

/** `all`, or a comma list of family names; unknown names are refused with the known ones. */
export function parseFamilies(v: string): string[] {
  const names = v === 'all' ? [...FAMILY_NAMES] : v.split(',').map((x) => x.trim()).filter(Boolean);
  const unknown = names.filter((n) => !FAMILY_NAMES.includes(n));
  if (unknown.length || !names.length) throw new RangeError(`unknown family '${unknown.join(',') || v}'; known: ${FAMILY_NAMES.join(', ')}, all`);
  return names;
}

export async function runFamilyBacktest(opts: FamilyBacktestOptions): Promise<FamilyRow[]> {
  const rows: FamilyRow[] = [];
  const log = opts.log ?? (() => {});
  for (const family of opts.families) {
    for (const seed of opts.seeds) {
      const dir = path.join(opts.out, `${family}-${seed}`);
      const bar = opts.progress?.(`${family} seed ${seed}: simulate`);
      const sim = await simulateToDir(dir, { accounts: opts.accounts, days: opts.days, seed, family }, (p) => {
        if (!opts.quiet) bar?.update(p.day, p.days, ` days, ${p.events.toLocaleString('en-US')} events`);
      });
      bar?.done();
      const labels = readLabels(sim.files.labels);
      const detect = await opts.detector.detect({ events: sim.files.events, instruments: sim.files.instruments, accounts: sim.files.accounts, out: path.join(dir, 'kanshi-out'), quiet: opts.quiet });
      const score = scoreBacktest(labels, detect.emitted, detect.holds, labels.accounts);
      const t = score.totals;
      const row: FamilyRow = {
        family, seed, use: useOf(family), accounts: labels.accounts, days: labels.days, tradingDays: labels.tradingDays ?? tradingDaysOf(labels.days, labels.start),
        events: sim.events, hijacked: t.hijacked, flaggedRate: t.flaggedRate, flaggedBeforePumpBuyRate: t.flaggedBeforePumpBuyRate,
        campaignSymbolRecall: t.campaignSymbolRecall, beneficiaryRecall: t.beneficiaryRecall, falsePositivesPer10k: t.falsePositivesPer10k,
        benignFlagged: t.benignFlagged, benignSymbolsFlaggedAsCampaigns: t.benignSymbolsFlaggedAsCampaigns, holdsOnBenign: t.holdsOnBenign,
        simulateSeconds: round1(sim.seconds), detectSeconds: round1(detect.seconds), incidents: score.incidents,
        benignByCohort: benignByCohort(labels, detect.emitted, detect.holds), variants: variantRecall(labels, detect.emitted),
      };
      rows.push(row);
      if (!opts.keepData) rmSync(sim.files.events, { force: true });
      log(rowText(row));
      writeFileSync(path.join(opts.out, 'backtest-families.json'), JSON.stringify({ tuningFamilies: TUNING_FAMILIES, rows }, null, 1));
    }
  }
  return rows;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

// classic's labels carry calendar days only: its weekdays all trade
function tradingDaysOf(days: number, start: number): number {
  let n = 0;
  for (let d = 0; d < days; d++) if (![0, 6].includes(new Date(start + d * 86_400_000 + 9 * 3_600_000).getUTCDay())) n++;
  return n;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * What a row misses. Held-out rows against issue 11's bar (hijacked >= 95 %, before the pump
 * >= 80 %, campaign symbols >= 95 %, beneficiaries >= 90 %, benign <= 1.5 per 10k, no holds);
 * tuning rows against the classic targets (symbols 100 %, benign <= 1).
 */
export function rowMisses(r: FamilyRow): string[] {
  const held = r.use === 'HELD-OUT';
  const m: string[] = [];
  if (r.flaggedRate < 0.95) m.push(`hijacked flagged ${pct(r.flaggedRate)} < 95%`);
  if (r.flaggedBeforePumpBuyRate < 0.8) m.push(`before first pump buy ${pct(r.flaggedBeforePumpBuyRate)} < 80%`);
  if (r.campaignSymbolRecall < (held ? 0.95 : 1)) m.push(`campaign symbols ${pct(r.campaignSymbolRecall)} < ${held ? 95 : 100}%`);
  if (r.beneficiaryRecall < 0.9) m.push(`beneficiaries ${pct(r.beneficiaryRecall)} < 90%`);
  if (r.falsePositivesPer10k > (held ? 1.5 : 1)) m.push(`benign high+ ${r.falsePositivesPer10k.toFixed(2)} per 10k > ${held ? 1.5 : 1}`);
  if (r.holdsOnBenign > 0) m.push(`${r.holdsOnBenign} holds on benign accounts`);
  return m;
}

export const TABLE_HEADER = '| family | seed | used for | hijacked flagged high+ | before first pump buy | campaign symbols | beneficiaries medium+ | benign high+ / 10k | holds on benign |\n|---|---|---|---|---|---|---|---|---|';

export function rowText(r: FamilyRow): string {
  return `| ${r.family} | ${r.seed} | ${r.use} | ${pct(r.flaggedRate)} | ${pct(r.flaggedBeforePumpBuyRate)} | ${pct(r.campaignSymbolRecall)} | ${pct(r.beneficiaryRecall)} | ${r.falsePositivesPer10k.toFixed(2)} | ${r.holdsOnBenign} |`;
}

/**
 * The table, then for each TUNING run what the benign false positives were and which variants
 * missed most. A HELD-OUT run prints its row only: its cohorts and variants are in the JSON, for
 * a report, and not on the screen of whoever is tuning.
 */
export function familyTableText(rows: FamilyRow[], jsonFile: string): string {
  const out = [TABLE_HEADER, ...rows.map(rowText), ''];
  for (const r of rows) {
    const run = `${r.family} ${r.seed}: ${r.events.toLocaleString('en-US')} events, simulate ${r.simulateSeconds} s, detect ${r.detectSeconds} s`;
    if (r.use === 'HELD-OUT') {
      out.push(`${run}; HELD-OUT: its cohorts and variants are in the JSON only`);
      continue;
    }
    const fp = r.benignByCohort.filter((c) => c.flagged || c.held).map((c) => `${c.cohort} ${c.flagged}${c.held ? ` (${c.held} held)` : ''}`);
    const weak = r.variants.filter((v) => v.hijacked >= 3 && !v.variant.startsWith('wave-')).sort((a, b) => a.flaggedBeforePumpBuy / a.hijacked - b.flaggedBeforePumpBuy / b.hijacked).slice(0, 4)
      .map((v) => `${v.variant} ${v.flaggedBeforePumpBuy}/${v.hijacked}`);
    out.push(`${run}; benign high+ by cohort: ${fp.join(', ') || 'none'}; weakest variants (before pump): ${weak.join(', ')}`);
  }
  const misses = rows.map((r) => [r, rowMisses(r)] as const).filter(([, m]) => m.length);
  if (misses.length) out.push('', 'missed targets:', ...misses.map(([r, m]) => `  ${r.family} ${r.seed} (${r.use}): ${m.join('; ')}`));
  out.push('', `TUNING families: ${TUNING_FAMILIES.join(', ')}; the others are HELD-OUT: report on them, do not tune to them. Rows, cohorts and variants: ${jsonFile}`);
  return out.join('\n');
}
