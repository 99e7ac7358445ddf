import type { RejectCode } from './errors.js';

/**
 * The event contract (shared/contract/EVENTS.md) as TypeScript types.
 * Field names are fixed by the contract; `schemas/*.avsc` is the wire format and
 * `types.test.ts` proves the two agree. Times are epoch milliseconds, event time, UTC.
 */

export type LoginResult = 'success' | 'failure';
export type AuthMethod =
  | 'password'
  | 'password_otp_sms'
  | 'password_otp_app'
  | 'passkey'
  | 'session_resume'
  | 'legacy_password_only';
export type Channel = 'web' | 'app' | 'api';
export type IpType = 'residential' | 'mobile' | 'hosting' | 'vpn' | 'tor' | 'unknown';

export interface LoginEvent {
  eventId: string;
  ts: number;
  accountId: string;
  result: LoginResult;
  authMethod: AuthMethod;
  channel: Channel;
  ip: string;
  country?: string | null;
  asn?: number | null;
  ipType?: IpType | null;
  deviceId?: string | null;
  userAgent?: string | null;
  sessionId?: string | null;
}

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit';
export type OrderStatus = 'new' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected' | 'amended';

export interface OrderEvent {
  eventId: string;
  ts: number;
  accountId: string;
  orderId: string;
  sessionId?: string | null;
  channel?: Channel | null;
  symbol: string;
  side: Side;
  orderType: OrderType;
  quantity: number;
  price?: number | null;
  status: OrderStatus;
  fillQuantity?: number | null;
  fillPrice?: number | null;
  currency: string;
}

export type AccountAction =
  | 'password_change'
  | 'email_change'
  | 'phone_change'
  | 'mfa_change'
  | 'bank_account_change'
  | 'notification_change'
  | 'withdrawal_request'
  | 'address_change';

export interface AccountChangeEvent {
  eventId: string;
  ts: number;
  accountId: string;
  action: AccountAction;
  sessionId?: string | null;
  ip?: string | null;
  deviceId?: string | null;
}

/** The three input streams, tagged as in NDJSON (`type` field) or by the topic they came from. */
export type EventType = 'login' | 'order' | 'account_event';
export type InputEvent =
  | ({ type: 'login' } & LoginEvent)
  | ({ type: 'order' } & OrderEvent)
  | ({ type: 'account_event' } & AccountChangeEvent);

export interface Instrument {
  symbol: string;
  name: string;
  /** MIC, e.g. XTKS, XHKG, XSHE, XNAS, OTCM */
  market: string;
  /** issuer country, ISO 3166 alpha-2 */
  country: string;
  currency: string;
  fxToJpy: number;
  marketCapJpy: number;
  /** 20-day average daily traded value, JPY */
  adv20Jpy: number;
  prevClose: number;
}

export type Mfa = 'none' | 'sms' | 'app' | 'passkey';
export interface Position {
  symbol: string;
  quantity: number;
}
export interface AccountSnapshot {
  accountId: string;
  openedAt: number;
  homeCountry: string;
  mfa: Mfa;
  holdingsJpy: number;
  positions: Position[];
}

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type FindingKind =
  | 'account_takeover'
  | 'takeover_liquidation'
  | 'hijacked_pump_buy'
  | 'pump_campaign'
  | 'dump_beneficiary';

export interface Reason {
  /** stable machine code, e.g. `session_resume_foreign_device` */
  code: string;
  /** one sentence a compliance analyst can read */
  detail: string;
}

export interface Finding {
  findingId: string;
  kind: FindingKind | string;
  severity: Severity;
  score: number;
  accountIds: string[];
  symbols: string[];
  detectedAt: number;
  evidence: string[];
  reasons: Reason[];
  /** grows as the same finding is updated; the store keeps the highest */
  revision: number;
  threat?: number | null;
  vulnerability?: number | null;
  impact?: number | null;
}

export interface Alert {
  alertId: string;
  findingId: string;
  kind: string;
  severity: Severity;
  score: number;
  accountIds: string[];
  symbols: string[];
  at: number;
  summary: string;
}

export type HoldMode = 'enforce' | 'dry_run';
/** What the order system does with a hold: `active`, `confirmed` and `release_pending` hold; `released` lets go. */
export type HoldState = 'active' | 'confirmed' | 'release_pending' | 'released';
/**
 * A hold command (the alerter's, state active) or a later change of the same hold (the desk's:
 * same holdId, the new state and who changed it). The change fields came with schema version 2,
 * each with a default: a reader of version 1 still decodes every record.
 */
export interface Hold {
  holdId: string;
  accountId: string;
  findingId: string;
  at: number;
  mode: HoldMode;
  reason: string;
  /** absent: active (a new hold) */
  state?: HoldState;
  changeId?: string | null;
  changedAt?: number | null;
  changedBy?: string | null;
  changeReason?: string | null;
  approvedBy?: string | null;
}

/** A block list marks infrastructure as an attacker's; an allow list says a signal from it is known and innocent. */
export type ListKind = 'block' | 'allow';
/** What an entry lists: one address, a CIDR prefix, an AS number, or a device fingerprint. */
export type ListTarget = 'ip' | 'prefix' | 'asn' | 'device';

/**
 * One entry of the block or allow lists (topic `kanshi.lists`, compacted, keyed by entryId; a
 * null value deletes it). It applies to events whose time is within [createdAt, expiresAt), and
 * before removedAt when it was withdrawn: event time, so a replay with the same lists gives the
 * same findings. Not part of EVENTS.md: these names are Kanshi's own.
 */
export interface ListEntry {
  entryId: string;
  list: ListKind;
  target: ListTarget;
  /** the address, `address/length`, AS number (digits) or deviceId */
  value: string;
  /** an allow-listed device is known for this account only; null for every other entry */
  accountId?: string | null;
  author: string;
  reason: string;
  createdAt: number;
  expiresAt: number;
  /** withdrawn from this time on (event time); the entry stays, so a replay still sees it before */
  removedAt?: number | null;
  /** the finding (case) the entry was made from, when it was */
  findingId?: string | null;
}

/** A rejected input, kept with its reason so nothing is lost silently. */
export interface Rejection {
  /** where it came from: a file:line, or topic/partition@offset */
  source: string;
  eventId: string | null;
  field: string | null;
  reason: string;
  /** the reason as a code of a closed list (`REJECT_CODES`), what rejections are counted by */
  code?: RejectCode;
  /** the offending input, truncated for storage */
  raw: string;
}
