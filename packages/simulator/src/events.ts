import type { AccountAction, AuthMethod, Channel, InputEvent, OrderType, Side } from '@kanshi/contract';
import { MIN, nextOpen, type Market } from './market.js';
import { ipFrom, type Device, type Network } from './network.js';
import type { Rng } from './rng.js';

export type LoginInput = Extract<InputEvent, { type: 'login' }>;
export type OrderInput = Extract<InputEvent, { type: 'order' }>;

export interface LoginSpec {
  accountId: string;
  ts: number;
  result?: 'success' | 'failure';
  authMethod: AuthMethod;
  channel: Channel;
  device: Device | null;
  net: Network;
  ip?: string;
  sessionId?: string | null;
}

export type Outcome = 'fill' | 'partial' | 'cancel' | 'reject';

export interface OrderSpec {
  accountId: string;
  ts: number;
  sessionId: string | null;
  channel: Channel;
  symbol: string;
  side: Side;
  orderType: OrderType;
  quantity: number;
  /** limit price; market orders take none */
  limit?: number;
  outcome?: Outcome;
  /** a fill no better than this price multiple (pumps pay up) */
  fillAt?: number;
}

/** Builds contract events with seeded ids; all events of a run come through one of these. */
export class EventFactory {
  constructor(private readonly rng: Rng, private readonly market: Market) {}

  id(): string {
    return this.rng.uuid();
  }

  sessionId(): string {
    return `sess_${this.rng.hex(24)}`;
  }

  login(s: LoginSpec): LoginInput {
    const success = (s.result ?? 'success') === 'success';
    return {
      type: 'login', eventId: this.id(), ts: s.ts, accountId: s.accountId, result: s.result ?? 'success',
      authMethod: s.authMethod, channel: s.channel, ip: s.ip ?? ipFrom(this.rng, s.net), country: s.net.country,
      asn: s.net.asn, ipType: s.net.ipType, deviceId: s.device?.id ?? null, userAgent: s.device?.userAgent ?? null,
      sessionId: success ? (s.sessionId ?? this.sessionId()) : null,
    };
  }

  change(accountId: string, ts: number, action: AccountAction, sessionId: string | null, ip: string | null, deviceId: string | null): InputEvent {
    return { type: 'account_event', eventId: this.id(), ts, accountId, action, sessionId, ip, deviceId };
  }

  /** The lifecycle of one order: `new`, then fills, a cancel or a rejection, in event time. */
  order(s: OrderSpec): OrderInput[] {
    const inst = this.market.bySymbol.get(s.symbol)!;
    const orderId = `ord_${this.rng.hex(16)}`;
    const base = {
      type: 'order' as const, accountId: s.accountId, orderId, sessionId: s.sessionId, channel: s.channel,
      symbol: s.symbol, side: s.side, orderType: s.orderType, quantity: s.quantity,
      price: s.orderType === 'limit' ? (s.limit ?? this.market.round(s.symbol, this.market.rawPrice(s.symbol, s.ts))) : null,
      currency: inst.currency,
    };
    const out: OrderInput[] = [{ ...base, eventId: this.id(), ts: s.ts, status: 'new', fillQuantity: null, fillPrice: null }];
    const outcome = s.outcome ?? 'fill';
    if (outcome === 'reject') {
      out.push({ ...base, eventId: this.id(), ts: s.ts + this.rng.int(50, 900), status: 'rejected', fillQuantity: null, fillPrice: null });
      return out;
    }
    const open = nextOpen(this.market, s.symbol, s.ts + this.rng.int(200, 3000));
    if (open === null || outcome === 'cancel') {
      out.push({ ...base, eventId: this.id(), ts: s.ts + this.rng.int(2, 240) * MIN, status: 'cancelled', fillQuantity: null, fillPrice: null });
      return out;
    }
    const fillTs = open === s.ts ? s.ts + this.rng.int(200, 4000) : open + this.rng.int(1000, 90_000);
    const price = (t: number) => {
      let p = this.market.fillPrice(this.rng, s.symbol, t, s.side);
      if (s.fillAt) p = this.market.round(s.symbol, Math.max(p, p * s.fillAt));
      if (base.price !== null) p = s.side === 'buy' ? Math.min(p, base.price) : Math.max(p, base.price);
      return p;
    };
    if (outcome === 'partial' && s.quantity > 1) {
      const unit = inst.market === 'XTKS' && s.quantity % 100 === 0 ? 100 : 1;
      const part = Math.max(unit, Math.floor((s.quantity * this.rng.between(0.2, 0.8)) / unit) * unit);
      if (part < s.quantity) {
        out.push({ ...base, eventId: this.id(), ts: fillTs, status: 'partially_filled', fillQuantity: part, fillPrice: price(fillTs) });
        const later = fillTs + this.rng.int(5, 600) * 1000;
        out.push(this.rng.chance(0.5)
          ? { ...base, eventId: this.id(), ts: later, status: 'filled', fillQuantity: s.quantity - part, fillPrice: price(later) }
          : { ...base, eventId: this.id(), ts: later + 30 * MIN, status: 'cancelled', fillQuantity: null, fillPrice: null });
        return out;
      }
    }
    out.push({ ...base, eventId: this.id(), ts: fillTs, status: 'filled', fillQuantity: s.quantity, fillPrice: price(fillTs) });
    return out;
  }
}

/** Whole trading units: 100-share lots in Tokyo, single shares elsewhere. */
export function unitOf(market: string): number {
  return market === 'XTKS' ? 100 : 1;
}

export function sharesFor(valueJpy: number, price: number, fx: number, market: string): number {
  const unit = unitOf(market);
  return Math.max(unit, Math.floor(valueJpy / (price * fx) / unit) * unit);
}
