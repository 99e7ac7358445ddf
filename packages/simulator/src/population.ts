import type { AccountSnapshot, Mfa, Position } from '@kanshi/contract';
import type { SimInstrument } from './instruments.js';
import { DAY, HOUR } from './market.js';
import { foreignIsp, homeIsp, mobileCarrier, newDevice, type Device, type Network } from './network.js';
import type { Rng } from './rng.js';

/** One customer: how they log in and trade when nothing is wrong. */
export interface Persona {
  accountId: string;
  openedAt: number;
  homeCountry: string;
  mfa: Mfa;
  /** customers whose security settings still allow password-only logins (old API/tools) */
  legacyPassword: boolean;
  devices: Device[];
  networks: Network[];
  /** mean logins per day */
  loginRate: number;
  /** chance a login leads to trading */
  tradeChance: number;
  /** JST hour of day around which this customer logs in, and its spread */
  hourMean: number;
  hourSd: number;
  typicalOrderJpy: number;
  positions: Position[];
  cashJpy: number;
  /** trades small caps as a habit */
  smallCapTrader: boolean;
  usesApi: boolean;
  /** set when a scenario script owns this account: benign activity stays quiet and simple */
  scripted: boolean;
  /** no activity before this day (dormant customers coming back) */
  activeFromDay: number;
  /** days a script writes this customer's logins (travel): ordinary days skip them */
  awayDays?: [number, number];
  /** a device replacing devices[0] from a day on (a new phone) */
  newDevice?: { day: number; device: Device };
  /**
   * How this customer's logins fall over the days (families other than classic): every day,
   * on one weekday, on a few days of the window only, or all through every session.
   */
  rhythm?: Rhythm;
  /** the office's exit, used from the office PC in working hours on working days */
  workNet?: Network;
  /** most orders one session places (default 3) */
  maxTrades?: number;
  /** trades New York at night, on home holidays too */
  foreignNights?: boolean;
}

export type Rhythm =
  | { kind: 'daily' }
  | { kind: 'weekly'; weekday: number }
  | { kind: 'rare'; days: number[] }
  | { kind: 'day-trader' };

const MFA_MIX: [Mfa, number][] = [['sms', 0.58], ['app', 0.2], ['passkey', 0.07], ['none', 0.15]];

function pickPositions(rng: Rng, instruments: SimInstrument[], holdingsJpy: number, smallCaps: boolean): Position[] {
  const large = instruments.filter((i) => i.tier !== 'small');
  const small = instruments.filter((i) => i.tier === 'small' && i.market === 'XTKS');
  const n = Math.max(1, Math.min(12, Math.round(rng.lognormal(3, 0.6))));
  const seen = new Set<string>();
  const out: Position[] = [];
  for (let k = 0; k < n; k++) {
    const i = smallCaps && rng.chance(0.4) ? rng.pick(small) : rng.pick(large);
    if (seen.has(i.symbol)) continue;
    seen.add(i.symbol);
    const unit = i.market === 'XTKS' ? 100 : 1;
    const value = (holdingsJpy / n) * rng.between(0.5, 1.5);
    const quantity = Math.max(unit, Math.round(value / (i.prevClose * i.fxToJpy) / unit) * unit);
    out.push({ symbol: i.symbol, quantity });
  }
  return out;
}

export function accountIdOf(i: number): string {
  // brokerage account numbers: branch-account, not sequential in the order they are listed
  // 7919 is prime to 9e6, so n is unique for every i below 9 million
  const n = (i * 7_919 + 104_729) % 9_000_000;
  return `${100 + (i % 900)}-${String(1_000_000 + n).padStart(7, '0')}`;
}

export function generatePersona(rng: Rng, index: number, instruments: SimInstrument[], start: number): Persona {
  const foreignResident = rng.chance(0.03);
  const homeCountry = foreignResident ? rng.pick(['US', 'CN', 'TW', 'KR', 'SG']) : 'JP';
  const mfa = rng.weighted(MFA_MIX);
  const channelPref = rng.chance(0.6) ? 'app' : 'web';
  const devices: Device[] = [newDevice(rng, channelPref)];
  if (rng.chance(0.45)) devices.push(newDevice(rng, channelPref === 'app' ? 'web' : 'app'));
  const networks: Network[] = [homeCountry === 'JP' || rng.chance(0.5) ? homeIsp(rng) : foreignIsp(rng, homeCountry), mobileCarrier(rng)];
  const smallCapTrader = rng.chance(0.06);
  const holdingsJpy = Math.round(rng.lognormal(2_500_000, 1.1));
  return {
    accountId: accountIdOf(index),
    openedAt: start - Math.round(rng.between(30, 4000) * DAY) - rng.int(0, 23) * HOUR,
    homeCountry, mfa,
    legacyPassword: mfa === 'none' && rng.chance(0.5),
    devices, networks,
    loginRate: rng.lognormal(0.9, 0.9),
    tradeChance: rng.between(0.05, 0.45),
    hourMean: rng.weighted([[8, 1], [12, 1.2], [19, 1], [21, 1.5], [23, 0.5]] as [number, number][]) + rng.normal(0, 1),
    hourSd: rng.between(1, 3.5),
    typicalOrderJpy: Math.round(rng.lognormal(250_000, 0.8)),
    positions: pickPositions(rng, instruments, holdingsJpy, smallCapTrader),
    cashJpy: Math.round(rng.lognormal(800_000, 1)),
    smallCapTrader,
    usesApi: false,
    scripted: false,
    activeFromDay: 0,
  };
}

export function snapshotOf(p: Persona, instruments: Map<string, SimInstrument>): AccountSnapshot {
  let holdings = 0;
  for (const pos of p.positions) {
    const i = instruments.get(pos.symbol);
    if (i) holdings += pos.quantity * i.prevClose * i.fxToJpy;
  }
  return {
    accountId: p.accountId, openedAt: p.openedAt, homeCountry: p.homeCountry, mfa: p.mfa,
    holdingsJpy: Math.round(holdings), positions: p.positions.map((x) => ({ ...x })),
  };
}
