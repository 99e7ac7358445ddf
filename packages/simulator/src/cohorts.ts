/**
 * Scripted benign cohorts of the families other than classic: behaviour that shares a surface
 * with a hack-pump-dump and must stay quiet (clubs buying one thin stock together, news rallies
 * in foreign small caps, cash-outs, new phones then a small-cap buy, travellers on hotel exits).
 */
import { customerLogin, customerTrades, habitualTime, usualNetwork, type World } from './benign.js';
import { sharesFor } from './events.js';
import type { ScriptedEvents } from './incidents.js';
import type { SimInstrument } from './instruments.js';
import { DAY, HOUR, MIN } from './market.js';
import { FOREIGN_COUNTRIES, hostingNetwork, newDevice, vpnExit } from './network.js';
import type { Persona } from './population.js';
import type { Rng } from './rng.js';
import { hardNegativeLabel, type ScenarioLabel } from './scenario.js';

export interface Club {
  members: Persona[];
  symbol: SimInstrument;
  /** the trading day after the meeting */
  day: number;
}

export interface Rally {
  symbol: SimInstrument;
  buyers: Persona[];
  /** long-time holders (the position is in the opening snapshot) who sell into the rise */
  holders: Persona[];
  day: number;
}

export interface CohortPlan {
  clubs: Club[];
  rallies: Rally[];
  cashOuts: Persona[];
  /** 'year-end': tax-loss selling of the losers, then everything, then the money out */
  cashOutKind: 'retirement' | 'year-end';
  newPhoneSmallCap: Persona[];
  hostingTravellers: Persona[];
  newAccounts: Persona[];
}

const end = (w: World) => w.start + w.days * DAY;
const ids = (ps: Persona[]) => ps.map((p) => p.accountId);

/** An investment club: decided over dinner, each member buys the same thin home stock next morning, from their own device. */
function club(rng: Rng, w: World, c: Club, out: ScriptedEvents): void {
  const open = w.market.sessions(c.symbol.market, c.day)[0]?.[0];
  if (open === undefined) return;
  for (const p of c.members) {
    const ts = open + Math.floor(rng.exp(35 * MIN));
    const device = { ...p.devices[0] };
    const s = customerLogin(rng, p, w, ts, device, usualNetwork(rng, p, device));
    out.push(...s.events);
    const t = s.ts + rng.int(30, 400) * 1000;
    const price = w.market.rawPrice(c.symbol.symbol, t);
    const limit = rng.chance(0.6);
    out.push(...w.emit.order({
      accountId: p.accountId, ts: t, sessionId: s.sessionId, channel: s.channel, symbol: c.symbol.symbol, side: 'buy', orderType: limit ? 'limit' : 'market',
      quantity: sharesFor(rng.lognormal(400_000, 0.5), price, c.symbol.fxToJpy, c.symbol.market), limit: limit ? w.market.round(c.symbol.symbol, price * rng.between(1, 1.02)) : undefined,
    }));
  }
  w.market.addShock({ symbol: c.symbol.symbol, start: open, peak: rng.between(1.05, 1.12), riseMs: 60 * MIN, holdMs: 3 * HOUR, decayMs: 2 * DAY, residual: 1.04 });
}

/**
 * News lifts a foreign small cap over the session and the next: first-time buyers chase it,
 * many with limit orders above the last price, and long-time holders take the profit.
 */
function rally(rng: Rng, w: World, r: Rally, out: ScriptedEvents): [number, number] {
  const windows = w.market.sessions(r.symbol.market, r.day).filter(([a, b]) => b - a > 60 * MIN);
  const newsAt = (windows.at(-1)?.[0] ?? w.start + r.day * DAY + 12 * HOUR) + rng.int(5, 40) * MIN;
  w.market.addShock({ symbol: r.symbol.symbol, start: newsAt, peak: rng.between(1.6, 2.4), riseMs: rng.int(60, 180) * MIN, holdMs: rng.int(2, 10) * HOUR, decayMs: rng.int(1, 2) * DAY, residual: rng.between(1.2, 1.5) });
  let first = Infinity;
  let last = -Infinity;
  for (const p of [...r.buyers, ...r.holders]) {
    const buying = r.buyers.includes(p);
    const ts = newsAt + Math.floor(rng.exp((buying ? 90 : 150) * MIN));
    const device = { ...p.devices[0] };
    const s = customerLogin(rng, p, w, ts, device, usualNetwork(rng, p, device));
    out.push(...s.events);
    const t = s.ts + rng.int(20, 300) * 1000;
    const price = w.market.rawPrice(r.symbol.symbol, t);
    const held = p.positions.find((x) => x.symbol === r.symbol.symbol);
    const quantity = buying ? sharesFor(p.typicalOrderJpy * rng.lognormal(1.3, 0.6), price, r.symbol.fxToJpy, r.symbol.market) : Math.ceil((held?.quantity ?? 0) * rng.between(0.4, 1));
    if (quantity <= 0) continue;
    const limit = rng.chance(0.7);
    out.push(...w.emit.order({
      accountId: p.accountId, ts: t, sessionId: s.sessionId, channel: s.channel, symbol: r.symbol.symbol, side: buying ? 'buy' : 'sell', orderType: limit ? 'limit' : 'market', quantity,
      limit: limit ? w.market.round(r.symbol.symbol, price * (buying ? rng.between(1.01, 1.08) : rng.between(0.97, 1))) : undefined,
    }));
    first = Math.min(first, t);
    last = Math.max(last, t);
  }
  return [first, last];
}

/** Selling up: from the usual device (or the office), everything or, at year end, the losers first, then a withdrawal. */
function cashOut(rng: Rng, w: World, p: Persona, kind: CohortPlan['cashOutKind'], out: ScriptedEvents): void {
  const days = Array.from({ length: w.days }, (_, d) => d).filter((d) => w.market.isTradingDay(d));
  if (!days.length || !p.positions.length) return;
  // tax selling happens in the last trading week of December
  const december = days.filter((x) => {
    const dt = new Date(w.start + x * DAY + 9 * HOUR);
    return dt.getUTCMonth() === 11 && dt.getUTCDate() >= 22;
  });
  const d = kind === 'year-end' && december.length ? rng.pick(december) : rng.pick(days);
  const device = { ...(p.devices.find((x) => x.channel === 'web') ?? p.devices[0]) };
  const net = p.workNet && rng.chance(0.5) ? p.workNet : usualNetwork(rng, p, device);
  const s = customerLogin(rng, p, w, w.market.sessionTime(rng, 'XTKS', d)!, device, net);
  out.push(...s.events);
  let t = s.ts;
  const positions = kind === 'year-end' && rng.chance(0.5) ? p.positions.filter(() => rng.chance(0.5)) : [...p.positions];
  for (const pos of positions) {
    t += rng.int(30, 400) * 1000;
    out.push(...w.emit.order({ accountId: p.accountId, ts: t, sessionId: s.sessionId, channel: s.channel, symbol: pos.symbol, side: 'sell', orderType: rng.chance(0.6) ? 'market' : 'limit', quantity: pos.quantity }));
  }
  p.positions = p.positions.filter((x) => !positions.includes(x));
  p.scripted = true;
  if (rng.chance(0.25)) out.push(w.emit.change(p.accountId, t + rng.int(5, 60) * MIN, 'bank_account_change', s.sessionId, s.ip, device.id));
  out.push(w.emit.change(p.accountId, Math.max(t + MIN, Math.min(t + rng.int(1, 30) * HOUR, end(w) - rng.int(1, 60) * MIN)), 'withdrawal_request', s.sessionId, s.ip, device.id));
}

/** A new phone: a fresh login with the second factor, the authenticator moved, and the same day a home small cap. */
function newPhoneThenSmallCap(rng: Rng, w: World, p: Persona, out: ScriptedEvents): void {
  const days = Array.from({ length: w.days }, (_, d) => d).filter((d) => d > 0 && w.market.isTradingDay(d));
  if (!days.length) return;
  const d = rng.pick(days);
  const phone = newDevice(rng, 'app');
  p.newDevice = { day: d + 1, device: phone };
  const s = customerLogin(rng, p, w, w.market.sessionTime(rng, 'XTKS', d)!, { ...phone }, p.networks[1] ?? p.networks[0]);
  out.push(...s.events);
  if (rng.chance(0.6)) out.push(w.emit.change(p.accountId, s.ts + rng.int(1, 5) * MIN, 'mfa_change', s.sessionId, s.ip, phone.id));
  const small = w.smallHome.length ? rng.pick(w.smallHome) : null;
  if (!small) return;
  const t = s.ts + rng.int(5, 40) * MIN;
  out.push(...w.emit.order({ accountId: p.accountId, ts: t, sessionId: s.sessionId, channel: 'app', symbol: small.symbol, side: 'buy', orderType: 'market', quantity: sharesFor(p.typicalOrderJpy * rng.lognormal(1.5, 0.5), w.market.rawPrice(small.symbol, t), 1, small.market) }));
}

/** Abroad on hotel Wi-Fi or a travel eSIM whose exit is a hosting or VPN network, with their own phone. */
function hostingTraveller(rng: Rng, w: World, p: Persona, out: ScriptedEvents): void {
  const country = rng.pick(FOREIGN_COUNTRIES.filter((c) => c !== p.homeCountry && c !== 'CN'));
  const net = rng.chance(0.6) ? hostingNetwork(rng, ['HK', 'SG', 'US'].includes(country) ? country : undefined) : vpnExit(rng, rng.pick(['SG', 'US']));
  const from = rng.int(0, Math.max(0, w.days - 3));
  const to = Math.min(w.days, from + rng.int(3, 7));
  p.awayDays = [from, to];
  const phone = { ...p.devices[0] };
  for (let d = from; d < to; d++) {
    if (!rng.chance(0.8)) continue;
    const s = customerLogin(rng, p, w, habitualTime(rng, p, w, d), phone, net);
    out.push(...s.events);
    if (w.market.isTradingDay(d) && rng.chance(0.5)) customerTrades(rng, p, w, s, rng.int(1, 2), out);
  }
}

/** Opening day of a new account: the first login, the bank account registered, the authenticator set up, a first buy. */
function onboard(rng: Rng, w: World, p: Persona, out: ScriptedEvents): void {
  const d = p.activeFromDay;
  const device = { ...p.devices[0] };
  const s = customerLogin(rng, p, w, Math.max(p.openedAt + rng.int(5, 90) * MIN, habitualTime(rng, p, w, d)), device, usualNetwork(rng, p, device));
  out.push(...s.events);
  out.push(w.emit.change(p.accountId, s.ts + rng.int(1, 10) * MIN, 'bank_account_change', s.sessionId, s.ip, device.id));
  if (p.mfa === 'app') out.push(w.emit.change(p.accountId, s.ts + rng.int(2, 15) * MIN, 'mfa_change', s.sessionId, s.ip, device.id));
  if (w.market.isTradingDay(d)) customerTrades(rng, p, w, { ...s, ts: s.ts + 20 * MIN }, rng.int(1, 2), out);
}

export function runCohorts(rng: Rng, w: World, c: CohortPlan, out: ScriptedEvents): ScenarioLabel[] {
  const labels: ScenarioLabel[] = [];
  for (const k of c.clubs) club(rng, w, k, out);
  if (c.clubs.length) {
    labels.push(hardNegativeLabel('investment-clubs', 'Investment clubs: members buy the same thin home stock within an hour of the open, each from their own device.',
      c.clubs.flatMap((k) => ids(k.members)), c.clubs.map((k) => k.symbol.symbol), w.start, end(w)));
  }
  for (const r of c.rallies) {
    const [a, b] = rally(rng, w, r, out);
    labels.push(hardNegativeLabel(`news-rally-${r.symbol.symbol}`, `News lifts the foreign small cap ${r.symbol.name} (${r.symbol.symbol}); genuine buyers chase it and long-time holders sell into it.`,
      [...ids(r.buyers), ...ids(r.holders)], [r.symbol.symbol], Number.isFinite(a) ? a : w.start, Number.isFinite(b) ? b : w.start));
  }
  for (const p of c.cashOuts) cashOut(rng, w, p, c.cashOutKind, out);
  for (const p of c.newPhoneSmallCap) newPhoneThenSmallCap(rng, w, p, out);
  for (const p of c.hostingTravellers) hostingTraveller(rng, w, p, out);
  for (const p of c.newAccounts) onboard(rng, w, p, out);
  const cash = c.cashOutKind === 'year-end'
    ? ['year-end-cash-outs', 'Year-end tax selling: the losers or everything sold from the usual device, sometimes a new bank account, then a withdrawal.'] as const
    : ['cash-outs', 'Customers selling up (a house, retirement) from their usual device or the office, then withdrawing.'] as const;
  labels.push(hardNegativeLabel(cash[0], cash[1], ids(c.cashOuts), [], w.start, end(w)));
  labels.push(hardNegativeLabel('new-phone-small-cap', 'A new phone, a fresh login with the second factor, and the same day a home small-cap buy.', ids(c.newPhoneSmallCap), [], w.start, end(w)));
  labels.push(hardNegativeLabel('travellers-hosting', 'Customers abroad whose hotel Wi-Fi or travel eSIM exits through a hosting or VPN network.', ids(c.hostingTravellers), [], w.start, end(w)));
  return labels.filter((l) => l.involvedAccounts.length > 0);
}
