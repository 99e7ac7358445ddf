import type { Finding, Hold, HoldMode, Severity } from '@kanshi/contract';
import { HoldCorroboration } from './hold-corroboration.js';
import { deterministicId } from './ids.js';
import { SEVERITY_ORDER } from './scoring.js';

/**
 * When a finding becomes an account hold. Dry-run by default: a brokerage turns on enforcement
 * after reviewing what the policy would have held. A circuit breaker caps the holds per window
 * so that a detector bug can never freeze good customers en masse; once open it only alerts.
 */
export interface HoldPolicyConfig {
  mode: HoldMode;
  /** finding kinds that may hold their accounts */
  kinds: string[];
  minSeverity: Severity;
  minScore: number;
  /** most holds per window (event time) before the breaker opens */
  maxHoldsPerWindow: number;
  windowMs: number;
  /** an account held once is not held again for this long: one hold per incident, not per finding */
  accountCooldownMs: number;
  /** recorded with every hold and in the audit log */
  version: string;
}

export const DEFAULT_HOLD_POLICY: Readonly<HoldPolicyConfig> = Object.freeze({
  mode: 'dry_run',
  kinds: ['hijacked_pump_buy', 'takeover_liquidation', 'account_takeover'],
  minSeverity: 'critical',
  minScore: 0.8,
  maxHoldsPerWindow: 50,
  windowMs: 3600_000,
  accountCooldownMs: 24 * 3600_000,
  version: 'hold-policy/2',
});

export interface HoldDecision {
  holds: Hold[];
  /** a critical finding raised when the breaker opens (once per window) */
  breaker: Finding | null;
}

export class HoldPolicy {
  private recent: number[] = [];
  private readonly heldAt = new Map<string, number>();
  private breakerOpenedAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;
  private readonly corroboration = new HoldCorroboration();

  constructor(readonly cfg: HoldPolicyConfig = DEFAULT_HOLD_POLICY) {}

  /**
   * Carries a restarted process's memory: who was held when, the holds inside the breaker's
   * window, and when the breaker last opened. Without it an account held before a restart could
   * be held again by its next finding.
   */
  restore(held: { heldAt: ReadonlyMap<string, number>; recentHolds: readonly number[]; breakerOpenedAt: number | null }): void {
    for (const [accountId, at] of held.heldAt) if (at > (this.heldAt.get(accountId) ?? Number.NEGATIVE_INFINITY)) this.heldAt.set(accountId, at);
    this.recent = [...this.recent, ...held.recentHolds].sort((a, b) => a - b).slice(-this.cfg.maxHoldsPerWindow);
    if (held.breakerOpenedAt !== null && held.breakerOpenedAt > this.breakerOpenedAt) this.breakerOpenedAt = held.breakerOpenedAt;
  }

  get breakerOpen(): boolean {
    return this.suppressed > 0 && this.recent.length >= this.cfg.maxHoldsPerWindow;
  }

  evaluate(f: Finding): HoldDecision {
    const decision: HoldDecision = { holds: [], breaker: null };
    const candidates = this.corroboration.candidates(f, this.eligible(f));
    if (candidates.length === 0) return decision;
    const at = f.detectedAt;
    this.recent = this.recent.filter((t) => at - t < this.cfg.windowMs);
    for (const { accountId, findingId, rule, basis } of candidates) {
      const since = this.heldAt.get(accountId);
      if (since !== undefined && at - since < this.cfg.accountCooldownMs) continue;
      const holdId = deterministicId('h', accountId, findingId);
      if (this.recent.length >= this.cfg.maxHoldsPerWindow) {
        this.suppressed++;
        if (at - this.breakerOpenedAt >= this.cfg.windowMs) {
          this.breakerOpenedAt = at;
          decision.breaker = this.breakerFinding(f, at);
        }
        continue;
      }
      this.heldAt.set(accountId, at);
      this.recent.push(at);
      decision.holds.push({
        holdId,
        accountId,
        findingId,
        at,
        mode: this.cfg.mode,
        reason: `${rule.replace(/_/g, ' ')}: ${basis.kind} ${basis.severity} (score ${basis.score})${basis === f ? '' : `, named by campaign ${f.findingId}`}: ${basis.reasons[0]?.detail ?? ''} [${this.cfg.version}]`,
      });
    }
    return decision;
  }

  /** The policy's own gate: a kind it may act on, at its severity and score. */
  private eligible(f: Finding): boolean {
    const kinds = f.kind === 'pump_campaign' ? true : this.cfg.kinds.includes(f.kind);
    return kinds && SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[this.cfg.minSeverity] && f.score >= this.cfg.minScore;
  }

  private breakerFinding(f: Finding, at: number): Finding {
    return {
      findingId: deterministicId('f', 'hold_circuit_breaker', at),
      kind: 'hold_circuit_breaker',
      severity: 'critical',
      score: 1,
      accountIds: [],
      symbols: [],
      detectedAt: at,
      evidence: [f.findingId],
      reasons: [{
        code: 'hold_rate_exceeded',
        detail: `More than ${this.cfg.maxHoldsPerWindow} holds within ${this.cfg.windowMs / 60_000} min: further holds are suppressed and only alerted until the rate falls. Check the detector before enforcing.`,
      }],
      revision: 1,
    };
  }
}
