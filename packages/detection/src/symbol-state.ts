import { median } from 'simple-statistics';
import type { DetectionConfig } from './config.js';
import type { TradeSignal } from './signals.js';
import { CampaignWindow } from './campaign.js';

/** Per-symbol state of the symbol stage (symbol-stage.ts): what one thin stock's trading left behind. */

interface SellRecord {
  ts: number;
  /** a fill of a limit order placed earlier: counted for a campaign that began after the placement */
  fillOfPlacedAt: number | null;
  accountId: string;
  eventId: string;
  /** the order a limit placement stands for, so its later fills are not counted again */
  placedOrder: string | null;
  quantity: number;
  price: number;
  valueJpy: number;
  heldBefore: number;
  /** distinct symbols the seller had traded (stage 1's count, up to 16) */
  activeSymbols: number;
  /** when the seller's account was opened, as stage 1 knew it; absent: unknown */
  openedAt?: number;
}

/** Per-symbol memory: recent buys and sells, prices, accumulation, and the campaign if any. */
export class SymbolState {
  buys: { ts: number; valueJpy: number; member: boolean; suspect: boolean }[] = [];
  sells: SellRecord[] = [];
  prices: { ts: number; price: number }[] = [];
  lastPrice = 0;
  accumulation = new Map<string, { firstTs: number; lastTs: number; quantity: number }>();
  campaign: CampaignWindow | null = null;
  pending = new CampaignWindow();
  slow = new CampaignWindow();
  suspects = new CampaignWindow();
  /** buyers who sold first and came through a range new to them, for campaigns of one exit */
  exits = new CampaignWindow();
  /** buy value per home-market day, all and by members, for the slow window's share */
  days: { day: number; all: number; members: number }[] = [];

  constructor(readonly symbol: string) {}

  expire(ts: number, cfg: DetectionConfig): void {
    // sells as far back as a slow campaign's start can reach: its sellers sell into every wave,
    // and the first waves come days before the campaign is seen
    const keep = Math.max(Math.max(cfg.campaignWindowMs, cfg.beneficiaryAfterMs) * 2, cfg.slowCampaignWindowMs);
    while (this.buys.length && ts - this.buys[0].ts > cfg.campaignWindowMs) this.buys.shift();
    while (this.sells.length && ts - this.sells[0].ts > keep) this.sells.shift();
    this.pending.expire(ts, cfg.campaignWindowMs);
    this.slow.expire(ts, cfg.slowCampaignWindowMs);
    this.suspects.expire(ts, cfg.campaignWindowMs);
    // kept as long as a slow campaign's window and its lookback reach: a confirmed campaign names them
    this.exits.expire(ts, Math.max(cfg.exitClusterWindowMs, cfg.slowCampaignWindowMs + cfg.campaignLookbackMs));
    while (this.days.length && (ts - this.days[0].day * DAY_MS) > cfg.slowCampaignWindowMs + DAY_MS) this.days.shift();
    if (this.accumulation.size > 512) {
      for (const [k, a] of this.accumulation) if (ts - a.lastTs > cfg.beneficiaryLookbackMs) this.accumulation.delete(k);
    }
  }

  /** Whether the last price stands the pump's measure (beneficiaryMinPremium) above `ref`. */
  pumpedFrom(ref: number, cfg: DetectionConfig): boolean {
    return ref > 0 && this.lastPrice > 0 && this.lastPrice / ref - 1 >= cfg.beneficiaryMinPremium;
  }

  notePrice(ts: number, price: number): void {
    this.lastPrice = price;
    this.prices.push({ ts, price });
    if (this.prices.length > 64) this.prices.shift();
  }

  /** Median fill price before `start`, robust to a few odd prints; the previous close without fills. */
  referencePrice(start: number, prevClose: number, cfg: DetectionConfig): number {
    const before = this.prices.filter((p) => p.ts < start).map((p) => p.price);
    return before.length >= cfg.referencePriceMinFills ? median(before) : prevClose;
  }

  noteAccumulation(t: TradeSignal): void {
    const a = this.accumulation.get(t.accountId);
    if (a) {
      a.quantity += t.fillQuantity;
      a.lastTs = t.ts;
    } else {
      this.accumulation.set(t.accountId, { firstTs: t.ts, lastTs: t.ts, quantity: t.fillQuantity });
    }
  }

  noteDayBuy(ts: number, valueJpy: number, member: boolean): void {
    const day = Math.floor(ts / DAY_MS);
    let d = this.days.at(-1);
    if (!d || d.day !== day) {
      d = { day, all: 0, members: 0 };
      this.days.push(d);
    }
    d.all += valueJpy;
    if (member) d.members += valueJpy;
  }

  dayMemberShare(ts: number, windowMs: number): number {
    let all = 0, members = 0;
    for (const d of this.days) {
      if (ts - (d.day + 1) * DAY_MS > windowMs) continue;
      all += d.all;
      members += d.members;
    }
    return all > 0 ? members / all : 0;
  }

  noteSell(t: TradeSignal, fxToJpy: number): void {
    // count an order once: its placement, or its fills when placed at market (no price yet); a
    // limit placed before a campaign and filled into it counts by its fills for that campaign
    const placement = t.status === 'new' && t.price !== null;
    const placed = t.fillQuantity > 0 && !placement ? this.sells.find((x) => x.placedOrder === t.orderId && x.fillOfPlacedAt === null) : undefined;
    if (!placement && t.fillQuantity <= 0) return;
    const price = t.price ?? this.lastPrice;
    const quantity = placement ? t.quantity : t.fillQuantity;
    this.sells.push({
      ts: t.ts, fillOfPlacedAt: placed ? placed.ts : null, accountId: t.accountId, eventId: t.eventId, placedOrder: placement || placed ? t.orderId : null,
      quantity, price, valueJpy: placement ? t.valueJpy : quantity * price * fxToJpy, heldBefore: t.heldBefore, activeSymbols: t.activeSymbols ?? 0,
      ...(t.openedAt !== undefined ? { openedAt: t.openedAt } : {}),
    });
  }

  sellsBy(accountId: string, since: number) {
    let quantity = 0, valueJpy = 0, maxPrice = 0, heldBefore = 0, activeSymbols = 0, firstTs = Number.POSITIVE_INFINITY;
    let openedAt: number | undefined;
    const eventIds: string[] = [];
    for (const x of this.sells) {
      if (x.accountId !== accountId || x.ts < since) continue;
      // a placement inside the campaign is counted whole; its fills only when it came before
      if (x.fillOfPlacedAt !== null && x.fillOfPlacedAt >= since) continue;
      quantity += x.quantity;
      valueJpy += x.valueJpy;
      maxPrice = Math.max(maxPrice, x.price);
      firstTs = Math.min(firstTs, x.ts);
      heldBefore = Math.max(heldBefore, x.heldBefore);
      activeSymbols = Math.max(activeSymbols, x.activeSymbols);
      openedAt ??= x.openedAt;
      eventIds.push(x.eventId);
    }
    return { quantity, valueJpy, maxPrice, heldBefore, activeSymbols, openedAt, eventIds, firstTs };
  }

  /** Buy value of risky buyers (members or suspects) from `from` to `to`. */
  riskyBuyJpy(from: number, to: number): number {
    let v = 0;
    for (const b of this.buys) if (b.ts >= from && b.ts <= to && (b.member || b.suspect)) v += b.valueJpy;
    return v;
  }

  recentSellers(since: number): string[] {
    return [...new Set(this.sells.filter((x) => x.ts >= since).map((x) => x.accountId))].sort();
  }

  /** members' (or suspects') share of the buy value within the window */
  memberShare(ts: number, windowMs: number, suspects = false): number {
    let all = 0, members = 0;
    for (const b of this.buys) {
      if (ts - b.ts > windowMs) continue;
      all += b.valueJpy;
      if (suspects ? b.suspect : b.member) members += b.valueJpy;
    }
    return all > 0 ? members / all : 0;
  }
}

const DAY_MS = 86_400_000;
