import type { AccountState, StageOutput } from './account-stage.js';
import type { DetectionConfig } from './config.js';
import { deterministicId } from './ids.js';
import type { Incident } from './incident.js';
import type { ReferenceData } from './reference.js';
import { impactOfJpy, minSeverity, riskScore, SEVERITY_ORDER, severityOf, type Signal } from './scoring.js';

/** What an active trader's own second terminal shows at its login (see emit). */
const TRADER_TERMINAL = new Set(['session_resume_unknown_device', 'new_device', 'new_network', 'new_ip_range', 'unusual_hour']);

/**
 * What an incident has shown, as findings: the takeover, the liquidation and the pump buy, each
 * emitted again only when its severity or its evidence grows. Severity is capped at medium unless
 * the evidence contradicts the account (see emit).
 */
export class IncidentReport {
  constructor(private readonly ref: ReferenceData, private readonly cfg: DetectionConfig) {}

  takeover(inc: Incident, st: AccountState, accountId: string, ts: number, out: StageOutput): void {
    const w = this.cfg.weights.takeover;
    const control = inc.control();
    if (!(inc.loginRisk >= this.cfg.takeoverAlertRisk || (inc.loginRisk >= this.cfg.suspiciousLoginRisk && control >= w.takeoverMinControl) || (inc.controlOnly && inc.cashOut()) || inc.silencedOwner())) return;
    const threat = 1 - (1 - inc.loginRisk) * (1 - w.takeoverControl * control);
    const reasons = [...inc.loginSignals, ...inc.controlSignals];
    this.emit(inc, st, accountId, 'account_takeover', ts, threat, impactOfJpy(this.ref.holdingsJpy(accountId), this.cfg.weights.score), reasons, [], [...inc.loginEvidence, ...inc.controlEvidence], out);
  }

  liquidation(inc: Incident, st: AccountState, accountId: string, ts: number, out: StageOutput): void {
    const holdings = this.ref.holdingsJpy(accountId);
    const w = this.cfg.weights.takeover;
    const q = inc.liquidation(holdings, this.cfg);
    if ((q < w.liquidationMinStrength && !inc.hastySaleAfterStrongAccess(holdings, this.cfg)) || inc.loginRisk < w.liquidationMinLoginRisk) return;
    const threat = 1 - (1 - inc.loginRisk) * (1 - w.liquidationControl * inc.control()) * (1 - w.liquidationStrength * q);
    // a liquidation is told by its sales: what the buy assessment said belongs to the pump finding
    const buyCodes = new Set(inc.thinBuySignals.map((s) => s.code));
    const reasons = inc.reasons(holdings, this.cfg).filter((r) => !buyCodes.has(r.code));
    this.emit(inc, st, accountId, 'takeover_liquidation', ts, threat, impactOfJpy(inc.soldJpy, this.cfg.weights.score), reasons, inc.soldSymbols,
      [...inc.loginEvidence, ...inc.controlEvidence, ...inc.sellEvidence], out);
  }

  pump(inc: Incident, st: AccountState, accountId: string, ts: number, out: StageOutput): void {
    if (inc.thinBuy < inc.thinBuyBar(this.cfg)) return;
    const holdings = this.ref.holdingsJpy(accountId);
    const threat = inc.threat(holdings, this.cfg, false);
    this.emit(inc, st, accountId, 'hijacked_pump_buy', ts, threat, impactOfJpy(inc.buyJpy + inc.soldJpy, this.cfg.weights.score), inc.reasons(holdings, this.cfg), inc.buySymbols,
      [...inc.loginEvidence, ...inc.controlEvidence, ...inc.sellEvidence, ...inc.buyEvidence], out);
  }

  private emit(
    inc: Incident, st: AccountState, accountId: string, kind: string, ts: number, threat: number, impact: number,
    reasons: Signal[], symbols: string[], evidence: string[], out: StageOutput,
  ): void {
    const holdings = this.ref.holdingsJpy(accountId);
    const cfg = this.cfg;
    const points = inc.points(holdings, cfg, false);
    // points are whole numbers: rising cut-offs give each severity its own count
    const byPoints = points >= cfg.criticalPoints ? 'critical' : points >= cfg.highPoints ? 'high' : points >= cfg.mediumPoints ? 'medium' : 'low';
    // an active trader (many symbols bought in the stream) sells out and buys small caps as a habit:
    // without access that contradicts the account, the scheme's shape says nothing of who did it
    const habit = st.symbols.length >= cfg.activeTraderSymbols;
    // a thin stock bought and sold again within the incident is a trader's round trip: a pump leaves
    // the victim holding what it bought, the attacker's own accounts do the selling
    const roundTrip = inc.buySymbols.some((x) => inc.soldSymbols.includes(x));
    // a new bank account and a withdrawal after a login that showed only what a customer's own new
    // PC or phone shows: a cash-out (the year end, a move) until the e-mail or phone changes too
    const housekeeping = kind === 'account_takeover' && inc.onlyPhoneMove && inc.controlSignals.every((c) => c.code === 'bank_account_change' || c.code === 'withdrawal_request');
    // ... and an active trader's other terminal resuming its session on a home line (no foreign,
    // anonymising or guessed access) is how traders work, not a contradiction of the account
    const otherTerminal = habit && inc.loginSignals.every((x) => TRADER_TERMINAL.has(x.code));
    const cap = !housekeeping && ((inc.strongAccess && !otherTerminal) || (!habit && !roundTrip && inc.schemeShape(holdings, this.cfg)) || inc.cutOffCashOut() || inc.silencedOwner() || inc.silencedSale(holdings, cfg)) ? byPoints : minSeverity(byPoints, 'medium');
    // independent families rarely coincide by chance: each one beyond the first sharpens the threat
    const corroborated = 1 - Math.pow(1 - threat, 1 + cfg.weights.takeover.corroborationExponent * Math.max(0, points - 1));
    const score = riskScore(corroborated, inc.vulnerability, impact, cfg.weights.score);
    if (score < this.cfg.minReportScore) return;
    // how sure the evidence is decides the severity; how much is at stake ranks the findings (the
    // score, which the hold policy's floor also reads): a victim with little cash is as hijacked as
    // one with much, and under the impact floor it could never reach high
    const sure = riskScore(corroborated, inc.vulnerability, 1, cfg.weights.score);
    const severity = minSeverity(severityOf(sure, this.cfg), cap);
    const size = reasons.length + symbols.length;
    const prev = inc.emitted.get(kind);
    if (prev && SEVERITY_ORDER[severity] <= SEVERITY_ORDER[prev.severity] && size <= prev.size) return;
    const revision = (prev?.revision ?? 0) + 1;
    inc.emitted.set(kind, { revision, severity: prev && SEVERITY_ORDER[prev.severity] > SEVERITY_ORDER[severity] ? prev.severity : severity, size });
    out.findings.push({
      findingId: deterministicId('f', kind, accountId, inc.key),
      kind,
      severity,
      score,
      accountIds: [accountId],
      symbols: [...symbols].sort(),
      detectedAt: ts,
      evidence: [...new Set(evidence)],
      reasons: reasons.map((r) => ({ code: r.code, detail: r.detail })),
      revision,
      threat: Math.round(corroborated * 1000) / 1000,
      vulnerability: inc.vulnerability,
      impact,
    });
  }
}
