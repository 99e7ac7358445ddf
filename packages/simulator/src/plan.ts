import type { World } from './benign.js';
import { sharesFor } from './events.js';
import type { HardNegativeInput } from './hard-negatives.js';
import { DEFAULT_ORDER, RECIPES, type Recipe } from './incident-recipes.js';
import type { IncidentInput } from './incidents.js';
import type { SimInstrument } from './instruments.js';
import { DAY } from './market.js';
import { foreignIsp } from './network.js';
import type { Persona } from './population.js';
import type { Rng } from './rng.js';
import type { SimulationOptions } from './simulate.js';

export class UnknownScenario extends Error {
  override readonly name = 'UnknownScenario';
}

export interface WorldPlan {
  incidents: IncidentInput[];
  hardNegatives: HardNegativeInput;
}

function chooseRecipes(opts: SimulationOptions): Recipe[] {
  if (opts.scenarios?.length) {
    return opts.scenarios.map((name) => {
      const r = RECIPES[name];
      if (!r) throw new UnknownScenario(`unknown scenario '${name}'; known: ${Object.keys(RECIPES).join(', ')}`);
      return r;
    });
  }
  const n = opts.incidents ?? (opts.accounts >= 12_000 ? 5 : opts.accounts >= 6_000 ? 3 : 1);
  const base = n === 1 ? ['jp-march-2025-wave'] : n === 3 ? ['hk-2024-ramp', 'jp-march-2025-wave', 'pass-the-cookie'] : DEFAULT_ORDER;
  return Array.from({ length: n }, (_, i) => {
    const r = RECIPES[base[i % base.length]];
    return i < base.length ? r : { ...r, name: `${r.name}-${Math.floor(i / base.length) + 1}` };
  });
}

/** A persona's holdings at the previous close, in yen: how victims are picked by value. */
export const portfolioValue = (w: World, p: Persona) =>
  p.positions.reduce((s, x) => s + x.quantity * (w.market.bySymbol.get(x.symbol)?.prevClose ?? 0) * (w.market.bySymbol.get(x.symbol)?.fxToJpy ?? 1), 0);

/** Takes up to `n` accounts that pass `ok` out of `free`, in its order: each account gets one role. */
export function taker(free: Persona[]): (n: number, ok?: (p: Persona) => boolean) => Persona[] {
  return (n, ok = () => true) => {
    const got: Persona[] = [];
    for (let i = 0; i < free.length && got.length < n; ) {
      if (ok(free[i])) got.push(free.splice(i, 1)[0]);
      else i++;
    }
    return got;
  };
}

/**
 * Who does what: incident victims and beneficiaries, the hard negatives, the spike chasers.
 * Roles never overlap, so every account has one truth.
 */
export function planWorld(rng: Rng, w: World, personas: Persona[], opts: SimulationOptions): WorldPlan {
  const scale = opts.accounts / 20_000;
  const free = rng.shuffle([...personas]);
  const take = taker(free);
  const count = (n: number, min = 2) => Math.max(min, Math.round(n * scale));
  const usedSymbols = new Set<string>();
  const thin = (market: string) => w.market.instruments.filter((i) => i.tier === 'small' && i.market === market && !usedSymbols.has(i.symbol));

  const trading = Array.from({ length: w.days }, (_, d) => d).filter((d) => w.market.isTradingDay(d));
  const late = trading.filter((d) => d >= Math.min(3, w.days - 1));
  const incidentDays = late.length ? late : trading.length ? trading : [w.days - 1];

  const recipes = chooseRecipes(opts);
  const incidents: IncidentInput[] = recipes.map((recipe, i) => {
    const day = incidentDays[Math.min(incidentDays.length - 1, Math.floor(((i + 0.5) * incidentDays.length) / recipes.length))];
    const symbols = rng.shuffle(thin(recipe.market)).slice(0, rng.int(recipe.symbols[0], recipe.symbols[1]));
    symbols.forEach((s) => usedSymbols.add(s.symbol));
    const n = recipe.fixedVictims ?? Math.max(5, Math.round(rng.int(recipe.victims[0], recipe.victims[1]) * scale));
    const victims = take(n, (p) => portfolioValue(w, p) >= 500_000 && p.activeFromDay === 0);
    victims.forEach((v) => (v.scripted = true));
    const beneficiaries = take(rng.int(recipe.beneficiaries[0], recipe.beneficiaries[1]));
    for (const b of beneficiaries) shapeBeneficiary(rng, w, b, symbols);
    return { recipe, day, victims, beneficiaries, symbols, chasers: take(rng.int(0, 5)) };
  });

  const memeSymbols = rng.shuffle(thin('XTKS')).slice(0, Math.max(1, Math.round(2 * scale)));
  const memeRushes = memeSymbols.map((symbol, i) => {
    usedSymbols.add(symbol.symbol);
    const sellers = take(rng.int(3, 8));
    for (const s of sellers) s.positions.push({ symbol: symbol.symbol, quantity: sharesFor(rng.lognormal(600_000, 0.7), symbol.prevClose, symbol.fxToJpy, symbol.market) });
    return { symbol, buyers: take(count(rng.int(50, 120), 12)), sellers, day: trading[Math.min(trading.length - 1, Math.floor(((i + 0.3) * trading.length) / memeSymbols.length))] ?? 0 };
  });

  const households: [Persona, Persona][] = [];
  for (let k = count(12); k > 0; k--) {
    const pair = take(2);
    if (pair.length === 2) households.push([pair[0], pair[1]]);
  }
  const hardNegatives: HardNegativeInput = {
    travellers: take(count(25)),
    newPhones: take(count(30)),
    vpnUsers: take(count(30)),
    dormant: take(count(20)),
    sellEverything: take(count(20), (p) => p.positions.length >= 2),
    apiTraders: take(count(15), (p) => p.homeCountry === 'JP'),
    households,
    smallCapTraders: take(count(30)),
    memeRushes,
  };
  return { incidents, hardNegatives };
}

/** The group's own accounts: opened lately, quiet, sometimes already holding the target. */
function shapeBeneficiary(rng: Rng, w: World, b: Persona, symbols: SimInstrument[]): void {
  b.scripted = true;
  b.openedAt = w.start - rng.int(10, 120) * DAY;
  if (rng.chance(0.4)) {
    b.homeCountry = rng.pick(['CN', 'HK', 'JP']);
    if (b.homeCountry !== 'JP') b.networks = [foreignIsp(rng, b.homeCountry), b.networks[1]];
  }
  if (rng.chance(0.4)) {
    const s = rng.pick(symbols);
    b.positions.push({ symbol: s.symbol, quantity: sharesFor(rng.between(3e6, 15e6), s.prevClose, s.fxToJpy, s.market) });
  }
}
