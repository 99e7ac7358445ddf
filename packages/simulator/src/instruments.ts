import type { Instrument } from '@kanshi/contract';
import type { Rng } from './rng.js';

export type Tier = 'large' | 'mid' | 'small';

/** An instrument with what the simulator needs beyond the reference record. */
export interface SimInstrument extends Instrument {
  tier: Tier;
  /** price tick: shares trade in whole units, prices round to this */
  tick: number;
  /** typical shares per order for a retail customer to reach ~¥100k-¥1M */
  lot: number;
}

const FX: Record<string, number> = { JPY: 1, USD: 150, HKD: 19.2 };

interface TierSpec {
  market: string;
  country: () => string;
  currency: string;
  tier: Tier;
  count: number;
  /** market cap and ADV in JPY, log-uniform ranges */
  capJpy: [number, number];
  advJpy: [number, number];
  price: [number, number];
  symbol: (rng: Rng, taken: Set<string>) => string;
}

function logUniform(rng: Rng, [lo, hi]: [number, number]): number {
  return Math.exp(rng.between(Math.log(lo), Math.log(hi)));
}

const jpCode = (rng: Rng) => `${rng.int(1301, 9997)}.T`;
const usTicker = (rng: Rng) => Array.from({ length: rng.int(3, 4) }, () => String.fromCharCode(65 + rng.int(0, 25))).join('');
const hkCode = (rng: Rng) => `${String(rng.int(1, 9999)).padStart(4, '0')}.HK`;

/**
 * The universe a Japanese retail brokerage offers: liquid home large and mid caps, home small
 * caps that trade a few million yen a day, US large caps, Chinese small caps listed in the US
 * and Hong Kong small caps. Liquidity ranges follow the published TSE/Nasdaq/HKEX distributions
 * in order of magnitude, not any particular company.
 */
function tiers(scale: number): TierSpec[] {
  const n = (x: number) => Math.max(4, Math.round(x * scale));
  return [
    { market: 'XTKS', country: () => 'JP', currency: 'JPY', tier: 'large', count: n(60), capJpy: [1e12, 5e13], advJpy: [5e9, 1.5e11], price: [800, 12000], symbol: jpCode },
    { market: 'XTKS', country: () => 'JP', currency: 'JPY', tier: 'mid', count: n(120), capJpy: [6e10, 9e11], advJpy: [1.2e9, 6e9], price: [400, 6000], symbol: jpCode },
    { market: 'XTKS', country: () => 'JP', currency: 'JPY', tier: 'small', count: n(150), capJpy: [2e9, 4e10], advJpy: [3e6, 6e8], price: [90, 3000], symbol: jpCode },
    { market: 'XNAS', country: () => 'US', currency: 'USD', tier: 'large', count: n(40), capJpy: [5e12, 4e14], advJpy: [5e10, 3e12], price: [40, 900], symbol: usTicker },
    { market: 'XNAS', country: () => 'CN', currency: 'USD', tier: 'small', count: n(40), capJpy: [1e9, 2.5e10], advJpy: [2e6, 3e8], price: [1, 12], symbol: usTicker },
    { market: 'XHKG', country: () => 'HK', currency: 'HKD', tier: 'large', count: n(20), capJpy: [1e12, 6e13], advJpy: [5e9, 1e11], price: [20, 600], symbol: hkCode },
    { market: 'XHKG', country: () => 'CN', currency: 'HKD', tier: 'small', count: n(30), capJpy: [1e9, 2e10], advJpy: [2e6, 2e8], price: [0.3, 8], symbol: hkCode },
  ];
}

function tickFor(price: number): number {
  if (price >= 1000) return 1;
  if (price >= 100) return 0.1;
  if (price >= 10) return 0.01;
  return 0.001;
}

export function roundPrice(price: number, tick: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(tick) + 1e-9));
  return Number((Math.max(tick, Math.round(price / tick) * tick)).toFixed(digits));
}

const NAME_A = ['Kita', 'Minami', 'Asahi', 'Fuji', 'Sakura', 'Hikari', 'Aoba', 'Tokai', 'Nishi', 'Daiichi', 'Shin', 'Yamato', 'Pacific', 'Golden', 'Dragon', 'Lotus', 'Jade', 'Harbor', 'Summit', 'Nova'];
const NAME_B = ['Holdings', 'Industries', 'Tech', 'Bio', 'Foods', 'Electric', 'Logistics', 'Pharma', 'Materials', 'Energy', 'Retail', 'Capital', 'Robotics', 'Media', 'Mining'];

/** About 460 instruments at scale 1; `scale` shrinks the universe for small demos. */
export function generateInstruments(rng: Rng, scale = 1): SimInstrument[] {
  const taken = new Set<string>();
  const out: SimInstrument[] = [];
  for (const spec of tiers(scale)) {
    for (let i = 0; i < spec.count; i++) {
      let symbol = spec.symbol(rng, taken);
      while (taken.has(symbol)) symbol = spec.symbol(rng, taken);
      taken.add(symbol);
      const fx = FX[spec.currency];
      const price0 = logUniform(rng, spec.price);
      const tick = tickFor(price0);
      const prevClose = roundPrice(price0, tick);
      // ADV never exceeds a plausible share of market cap per day
      const cap = logUniform(rng, spec.capJpy);
      const adv = Math.min(logUniform(rng, spec.advJpy), cap * 0.05);
      const lotJpy = 300_000;
      out.push({
        symbol, name: `${rng.pick(NAME_A)} ${rng.pick(NAME_B)}`, market: spec.market, country: spec.country(),
        currency: spec.currency, fxToJpy: fx, marketCapJpy: Math.round(cap), adv20Jpy: Math.round(adv), prevClose,
        tier: spec.tier, tick, lot: Math.max(1, Math.round(lotJpy / (prevClose * fx) / (spec.market === 'XTKS' ? 100 : 1)) * (spec.market === 'XTKS' ? 100 : 1)),
      });
    }
  }
  return out;
}

/** The reference record, without the simulator's extras. */
export function toInstrument(i: SimInstrument): Instrument {
  return { symbol: i.symbol, name: i.name, market: i.market, country: i.country, currency: i.currency, fxToJpy: i.fxToJpy, marketCapJpy: i.marketCapJpy, adv20Jpy: i.adv20Jpy, prevClose: i.prevClose };
}
