/**
 * World families: brokerages that differ in calendar, population, networks, benign cohorts
 * and attack shapes. Thresholds are decided on the TUNING families and results reported on
 * the others, so a detector fitted to one simulator shows it.
 */
import type { World } from './benign.js';
import type { CampaignInput, CampaignShape } from './campaigns.js';
import type { CohortPlan } from './cohorts.js';
import { sharesFor } from './events.js';
import type { HardNegativeInput } from './hard-negatives.js';
import { portfolioValue, taker } from './plan.js';
import type { Persona } from './population.js';
import type { Rng } from './rng.js';
import type { PopulationMix, TraitCohorts } from './traits.js';
import { TUNING_B } from './family-tuning-b.js';
import { TUNING_C } from './family-tuning-c.js';
import { HELD_OUT } from './family-held-out.js';

export interface AttackPlan {
  shape: CampaignShape;
  /** where the thin symbols list, and how many */
  market: string;
  symbols: number;
  /** victims at 20,000 accounts, scaled with the population */
  victims: [number, number];
  /** shares of victims with no logins in the stream before the attack, and with little in the account */
  noHistory: number;
  lowBalance: number;
  /** active days as trading-day offsets from the first (gaps are pauses), and where the first falls in the window (0..1) */
  pattern: number[];
  at: number;
  /** run on a weekday the home exchange is shut while the symbols' market trades, when the window has one */
  onHomeHoliday?: boolean;
  beneficiaries: [number, number];
  /** share of beneficiaries already holding the symbol in the opening snapshot */
  longHolders: number;
  chasers: [number, number];
}

/** Counts at 20,000 accounts of the benign cohorts a family has. */
export interface CohortCounts {
  /** the classic generator's cohorts, reused */
  travellers: number;
  newPhones: number;
  dormant: number;
  apiTraders: number;
  households: number;
  smallCapTraders: number;
  memeRushes: number;
  /** this family's own */
  clubs: [number, [number, number]];
  rallies: { market: string; buyers: [number, number]; holders: [number, number] }[];
  cashOuts: number;
  cashOutKind: CohortPlan['cashOutKind'];
  newPhoneSmallCap: number;
  hostingTravellers: number;
}

export interface Family {
  name: string;
  /** one line on what kind of brokerage it is */
  character: string;
  /** JST midnight of the first day */
  start: number;
  population: PopulationMix;
  cohorts: CohortCounts;
  attacks: AttackPlan[];
}

/** Families whose results may be used to decide thresholds; every other family is held out. */
export const TUNING_FAMILIES: readonly string[] = ['classic', 'tuning-b', 'tuning-c'];

export const FAMILIES: Record<string, Family> = { [TUNING_B.name]: TUNING_B, [TUNING_C.name]: TUNING_C, ...Object.fromEntries(HELD_OUT.map((f) => [f.name, f])) };

/** Every family's name, classic first, tuning before held-out. */
export const FAMILY_NAMES: readonly string[] = ['classic', ...Object.keys(FAMILIES).sort((a, b) => Number(TUNING_FAMILIES.includes(b)) - Number(TUNING_FAMILIES.includes(a)))];

export interface FamilyPlan {
  campaigns: CampaignInput[];
  cohorts: CohortPlan;
  classic: HardNegativeInput;
}

/** Trading days of `market` (and, for home symbols, of home) on which a campaign can run. */
function campaignDays(w: World, a: AttackPlan): number[] {
  const all = Array.from({ length: w.days }, (_, d) => d);
  if (a.onHomeHoliday) {
    const holidays = all.filter((d) => !w.market.isTradingDay(d) && w.market.isTradingDay(d, a.market) && new Date(w.start + d * 86_400_000 + 9 * 3_600_000).getUTCDay() % 6 !== 0);
    if (holidays.length) return [holidays[0]];
  }
  const trading = all.filter((d) => w.market.isTradingDay(d, a.market) && w.market.isTradingDay(d) && d >= 2);
  if (!trading.length) return [];
  const span = a.pattern[a.pattern.length - 1];
  const first = Math.min(Math.max(0, trading.length - 1 - span), Math.floor(a.at * trading.length));
  return a.pattern.map((k) => trading[first + k]).filter((d) => d !== undefined);
}

/** Who does what in a family's world; roles never overlap, so every account has one truth. */
export function planFamily(rng: Rng, w: World, personas: Persona[], fam: Family, traits: TraitCohorts, scale: number): FamilyPlan {
  const newcomers = new Set(traits.newAccounts);
  const free = rng.shuffle(personas.filter((p) => !newcomers.has(p)));
  const take = taker(free);
  const count = (n: number, min = 1) => (n <= 0 ? 0 : Math.max(min, Math.round(n * scale)));
  const used = new Set<string>();
  const thin = (market: string) => w.market.instruments.filter((i) => i.tier === 'small' && i.market === market && !used.has(i.symbol));
  const pickThin = (market: string, n: number) => {
    const got = rng.shuffle(thin(market)).slice(0, n);
    got.forEach((s) => used.add(s.symbol));
    return got;
  };

  const campaigns: CampaignInput[] = fam.attacks.map((a) => {
    const days = campaignDays(w, a);
    const symbols = a.shape.contactOnly ? [] : pickThin(a.market, a.symbols);
    const n = Math.max(4, Math.round(rng.int(a.victims[0], a.victims[1]) * scale));
    const victimTags = new Map<string, string[]>();
    const quiet = (p: Persona) => p.rhythm?.kind === 'rare' || p.rhythm?.kind === 'weekly';
    const noHistory = take(Math.round(n * a.noHistory), (p) => quiet(p) && portfolioValue(w, p) >= 300_000);
    for (const v of noHistory) {
      // nothing of theirs in the stream before the attack: the attacker's login is the first
      v.activeFromDay = (days[days.length - 1] ?? 0) + 1;
      victimTags.set(v.accountId, ['no-history']);
    }
    const low = take(Math.round(n * a.lowBalance), (p) => portfolioValue(w, p) < 300_000 && p.positions.length > 0);
    for (const v of low) {
      // little in the account at all: small holdings and little cash
      v.cashJpy = Math.round(rng.between(10_000, 150_000));
      victimTags.set(v.accountId, ['low-balance']);
    }
    const victims = [...noHistory, ...low, ...take(n - noHistory.length - low.length, (p) => portfolioValue(w, p) >= 300_000)];
    victims.forEach((v) => (v.scripted = true));
    const beneficiaries = take(rng.int(a.beneficiaries[0], a.beneficiaries[1]));
    for (const b of beneficiaries) {
      b.scripted = true;
      if (symbols.length && rng.chance(a.longHolders)) {
        const s = rng.pick(symbols);
        b.positions.push({ symbol: s.symbol, quantity: sharesFor(rng.between(2e6, 10e6), s.prevClose, s.fxToJpy, s.market) });
      }
    }
    return { shape: a.shape, days, symbols, victims, victimTags, beneficiaries: a.shape.contactOnly ? [] : beneficiaries, chasers: a.shape.contactOnly ? [] : take(rng.int(a.chasers[0], a.chasers[1])) };
  });

  const c = fam.cohorts;
  const trading = Array.from({ length: w.days }, (_, d) => d).filter((d) => w.market.isTradingDay(d));
  const clubs = Array.from({ length: count(c.clubs[0]) }, () => {
    const [symbol] = pickThin('XTKS', 1);
    return { members: take(rng.int(c.clubs[1][0], c.clubs[1][1])), symbol, day: rng.pick(trading) };
  }).filter((k) => k.symbol);
  const rallies = c.rallies.map((r) => {
    const [symbol] = pickThin(r.market, 1);
    const holders = take(rng.int(r.holders[0], r.holders[1]));
    for (const h of holders) h.positions.push({ symbol: symbol.symbol, quantity: sharesFor(rng.lognormal(800_000, 0.8), symbol.prevClose, symbol.fxToJpy, symbol.market) });
    const days = Array.from({ length: w.days }, (_, d) => d).filter((d) => w.market.isTradingDay(d, r.market));
    return { symbol, buyers: take(count(rng.int(r.buyers[0], r.buyers[1]), 10)), holders, day: rng.pick(days) };
  });
  const memeRushes = pickThin('XTKS', count(c.memeRushes)).map((symbol) => {
    const sellers = take(rng.int(3, 8));
    for (const s of sellers) s.positions.push({ symbol: symbol.symbol, quantity: sharesFor(rng.lognormal(600_000, 0.7), symbol.prevClose, symbol.fxToJpy, symbol.market) });
    return { symbol, buyers: take(count(rng.int(40, 90), 10)), sellers, day: rng.pick(trading) };
  });
  const households: [Persona, Persona][] = [];
  for (let k = count(c.households); k > 0; k--) {
    const pair = take(2);
    if (pair.length === 2) households.push([pair[0], pair[1]]);
  }
  const classic: HardNegativeInput = {
    travellers: take(count(c.travellers)), newPhones: take(count(c.newPhones)), vpnUsers: [], dormant: take(count(c.dormant)),
    sellEverything: [], apiTraders: take(count(c.apiTraders), (p) => p.homeCountry === 'JP'), households,
    smallCapTraders: take(count(c.smallCapTraders)), memeRushes,
  };
  const cohorts: CohortPlan = {
    clubs, rallies, cashOuts: take(count(c.cashOuts), (p) => p.positions.length >= 2), cashOutKind: c.cashOutKind,
    newPhoneSmallCap: take(count(c.newPhoneSmallCap)), hostingTravellers: take(count(c.hostingTravellers)), newAccounts: traits.newAccounts,
  };
  return { campaigns, cohorts, classic };
}

