import type { AuthMethod, InputEvent, Side } from '@kanshi/contract';
import { type EventFactory, sharesFor, unitOf, type Outcome } from './events.js';
import type { SimInstrument } from './instruments.js';
import { DAY, HOUR, MIN, type Market } from './market.js';
import type { Device, Network } from './network.js';
import type { Persona } from './population.js';
import type { Rng } from './rng.js';

/** What every generator of events shares. */
export interface World {
  market: Market;
  emit: EventFactory;
  start: number;
  days: number;
  /** what ordinary customers buy, weighted toward liquid home stocks */
  liquid: SimInstrument[];
  smallHome: SimInstrument[];
}

export function freshAuth(p: Persona): AuthMethod {
  switch (p.mfa) {
    case 'sms': return 'password_otp_sms';
    case 'app': return 'password_otp_app';
    case 'passkey': return 'passkey';
    default: return p.legacyPassword ? 'legacy_password_only' : 'password';
  }
}

/** A JST time of day around the customer's habit on `day`. */
export function habitualTime(rng: Rng, p: Persona, w: World, day: number): number {
  let h = rng.normal(p.hourMean, p.hourSd);
  h = ((h % 24) + 24) % 24;
  return w.start + day * DAY + Math.floor(h * HOUR) + rng.int(0, 59_999);
}

export function usualNetwork(rng: Rng, p: Persona, d: Device): Network {
  if (d.channel === 'app') return rng.chance(0.55) ? p.networks[1] ?? p.networks[0] : p.networks[0];
  return rng.chance(0.92) ? p.networks[0] : p.networks[1] ?? p.networks[0];
}

export interface SessionOpen {
  events: InputEvent[];
  sessionId: string;
  ip: string;
  device: Device;
  channel: 'web' | 'app' | 'api';
  ts: number;
}

/**
 * One login as the customer does it: resume the app's session, or a fresh login with their
 * second factor, now and then after a mistyped password.
 */
export function customerLogin(rng: Rng, p: Persona, w: World, ts: number, device: Device, net: Network): SessionOpen {
  const events: InputEvent[] = [];
  const resume = device.sessionId !== null && rng.chance(device.channel === 'app' ? 0.6 : 0.3);
  if (resume) {
    const l = w.emit.login({ accountId: p.accountId, ts, authMethod: 'session_resume', channel: device.channel, device, net, sessionId: device.sessionId });
    events.push(l);
    return { events, sessionId: l.sessionId!, ip: l.ip, device, channel: device.channel, ts };
  }
  const method = freshAuth(p);
  let t = ts;
  if (rng.chance(0.04)) {
    for (let k = rng.int(1, 2); k > 0; k--) {
      events.push(w.emit.login({ accountId: p.accountId, ts: t, result: 'failure', authMethod: method, channel: device.channel, device, net }));
      t += rng.int(8, 60) * 1000;
    }
  }
  const l = w.emit.login({ accountId: p.accountId, ts: t, authMethod: method, channel: device.channel, device, net });
  device.sessionId = l.sessionId!;
  events.push(l);
  return { events, sessionId: l.sessionId!, ip: l.ip, device, channel: device.channel, ts: t };
}

function pickOutcome(rng: Rng): Outcome {
  return rng.weighted([['fill', 0.85], ['partial', 0.05], ['cancel', 0.08], ['reject', 0.02]] as const);
}

/** The customer's ordinary trades in one session: sells of holdings, buys of what they know. */
export function customerTrades(rng: Rng, p: Persona, w: World, s: SessionOpen, count: number, out: InputEvent[]): void {
  let t = s.ts;
  for (let k = 0; k < count; k++) {
    t += rng.int(20, 900) * 1000;
    const canSell = p.positions.length > 0 && !p.scripted;
    const side: Side = canSell && rng.chance(0.35) ? 'sell' : 'buy';
    let inst: SimInstrument;
    let quantity: number;
    if (side === 'sell') {
      const pos = rng.pick(p.positions);
      inst = w.market.bySymbol.get(pos.symbol)!;
      const unit = unitOf(inst.market);
      quantity = rng.chance(0.5) ? pos.quantity : Math.max(unit, Math.floor((pos.quantity * rng.between(0.2, 0.7)) / unit) * unit);
      quantity = Math.min(quantity, pos.quantity);
      pos.quantity -= quantity;
      if (pos.quantity <= 0) p.positions.splice(p.positions.indexOf(pos), 1);
    } else {
      const dayTrader = p.rhythm?.kind === 'day-trader';
      inst = p.foreignNights && rng.chance(0.7) ? rng.pick(w.liquid.filter((i) => i.market === 'XNAS'))
        : dayTrader && rng.chance(0.6) ? rng.weighted(w.smallHome.map((i) => [i, i.adv20Jpy] as const))
        : p.smallCapTrader && rng.chance(0.5) ? rng.pick(w.smallHome) : rng.pick(w.liquid);
      const price = w.market.rawPrice(inst.symbol, t);
      // day traders go where the volume is, and size an order to a sliver of the day's value
      const value = p.typicalOrderJpy * rng.lognormal(1, 0.5);
      quantity = sharesFor(dayTrader ? Math.min(value, inst.adv20Jpy * 0.01) : value, price, inst.fxToJpy, inst.market);
      const held = p.positions.find((x) => x.symbol === inst.symbol);
      if (held) held.quantity += quantity;
      else p.positions.push({ symbol: inst.symbol, quantity });
    }
    const limit = rng.chance(0.6);
    const ref = w.market.rawPrice(inst.symbol, t);
    out.push(...w.emit.order({
      accountId: p.accountId, ts: t, sessionId: s.sessionId, channel: s.channel, symbol: inst.symbol, side,
      orderType: limit ? 'limit' : 'market', quantity,
      limit: limit ? w.market.round(inst.symbol, ref * (1 + (side === 'buy' ? -1 : 1) * rng.between(-0.01, 0.02))) : undefined,
      outcome: pickOutcome(rng),
    }));
  }
}

const RARE_CHANGES = [['notification_change', 0.002], ['address_change', 0.0005], ['password_change', 0.0005], ['email_change', 0.0003]] as const;

/** Mean logins on `day` for a customer with a rhythm: habits over the week, not one rate. */
function rhythmRate(p: Persona, w: World, day: number, trading: boolean): number {
  const r = p.rhythm!;
  switch (r.kind) {
    case 'daily': return p.loginRate * (trading ? 1 : 0.5);
    case 'weekly': return new Date(w.start + day * DAY + 9 * HOUR).getUTCDay() === r.weekday ? 1.1 : 0.02;
    case 'rare': return r.days.includes(day) ? 1 : 0.004;
    case 'day-trader': return trading ? p.loginRate : 0.3;
  }
}

/** Office hours, JST: the office PC goes out through the employer's exit. */
function atWork(w: World, ts: number): boolean {
  const h = Math.floor((ts - w.start) / HOUR) % 24;
  return h >= 9 && h < 19;
}

/** One ordinary day of one customer. */
export function benignDay(rng: Rng, p: Persona, w: World, day: number, out: InputEvent[]): void {
  if (day < p.activeFromDay) return;
  if (p.awayDays && day >= p.awayDays[0] && day < p.awayDays[1]) return;
  if (p.newDevice && day >= p.newDevice.day && p.devices[0] !== p.newDevice.device) p.devices[0] = p.newDevice.device;
  const trading = w.market.isTradingDay(day);
  const logins = Math.min(p.rhythm?.kind === 'day-trader' ? 30 : 10, rng.poisson(p.rhythm ? rhythmRate(p, w, day, trading) : p.loginRate * (trading ? 1 : 0.35)));
  // in time order: a session must be created before the device can resume it
  const times = Array.from({ length: logins }, () => habitualTime(rng, p, w, day)).sort((a, b) => a - b).filter((t) => t > p.openedAt);
  for (const ts of times) {
    const device = rng.chance(0.78) ? p.devices[0] : rng.pick(p.devices);
    const net = p.workNet && trading && device.channel === 'web' && atWork(w, ts) ? p.workNet : usualNetwork(rng, p, device);
    const s = customerLogin(rng, p, w, ts, device, net);
    out.push(...s.events);
    if ((trading || (p.foreignNights && w.market.isTradingDay(day, 'XNAS'))) && rng.chance(p.tradeChance)) customerTrades(rng, p, w, s, p.scripted ? 1 : rng.int(1, p.maxTrades ?? 3), out);
    for (const [action, chance] of RARE_CHANGES) {
      if (rng.chance(chance)) out.push(w.emit.change(p.accountId, s.ts + rng.int(1, 15) * MIN, action, s.sessionId, s.ip, device.id));
    }
  }
}
