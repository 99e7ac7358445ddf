import type { Finding, Hold, HoldMode, Severity } from '@kanshi/contract';
import { HoldCorroboration } from './hold-corroboration.js';
import { deterministicId } from './ids.js';
import { SEVERITY_ORDER } from './scoring.js';

/**
 * When a finding becomes an account hold. Dry-run by default: a brokerage turns on enforcement
 * after reviewing what the policy would have held. A circuit breaker caps the holds per window
 * so that a detector bug can never freeze good customers en masse; once open it only alerts.
 *
 * The breaker counts in event time and, when the caller passes a wall clock, in wall time as
 * well, and opens on whichever fills first. Event time alone can be outrun: a detector catching
 * up on a backlog, a rebuild, a replay or forged timestamps spread any number of holds over
 * "hours" that pass in a second. The alerter passes `Date.now`; `kanshi detect` passes nothing,
 * so its holds stay a pure function of the input (the same bytes for any run), counted in event
 * time only. Detection itself never reads the clock.
 */
export interface HoldPolicyConfig {
  mode: HoldMode;
  /** finding kinds that may hold their accounts */
  kinds: string[];
  minSeverity: Severity;
  minScore: number;
  /** most holds per window before the breaker opens, counted in event time and in wall time */
  maxHoldsPerWindow: number;
  windowMs: number;
  /** an account held once is not held again for this long: one hold per incident, not per finding */
  accountCooldownMs: number;
  /** how long one account's families of evidence are put together into a hold (event time, ms) */
  corroborationWindowMs: number;
  /**
   * With a wall clock: a finding dated further ahead of it than this holds nothing (it is not
   * understood: clocks are wrong or the timestamp is forged) and is reported as refused.
   */
  maxFutureMs: number;
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
  corroborationWindowMs: 24 * 3600_000,
  maxFutureMs: 10 * 60_000,
  version: 'hold-policy/2',
});

export interface HoldPolicyOptions {
  /** epoch ms now; given, the breaker also counts in wall time (the alerter passes Date.now) */
  wallClock?: () => number;
}

export interface HoldDecision {
  holds: Hold[];
  /** a critical finding raised when the breaker opens (once per window) */
  breaker: Finding | null;
  /** why the finding was not understood and so held nothing (fail closed); null otherwise */
  refused: string | null;
}

/** A severity's rank, NaN for anything else: every comparison with NaN is false, so unknown never passes. */
function rank(s: unknown): number {
  return typeof s === 'string' && Object.hasOwn(SEVERITY_ORDER, s) ? SEVERITY_ORDER[s as Severity] : Number.NaN;
}

/**
 * Whether a finding's kind, severity and score may hold its accounts: the policy's gate, before
 * the evidence is asked whether it corroborates a hold (hold-corroboration.ts). A campaign holds
 * nobody by itself, but at that severity and score it may corroborate its members' own findings.
 * Written to fail closed on its own (a prototype key is no severity, a string is no score).
 */
export function holdEligible(f: Finding, cfg: HoldPolicyConfig): boolean {
  return typeof f.kind === 'string' && (cfg.kinds.includes(f.kind) || f.kind === 'pump_campaign')
    && rank(f.severity) >= rank(cfg.minSeverity)
    && typeof f.score === 'number' && Number.isFinite(f.score) && f.score >= cfg.minScore;
}

/** Why the policy cannot read this finding, or null. */
function notUnderstood(f: Finding, now: number | undefined, cfg: HoldPolicyConfig): string | null {
  if (typeof f !== 'object' || f === null) return 'not a finding';
  if (typeof f.findingId !== 'string' || f.findingId === '') return 'findingId is not a string';
  if (Number.isNaN(rank(f.severity))) return `unknown severity ${String(f.severity).slice(0, 40)}`;
  if (typeof f.score !== 'number' || !Number.isFinite(f.score)) return 'score is not a finite number';
  if (typeof f.detectedAt !== 'number' || !Number.isFinite(f.detectedAt)) return 'detectedAt is not a finite number';
  if (!Array.isArray(f.accountIds) || !f.accountIds.every((a) => typeof a === 'string' && a !== '')) return 'accountIds is not a list of ids';
  if (now !== undefined) {
    if (!Number.isFinite(now)) return 'the wall clock gave no time';
    if (f.detectedAt - now > cfg.maxFutureMs) return `dated ${Math.round((f.detectedAt - now) / 60_000)} min ahead of the wall clock`;
  }
  return null;
}

/**
 * The holds inside one breaker window on one clock. Distances are taken both ways, so a time far
 * ahead (a finding dated 2099) counts only near itself: it neither keeps the window full nor
 * stops the breaker raising its alarm again, which would turn holds off without a word.
 */
const HOLD_TIMES_KEPT = 10_000;
/** per account, the latest hold times kept for the cooldown */
const ACCOUNT_HOLDS_KEPT = 4;

class HoldWindow {
  times: number[] = [];
  openedAt = Number.NEGATIVE_INFINITY;
  private lastFull = false;

  constructor(private readonly windowMs: number, private readonly max: number) {}

  /**
   * Whether a hold at `t` would exceed the cap. Counted, not pruned around `t`: findings come out
   * of event-time order, and pruning around one late finding's time emptied the window for the
   * holds after it. The list keeps the newest HOLD_TIMES_KEPT holds (a week at the cap's pace).
   */
  fullAt(t: number): boolean {
    let n = 0;
    for (const x of this.times) if (Math.abs(t - x) < this.windowMs) n++;
    this.lastFull = n >= this.max;
    return this.lastFull;
  }

  add(t: number): void {
    this.times.push(t);
    if (this.times.length > HOLD_TIMES_KEPT) this.times.splice(0, this.times.length - HOLD_TIMES_KEPT);
  }

  /** whether the window was full at the last moment asked */
  get full(): boolean {
    return this.lastFull;
  }

  /** true once per window: the breaker opened (again) at `t` */
  opens(t: number): boolean {
    if (Math.abs(t - this.openedAt) < this.windowMs) return false;
    this.openedAt = t;
    return true;
  }
}

export class HoldPolicy {
  private readonly eventWindow: HoldWindow;
  private readonly wallWindow: HoldWindow;
  private readonly heldAt = new Map<string, number[]>();
  private readonly wallClock: (() => number) | undefined;
  private suppressed = 0;
  private readonly corroboration: HoldCorroboration;

  constructor(readonly cfg: HoldPolicyConfig = DEFAULT_HOLD_POLICY, opts: HoldPolicyOptions = {}) {
    this.eventWindow = new HoldWindow(cfg.windowMs, cfg.maxHoldsPerWindow);
    this.wallWindow = new HoldWindow(cfg.windowMs, cfg.maxHoldsPerWindow);
    this.wallClock = opts.wallClock;
    this.corroboration = new HoldCorroboration(cfg.corroborationWindowMs);
  }

  /**
   * Carries a restarted process's memory: who was held when, the holds inside the breaker's
   * windows (event time, and wall time when the store knows when holds were written), and when
   * the breaker last opened. Without it an account held before a restart could be held again
   * by its next finding, and a crash loop would reset the cap.
   */
  restore(held: { heldAt: ReadonlyMap<string, number>; recentHolds: readonly number[]; breakerOpenedAt: number | null; recentHoldWrites?: readonly number[] }): void {
    for (const [accountId, at] of held.heldAt) {
      const kept = this.heldAt.get(accountId) ?? [];
      if (!kept.includes(at)) this.heldAt.set(accountId, [...kept, at].slice(-ACCOUNT_HOLDS_KEPT));
    }
    const max = this.cfg.maxHoldsPerWindow;
    this.eventWindow.times = [...this.eventWindow.times, ...held.recentHolds].sort((a, b) => a - b).slice(-max);
    this.wallWindow.times = [...this.wallWindow.times, ...(held.recentHoldWrites ?? [])].sort((a, b) => a - b).slice(-max);
    if (held.breakerOpenedAt !== null && held.breakerOpenedAt > this.eventWindow.openedAt) this.eventWindow.openedAt = held.breakerOpenedAt;
  }

  get breakerOpen(): boolean {
    return this.suppressed > 0 && (this.eventWindow.full || (this.wallClock !== undefined && this.wallWindow.full));
  }

  evaluate(f: Finding): HoldDecision {
    const decision: HoldDecision = { holds: [], breaker: null, refused: null };
    const now = this.wallClock?.();
    const refused = notUnderstood(f, now, this.cfg);
    if (refused !== null) return { ...decision, refused };
    const candidates = this.corroboration.candidates(f, holdEligible(f, this.cfg));
    for (const { accountId, findingId, rule, basis, at, via, viaCampaign } of candidates) {
      // every recent hold of the account, not only the last one: read out of order, the last hold
      // made can be an older moment, and a later one right after another would pass
      const held = this.heldAt.get(accountId);
      if (held?.some((h) => Math.abs(at - h) < this.cfg.accountCooldownMs)) continue;
      const holdId = deterministicId('h', accountId, findingId);
      const eventFull = this.eventWindow.fullAt(at);
      const wallFull = now !== undefined && this.wallWindow.fullAt(now);
      if (eventFull || wallFull) {
        this.suppressed++;
        // both evaluated: each window remembers its own opening
        const byEvent = eventFull && this.eventWindow.opens(at);
        const byWall = wallFull && now !== undefined && this.wallWindow.opens(now);
        if ((byEvent || byWall) && decision.breaker === null) decision.breaker = this.breakerFinding(f, at, byWall && !byEvent ? 'wall' : 'event');
        continue;
      }
      this.heldAt.set(accountId, [...(held ?? []), at].slice(-ACCOUNT_HOLDS_KEPT));
      this.eventWindow.add(at);
      if (now !== undefined) this.wallWindow.add(now);
      decision.holds.push({
        holdId,
        accountId,
        findingId,
        at,
        mode: this.cfg.mode,
        reason: `${rule.replace(/_/g, ' ')}: ${basis.kind} ${basis.severity} (score ${basis.score})${basis.findingId === via ? '' : viaCampaign ? `, named by campaign ${via}` : `, corroborated by ${via}`}: ${basis.reasons?.[0]?.detail ?? ''} [${this.cfg.version}]`,
      });
    }
    return decision;
  }

  private breakerFinding(f: Finding, at: number, clock: 'event' | 'wall'): Finding {
    const span = clock === 'wall' ? 'of wall-clock time (findings arriving faster than their timestamps say)' : 'of event time';
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
        detail: `More than ${this.cfg.maxHoldsPerWindow} holds within ${this.cfg.windowMs / 60_000} min ${span}: further holds are suppressed and only alerted until the rate falls. Check the detector before enforcing.`,
      }],
      revision: 1,
    };
  }
}
