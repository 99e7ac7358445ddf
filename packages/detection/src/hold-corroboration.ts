import type { Finding } from '@kanshi/contract';

/**
 * Which combinations of evidence may hold an account. A hold stops a customer from trading, so
 * no single family of evidence is enough, however high its score: a new phone, a sell-off, a
 * small-cap buy, a corporate proxy abroad are each a good customer's right.
 * - `scheme`: access that contradicts the account's history, holdings liquidated, and a thin
 *   stock bought;
 * - `campaign_member`: the account's own login looked unlike it (novelty is enough here), it
 *   liquidated and bought a thin stock, and a campaign the policy itself would act on (critical,
 *   several accounts) names it as one of the buyers: trading alone, or a campaign that is only
 *   high, never holds;
 * - `control_and_cash_out`: a change of who controls the account (e-mail, phone, MFA, bank
 *   account) and a withdrawal, after access that contradicts the history or with the e-mail or
 *   phone changed too (the owner no longer hears of it): a new bank account and a withdrawal
 *   alone, from a new device, is a customer's cash-out (the year end, a move, retirement).
 * The families are gathered over the account's findings of the last day: one takeover often
 * shows as two incidents (the day session sells, the night session buys).
 */
export type HoldRule = 'scheme' | 'campaign_member' | 'control_and_cash_out';

export interface HoldCandidate {
  accountId: string;
  /** the account's own finding the hold cites */
  findingId: string;
  rule: HoldRule;
  /** the finding whose reasons the hold states */
  basis: Finding;
  /** the moment the evidence came together (event time), and the finding seen then */
  at: number;
  via: string;
  /** the finding seen then is a campaign naming the account */
  viaCampaign: boolean;
}

/**
 * Access evidence that contradicts the account, as opposed to novelty (a new phone, a first
 * login), and that no good customer's network produces: a datacenter abroad is left out, since
 * a corporate or cloud web proxy exits there too; so are a resumed session the account never
 * showed being created (a busy customer's older sessions fall out of its bounded memory) and one
 * resumed from another network (phones move between Wi-Fi and carrier, proxies between exits).
 * Holding those customers is the error to avoid.
 */
export const CONTRADICTING_ACCESS: ReadonlySet<string> = new Set([
  'session_resume_foreign_device', 'failures_then_success', 'tor_ip', 'dormant_return_new_device',
  'session_used_foreign_device', 'session_channel_switch',
  // an analyst confirmed this device or address as an attacker's; a prefix or ASN is shared with customers, so only novelty
  'listed_block_device', 'listed_block_ip',
]);
export const CONTROL_TAKEOVER: ReadonlySet<string> = new Set(['email_change', 'phone_change', 'mfa_change', 'bank_account_change']);
/** Codes that say nothing about who logged in: the trading, housekeeping changes, and the prior of an account without history. */
const NOT_ACCESS: ReadonlySet<string> = new Set([
  'liquidation', 'thin_stock_buy', 'aggressive_limit', 'unusual_order_size', 'liquidate_then_buy_thin', 'takeover_prior',
  'notification_change', 'password_change', 'address_change', 'withdrawal_request', 'legacy_password_only', 'session_resume_unverified',
  // weightless: a signal the allow lists dropped
  'allow_listed_exit', 'allow_listed_device',
]);

const MAX_ACCOUNTS = 50_000;

/**
 * A moment in the one order every reader agrees on: event time, then the finding's id. Findings
 * of one instant are common (an account's buy and the campaign it completes share a trade's
 * time), and the alerter reads them in whatever order its partitions give; by time alone the
 * one read first would see the other's evidence at its own moment or not, and the hold would
 * differ with the interleaving (a campaign member's hold named by its campaign or not).
 */
interface Moment {
  at: number;
  id: string;
}

/**
 * When each family was seen for one account (the latest few moments, each list in order), and
 * its findings the policy may act on. Moments rather than a latest one: the alerter reads
 * findings from several partitions, so they come out of event-time order, and evidence seen
 * later than the finding being judged must not corroborate it (else a hold lands earlier than
 * the evidence).
 */
interface Evidence {
  access: Moment[];
  /** access that contradicts the history itself (CONTRADICTING_ACCESS), not a change standing for it */
  contradiction: Moment[];
  /** the e-mail or phone changed: whoever gets the account's notices is someone else */
  reached: Moment[];
  /** any login signal at all (novelty), not only contradictions */
  novelty: Moment[];
  control: Moment[];
  withdrawal: Moment[];
  liquidation: Moment[];
  thinBuy: Moment[];
  campaign: Moment[];
  eligible: Finding[];
  /** every finding seen, in moment order: the moments at which a hold may come together */
  moments: (Moment & { campaign: boolean })[];
  last: number;
}

/** `x` is not later than `y` in the moment order */
function notAfter(x: Moment, y: Moment): boolean {
  return x.at < y.at || (x.at === y.at && x.id <= y.id);
}

/** `x` comes strictly before `y` in the moment order */
function before(x: Moment, y: Moment): boolean {
  return !notAfter(y, x);
}

function sameMoment(x: Moment, y: Moment): boolean {
  return x.at === y.at && x.id === y.id;
}

/** A finding's own moment: its event time and its id */
const momentOf = (f: Finding): Moment => ({ at: f.detectedAt, id: f.findingId });

/** how many times per family, and eligible findings, one account keeps */
const KEPT = 8;

export class HoldCorroboration {
  private readonly accounts = new Map<string, Evidence>();

  /** `windowMs`: how long one account's families of evidence are put together (event time) */
  constructor(private readonly windowMs: number) {}

  /**
   * The holds `f` corroborates. `eligible`: `f` passed the policy's kind, severity and score gate
   * (a campaign passes it to corroborate its members).
   */
  candidates(f: Finding, eligible: boolean): HoldCandidate[] {
    const at = f.detectedAt;
    const now = momentOf(f);
    const codes = new Set((Array.isArray(f.reasons) ? f.reasons : []).map((r) => r?.code));
    const out: HoldCandidate[] = [];
    if (f.kind === 'pump_campaign') {
      if (!eligible || f.accountIds.length < 2) return out;
      for (const a of f.accountIds) {
        const e = this.evidence(a, at);
        seen(e.campaign, now);
        this.judgeFrom(a, e, at, f.findingId, true, out);
      }
      return out;
    }
    for (const a of f.accountIds) {
      const e = this.evidence(a, at);
      const contradicts = [...codes].some((c) => CONTRADICTING_ACCESS.has(c));
      const controls = [...codes].some((c) => CONTROL_TAKEOVER.has(c));
      // for the scheme a change of who controls the account stands for the access; for a cash-out it does not
      if (contradicts || controls) seen(e.access, now);
      if (contradicts) seen(e.contradiction, now);
      if (codes.has('email_change') || codes.has('phone_change')) seen(e.reached, now);
      if (controls) seen(e.control, now);
      if ([...codes].some((c) => c !== undefined && !NOT_ACCESS.has(c) && !CONTROL_TAKEOVER.has(c))) seen(e.novelty, now);
      if (codes.has('withdrawal_request')) seen(e.withdrawal, now);
      if (codes.has('liquidation')) seen(e.liquidation, now);
      if (codes.has('thin_stock_buy')) seen(e.thinBuy, now);
      // a later revision of a finding takes its earlier one's place
      if (eligible) placeInOrder(e.eligible, f, (x, y) => before(momentOf(x), momentOf(y)), (x, y) => x.findingId === y.findingId, KEPT);
      this.judgeFrom(a, e, at, f.findingId, false, out);
    }
    return out;
  }

  /**
   * Judges the account at this finding's moment and, when findings of later moments were read
   * before it, at each of those again: in event-time order the evidence would have come together
   * there. The first moment that corroborates a hold is the one taken.
   */
  private judgeFrom(accountId: string, e: Evidence, at: number, id: string, campaign: boolean, out: HoldCandidate[]): void {
    const m = e.moments;
    const now: Moment = { at, id };
    placeInOrder(m, { at, id, campaign }, before, sameMoment, 2 * KEPT);
    for (const x of m) {
      if (before(x, now)) continue;
      if (this.judge(accountId, e, x.at, x.id, x.campaign, out)) return;
    }
  }

  private judge(accountId: string, e: Evidence, at: number, via: string, viaCampaign: boolean, out: HoldCandidate[]): boolean {
    const now: Moment = { at, id: via };
    // the latest finding the policy may act on that is not later than this moment
    let f: Finding | undefined;
    for (const x of e.eligible) if (notAfter(momentOf(x), now)) f = x;
    const windowMs = this.windowMs;
    if (!f || at - f.detectedAt > windowMs) return false;
    const recent = (ms: Moment[]) => ms.some((m) => notAfter(m, now) && at - m.at <= windowMs);
    const scheme = recent(e.liquidation) && recent(e.thinBuy);
    const rule: HoldRule | null = recent(e.access) && scheme ? 'scheme'
      : recent(e.campaign) && recent(e.novelty) && scheme ? 'campaign_member'
      : (recent(e.contradiction) || recent(e.reached)) && recent(e.control) && recent(e.withdrawal) ? 'control_and_cash_out' : null;
    if (rule) out.push({ accountId, findingId: f.findingId, rule, basis: f, at, via, viaCampaign });
    return rule !== null;
  }

  private evidence(accountId: string, at: number): Evidence {
    let e = this.accounts.get(accountId);
    if (e) {
      this.accounts.delete(accountId);
    } else {
      e = { access: [], contradiction: [], reached: [], novelty: [], control: [], withdrawal: [], liquidation: [], thinBuy: [], campaign: [], eligible: [], moments: [], last: at };
    }
    e.last = Math.max(e.last, at);
    this.accounts.set(accountId, e);
    // bounded, oldest first (a Map iterates in insertion order, and a touched account moves last)
    for (const [k, v] of this.accounts) {
      if (this.accounts.size <= MAX_ACCOUNTS && at - v.last <= this.windowMs) break;
      this.accounts.delete(k);
    }
    return e;
  }
}

/** Puts `m` in its place in a family's moments, keeping the latest KEPT. */
function seen(moments: Moment[], m: Moment): void {
  placeInOrder(moments, m, before, sameMoment, KEPT);
}

/**
 * Puts `x` in its place in `list`, ordered by `before`, instead of an entry `same` as it, and
 * keeps the last `keep`: the one bounded, ordered insert behind a family's times, the account's
 * eligible findings and its moments.
 */
function placeInOrder<T>(list: T[], x: T, before: (a: T, b: T) => boolean, same: (a: T, b: T) => boolean, keep: number): void {
  const old = list.findIndex((y) => same(y, x));
  if (old >= 0) list.splice(old, 1);
  let i = list.length;
  while (i > 0 && before(x, list[i - 1])) i--;
  list.splice(i, 0, x);
  if (list.length > keep) list.splice(0, list.length - keep);
}
