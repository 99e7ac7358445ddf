import type { InputEvent } from '@kanshi/contract';
import { customerLogin, freshAuth, type World } from './benign.js';
import { sharesFor, type LoginSpec } from './events.js';
import type { Recipe, TakeoverMethod } from './incident-recipes.js';
import type { SimInstrument } from './instruments.js';
import { HOUR, MIN } from './market.js';
import { homeIsp, hostingNetwork, newDevice, vpnExit, type Device, type Network } from './network.js';
import type { Persona } from './population.js';
import type { Rng } from './rng.js';
import type { ScenarioLabel } from './scenario.js';

/** Where scripted events go; the writer sorts them by time with the day's ordinary events. */
export type ScriptedEvents = InputEvent[];

/** The attackers' kit for one incident: exits, proxies and anti-detect browser fingerprints. */
interface Infra {
  networks: Network[];
  devices: Device[];
}

function buildInfra(rng: Rng, r: Recipe): Infra {
  const networks: Network[] = [];
  for (let k = rng.int(3, 7); k > 0; k--) {
    const c = rng.pick(r.infraCountries);
    networks.push(rng.chance(0.6) ? hostingNetwork(rng, c) : vpnExit(rng, ['JP', 'SG', 'US'].includes(c) ? c : undefined));
  }
  for (let k = Math.round(r.residentialProxyShare * 10); k > 0; k--) networks.push(homeIsp(rng));
  const devices = Array.from({ length: rng.int(2, 6) }, () => newDevice(rng, 'web'));
  return { networks, devices };
}

function attackerNetwork(rng: Rng, r: Recipe, infra: Infra): Network {
  const proxies = infra.networks.filter((n) => n.ipType === 'residential');
  const others = infra.networks.filter((n) => n.ipType !== 'residential');
  return proxies.length && rng.chance(r.residentialProxyShare) ? rng.pick(proxies) : rng.pick(others);
}

// anti-detect browsers hand out a fresh fingerprint per victim more often than not
const attackerDevice = (rng: Rng, infra: Infra) => (rng.chance(0.6) ? newDevice(rng, 'web') : rng.pick(infra.devices));

export interface IncidentInput {
  recipe: Recipe;
  /** trading day of the pump */
  day: number;
  victims: Persona[];
  beneficiaries: Persona[];
  symbols: SimInstrument[];
  /** ordinary customers who chase the spike */
  chasers: Persona[];
}

/**
 * Takeover, then liquidation in the home session, then the pump in the symbols' session, while
 * the beneficiaries, who bought quietly on earlier days, sell into the spike.
 */
export function runIncident(rng: Rng, w: World, inc: IncidentInput, out: ScriptedEvents): ScenarioLabel {
  const r = inc.recipe;
  const infra = buildInfra(rng, r);
  // The pump comes after the Tokyo session has opened, so the holdings can be sold first:
  // the same afternoon in Tokyo or Hong Kong, the same night in New York.
  const tokyoOpen = w.market.sessions('XTKS', inc.day)[0][0];
  const earliest = tokyoOpen + 60 * MIN;
  const windows = w.market.sessions(r.market, inc.day).filter(([, b]) => b - 70 * MIN > earliest);
  const [s0, s1] = rng.pick(windows);
  const pumpAt = Math.min(s1 - 70 * MIN, Math.max(s0, earliest) + rng.int(5, 50) * MIN);
  for (const sym of inc.symbols) {
    w.market.addShock({
      symbol: sym.symbol, start: pumpAt - 2 * MIN + rng.int(0, 120_000), peak: rng.between(1.3, 1.4),
      riseMs: rng.int(10, 20) * MIN, holdMs: rng.int(12, 30) * MIN, decayMs: rng.int(25, 45) * MIN, residual: rng.between(1, 1.05),
    });
  }
  const label: ScenarioLabel = {
    name: r.name, kind: 'incident', description: r.description, hijackedAccounts: [], campaignSymbols: inc.symbols.map((s) => s.symbol),
    beneficiaryAccounts: inc.beneficiaries.map((b) => b.accountId), takeoverAt: {}, firstPumpBuyAt: {},
    involvedAccounts: [], symbols: inc.symbols.map((s) => s.symbol), start: Infinity, end: -Infinity,
  };
  const mark = (ts: number) => {
    label.start = Math.min(label.start, ts);
    label.end = Math.max(label.end, ts);
  };

  for (const v of inc.victims) {
    // second factors decide what works: stuffing needs password-only, a relay cannot replay a passkey
    let method = rng.weighted(r.methods);
    if (method === 'stuffing' && v.mfa !== 'none') method = 'relay';
    if (method === 'relay' && v.mfa === 'passkey') method = 'cookie';
    const device = attackerDevice(rng, infra);
    const net = attackerNetwork(rng, r, infra);
    // Home holdings are sold in the Tokyo session of the pump day (or the session before a morning pump).
    const tokyo = w.market.sessions('XTKS', inc.day);
    const liquidateBy = Math.min(pumpAt - rng.int(10, 40) * MIN, tokyo[tokyo.length - 1][1] - 5 * MIN);
    const liquidateAt = Math.min(pumpAt - 10 * MIN, Math.max(tokyo[0][0] + rng.int(1, 30) * MIN, liquidateBy - rng.int(20, 150) * MIN));
    const earlyTakeover = rng.chance(0.2);
    const takeoverAt = earlyTakeover ? liquidateAt - rng.int(20, 40) * HOUR : liquidateAt - rng.int(2, 30) * MIN;
    const t = takeover(rng, w, v, method, takeoverAt, device, net, out);
    label.takeoverAt[v.accountId] = t.at;
    label.hijackedAccounts.push(v.accountId);
    mark(t.at);

    let session = t.sessionId;
    let at = liquidateAt;
    if (earlyTakeover) {
      // back on the day through the attacker's own session, from the same browser
      out.push(w.emit.login({ accountId: v.accountId, ts: at - rng.int(1, 5) * MIN, authMethod: 'session_resume', channel: 'web', device, net, sessionId: session }));
    }
    const ip = () => null;
    if (rng.chance(0.65)) out.push(w.emit.change(v.accountId, at - rng.int(20, 90) * 1000, 'notification_change', session, ip(), device.id));
    if (rng.chance(0.25)) out.push(w.emit.change(v.accountId, at - rng.int(5, 20) * 1000, rng.pick(['email_change', 'phone_change', 'mfa_change'] as const), session, ip(), device.id));

    let proceeds = v.cashJpy;
    for (const pos of [...v.positions]) {
      if (rng.chance(0.12)) continue;
      const inst = w.market.bySymbol.get(pos.symbol)!;
      at += rng.int(10, 90) * 1000;
      proceeds += pos.quantity * w.market.rawPrice(pos.symbol, at) * inst.fxToJpy;
      out.push(...w.emit.order({ accountId: v.accountId, ts: at, sessionId: session, channel: 'web', symbol: pos.symbol, side: 'sell', orderType: 'market', quantity: pos.quantity, outcome: rng.chance(0.95) ? 'fill' : 'partial' }));
    }
    v.positions.length = 0;

    if (rng.chance(0.1)) continue; // taken over and sold out, but the buy never came
    let buyAt = pumpAt + rng.int(0, 35) * MIN + rng.int(0, 59) * 1000;
    if (buyAt - at > 2 * HOUR) {
      // the night session: the attacker comes back through the session they hold
      const l = w.emit.login({ accountId: v.accountId, ts: buyAt - rng.int(1, 6) * MIN, authMethod: 'session_resume', channel: 'web', device, net, sessionId: session });
      out.push(l);
      session = l.sessionId!;
    }
    const targets = rng.shuffle([...inc.symbols]).slice(0, rng.int(1, Math.min(2, inc.symbols.length)));
    for (const sym of targets) {
      const price = w.market.rawPrice(sym.symbol, buyAt) * rng.between(1.03, 1.12);
      const budget = (proceeds / targets.length) * rng.between(0.75, 0.98);
      const quantity = sharesFor(budget, price, sym.fxToJpy, sym.market);
      const events = w.emit.order({
        accountId: v.accountId, ts: buyAt, sessionId: session, channel: 'web', symbol: sym.symbol, side: 'buy', orderType: 'limit',
        quantity, limit: w.market.round(sym.symbol, price), outcome: rng.weighted([['fill', 0.75], ['partial', 0.15], ['reject', 0.1]] as const),
      });
      out.push(...events);
      label.firstPumpBuyAt[v.accountId] = Math.min(label.firstPumpBuyAt[v.accountId] ?? Infinity, buyAt);
      mark(buyAt);
      buyAt += rng.int(20, 300) * 1000;
    }
  }

  for (const b of inc.beneficiaries) beneficiary(rng, w, b, inc, pumpAt, out, mark);
  for (const c of inc.chasers) {
    const device = { ...c.devices[0] };
    const ts = pumpAt + rng.int(8, 40) * MIN;
    const s = customerLogin(rng, c, w, ts - rng.int(1, 5) * MIN, device, c.networks[0]);
    out.push(...s.events);
    const sym = rng.pick(inc.symbols);
    out.push(...w.emit.order({
      accountId: c.accountId, ts, sessionId: s.sessionId, channel: s.channel, symbol: sym.symbol, side: 'buy', orderType: 'market',
      quantity: sharesFor(c.typicalOrderJpy, w.market.rawPrice(sym.symbol, ts), sym.fxToJpy, sym.market),
    }));
  }
  label.involvedAccounts = [...label.hijackedAccounts, ...label.beneficiaryAccounts];
  return label;
}

function takeover(rng: Rng, w: World, v: Persona, method: TakeoverMethod, at: number, device: Device, net: Network, out: ScriptedEvents): { at: number; sessionId: string } {
  const base: Omit<LoginSpec, 'ts' | 'authMethod'> = { accountId: v.accountId, channel: 'web', device, net };
  if (method === 'cookie') {
    // the victim's own login on the infected PC, days earlier, created the session the stealer took
    const own = { ...(v.devices.find((d) => d.channel === 'web') ?? v.devices[0]) };
    const infectedAt = Math.max(w.start + rng.int(1, 60) * MIN, at - rng.int(6, 72) * HOUR);
    const s = customerLogin(rng, v, w, infectedAt, own, v.networks[0]);
    out.push(...s.events);
    const l = w.emit.login({ ...base, ts: at, authMethod: 'session_resume', sessionId: s.sessionId });
    out.push(l);
    return { at, sessionId: l.sessionId! };
  }
  if (method === 'stuffing') {
    let t = at - rng.int(2, 20) * MIN;
    for (let k = rng.int(3, 9); k > 0; k--) {
      out.push(w.emit.login({ ...base, ts: t, result: 'failure', authMethod: v.legacyPassword ? 'legacy_password_only' : 'password', net: rng.chance(0.5) ? hostingNetwork(rng) : net }));
      t += rng.int(5, 120) * 1000;
    }
    const l = w.emit.login({ ...base, ts: Math.max(t, at), authMethod: v.legacyPassword ? 'legacy_password_only' : 'password' });
    out.push(l);
    return { at: l.ts, sessionId: l.sessionId! };
  }
  // relay: the victim types password and code into the phishing page, the relay replays both
  const l = w.emit.login({ ...base, ts: at, authMethod: freshAuth(v) });
  out.push(l);
  return { at, sessionId: l.sessionId! };
}

function beneficiary(rng: Rng, w: World, b: Persona, inc: IncidentInput, pumpAt: number, out: ScriptedEvents, mark: (ts: number) => void): void {
  const sym = rng.pick(inc.symbols);
  const device = { ...b.devices[0] };
  let held = b.positions.find((p) => p.symbol === sym.symbol)?.quantity ?? 0;
  // The group sells to its victims what it bought before: its position is of the order of what
  // the hijacked accounts will pay, spread over the group, bought over the days before.
  const target = (inc.victims.length * rng.between(1e6, 3e6)) / Math.max(1, inc.beneficiaries.length) / inc.symbols.length;
  const have = held * sym.prevClose * sym.fxToJpy;
  const days = rng.int(2, 6);
  const perBuy = Math.max(0, target - have) / (days * 2);
  for (let day = Math.max(0, inc.day - days); day < inc.day && perBuy > 0; day++) {
    const ts = w.market.sessionTime(rng, sym.market, day);
    if (ts === null) continue;
    const s = customerLogin(rng, b, w, ts - rng.int(1, 10) * MIN, device, b.networks[0]);
    out.push(...s.events);
    for (let k = rng.int(1, 3); k > 0; k--) {
      const t = s.ts + rng.int(1, 50) * MIN;
      const value = perBuy * rng.between(0.5, 1.5);
      const q = sharesFor(value, w.market.rawPrice(sym.symbol, t), sym.fxToJpy, sym.market);
      out.push(...w.emit.order({ accountId: b.accountId, ts: t, sessionId: s.sessionId, channel: s.channel, symbol: sym.symbol, side: 'buy', orderType: 'limit', quantity: q }));
      held += q;
    }
  }
  if (held === 0) return;
  const sellAt = pumpAt + rng.int(12, 40) * MIN;
  const s = customerLogin(rng, b, w, sellAt - rng.int(2, 15) * MIN, device, b.networks[0]);
  out.push(...s.events);
  let left = held;
  let t = sellAt;
  for (let k = rng.int(1, 3); k > 0 && left > 0; k--) {
    const q = k === 1 ? left : Math.min(left, Math.ceil(left / k));
    const price = w.market.rawPrice(sym.symbol, t) * rng.between(0.97, 1.0);
    out.push(...w.emit.order({ accountId: b.accountId, ts: t, sessionId: s.sessionId, channel: s.channel, symbol: sym.symbol, side: 'sell', orderType: 'limit', quantity: q, limit: w.market.round(sym.symbol, price) }));
    mark(t);
    left -= q;
    t += rng.int(1, 8) * MIN;
  }
  b.positions = b.positions.filter((p) => p.symbol !== sym.symbol);
}
