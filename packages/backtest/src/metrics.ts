import { quantile } from 'simple-statistics';
import type { Finding, Hold } from '@kanshi/contract';
import type { Labels, ScenarioLabel } from './labels.js';

const FLAGGED = new Set(['high', 'critical']);
/** a beneficiary is flagged for an analyst at medium: the target and the table's column say medium+ */
const BENEFICIARY_FLAGGED = new Set(['medium', 'high', 'critical']);

export interface IncidentScore {
  name: string;
  hijacked: number;
  flagged: number;
  flaggedBeforePumpBuy: number;
  /** time from takeover to the first high/critical finding, minutes */
  detectMinutesP50: number | null;
  detectMinutesP90: number | null;
  campaignSymbols: number;
  campaignSymbolsFlagged: number;
  beneficiaries: number;
  beneficiariesFlagged: number;
}

export interface HardNegativeScore {
  name: string;
  accounts: number;
  flagged: number;
  held: number;
}

export interface BacktestScore {
  incidents: IncidentScore[];
  hardNegatives: HardNegativeScore[];
  totals: {
    hijacked: number;
    flaggedRate: number;
    flaggedBeforePumpBuyRate: number;
    campaignSymbolRecall: number;
    beneficiaryRecall: number;
    benignAccounts: number;
    benignFlagged: number;
    falsePositivesPer10k: number;
    benignSymbolsFlaggedAsCampaigns: number;
    holdsOnBenign: number;
    holds: number;
  };
}

/** First detection time per account at one of `levels`, over findings of the kinds given. */
function firstFlagByAccount(findings: Finding[], kinds: (k: string) => boolean, levels: ReadonlySet<string> = FLAGGED): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of findings) {
    if (!levels.has(f.severity) || !kinds(f.kind)) continue;
    for (const a of f.accountIds) if (!m.has(a) || f.detectedAt < m.get(a)!) m.set(a, f.detectedAt);
  }
  return m;
}

/**
 * Scores findings against labels. `findings` must hold every revision emitted (a campaign reaches
 * high as accounts join): the first time an account was flagged is what a hold could act on.
 */
export function scoreBacktest(labels: Labels, findings: Finding[], holds: Hold[], allAccounts: number): BacktestScore {
  const hijackFlag = firstFlagByAccount(findings, (k) => k !== 'dump_beneficiary');
  const beneficiaryFlag = firstFlagByAccount(findings, (k) => k === 'dump_beneficiary', BENEFICIARY_FLAGGED);
  const campaignSymbols = new Set<string>();
  for (const f of findings) if (f.kind === 'pump_campaign' && FLAGGED.has(f.severity)) f.symbols.forEach((s) => campaignSymbols.add(s));

  const bad = new Set<string>();
  const labelledCampaignSymbols = new Set<string>();
  const incidents = labels.scenarios.filter((s) => s.kind === 'incident').map((s) => {
    s.hijackedAccounts.forEach((a) => bad.add(a));
    s.beneficiaryAccounts.forEach((a) => bad.add(a));
    s.campaignSymbols.forEach((x) => labelledCampaignSymbols.add(x));
    return scoreIncident(s, hijackFlag, beneficiaryFlag, campaignSymbols);
  });

  const anyFlag = firstFlagByAccount(findings, () => true);
  const heldAccounts = new Set(holds.map((h) => h.accountId));
  const hardNegatives = labels.scenarios.filter((s) => s.kind === 'hard_negative').map((s) => ({
    name: s.name,
    accounts: s.involvedAccounts.length,
    flagged: s.involvedAccounts.filter((a) => !bad.has(a) && anyFlag.has(a)).length,
    held: s.involvedAccounts.filter((a) => !bad.has(a) && heldAccounts.has(a)).length,
  }));

  const benignFlagged = [...anyFlag.keys()].filter((a) => !bad.has(a)).length;
  const benignAccounts = Math.max(0, allAccounts - bad.size);
  const sum = (k: keyof IncidentScore) => incidents.reduce((acc, i) => acc + (i[k] as number), 0);
  const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
  return {
    incidents,
    hardNegatives,
    totals: {
      hijacked: sum('hijacked'),
      flaggedRate: ratio(sum('flagged'), sum('hijacked')),
      flaggedBeforePumpBuyRate: ratio(sum('flaggedBeforePumpBuy'), sum('hijacked')),
      campaignSymbolRecall: ratio(sum('campaignSymbolsFlagged'), sum('campaignSymbols')),
      beneficiaryRecall: ratio(sum('beneficiariesFlagged'), sum('beneficiaries')),
      benignAccounts,
      benignFlagged,
      falsePositivesPer10k: benignAccounts ? (benignFlagged / benignAccounts) * 10_000 : 0,
      benignSymbolsFlaggedAsCampaigns: [...campaignSymbols].filter((x) => !labelledCampaignSymbols.has(x)).length,
      holdsOnBenign: [...heldAccounts].filter((a) => !bad.has(a)).length,
      holds: holds.length,
    },
  };
}

function scoreIncident(s: ScenarioLabel, flag: Map<string, number>, benFlag: Map<string, number>, campaigns: Set<string>): IncidentScore {
  const delays: number[] = [];
  let before = 0;
  for (const a of s.hijackedAccounts) {
    const t = flag.get(a);
    if (t === undefined) continue;
    const pump = s.firstPumpBuyAt[a];
    if (pump === undefined || t <= pump) before++;
    if (s.takeoverAt[a] !== undefined) delays.push((t - s.takeoverAt[a]) / 60_000);
  }
  const q = (p: number) => (delays.length ? Math.round(quantile(delays, p) * 10) / 10 : null);
  return {
    name: s.name,
    hijacked: s.hijackedAccounts.length,
    flagged: s.hijackedAccounts.filter((a) => flag.has(a)).length,
    flaggedBeforePumpBuy: before,
    detectMinutesP50: q(0.5),
    detectMinutesP90: q(0.9),
    campaignSymbols: s.campaignSymbols.length,
    campaignSymbolsFlagged: s.campaignSymbols.filter((x) => campaigns.has(x)).length,
    beneficiaries: s.beneficiaryAccounts.length,
    beneficiariesFlagged: s.beneficiaryAccounts.filter((a) => benFlag.has(a)).length,
  };
}

/** The targets of issue #3, as one list of what was missed: empty when every target is met. */
export function missedTargets(s: BacktestScore): string[] {
  const t = s.totals;
  const misses: string[] = [];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (t.flaggedRate < 0.95) misses.push(`hijacked accounts flagged ${pct(t.flaggedRate)} < 95%`);
  if (t.flaggedBeforePumpBuyRate < 0.8) misses.push(`flagged before the first pump buy ${pct(t.flaggedBeforePumpBuyRate)} < 80%`);
  if (t.campaignSymbolRecall < 1) misses.push(`campaign symbols flagged ${pct(t.campaignSymbolRecall)} < 100%`);
  if (t.beneficiaryRecall < 0.9) misses.push(`beneficiaries flagged ${pct(t.beneficiaryRecall)} < 90%`);
  if (t.falsePositivesPer10k > 1) misses.push(`${t.falsePositivesPer10k.toFixed(2)} false positives per 10k benign accounts > 1`);
  if (t.benignSymbolsFlaggedAsCampaigns > 0) misses.push(`${t.benignSymbolsFlaggedAsCampaigns} benign symbols flagged as campaigns`);
  if (t.holdsOnBenign > 0) misses.push(`${t.holdsOnBenign} holds on benign accounts`);
  return misses;
}

export interface CohortFalsePositives {
  /** a benign cohort's label name, or `ordinary` for benign accounts in no cohort */
  cohort: string;
  accounts: number;
  /** accounts with a high/critical finding, and held */
  flagged: number;
  held: number;
  /** high/critical findings naming these accounts, by kind */
  kinds: Record<string, number>;
}

export interface VariantRecall {
  /** an attack-variant tag (access, liquidation, timing) or an incident's shape */
  variant: string;
  hijacked: number;
  flagged: number;
  flaggedBeforePumpBuy: number;
}

/** Which benign cohorts the false positives and holds came from: what the detector mistook, by behaviour. */
export function benignByCohort(labels: Labels, findings: Finding[], holds: Hold[]): CohortFalsePositives[] {
  const bad = new Set<string>();
  for (const s of labels.scenarios) if (s.kind === 'incident') for (const a of s.involvedAccounts) bad.add(a);
  const held = new Set(holds.map((h) => h.accountId));
  const kindsOf = new Map<string, Set<string>>();
  for (const f of findings) {
    if (!FLAGGED.has(f.severity)) continue;
    for (const a of f.accountIds) if (!bad.has(a)) kindsOf.set(a, (kindsOf.get(a) ?? new Set()).add(f.kind));
  }
  const inCohort = new Set<string>();
  const row = (cohort: string, accounts: string[]): CohortFalsePositives => {
    const kinds: Record<string, number> = {};
    let flagged = 0;
    for (const a of accounts) {
      const k = kindsOf.get(a);
      if (!k) continue;
      flagged++;
      for (const x of k) kinds[x] = (kinds[x] ?? 0) + 1;
    }
    return { cohort, accounts: accounts.length, flagged, held: accounts.filter((a) => held.has(a)).length, kinds };
  };
  const rows = labels.scenarios.filter((s) => s.kind === 'hard_negative').map((s) => {
    const accounts = s.involvedAccounts.filter((a) => !bad.has(a));
    accounts.forEach((a) => inCohort.add(a));
    return row(s.name, accounts);
  });
  const ordinaryFlagged = [...new Set([...kindsOf.keys(), ...held])].filter((a) => !bad.has(a) && !inCohort.has(a));
  const ordinary = row('ordinary', ordinaryFlagged);
  ordinary.accounts = Math.max(0, labels.accounts - bad.size - inCohort.size);
  return [...rows, ordinary];
}

/** Recall per attack variant: every tag the labels give a hijacked account, and every incident shape. */
export function variantRecall(labels: Labels, findings: Finding[]): VariantRecall[] {
  const flag = firstFlagByAccount(findings, (k) => k !== 'dump_beneficiary');
  const rows = new Map<string, VariantRecall>();
  for (const s of labels.scenarios) {
    if (s.kind !== 'incident') continue;
    for (const a of s.hijackedAccounts) {
      const tags = [`incident:${s.variant ?? s.name}`, ...(s.accountVariants?.[a] ?? [])];
      const t = flag.get(a);
      const pump = s.firstPumpBuyAt[a];
      for (const v of tags) {
        const r = rows.get(v) ?? { variant: v, hijacked: 0, flagged: 0, flaggedBeforePumpBuy: 0 };
        r.hijacked++;
        if (t !== undefined) {
          r.flagged++;
          if (pump === undefined || t <= pump) r.flaggedBeforePumpBuy++;
        }
        rows.set(v, r);
      }
    }
  }
  return [...rows.values()].sort((x, y) => x.variant.localeCompare(y.variant));
}
