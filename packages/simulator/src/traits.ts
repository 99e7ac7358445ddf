/**
 * A family's population: the same customers as the classic generator draws, reshaped into
 * its own mix of login rhythms, second factors, home lines (IPv6, carrier NAT), offices behind
 * a shared exit, always-on VPNs, day traders and accounts opened during the window.
 */
import type { Mfa } from '@kanshi/contract';
import type { World } from './benign.js';
import { DAY, HOUR } from './market.js';
import { cloudProxyExit, corporateExit, homeIspV6, mobileV6, newDevice, vpnExit, type Network } from './network.js';
import type { Persona } from './population.js';
import type { Rng } from './rng.js';
import { hardNegativeLabel, type ScenarioLabel } from './scenario.js';

export interface PopulationMix {
  /** shares of ordinary customers logging in most days, on one weekday, or on a day or two of the window */
  rhythms: { daily: number; weekly: number; rare: number };
  mfa: [Mfa, number][];
  /** home lines on IPv6 (IPoE), and phones on an IPv6 carrier network */
  ipv6Home: number;
  mobileV6: number;
  /** customers at an office PC on working days; how many offices; share of offices behind a cloud proxy */
  offices: { share: number; count: number; cloudShare: number };
  alwaysVpn: number;
  dayTraders: number;
  /** accounts opened during the window: not active before their opening day, empty at the start */
  newAccounts: number;
  /** customers who trade New York late at night, holidays included */
  nightOwls?: number;
}

/** Trait cohorts: who got which habit, for the labels (benign unless an incident picks them). */
export interface TraitCohorts {
  offices: Persona[];
  cloudProxy: Persona[];
  vpn: Persona[];
  ipv6: Persona[];
  dayTraders: Persona[];
  newAccounts: Persona[];
  rare: Persona[];
  weekly: Persona[];
  nightOwls: Persona[];
}

export function shapePopulation(rng: Rng, w: World, personas: Persona[], mix: PopulationMix): TraitCohorts {
  const c: TraitCohorts = { offices: [], cloudProxy: [], vpn: [], ipv6: [], dayTraders: [], newAccounts: [], rare: [], weekly: [], nightOwls: [] };
  // office sizes are heavy-tailed: a few large employers, many small ones
  const exits: { net: Network; weight: number; cloud: boolean }[] = Array.from({ length: Math.max(1, mix.offices.count) }, () => {
    const cloud = rng.chance(mix.offices.cloudShare);
    return { net: cloud ? cloudProxyExit(rng) : corporateExit(rng), weight: rng.lognormal(1, 1.1), cloud };
  });
  for (const p of personas) {
    p.mfa = rng.weighted(mix.mfa);
    p.legacyPassword = p.mfa === 'none' && rng.chance(0.5);
    const r = rng.weighted([['daily', mix.rhythms.daily], ['weekly', mix.rhythms.weekly], ['rare', mix.rhythms.rare]] as const);
    if (r === 'daily') p.rhythm = { kind: 'daily' };
    else if (r === 'weekly') {
      p.rhythm = { kind: 'weekly', weekday: rng.weighted([[0, 3], [6, 2], [5, 1], [1, 1], [3, 1]] as const) };
      c.weekly.push(p);
    } else {
      p.rhythm = { kind: 'rare', days: Array.from({ length: rng.int(1, 2) }, () => rng.int(0, w.days - 1)) };
      c.rare.push(p);
    }
    if (p.homeCountry === 'JP' && rng.chance(mix.ipv6Home)) {
      p.networks[0] = homeIspV6(rng);
      c.ipv6.push(p);
    }
    if (rng.chance(mix.mobileV6)) p.networks[1] = mobileV6(rng);
    if (rng.chance(mix.offices.share)) {
      const office = rng.weighted(exits.map((e) => [e, e.weight] as const));
      p.workNet = office.net;
      if (!p.devices.some((d) => d.channel === 'web')) p.devices.push(newDevice(rng, 'web'));
      (office.cloud ? c.cloudProxy : c.offices).push(p);
    } else if (rng.chance(mix.alwaysVpn)) {
      const exit = vpnExit(rng, rng.pick(['JP', 'JP', 'SG', 'US']));
      p.networks = [exit, exit];
      c.vpn.push(p);
    }
  }
  for (const p of rng.shuffle([...personas]).slice(0, Math.round(personas.length * mix.dayTraders))) {
    p.rhythm = { kind: 'day-trader' };
    p.loginRate = rng.between(3, 9);
    p.tradeChance = rng.between(0.5, 0.9);
    p.maxTrades = rng.int(3, 6);
    p.smallCapTrader = true;
    p.hourMean = rng.between(9.5, 14);
    p.hourSd = rng.between(1.2, 2.2);
    p.typicalOrderJpy = Math.round(rng.lognormal(900_000, 0.6));
    c.dayTraders.push(p);
  }
  if (mix.nightOwls) {
    for (const p of rng.shuffle([...personas]).filter((x) => x.rhythm?.kind !== 'day-trader').slice(0, Math.round(personas.length * mix.nightOwls))) {
      p.foreignNights = true;
      p.hourMean = rng.between(22.5, 24.5);
      p.hourSd = rng.between(0.5, 1.2);
      p.rhythm = { kind: 'daily' };
      p.tradeChance = Math.max(p.tradeChance, 0.4);
      c.nightOwls.push(p);
    }
  }
  for (const p of rng.shuffle([...personas]).filter((x) => x.rhythm?.kind !== 'day-trader').slice(0, Math.round(personas.length * mix.newAccounts))) {
    const day = rng.int(0, Math.max(0, w.days - 2));
    p.activeFromDay = day;
    p.openedAt = w.start + day * DAY + rng.int(8, 22) * HOUR;
    p.positions = [];
    p.cashJpy = Math.round(rng.lognormal(400_000, 0.9));
    p.rhythm = { kind: 'daily' };
    for (const d of p.devices) d.sessionId = null;
    c.newAccounts.push(p);
  }
  return c;
}

export function traitLabels(w: World, c: TraitCohorts): ScenarioLabel[] {
  const end = w.start + w.days * DAY;
  const ids = (ps: Persona[]) => ps.map((p) => p.accountId);
  return [
    hardNegativeLabel('corporate-nat', 'Employees trading from the office PC: many unrelated accounts behind one office NAT exit, every working day.', ids(c.offices), [], w.start, end),
    hardNegativeLabel('cloud-proxy-abroad', 'Employees whose employer sends all web traffic through a cloud security proxy, often exiting abroad on a hosting network.', ids(c.cloudProxy), [], w.start, end),
    hardNegativeLabel('always-on-vpn', 'Customers whose every connection goes through a commercial VPN.', ids(c.vpn), [], w.start, end),
    hardNegativeLabel('ipv6-home', 'Customers on IPv6 home lines: a stable /64, a new interface address each connection.', ids(c.ipv6), [], w.start, end),
    hardNegativeLabel('day-traders', 'Day traders: many logins and orders through every session, small caps included.', ids(c.dayTraders), [], w.start, end),
    hardNegativeLabel('new-accounts', 'Accounts opened during the window: no history, first deposit, first buys.', ids(c.newAccounts), [], w.start, end),
    hardNegativeLabel('weekly-checkers', 'Customers who look at their account about once a week.', ids(c.weekly), [], w.start, end),
    hardNegativeLabel('night-owls', 'Customers who trade New York late at night, on home holidays too.', ids(c.nightOwls), [], w.start, end),
    hardNegativeLabel('rare-logins', 'Customers who log in on a day or two of the window only.', ids(c.rare), [], w.start, end),
  ].filter((l) => l.involvedAccounts.length > 0);
}
