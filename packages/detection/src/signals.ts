import type { OrderStatus, Side } from '@kanshi/contract';

/**
 * An order event on a thin instrument, re-keyed by symbol for the campaign stage. It carries
 * what stage 2 cannot see itself: the account's risk at that moment, its position before the
 * order, and where the session came from (for shared attacker infrastructure).
 */
export interface TradeSignal {
  symbol: string;
  accountId: string;
  eventId: string;
  orderId: string;
  ts: number;
  side: Side;
  status: OrderStatus;
  quantity: number;
  /** limit price for new orders, fill price for fills; instrument currency; null for market orders */
  price: number | null;
  fillQuantity: number;
  valueJpy: number;
  /** 0..1 evidence the account was taken over when it placed the order, the order itself not counted */
  accountRisk: number;
  /** shares held before this event: snapshot plus fills seen in the stream */
  heldBefore: number;
  /** hashed session origin: device, network (/24), ASN; 0 when unknown */
  device: number;
  network: number;
  asn: number;
  /** the session's exit was a fixed-line or hosting network new to the account at its login; absent when not, or in older records */
  novelExit?: boolean;
  /**
   * A buy placed after the account sold (in this session or the liquidation window), spending a
   * real part of the sale, in a session that was not the owner's familiar one; absent when not
   */
  fundedBySale?: boolean;
  /** distinct symbols the account has traded in the stream so far (up to 16); absent in older records */
  activeSymbols?: number;
  /**
   * When the account was opened (its reference snapshot), epoch ms; absent when stage 1 has no
   * snapshot of it, or in older records. Carried so that stage 2 never reads account reference
   * data: a detector instance holds the accounts of its own stage-1 partitions only.
   */
  openedAt?: number;
}
