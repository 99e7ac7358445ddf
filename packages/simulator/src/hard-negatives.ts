import { customerLogin, customerTrades, habitualTime, usualNetwork, type World } from './benign.js';
import { sharesFor } from './events.js';
import type { SimInstrument } from './instruments.js';
import { DAY, HOUR, MIN } from './market.js';
import { foreignIsp, FOREIGN_COUNTRIES, hostingNetwork, newDevice, vpnExit } from './network.js';
import type { Persona } from './population.js';
import type { Rng } from './rng.js';
import { hardNegativeLabel, type ScenarioLabel } from './scenario.js';
import type { ScriptedEvents } from './incidents.js';

/** Benign behaviour that shares a surface with takeovers; each must stay quiet. */
export interface HardNegativeInput {
  travellers: Persona[];
  newPhones: Persona[];
  vpnUsers: Persona[];
  dormant: Persona[];
  sellEverything: Persona[];
  apiTraders: Persona[];
  households: [Persona, Persona][];
  smallCapTraders: Persona[];
  /** one group of ordinary buyers per meme/news rush */
  memeRushes: { symbol: SimInstrument; buyers: Persona[]; sellers: Persona[]; day: number }[];
}

const dayStart = (w: World, d: number) => w.start + d * DAY;

/**
 * Changes made to personas before the snapshot is taken and before any day is generated:
 * habits (VPNs, shared devices, API servers) are habits from the first day.
 */
export function shapeHardNegatives(rng: Rng, w: World, h: HardNegativeInput): void {
  for (const p of h.vpnUsers) {
    const exit = vpnExit(rng, rng.pick(['JP', 'JP', 'SG', 'US']));
    p.networks = [exit, rng.chance(0.5) ? exit : vpnExit(rng)];
  }
  for (const [a, b] of h.households) {
    b.devices[0] = { ...a.devices[0], sessionId: null };
    b.networks[0] = a.networks[0];
  }
  for (const p of h.dormant) p.activeFromDay = rng.int(Math.min(3, w.days - 1), Math.max(0, w.days - 1));
  // they trade through their server; the app is for the odd check
  for (const p of h.apiTraders) {
    p.usesApi = true;
    p.loginRate = Math.min(p.loginRate, 0.2);
    p.hourMean = 21;
    p.hourSd = 1.5;
  }
  for (const p of h.smallCapTraders) {
    p.smallCapTrader = true;
    p.typicalOrderJpy = Math.round(rng.lognormal(1_200_000, 0.5));
    p.tradeChance = Math.max(p.tradeChance, 0.5);
    p.loginRate = Math.max(p.loginRate, 2);
  }
}

/** Scripted events of the hard negatives, plus their labels. */
export function runHardNegatives(rng: Rng, w: World, h: HardNegativeInput, out: ScriptedEvents): ScenarioLabel[] {
  const end = dayStart(w, w.days);
  const labels: ScenarioLabel[] = [];
  const ids = (ps: Persona[]) => ps.map((p) => p.accountId);

  for (const p of h.travellers) {
    // abroad for a few days with their own phone, through hotel Wi-Fi or a roaming carrier
    const country = rng.pick(FOREIGN_COUNTRIES.filter((c) => c !== p.homeCountry && c !== 'CN'));
    const net = foreignIsp(rng, country);
    const from = rng.int(1, Math.max(1, w.days - 2));
    // people travel with the device they use most
    const phone = { ...p.devices[0] };
    const to = Math.min(w.days, from + rng.int(2, 5));
    p.awayDays = [from, to];
    for (let d = from; d < to; d++) {
      const s = customerLogin(rng, p, w, habitualTime(rng, p, w, d), phone, net);
      out.push(...s.events);
      if (w.market.isTradingDay(d) && rng.chance(0.6)) customerTrades(rng, p, w, s, rng.int(1, 2), out);
    }
  }
  labels.push(hardNegativeLabel('travellers', 'Customers abroad logging in from their own phone through foreign networks, then trading as usual.', ids(h.travellers), [], w.start, end));

  for (const p of h.newPhones) {
    const d = rng.int(1, Math.max(1, w.days - 1));
    const phone = newDevice(rng, 'app');
    p.newDevice = { day: d + 1, device: phone };
    const s = customerLogin(rng, p, w, habitualTime(rng, p, w, d), { ...phone }, p.networks[1] ?? p.networks[0]);
    out.push(...s.events);
    if (p.mfa === 'app' && rng.chance(0.7)) out.push(w.emit.change(p.accountId, s.ts + rng.int(1, 5) * MIN, 'mfa_change', s.sessionId, s.ip, phone.id));
    if (w.market.isTradingDay(d) && rng.chance(0.5)) customerTrades(rng, p, w, s, 1, out);
  }
  labels.push(hardNegativeLabel('new-phones', 'Customers replacing their phone: a new device, a fresh login with their second factor, sometimes re-registering the authenticator.', ids(h.newPhones), [], w.start, end));
  labels.push(hardNegativeLabel('vpn-users', 'Customers who always connect through a commercial VPN.', ids(h.vpnUsers), [], w.start, end));

  for (const p of h.dormant) {
    if (rng.chance(0.5)) p.devices[0] = newDevice(rng, p.devices[0].channel);
  }
  labels.push(hardNegativeLabel('dormant-returns', 'Customers silent for the first days of the data who come back and trade normally, some on a new computer.', ids(h.dormant), [], w.start, end));

  for (const p of h.sellEverything) {
    // selling up for a house: everything, from the usual device, then the money out
    const d = firstTradingDay(w, rng.int(1, Math.max(1, w.days - 2)));
    if (d === null) continue;
    const ts = w.market.sessionTime(rng, 'XTKS', d)!;
    const device = { ...p.devices[0] };
    const s = customerLogin(rng, p, w, ts, device, usualNetwork(rng, p, device));
    out.push(...s.events);
    let t = s.ts;
    for (const pos of p.positions) {
      t += rng.int(30, 400) * 1000;
      out.push(...w.emit.order({ accountId: p.accountId, ts: t, sessionId: s.sessionId, channel: s.channel, symbol: pos.symbol, side: 'sell', orderType: rng.chance(0.5) ? 'market' : 'limit', quantity: pos.quantity }));
    }
    p.positions = [];
    p.scripted = true;
    out.push(w.emit.change(p.accountId, t + rng.int(1, 30) * HOUR, 'withdrawal_request', s.sessionId, s.ip, device.id));
  }
  labels.push(hardNegativeLabel('sell-everything', 'Customers selling their whole portfolio from their usual device, then withdrawing the cash.', ids(h.sellEverything), [], w.start, end));

  for (const p of h.apiTraders) {
    const server = hostingNetwork(rng, 'JP');
    const client = { id: `api_${rng.hex(12)}`, userAgent: 'python-requests/2.32', channel: 'web' as const, sessionId: null };
    for (let d = 0; d < w.days; d++) {
      if (!w.market.isTradingDay(d)) continue;
      const ts = w.market.sessions('XTKS', d)[0][0] - rng.int(30, 90) * MIN;
      const l = w.emit.login({ accountId: p.accountId, ts, authMethod: 'password_otp_app', channel: 'api', device: client, net: server });
      out.push(l);
      customerTrades(rng, p, w, { events: [], sessionId: l.sessionId!, ip: l.ip, device: client, channel: 'api', ts: ts + 10 * MIN }, rng.int(3, 12), out);
    }
  }
  labels.push(hardNegativeLabel('api-traders', 'Customers trading through the API from their own cloud server every morning.', ids(h.apiTraders), [], w.start, end));
  labels.push(hardNegativeLabel('shared-households', 'Family members sharing one computer and one home connection.', h.households.flat().map((p) => p.accountId), [], w.start, end));
  labels.push(hardNegativeLabel('small-cap-traders', 'Active traders of home small caps with orders large against the stocks\' daily value.', ids(h.smallCapTraders), [], w.start, end));

  for (const rush of h.memeRushes) labels.push(memeRush(rng, w, rush, out));
  return labels;
}

/** News lifts a small cap; ordinary customers pile in from their own devices, holders sell into it. */
function memeRush(rng: Rng, w: World, rush: HardNegativeInput['memeRushes'][number], out: ScriptedEvents): ScenarioLabel {
  const sym = rush.symbol;
  const newsAt = w.market.sessionTime(rng, sym.market, rush.day)!;
  w.market.addShock({ symbol: sym.symbol, start: newsAt, peak: rng.between(1.25, 1.5), riseMs: rng.int(20, 60) * MIN, holdMs: rng.int(30, 120) * MIN, decayMs: rng.int(60, 240) * MIN, residual: rng.between(1.05, 1.2) });
  let first = Infinity;
  let last = -Infinity;
  for (const p of [...rush.buyers, ...rush.sellers]) {
    const ts = newsAt + Math.floor(rng.exp(40 * MIN));
    const device = { ...p.devices[0] };
    const s = customerLogin(rng, p, w, ts, device, usualNetwork(rng, p, device));
    out.push(...s.events);
    const t = s.ts + rng.int(20, 300) * 1000;
    const buying = rush.buyers.includes(p);
    const held = p.positions.find((x) => x.symbol === sym.symbol);
    const quantity = buying
      ? sharesFor(p.typicalOrderJpy * rng.lognormal(1.5, 0.6), w.market.rawPrice(sym.symbol, t), sym.fxToJpy, sym.market)
      : held?.quantity ?? 0;
    if (quantity <= 0) continue;
    const limit = w.market.round(sym.symbol, w.market.rawPrice(sym.symbol, t) * (buying ? rng.between(1, 1.05) : rng.between(0.97, 1)));
    out.push(...w.emit.order({ accountId: p.accountId, ts: t, sessionId: s.sessionId, channel: s.channel, symbol: sym.symbol, side: buying ? 'buy' : 'sell', orderType: rng.chance(0.5) ? 'market' : 'limit', quantity, limit }));
    first = Math.min(first, t);
    last = Math.max(last, t);
  }
  return hardNegativeLabel(`meme-rush-${sym.symbol}`, `News lifts ${sym.name} (${sym.symbol}); ordinary customers buy it from their own devices and holders sell into the rise.`,
    [...rush.buyers, ...rush.sellers].map((p) => p.accountId), [sym.symbol], Number.isFinite(first) ? first : newsAt, Number.isFinite(last) ? last : newsAt);
}

function firstTradingDay(w: World, from: number): number | null {
  for (let d = from; d < w.days; d++) if (w.market.isTradingDay(d)) return d;
  for (let d = from - 1; d >= 0; d--) if (w.market.isTradingDay(d)) return d;
  return null;
}

