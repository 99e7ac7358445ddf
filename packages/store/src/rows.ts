/**
 * Contract objects ↔ table rows. Instants go in as epoch seconds (which both ClickHouse 18.16
 * and current versions parse from JSONEachRow) plus milliseconds, and come back through
 * toUnixTimestamp: no server time zone is involved either way.
 */
import type { Alert, Finding, Hold, InputEvent, Rejection } from '@kanshi/contract';
import { splitMillis } from './sql.js';

export interface ArchivedEvent {
  event: InputEvent;
  /** topic/partition@offset, or file:line */
  source: string;
}

export interface AuditEntry {
  auditId: string;
  at: number;
  /** the service or person acting, e.g. `alerter` */
  actor: string;
  /** e.g. `hold.dry_run`, `alert.published` */
  action: string;
  subject: string;
  detail: string;
  policyVersion: string;
}

type Row = Record<string, unknown>;

export function eventRow({ event, source }: ArchivedEvent, now: number): Row {
  const t = splitMillis(event.ts);
  return {
    event_id: event.eventId, type: event.type, account_id: event.accountId,
    symbol: event.type === 'order' ? event.symbol : '', ts: t.seconds, ts_ms: t.millis,
    source, payload: JSON.stringify(event), ingested_at: splitMillis(now).seconds,
  };
}

export function rejectionRow(r: Rejection, at: number): Row {
  const t = splitMillis(at);
  return { at: t.seconds, at_ms: t.millis, source: r.source, event_id: r.eventId, field: r.field, reason: r.reason, raw: r.raw };
}

export function findingRow(f: Finding, now: number): Row {
  const t = splitMillis(f.detectedAt);
  return {
    finding_id: f.findingId, revision: f.revision, kind: f.kind, severity: f.severity, score: f.score,
    account_ids: f.accountIds, symbols: f.symbols, detected_at: t.seconds, detected_at_ms: t.millis,
    evidence: f.evidence, reason_codes: f.reasons.map((r) => r.code), reason_details: f.reasons.map((r) => r.detail),
    threat: f.threat ?? null, vulnerability: f.vulnerability ?? null, impact: f.impact ?? null,
    written_at: splitMillis(now).seconds,
  };
}

export function alertRow(a: Alert, now: number): Row {
  const t = splitMillis(a.at);
  return {
    alert_id: a.alertId, finding_id: a.findingId, kind: a.kind, severity: a.severity, score: a.score,
    account_ids: a.accountIds, symbols: a.symbols, at: t.seconds, at_ms: t.millis, summary: a.summary,
    written_at: splitMillis(now).seconds,
  };
}

export function holdRow(h: Hold, now: number): Row {
  const t = splitMillis(h.at);
  return {
    hold_id: h.holdId, account_id: h.accountId, finding_id: h.findingId, at: t.seconds, at_ms: t.millis,
    mode: h.mode, reason: h.reason, written_at: splitMillis(now).seconds,
  };
}

export function auditRow(a: AuditEntry): Row {
  const t = splitMillis(a.at);
  return {
    audit_id: a.auditId, at: t.seconds, at_ms: t.millis, actor: a.actor, action: a.action,
    subject: a.subject, detail: a.detail, policy_version: a.policyVersion,
  };
}

/** The columns `findings()` selects, in the shape `toFinding` reads. */
export const FINDING_COLUMNS = `finding_id, revision, kind, severity, score, account_ids, symbols,
  toUnixTimestamp(detected_at) * 1000 + detected_at_ms AS detected, evidence, reason_codes, reason_details,
  threat, vulnerability, impact`;

// 18.16 quotes 64-bit integers in JSON output; Number() reads both.
export function toFinding(r: Row): Finding {
  const codes = r.reason_codes as string[];
  const details = r.reason_details as string[];
  return {
    findingId: String(r.finding_id), kind: String(r.kind), severity: r.severity as Finding['severity'],
    score: Number(r.score), accountIds: r.account_ids as string[], symbols: r.symbols as string[],
    detectedAt: Number(r.detected), evidence: r.evidence as string[],
    reasons: codes.map((code, i) => ({ code, detail: details[i] ?? '' })), revision: Number(r.revision),
    threat: r.threat === null ? null : Number(r.threat),
    vulnerability: r.vulnerability === null ? null : Number(r.vulnerability),
    impact: r.impact === null ? null : Number(r.impact),
  };
}
