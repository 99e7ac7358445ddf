import { InvalidConfig } from './config-error.js';
import { DEFAULT_WEIGHTS, type Weights } from './weights.js';

/** Keys that are not shares (multiples, log10 amounts, days, exponents): finite and non-negative, but may exceed 1. */
const NOT_SHARES: { readonly [G in keyof Weights]?: readonly (keyof Weights[G])[] } = {
  takeover: ['corroborationExponent'],
  incident: ['patternRampFrom', 'patternRampTo', 'schemeMinBuyOfSold'],
  thinBuy: ['unusualSizeFromLog10', 'unusualSizeToLog10', 'unusualSizeNoteMultiple'],
  campaign: ['advShareFrom', 'advShareTo', 'volumeConfirmsAdvDays'],
  beneficiary: ['premiumFull', 'newAccountFrom', 'newAccountTo', 'stakeFromDays', 'stakeToDays'],
  score: ['impactFromLog10Jpy', 'impactToLog10Jpy'],
};

/** Ramps (from, to) that must rise, or the ramp divides by zero or runs backwards. */
const RAMPS: readonly [keyof Weights, string, string][] = [
  ['incident', 'patternRampFrom', 'patternRampTo'],
  ['thinBuy', 'unusualSizeFromLog10', 'unusualSizeToLog10'],
  ['campaign', 'advShareFrom', 'advShareTo'],
  ['beneficiary', 'accumulatedFrom', 'accumulatedTo'],
  ['beneficiary', 'soldShareFrom', 'soldShareTo'],
  ['beneficiary', 'newAccountFrom', 'newAccountTo'],
  ['beneficiary', 'stakeFromDays', 'stakeToDays'],
  ['score', 'impactFromLog10Jpy', 'impactToLog10Jpy'],
];

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The defaults deep-merged with `overrides`, validated and frozen; throws InvalidConfig naming the path. */
export function resolveWeights(overrides: unknown): Weights {
  if (overrides === undefined) return DEFAULT_WEIGHTS;
  if (!isRecord(overrides)) throw new InvalidConfig('weights', 'must be an object of weight groups');
  for (const g of Object.keys(overrides)) {
    if (!Object.hasOwn(DEFAULT_WEIGHTS, g)) throw new InvalidConfig(`weights.${g}`, 'is not an option');
  }
  const out: Record<string, Readonly<Record<string, number>>> = {};
  for (const [g, defaults] of Object.entries(DEFAULT_WEIGHTS) as [keyof Weights, Record<string, number>][]) {
    const o = overrides[g];
    if (o === undefined) {
      out[g] = defaults;
      continue;
    }
    if (!isRecord(o)) throw new InvalidConfig(`weights.${g}`, 'must be an object of weights');
    const notShares = (NOT_SHARES[g] ?? []) as readonly string[];
    for (const [k, v] of Object.entries(o)) {
      const path = `weights.${g}.${k}`;
      if (!Object.hasOwn(defaults, k)) throw new InvalidConfig(path, 'is not an option');
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidConfig(path, `must be a finite non-negative number, got ${String(v)}`);
      if (v > 1 && !notShares.includes(k)) throw new InvalidConfig(path, `is a share and must be within 0..1, got ${v}`);
    }
    out[g] = Object.freeze({ ...defaults, ...(o as Record<string, number>) });
  }
  for (const [g, from, to] of RAMPS) {
    if (!(out[g][from] < out[g][to])) throw new InvalidConfig(`weights.${g}.${to}`, `must be above weights.${g}.${from}`);
  }
  return Object.freeze(out) as unknown as Weights;
}
