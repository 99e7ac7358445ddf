import type { AccountSnapshot, Instrument } from '@kanshi/contract';
import type { DetectionConfig } from './config.js';
import { ListBook } from './list-book.js';

/** Instrument and account reference data, as loaded from compacted topics or NDJSON files. */
export class ReferenceData {
  private readonly instruments = new Map<string, Instrument>();
  private readonly accounts = new Map<string, AccountSnapshot>();
  private readonly snapshotValueJpy = new Map<string, number>();
  /**
   * The block and allow lists, consulted on every login: reference data, never snapshotted.
   * Assignable, so that several ReferenceData of one process can share one followed book.
   */
  lists: ListBook = new ListBook();

  constructor(instruments: Iterable<Instrument> = [], accounts: Iterable<AccountSnapshot> = []) {
    for (const i of instruments) this.putInstrument(i);
    for (const a of accounts) this.putAccount(a);
  }

  putInstrument(i: Instrument): void {
    this.instruments.set(i.symbol, i);
  }

  putAccount(a: AccountSnapshot): void {
    this.accounts.set(a.accountId, a);
    this.snapshotValueJpy.delete(a.accountId);
  }

  /** Forgets an account: a detector lets go of the accounts of a partition it no longer owns. */
  removeAccount(accountId: string): void {
    this.accounts.delete(accountId);
    this.snapshotValueJpy.delete(accountId);
  }

  instrument(symbol: string): Instrument | undefined {
    return this.instruments.get(symbol);
  }

  account(accountId: string): AccountSnapshot | undefined {
    return this.accounts.get(accountId);
  }

  hasInstrument(symbol: string): boolean {
    return this.instruments.has(symbol);
  }

  get instrumentCount(): number {
    return this.instruments.size;
  }

  get accountCount(): number {
    return this.accounts.size;
  }

  /** What the account held at the snapshot, in JPY: the larger of the stated and the priced positions. */
  holdingsJpy(accountId: string): number {
    const cached = this.snapshotValueJpy.get(accountId);
    if (cached !== undefined) return cached;
    const a = this.accounts.get(accountId);
    let priced = 0;
    for (const p of a?.positions ?? []) {
      const i = this.instruments.get(p.symbol);
      if (i) priced += p.quantity * i.prevClose * i.fxToJpy;
    }
    const v = Math.max(a?.holdingsJpy ?? 0, priced);
    this.snapshotValueJpy.set(accountId, v);
    return v;
  }

  snapshotQuantity(accountId: string, symbol: string): number {
    const a = this.accounts.get(accountId);
    if (!a) return 0;
    for (const p of a.positions) if (p.symbol === symbol) return p.quantity;
    return 0;
  }
}

/** Thin: little traded value or a small company; foreign or home alike. */
export function isThin(i: Instrument, cfg: DetectionConfig): boolean {
  return i.adv20Jpy <= cfg.thinStockAdvJpy || i.marketCapJpy <= cfg.thinStockMarketCapJpy;
}

/** Value of `quantity` at `price` (instrument currency) in JPY. */
export function valueJpy(i: Instrument, quantity: number, price: number | null | undefined): number {
  return quantity * (price ?? i.prevClose) * i.fxToJpy;
}
