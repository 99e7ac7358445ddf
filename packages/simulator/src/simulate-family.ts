import type { InputEvent } from '@kanshi/contract';
import { ExchangeCalendar } from './calendar.js';
import { runCampaign } from './campaigns.js';
import { runCohorts } from './cohorts.js';
import { FAMILIES, FAMILY_NAMES, planFamily, TUNING_FAMILIES } from './families.js';
import { runHardNegatives, shapeHardNegatives } from './hard-negatives.js';
import { DAY } from './market.js';
import { generatePersona } from './population.js';
import { Rng } from './rng.js';
import type { Labels } from './scenario.js';
import { buildWorld, checkOptions, InvalidSimulation, writeEvents, writeReference, type SimulationOptions, type SimulationProgress, type SimulationSummary } from './simulate.js';
import { shapePopulation, traitLabels } from './traits.js';

export class UnknownFamily extends Error {
  override readonly name = 'UnknownFamily';
}

/** Calendar days from `start` that hold `tradingDays` home trading days. */
export function spanOf(cal: ExchangeCalendar, tradingDays: number): number {
  let seen = 0;
  for (let d = 0; d < 400; d++) {
    if (cal.isTradingDay(d)) seen++;
    if (seen === tradingDays) return d + 1;
  }
  throw new InvalidSimulation(`the family's calendar has fewer than ${tradingDays} trading days in 400 days`);
}

/** A family's world: its calendar, population, cohorts and campaigns, through the same writer as classic. */
export async function simulateFamilyToDir(dir: string, opts: SimulationOptions, onProgress?: (p: SimulationProgress) => void): Promise<SimulationSummary> {
  const started = performance.now();
  checkOptions(opts);
  const fam = FAMILIES[opts.family!];
  if (!fam) throw new UnknownFamily(`unknown family '${opts.family}'; known: ${FAMILY_NAMES.join(', ')}`);
  if (opts.scenarios?.length || opts.incidents !== undefined) throw new InvalidSimulation(`family ${fam.name} has its own incidents; --scenario and --incidents are for classic`);
  const start = opts.start ?? fam.start;
  const cal = new ExchangeCalendar(start);
  const days = spanOf(cal, opts.days);
  const root = new Rng(opts.seed).fork(`family:${fam.name}`);
  const { instruments, market, w } = buildWorld(root, opts.accounts, start, days, cal);
  const people = root.fork('population');
  const personas = Array.from({ length: opts.accounts }, (_, i) => generatePersona(people, i, instruments, start));
  const traits = shapePopulation(root.fork('traits'), w, personas, fam.population);
  const plan = planFamily(root.fork('plan'), w, personas, fam, traits, opts.accounts / 20_000);
  shapeHardNegatives(root.fork('shape'), w, plan.classic);
  const files = writeReference(dir, instruments, personas, market);

  const scripted: InputEvent[] = [];
  const rng = root.fork('scenarios');
  const labels: Labels = {
    seed: opts.seed, accounts: opts.accounts, days, start, end: start + days * DAY, scenarios: [],
    family: fam.name, tuning: TUNING_FAMILIES.includes(fam.name), tradingDays: opts.days,
    homeHolidays: cal.homeHolidays(days).map((d) => new Date(start + d * DAY + 9 * 3_600_000).toISOString().slice(0, 10)),
  };
  for (const c of plan.campaigns) labels.scenarios.push(runCampaign(rng, w, c, scripted));
  if (opts.hardNegatives !== false) {
    labels.scenarios.push(...runHardNegatives(rng, w, plan.classic, scripted).filter((l) => l.involvedAccounts.length > 0));
    labels.scenarios.push(...runCohorts(rng, w, plan.cohorts, scripted), ...traitLabels(w, traits));
  }
  return writeEvents(dir, { root, w, personas, scripted, labels, messy: opts.messy !== false, started, files }, onProgress);
}
