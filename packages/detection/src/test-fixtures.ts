import type { AccountSnapshot, Finding, Hold, InputEvent, Instrument, LoginEvent, OrderEvent } from '@kanshi/contract';
import { DetectionEngine } from './engine.js';
import { ReferenceData } from './reference.js';
import type { TradeSignal } from './signals.js';

/** Small hand-made brokerage for unit tests: times are minutes after a Monday 09:00 JST. */
export const T0 = Date.UTC(2025, 2, 17, 0, 0, 0);
export const at = (minutes: number) => T0 + minutes * 60_000;
export const DAY = 24 * 60;

export const INSTRUMENTS: Instrument[] = [
  { symbol: '7203', name: 'Large cap', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 4e13, adv20Jpy: 1e11, prevClose: 3000 },
  { symbol: '6758', name: 'Large cap 2', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 2e13, adv20Jpy: 8e10, prevClose: 12000 },
  { symbol: '9984', name: 'Large cap 3', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 1.5e13, adv20Jpy: 9e10, prevClose: 8000 },
  { symbol: '1234', name: 'Thin JP small cap', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 3e9, adv20Jpy: 2e7, prevClose: 400 },
  { symbol: '8888.HK', name: 'Thin HK small cap', market: 'XHKG', country: 'CN', currency: 'HKD', fxToJpy: 19, marketCapJpy: 5e9, adv20Jpy: 3e7, prevClose: 1.2 },
];

export function account(accountId: string, mfa: AccountSnapshot['mfa'] = 'sms', positions = [{ symbol: '7203', quantity: 1000 }, { symbol: '6758', quantity: 200 }, { symbol: '9984', quantity: 300 }]): AccountSnapshot {
  return { accountId, openedAt: Date.UTC(2019, 0, 1), homeCountry: 'JP', mfa, holdingsJpy: 0, positions };
}

export function reference(accountIds: string[]): ReferenceData {
  return new ReferenceData(INSTRUMENTS, accountIds.map((a) => account(a)));
}

let seq = 0;
const nextId = (p: string) => `${p}-${++seq}`;

export type LoginInput = Extract<InputEvent, { type: 'login' }>;

export function login(accountId: string, minute: number, o: Partial<LoginEvent> = {}): LoginInput {
  return {
    type: 'login', eventId: nextId('l'), ts: at(minute), accountId, result: 'success', authMethod: 'password_otp_sms',
    channel: 'app', ip: '126.10.20.30', country: 'JP', asn: 17676, ipType: 'mobile', deviceId: `${accountId}-phone`,
    sessionId: nextId(`s-${accountId}`), ...o,
  };
}

export function order(accountId: string, minute: number, o: Partial<OrderEvent> & Pick<OrderEvent, 'symbol' | 'side' | 'quantity'>): InputEvent {
  return {
    type: 'order', eventId: nextId('o'), ts: at(minute), accountId, orderId: nextId('ord'), orderType: 'limit',
    price: INSTRUMENTS.find((i) => i.symbol === o.symbol)!.prevClose, status: 'new', currency: 'JPY', ...o,
  };
}

/** A normal customer's history: a login a day from the same phone and home network, one small trade. */
export function history(accountId: string, days = 5, o: Partial<LoginEvent> = {}): InputEvent[] {
  const evs: InputEvent[] = [];
  for (let d = -days; d < 0; d++) {
    const l = login(accountId, d * DAY + 30, o);
    evs.push(l, order(accountId, d * DAY + 35, { symbol: '7203', side: 'buy', quantity: 100, sessionId: l.sessionId }));
  }
  return evs;
}

/** The engine over `events` in event-time order (ties by eventId), for the accounts named. */
export function runEngine(events: InputEvent[], accounts: string[]): { findings: Finding[]; holds: Hold[] } {
  const engine = new DetectionEngine(reference(accounts));
  const out = { findings: [] as Finding[], holds: [] as Hold[] };
  for (const e of [...events].sort((a, b) => a.ts - b.ts || a.eventId.localeCompare(b.eventId))) engine.process(e, out);
  engine.flush(out);
  return out;
}

let trades = 0;
/** A risky buy order of the thin stock, as stage 1 forwards it to the symbol stage. */
export function tradeSignal(accountId: string, minute: number, o: Partial<TradeSignal> = {}): TradeSignal {
  trades++;
  return {
    symbol: '1234', accountId, eventId: `t${trades}`, orderId: `o${trades}`, ts: at(minute), side: 'buy', status: 'new', quantity: 5000,
    price: 420, fillQuantity: 0, valueJpy: 2_100_000, accountRisk: 0.6, heldBefore: 0, device: trades, network: 1000 + trades, asn: 0, ...o,
  };
}
