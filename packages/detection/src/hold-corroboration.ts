import type { Finding } from '@kanshi/contract';

/**
 * Which combinations of evidence may hold an account. A hold stops a customer from trading, so
 * no single family of evidence is enough, however high its score: a new phone, a sell-off, a
 * small-cap buy, a corporate proxy abroad are each a good customer's right.
 * - `scheme`: access that contradicts the account's history, and the scheme itself (holdings
 *   liquidated, a thin stock bought) in the same incident;
 * - `campaign_member`: the account liquidated and bought a thin stock, and a confirmed campaign
 *   (high or critical, several accounts) names it as one of the buyers;
 * - `control_and_cash_out`: access that contradicts the history, a change of who controls the
 *   account (e-mail, phone, MFA, bank account), and a withdrawal.
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
]);
export const CONTROL_TAKEOVER: ReadonlySet<string> = new Set(['email_change', 'phone_change', 'mfa_change', 'bank_account_change']);

/** how long an account's own scheme evidence waits for a campaign to name it (event time, ms) */
const MEMBER_WAIT_MS = 24 * 3600_000;
const MAX_WAITING = 50_000;

export class HoldCorroboration {
  /** accounts whose finding showed the scheme without contradicting access: a campaign may corroborate them */
  private readonly waiting = new Map<string, Finding>();

  /**
   * The holds `f` corroborates: its own accounts' (eligible: passed the policy's kind, severity
   * and score gate), or, for a campaign, its members that showed the scheme themselves.
   */
  candidates(f: Finding, eligible: boolean): HoldCandidate[] {
    const codes = new Set((Array.isArray(f.reasons) ? f.reasons : []).map((r) => r?.code));
    if (f.kind === 'pump_campaign') return eligible ? this.members(f) : [];
    const scheme = codes.has('liquidation') && codes.has('thin_stock_buy');
    const access = [...codes].some((c) => CONTRADICTING_ACCESS.has(c) || CONTROL_TAKEOVER.has(c));
    if (scheme && f.accountIds.length === 1 && (f.severity !== 'low')) this.wait(f);
    if (!eligible) return [];
    const rule: HoldRule | null = access && scheme ? 'scheme'
      : access && [...codes].some((c) => CONTROL_TAKEOVER.has(c)) && codes.has('withdrawal_request') ? 'control_and_cash_out' : null;
    return rule ? f.accountIds.map((accountId) => ({ accountId, findingId: f.findingId, rule, basis: f })) : [];
  }

  private members(campaign: Finding): HoldCandidate[] {
    if (campaign.accountIds.length < 2) return [];
    const out: HoldCandidate[] = [];
    for (const accountId of campaign.accountIds) {
      const own = this.waiting.get(accountId);
      if (!own || campaign.detectedAt - own.detectedAt > MEMBER_WAIT_MS) continue;
      out.push({ accountId, findingId: own.findingId, rule: 'campaign_member', basis: own });
    }
    return out;
  }

  private wait(f: Finding): void {
    const a = f.accountIds[0];
    this.waiting.delete(a);
    this.waiting.set(a, f);
    // bounded: the oldest go first (a Map iterates in insertion order)
    for (const [k, v] of this.waiting) {
      if (this.waiting.size <= MAX_WAITING && f.detectedAt - v.detectedAt <= MEMBER_WAIT_MS) break;
      this.waiting.delete(k);
    }
  }
}
