/**
 * Attack campaigns of the families other than classic: one shape (how accounts are entered,
 * how much is sold, when and how the thin symbols are bought, over how many days) drives
 * takeovers, liquidation, pump buys and the beneficiaries selling into them.
 */
import type { Channel } from '@kanshi/contract';
import { customerLogin, freshAuth, type World } from './benign.js';
import { sharesFor, unitOf } from './events.js';
import type { ScriptedEvents } from './incidents.js';
import type { SimInstrument } from './instruments.js';
import { HOUR, MIN, nextOpen } from './market.js';
import { hostingNetwork, newDevice, residentialProxy, vpnExit, type Device, type Network } from './network.js';
import type { Persona } from './population.js';
import type { Rng } from './rng.js';
import type { ScenarioLabel } from './scenario.js';

/** How the attacker got in. */
export type Access =
  /** password and OTP relayed from a phishing page, through a residential proxy at home, the victim's user agent copied */
  | 'relay-home-proxy'
  /** the same relay from a hosting or VPN exit abroad */
  | 'relay-foreign'
  /** an infostealer's session cookie resumed from a new address */
  | 'cookie-resume'
  /** the stolen session placing orders with no login at all */
  | 'cookie-silent'
  | 'stuffing'
  /** API credentials taken with the cookies: the API channel from a server */
  | 'api-key';

export interface CampaignShape {
  name: string;
  description: string;
  access: [Access, number][];
  /** waves per active day and the gap between them */
  waves: number;
  waveGapMin: [number, number];
  /** share of victims who have only part of their holdings sold */
  partialLiquidation: number;
  /** limit price as a multiple of the market; `marketBuys` of the buys are market orders instead */
  limitAbove: [number, number];
  marketBuys: number;
  /** share of victims sold out and never used to buy */
  noBuy: number;
  /** lift of each wave's shock */
  peak: [number, number];
  /** buy in the US night session, after the Tokyo day (foreign symbols) */
  night?: boolean;
  /** change the contacts and the bank account, withdraw, never trade */
  contactOnly?: boolean;
  /** the group rents this many residential exits and reuses them across victims (default: a fresh one each) */
  proxyPool?: number;
}

export interface CampaignInput {
  shape: CampaignShape;
  /** trading days the campaign is active on; three or more is slow-and-low, gaps are pauses */
  days: number[];
  symbols: SimInstrument[];
  victims: Persona[];
  /** tags the plan knew when it chose each victim (low-balance, no-history) */
  victimTags: Map<string, string[]>;
  beneficiaries: Persona[];
  chasers: Persona[];
}

interface Slot {
  day: number;
  at: number;
  wave: number;
}

const AUTOMATION_UA = ['python-requests/2.31.0', 'curl/8.5.0', 'Go-http-client/2.0', 'okhttp/4.12.0'];

/** The waves of each active day, in the symbols' session, each lifting the price. */
function plantWaves(rng: Rng, w: World, inc: CampaignInput): Slot[] {
  const s = inc.shape;
  // a takeover that never trades still keeps to the home session's hours
  const ref = inc.symbols[0] ?? w.smallHome[0];
  const market = ref.market;
  const slots: Slot[] = [];
  for (const day of inc.days) {
    // a night session that opens late in the JST day runs on past midnight, however short its first part
    const windows = w.market.sessions(market, day).filter(([a, b]) => b - a >= 40 * MIN || (s.night && b === w.start + (day + 1) * 24 * HOUR));
    if (!windows.length) continue;
    // a night pump takes the session that opens in the evening; at home, after the first hour
    const [a, b] = s.night ? windows[windows.length - 1] : windows[0];
    let at = (s.night ? a : a + 50 * MIN) + rng.int(0, Math.max(1, Math.floor((b - a) / MIN / 3))) * MIN;
    const dayFirst = at;
    for (let k = 0; k < s.waves; k++) {
      // waves of one day stay within eight hours (a night session runs past midnight)
      const open = nextOpen(w.market, ref.symbol, at);
      if (open === null || open - dayFirst > 8 * HOUR) break;
      at = open;
      slots.push({ day, at, wave: k });
      for (const sym of inc.symbols) {
        w.market.addShock({
          symbol: sym.symbol, start: at - 2 * MIN + rng.int(0, 120_000), peak: rng.between(s.peak[0], s.peak[1]),
          riseMs: rng.int(10, 25) * MIN, holdMs: rng.int(10, 30) * MIN, decayMs: rng.int(30, 60) * MIN, residual: rng.between(1, 1.04),
        });
      }
      at += rng.int(s.waveGapMin[0], s.waveGapMin[1]) * MIN;
    }
  }
  return slots;
}

function chooseAccess(rng: Rng, s: CampaignShape, v: Persona): Access {
  let a = rng.weighted(s.access);
  if (a === 'stuffing' && v.mfa !== 'none') a = 'relay-home-proxy';
  if ((a === 'relay-home-proxy' || a === 'relay-foreign') && v.mfa === 'passkey') a = 'cookie-resume';
  return a;
}

function attackerKit(rng: Rng, a: Access, v: Persona, pool: Network[] | null): { device: Device; net: Network } {
  const victimWeb = v.devices.find((d) => d.channel === 'web');
  const copied = victimWeb?.userAgent ?? newDevice(rng, 'web').userAgent;
  if (a === 'api-key') return { device: { id: `api_${rng.hex(12)}`, userAgent: rng.pick(AUTOMATION_UA), channel: 'web', sessionId: null }, net: hostingNetwork(rng) };
  if (a === 'relay-foreign' || a === 'stuffing') return { device: newDevice(rng, 'web'), net: rng.chance(0.6) ? hostingNetwork(rng) : vpnExit(rng) };
  // anti-detect browsers present the victim's own user agent on a fresh fingerprint
  const device = { id: `fp_${rng.hex(20)}`, userAgent: copied, channel: 'web' as const, sessionId: null };
  return { device, net: a === 'cookie-resume' && rng.chance(0.35) ? hostingNetwork(rng, 'JP') : pool ? rng.pick(pool) : residentialProxy(rng) };
}

interface Entry {
  at: number;
  sessionId: string;
  ip: string | null;
}

/** The takeover itself; the victim's own earlier login where a cookie was stolen from it. */
function enter(rng: Rng, w: World, v: Persona, a: Access, at: number, kit: { device: Device; net: Network }, noHistory: boolean, out: ScriptedEvents): Entry {
  const channel: Channel = a === 'api-key' ? 'api' : 'web';
  const base = { accountId: v.accountId, channel, device: kit.device, net: kit.net };
  if (a === 'cookie-resume' || a === 'cookie-silent') {
    let stolen = w.emit.sessionId();
    if (!noHistory) {
      const own = { ...(v.devices.find((d) => d.channel === 'web') ?? v.devices[0]) };
      const s = customerLogin(rng, v, w, Math.max(w.start + rng.int(1, 60) * MIN, at - rng.int(6, 72) * HOUR), own, v.networks[0]);
      out.push(...s.events);
      stolen = s.sessionId;
    }
    if (a === 'cookie-silent') return { at, sessionId: stolen, ip: null };
    const l = w.emit.login({ ...base, ts: at, authMethod: 'session_resume', sessionId: stolen });
    out.push(l);
    return { at, sessionId: l.sessionId!, ip: l.ip };
  }
  const method = a === 'stuffing' ? (v.legacyPassword ? 'legacy_password_only' : 'password') : a === 'api-key' ? 'password' : freshAuth(v);
  let t = at;
  const failures = a === 'stuffing' ? rng.int(3, 9) : rng.chance(0.2) ? 1 : 0;
  for (let k = 0; k < failures; k++) {
    out.push(w.emit.login({ ...base, ts: t, result: 'failure', authMethod: method }));
    t += rng.int(5, 90) * 1000;
  }
  const l = w.emit.login({ ...base, ts: t, authMethod: method });
  out.push(l);
  return { at: l.ts, sessionId: l.sessionId!, ip: l.ip };
}

/** Runs one campaign into `out` and returns its label. */
export function runCampaign(rng: Rng, w: World, inc: CampaignInput, out: ScriptedEvents): ScenarioLabel {
  const s = inc.shape;
  const slots = plantWaves(rng, w, inc);
  const label: ScenarioLabel = {
    name: s.name, kind: 'incident', description: s.description, variant: s.name, hijackedAccounts: [], campaignSymbols: s.contactOnly ? [] : inc.symbols.map((x) => x.symbol),
    beneficiaryAccounts: [], takeoverAt: {}, firstPumpBuyAt: {}, involvedAccounts: [], symbols: inc.symbols.map((x) => x.symbol),
    start: Infinity, end: -Infinity, accountVariants: {},
  };
  const mark = (ts: number) => {
    label.start = Math.min(label.start, ts);
    label.end = Math.max(label.end, ts);
  };
  if (!slots.length) return { ...label, start: w.start, end: w.start };
  const pool = s.proxyPool ? Array.from({ length: s.proxyPool }, () => residentialProxy(rng)) : null;
  const order = rng.shuffle(inc.victims.map((v, i) => [v, i] as const));
  for (const [v, i] of order) {
    const slot = slots[i % slots.length];
    const a = chooseAccess(rng, s, v);
    const tags = [...(inc.victimTags.get(v.accountId) ?? []), a, `wave-${slot.wave + 1}`];
    if (inc.days.length >= 3) tags.push('slow');
    const kit = attackerKit(rng, a, v, pool);
    const channel: Channel = a === 'api-key' ? 'api' : 'web';
    const homeOpen = w.market.isTradingDay(slot.day);
    if (!homeOpen) tags.push('home-holiday');
    if (s.night) tags.push('night');
    const buyAt = slot.at + rng.int(0, 25) * MIN + rng.int(0, 59) * 1000;
    // sell in the Tokyo session before a home pump, or that afternoon before a night one
    let liquidateAt = buyAt - rng.int(12, 45) * MIN;
    if (s.night && homeOpen) liquidateAt = w.market.sessions('XTKS', slot.day).at(-1)![1] - rng.int(20, 120) * MIN;
    const early = liquidateAt - 50 * HOUR > w.start + HOUR && rng.chance(0.15);
    const takeoverAt = early ? liquidateAt - rng.int(20, 50) * HOUR : liquidateAt - rng.int(3, 40) * MIN;
    const entry = enter(rng, w, v, a, takeoverAt, kit, tags.includes('no-history'), out);
    // a silent session has no takeover login: the label's takeover is the attacker's first event
    let first = a === 'cookie-silent' ? Infinity : entry.at;
    const put = (...events: ScriptedEvents) => {
      for (const e of events) first = Math.min(first, e.ts);
      out.push(...events);
    };
    let session = entry.sessionId;
    const comeBack = (ts: number) => {
      if (a === 'cookie-silent') return;
      const l = w.emit.login({ accountId: v.accountId, ts, authMethod: 'session_resume', channel, device: kit.device, net: kit.net, sessionId: session });
      out.push(l);
      session = l.sessionId!;
    };
    if (early) comeBack(liquidateAt - rng.int(1, 5) * MIN);

    if (s.contactOnly) {
      let t = Math.max(entry.at + rng.int(1, 4) * MIN, liquidateAt);
      for (const action of ['email_change', 'phone_change', 'bank_account_change'] as const) {
        if (action !== 'bank_account_change' && rng.chance(0.3)) continue;
        put(w.emit.change(v.accountId, t, action, session, entry.ip, kit.device.id));
        t += rng.int(1, 20) * MIN;
      }
      put(w.emit.change(v.accountId, t + rng.int(2, 90) * MIN, 'withdrawal_request', session, entry.ip, kit.device.id));
      tags.push('contact-withdraw');
      record(label, v, first, tags, mark);
      continue;
    }
    if (rng.chance(0.5)) put(w.emit.change(v.accountId, liquidateAt - rng.int(20, 90) * 1000, 'notification_change', session, entry.ip, kit.device.id));
    if (rng.chance(0.2)) put(w.emit.change(v.accountId, liquidateAt - rng.int(5, 19) * 1000, rng.pick(['email_change', 'phone_change'] as const), session, entry.ip, kit.device.id));

    const partial = rng.chance(s.partialLiquidation);
    let proceeds = 0;
    let at = liquidateAt;
    // on a home holiday only what trades that day can be sold
    const sellable = v.positions.filter((p) => homeOpen ? w.market.bySymbol.get(p.symbol)!.market === 'XTKS' || rng.chance(0.5) : w.market.isOpen(p.symbol, liquidateAt));
    const chosen = partial ? [...sellable].sort((x, y) => y.quantity - x.quantity).slice(0, rng.int(1, 3)) : sellable;
    for (const pos of chosen) {
      const inst = w.market.bySymbol.get(pos.symbol)!;
      const unit = unitOf(inst.market);
      const q = partial ? Math.max(unit, Math.floor((pos.quantity * rng.between(0.3, 0.7)) / unit) * unit) : pos.quantity;
      at += rng.int(10, 90) * 1000;
      proceeds += q * w.market.rawPrice(pos.symbol, at) * inst.fxToJpy;
      put(...w.emit.order({ accountId: v.accountId, ts: at, sessionId: session, channel, symbol: pos.symbol, side: 'sell', orderType: rng.chance(0.8) ? 'market' : 'limit', quantity: q, outcome: rng.chance(0.95) ? 'fill' : 'partial' }));
      pos.quantity -= q;
    }
    v.positions = v.positions.filter((p) => p.quantity > 0);
    tags.push(chosen.length === 0 ? 'no-liquidation' : partial ? 'partial-liquidation' : 'full-liquidation');
    if (rng.chance(s.noBuy)) {
      tags.push('no-buy');
      record(label, v, first, tags, mark);
      continue;
    }
    if (s.night && at < buyAt - 2 * HOUR) comeBack(buyAt - rng.int(1, 6) * MIN);
    const budget = proceeds * rng.between(0.6, 0.95) + v.cashJpy * rng.between(0.5, 0.95);
    // a slow campaign spends part now and comes back on a later active day for the rest
    const later = inc.days.length >= 3 ? slots.filter((x) => x.day > slot.day) : [];
    const parts: [number, number][] = later.length && rng.chance(0.5) ? [[buyAt, 0.55], [rng.pick(later).at + rng.int(1, 30) * MIN, 0.45]] : [[buyAt, 1]];
    const market = rng.chance(s.marketBuys);
    tags.push(market ? 'market-buy' : 'limit-above');
    for (const [k, [t0, share]] of parts.entries()) {
      if (k > 0) comeBack(t0 - rng.int(1, 5) * MIN);
      let t = t0;
      const targets = rng.shuffle([...inc.symbols]).slice(0, rng.int(1, Math.min(2, inc.symbols.length)));
      for (const sym of targets) {
        const raw = w.market.rawPrice(sym.symbol, t);
        const price = raw * rng.between(s.limitAbove[0], s.limitAbove[1]);
        const quantity = sharesFor((budget * share) / targets.length, price, sym.fxToJpy, sym.market);
        put(...w.emit.order({
          accountId: v.accountId, ts: t, sessionId: session, channel, symbol: sym.symbol, side: 'buy', orderType: market ? 'market' : 'limit',
          quantity, limit: market ? undefined : w.market.round(sym.symbol, price), outcome: rng.weighted([['fill', 0.8], ['partial', 0.12], ['reject', 0.08]] as const),
        }));
        label.firstPumpBuyAt[v.accountId] = Math.min(label.firstPumpBuyAt[v.accountId] ?? Infinity, t);
        mark(t);
        t += rng.int(20, 300) * 1000;
      }
    }
    record(label, v, first, tags, mark);
  }
  for (const b of inc.beneficiaries) if (sellIntoWaves(rng, w, b, inc, slots, out, mark)) label.beneficiaryAccounts.push(b.accountId);
  for (const c of inc.chasers) chase(rng, w, c, inc, rng.pick(slots), out);
  label.involvedAccounts = [...label.hijackedAccounts, ...label.beneficiaryAccounts];
  return label;
}

function record(label: ScenarioLabel, v: Persona, at: number, tags: string[], mark: (ts: number) => void): void {
  label.hijackedAccounts.push(v.accountId);
  label.takeoverAt[v.accountId] = at;
  label.accountVariants![v.accountId] = tags;
  mark(at);
}

/**
 * A pre-positioned beneficiary: bought the thin symbol quietly on the days before (or held it
 * all along), sells part into each wave and the rest on the last day. False when it had none.
 */
function sellIntoWaves(rng: Rng, w: World, b: Persona, inc: CampaignInput, slots: Slot[], out: ScriptedEvents, mark: (ts: number) => void): boolean {
  const sym = rng.pick(inc.symbols);
  const device = { ...b.devices[0] };
  const pos = b.positions.find((p) => p.symbol === sym.symbol);
  let held = pos?.quantity ?? 0;
  const target = (inc.victims.length * rng.between(0.8e6, 2.5e6)) / Math.max(1, inc.beneficiaries.length) / inc.symbols.length;
  const buyDays = rng.int(2, 5);
  const firstDay = slots[0].day;
  const before = Array.from({ length: firstDay }, (_, d) => d).filter((d) => w.market.isTradingDay(d, sym.market)).slice(-buyDays);
  for (const day of before) {
    const ts = w.market.sessionTime(rng, sym.market, day);
    if (ts === null || held * sym.prevClose * sym.fxToJpy >= target) continue;
    const s = customerLogin(rng, b, w, ts - rng.int(1, 10) * MIN, device, b.networks[0]);
    out.push(...s.events);
    const q = sharesFor((target / buyDays) * rng.between(0.6, 1.4), w.market.rawPrice(sym.symbol, ts), sym.fxToJpy, sym.market);
    out.push(...w.emit.order({ accountId: b.accountId, ts: s.ts + rng.int(1, 40) * MIN, sessionId: s.sessionId, channel: s.channel, symbol: sym.symbol, side: 'buy', orderType: 'limit', quantity: q }));
    held += q;
  }
  if (held === 0) return false;
  const unit = unitOf(sym.market);
  const sells = slots.filter((_x, k) => k === slots.length - 1 || rng.chance(0.6));
  let left = held;
  for (const [k, slot] of sells.entries()) {
    const q = k === sells.length - 1 ? left : Math.min(left, Math.max(unit, Math.floor((left * rng.between(0.25, 0.6)) / unit) * unit));
    if (q <= 0) break;
    const t = slot.at + rng.int(10, 35) * MIN;
    const s = customerLogin(rng, b, w, t - rng.int(2, 12) * MIN, device, b.networks[0]);
    out.push(...s.events);
    out.push(...w.emit.order({ accountId: b.accountId, ts: t, sessionId: s.sessionId, channel: s.channel, symbol: sym.symbol, side: 'sell', orderType: 'limit', quantity: q, limit: w.market.round(sym.symbol, w.market.rawPrice(sym.symbol, t) * rng.between(0.97, 1)) }));
    mark(t);
    left -= q;
  }
  b.positions = b.positions.filter((p) => p.symbol !== sym.symbol);
  return true;
}

/** An ordinary customer who sees the price move and buys a little: benign, and in the same book. */
function chase(rng: Rng, w: World, c: Persona, inc: CampaignInput, slot: Slot, out: ScriptedEvents): void {
  const device = { ...c.devices[0] };
  const ts = slot.at + rng.int(8, 50) * MIN;
  const s = customerLogin(rng, c, w, ts - rng.int(1, 5) * MIN, device, c.networks[0]);
  out.push(...s.events);
  const sym = rng.pick(inc.symbols);
  out.push(...w.emit.order({ accountId: c.accountId, ts, sessionId: s.sessionId, channel: s.channel, symbol: sym.symbol, side: 'buy', orderType: 'market', quantity: sharesFor(c.typicalOrderJpy, w.market.rawPrice(sym.symbol, ts), sym.fxToJpy, sym.market) }));
}
