import type { Finding } from '@kanshi/contract';

/**
 * Which combinations of evidence may hold an account. A hold stops a customer from trading, so
 * no single family of evidence is enough, however high its score: a new phone, a sell-off, a
 * small-cap buy, a corporate proxy abroad are each a good customer's right.
 * - `scheme`: access that contradicts the account's history, holdings liquidated, and a thin
 *   stock bought;
 * - `campaign_member`: the account liquidated and bought a thin stock, and a campaign (high or
 *   critical, several accounts) names it as one of the buyers;
 * - `control_and_cash_out`: access that contradicts the history, a change of who controls the
 *   account (e-mail, phone, MFA, bank account), and a withdrawal.
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
}

/** Access evidence that contradicts the account, as opposed to novelty (a new phone, a first login). */
export const CONTRADICTING_ACCESS: ReadonlySet<string> = new Set([
  'session_resume_foreign_device', 'session_resume_foreign_network', 'session_resume_unknown_device',
  'failures_then_success', 'datacenter_abroad', 'tor_ip', 'dormant_return_new_device',
  'session_used_foreign_device', 'session_channel_switch',
]);
export const CONTROL_TAKEOVER: ReadonlySet<string> = new Set(['email_change', 'phone_change', 'mfa_change', 'bank_account_change']);

/** how long one account's families of evidence are put together (event time, ms) */
export const CORROBORATION_WINDOW_MS = 24 * 3600_000;
const MAX_ACCOUNTS = 50_000;

/** When each family was last seen for one account, and its latest finding the policy may act on. */
interface Evidence {
  access: number;
  control: number;
  withdrawal: number;
  liquidation: number;
  thinBuy: number;
  campaign: number;
  eligible: Finding | null;
  last: number;
}

const NEVER = Number.NEGATIVE_INFINITY;

export class HoldCorroboration {
  private readonly accounts = new Map<string, Evidence>();

  /**
   * The holds `f` corroborates. `eligible`: `f` passed the policy's kind, severity and score gate;
   * a campaign corroborates its members from high upward.
   */
  candidates(f: Finding, eligible: boolean): HoldCandidate[] {
    const at = f.detectedAt;
    const codes = new Set((Array.isArray(f.reasons) ? f.reasons : []).map((r) => r?.code));
    const out: HoldCandidate[] = [];
    if (f.kind === 'pump_campaign') {
      if ((f.severity !== 'high' && f.severity !== 'critical') || f.accountIds.length < 2) return out;
      for (const a of f.accountIds) {
        const e = this.evidence(a, at);
        e.campaign = at;
        this.judge(a, e, at, out);
      }
      return out;
    }
    for (const a of f.accountIds) {
      const e = this.evidence(a, at);
      if ([...codes].some((c) => CONTRADICTING_ACCESS.has(c) || CONTROL_TAKEOVER.has(c))) e.access = at;
      if ([...codes].some((c) => CONTROL_TAKEOVER.has(c))) e.control = at;
      if (codes.has('withdrawal_request')) e.withdrawal = at;
      if (codes.has('liquidation')) e.liquidation = at;
      if (codes.has('thin_stock_buy')) e.thinBuy = at;
      if (eligible) e.eligible = f;
      this.judge(a, e, at, out);
    }
    return out;
  }

  private judge(accountId: string, e: Evidence, at: number, out: HoldCandidate[]): void {
    const f = e.eligible;
    if (!f || at - f.detectedAt > CORROBORATION_WINDOW_MS) return;
    const recent = (t: number) => at - t <= CORROBORATION_WINDOW_MS;
    const scheme = recent(e.liquidation) && recent(e.thinBuy);
    const rule: HoldRule | null = recent(e.access) && scheme ? 'scheme'
      : recent(e.campaign) && scheme ? 'campaign_member'
      : recent(e.access) && recent(e.control) && recent(e.withdrawal) ? 'control_and_cash_out' : null;
    if (rule) out.push({ accountId, findingId: f.findingId, rule, basis: f });
  }

  private evidence(accountId: string, at: number): Evidence {
    let e = this.accounts.get(accountId);
    if (e) {
      this.accounts.delete(accountId);
    } else {
      e = { access: NEVER, control: NEVER, withdrawal: NEVER, liquidation: NEVER, thinBuy: NEVER, campaign: NEVER, eligible: null, last: at };
    }
    e.last = Math.max(e.last, at);
    this.accounts.set(accountId, e);
    // bounded, oldest first (a Map iterates in insertion order, and a touched account moves last)
    for (const [k, v] of this.accounts) {
      if (this.accounts.size <= MAX_ACCOUNTS && at - v.last <= CORROBORATION_WINDOW_MS) break;
      this.accounts.delete(k);
    }
    return e;
  }
}
