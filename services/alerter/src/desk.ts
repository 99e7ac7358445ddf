/**
 * What the alerter decides for each finding, pure: whether it is news (findings are published
 * again on every detector restart), whether it becomes an alert for the surveillance team, and
 * whether the hold policy turns it into a hold command.
 */
import type { Alert, Finding, Hold, Severity } from '@kanshi/contract';
import { deterministicId, HoldPolicy, SEVERITY_ORDER, type HoldPolicyConfig, type HoldPolicyOptions } from '@kanshi/detection';

export interface DeskDecision {
  /** false when this revision was seen before: nothing else to do */
  news: boolean;
  alert: Alert | null;
  holds: Hold[];
  /** raised by the hold policy's circuit breaker */
  breaker: Finding | null;
  /** why the hold policy could not read the finding and held nothing; null otherwise */
  holdRefused: string | null;
}

const ALERT_FROM = SEVERITY_ORDER.high;

export class AlertDesk {
  private readonly policy: HoldPolicy;
  /** latest revision seen and severity alerted, per finding */
  private readonly seen = new Map<string, { revision: number; alerted: number }>();

  /** `opts.wallClock`: the service passes Date.now, so the breaker also counts wall time */
  constructor(policy: HoldPolicyConfig, opts: HoldPolicyOptions = {}) {
    this.policy = new HoldPolicy(policy, opts);
  }

  get policyVersion(): string {
    return this.policy.cfg.version;
  }

  get breakerOpen(): boolean {
    return this.policy.breakerOpen;
  }

  /**
   * What was decided before a restart (from the store): those revisions are not news again,
   * an alert is not raised twice for one severity, and the hold policy remembers its holds.
   */
  restore(before: { revisions: ReadonlyMap<string, number>; alerted: ReadonlyMap<string, readonly string[]>; heldAt: ReadonlyMap<string, number>; recentHolds: readonly number[]; breakerOpenedAt: number | null; recentHoldWrites?: readonly number[] }): void {
    for (const [findingId, revision] of before.revisions) {
      const levels = (before.alerted.get(findingId) ?? []).map((s) => SEVERITY_ORDER[s as Severity] ?? -1);
      this.seen.set(findingId, { revision, alerted: Math.max(-1, ...levels) });
    }
    this.policy.restore(before);
  }

  decide(f: Finding): DeskDecision {
    const prev = this.seen.get(f.findingId);
    if (prev && f.revision <= prev.revision) return { news: false, alert: null, holds: [], breaker: null, holdRefused: null };
    const level = SEVERITY_ORDER[f.severity];
    const alertNow = level >= ALERT_FROM && level > (prev?.alerted ?? -1);
    this.seen.set(f.findingId, { revision: f.revision, alerted: alertNow ? level : prev?.alerted ?? -1 });
    const d = this.policy.evaluate(f);
    return { news: true, alert: alertNow ? alertOf(f) : null, holds: d.holds, breaker: d.breaker, holdRefused: d.refused };
  }
}

/** One alert per finding and severity reached: an escalation is a new alert, a re-send is not. */
export function alertOf(f: Finding): Alert {
  const who = f.accountIds.length > 3 ? `${f.accountIds.slice(0, 3).join(', ')} and ${f.accountIds.length - 3} more` : f.accountIds.join(', ');
  return {
    alertId: deterministicId('a', f.findingId, f.severity),
    findingId: f.findingId,
    kind: f.kind,
    severity: f.severity,
    score: f.score,
    accountIds: f.accountIds,
    symbols: f.symbols,
    at: f.detectedAt,
    summary: `${f.severity.toUpperCase()} ${f.kind.replace(/_/g, ' ')}: ${who}${f.symbols.length ? ` in ${f.symbols.join(', ')}` : ''}. ${f.reasons[0]?.detail ?? ''}`.slice(0, 1000),
  };
}
