import type { Instrument, OrderEvent } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import type { AccountProfile } from './profile.js';
import { isThin, valueJpy } from './reference.js';
import { clamp01, pct, ramp, signal, yen, type Signal } from './scoring.js';

export interface ThinBuyAssessment {
  /** 0..1; 0 when the instrument is not thin or the order is small against its liquidity */
  strength: number;
  valueJpy: number;
  advShare: number;
  /** limit price over the previous close (0.1 = +10 %); null for a market order */
  premium: number | null;
  signals: Signal[];
}

/**
 * What the buying session did that no owner does, said as the end of a sentence about it ("in a
 * session ..."), or null: a never-bought thin stock it buys counts at any size (see stray).
 */
export type StraySession = string | null;

/**
 * How much a buy order looks like pumping a thin stock: its size against the stock's normal
 * daily traded value (the dominant factor), how far its limit sits above the last close, and
 * how unlike the account's own buying it is. Home-market small caps count as much as foreign
 * ones: attackers moved to them once foreign ones were blocked.
 */
export function assessBuy(order: OrderEvent, inst: Instrument, profile: AccountProfile, cfg: DetectionConfig, proceedsJpy = 0, stranger: StraySession = null): ThinBuyAssessment {
  const v = valueJpy(inst, order.quantity, order.price);
  const advShare = inst.adv20Jpy > 0 ? v / inst.adv20Jpy : 1;
  const w = cfg.weights.thinBuy;
  // a small account's whole sell-off moves a thin stock little, but spending all of it on one is
  // the scheme's shape at any size: the attacker spends what the victim had, however little
  const allIn = proceedsJpy > 0 ? ramp(v / proceedsJpy, w.allInFrom, w.allInTo) : 0;
  const newSymbol = profile.knowsSymbol(order.symbol) ? 0 : 1;
  // ... and so is a thin stock the account never bought, in a session whose access contradicted
  // the account (a stolen cookie, a datacenter abroad) or that cut the owner off (contact details
  // changed, notices silenced): a low-balance victim's cash moves no stock, and a holiday night's
  // buy has nothing sold before it to be all in of
  const stray = stranger !== null ? newSymbol * w.contradictedNewSymbolStrength : 0;
  if (!isThin(inst, cfg) || (advShare < cfg.thinBuyMinAdvShare && allIn === 0 && stray === 0)) return { strength: 0, valueJpy: v, advShare, premium: null, signals: [] };

  const size = advShare < cfg.thinBuyMinAdvShare ? 0 : ramp(Math.log10(advShare), Math.log10(cfg.thinBuyMinAdvShare), Math.log10(cfg.thinBuyFullAdvShare));
  const premium = order.price != null && inst.prevClose > 0 ? order.price / inst.prevClose - 1 : null;
  const aggressive = premium === null ? w.marketOrderAggressiveness : ramp(premium, 0, cfg.aggressiveLimitPremium);
  const typical = profile.typicalOrderJpy();
  const unusualSize = typical === null ? w.unknownTypicalUnusualSize : ramp(Math.log10(v / typical), w.unusualSizeFromLog10, w.unusualSizeToLog10);
  const bySize = clamp01(size * (w.base + w.aggressive * aggressive + w.unusualSize * unusualSize + w.newSymbol * newSymbol));
  const byShape = Math.max(bySize, w.allInStrength * allIn);
  const strength = Math.max(byShape, stray);

  const where = inst.country === cfg.homeCountry ? 'home-market' : `foreign (${inst.market})`;
  const signals: Signal[] = [
    signal('thin_stock_buy', w.signal * strength,
      `Buy of ${order.quantity} ${order.symbol} (${where} small cap) worth ${yen(v)} = ${pct(advShare)} of its 20-day average daily value ${yen(inst.adv20Jpy)}.`),
  ];
  if (allIn > 0 && w.allInStrength * allIn > bySize) {
    signals.push(signal('all_in_thin_buy', 0, `The buy spent ${pct(v / proceedsJpy)} of the ${yen(proceedsJpy)} the account had just sold for: all of it into one thin stock.`));
  }
  if (stray > byShape) {
    signals.push(signal('new_thin_symbol', 0, `${order.symbol} was never bought by this account before, and it was bought in a session ${stranger}.`));
  }
  if (premium !== null && premium >= cfg.aggressiveLimitPremium * w.aggressiveNoteShare) {
    signals.push(signal('aggressive_limit', 0, `Limit ${order.price} is ${pct(premium)} above the previous close ${inst.prevClose}.`));
  }
  if (typical !== null && v / typical >= w.unusualSizeNoteMultiple) {
    signals.push(signal('unusual_order_size', 0, `${Math.round(v / typical)}x this account's typical order (${yen(typical)}).`));
  }
  return { strength, valueJpy: v, advShare, premium, signals };
}
