import { RejectedEvent } from './errors.js';
import type { Finding, Reason, Severity } from './types.js';
import { EARLIEST_EVENT_MS, LATEST_EVENT_MS } from './validate.js';

/**
 * A finding read from a topic, checked against the contract before anything acts on it: the
 * alerter turns findings into holds the order system enforces, so a record that is not a
 * finding (missing fields, a string score, an unknown severity, a million account ids) must be
 * refused with its field and reason, never half-understood.
 */

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** Bounds far above what the detector emits (evidence is capped at 64), well below harm. */
export const FINDING_BOUNDS = Object.freeze({
  idChars: 256,
  detailChars: 4096,
  accountIds: 10_000,
  symbols: 1_000,
  evidence: 1_000,
  reasons: 100,
});

const MAX_REVISION = 2 ** 31 - 1;

function preview(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v);
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

type Refusal = { field: string; reason: string };

function idString(v: unknown, field: string): string | Refusal {
  if (typeof v !== 'string') return { field, reason: `must be a string, got ${preview(v)}` };
  if (v.length === 0) return { field, reason: 'must not be empty' };
  if (v.length > FINDING_BOUNDS.idChars) return { field, reason: `is ${v.length} characters, more than ${FINDING_BOUNDS.idChars}` };
  return v;
}

function idArray(v: unknown, field: string, max: number): string[] | Refusal {
  if (!Array.isArray(v)) return { field, reason: `must be an array of strings, got ${preview(v)}` };
  if (v.length > max) return { field, reason: `has ${v.length} items, more than ${max}` };
  for (let i = 0; i < v.length; i++) {
    const s = idString(v[i], `${field}[${i}]`);
    if (typeof s !== 'string') return s;
  }
  return v as string[];
}

function unitOrNull(v: unknown, field: string): number | null | Refusal {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) return { field, reason: `must be null or a number in 0..1, got ${preview(v)}` };
  return v;
}

function reasonsOf(v: unknown): Reason[] | Refusal {
  if (!Array.isArray(v)) return { field: 'reasons', reason: `must be an array of {code, detail}, got ${preview(v)}` };
  if (v.length > FINDING_BOUNDS.reasons) return { field: 'reasons', reason: `has ${v.length} items, more than ${FINDING_BOUNDS.reasons}` };
  const out: Reason[] = [];
  for (let i = 0; i < v.length; i++) {
    const r = v[i] as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return { field: `reasons[${i}]`, reason: 'must be {code, detail}' };
    const code = idString(r.code, `reasons[${i}].code`);
    if (typeof code !== 'string') return code;
    if (typeof r.detail !== 'string') return { field: `reasons[${i}].detail`, reason: `must be a string, got ${preview(r.detail)}` };
    if (r.detail.length > FINDING_BOUNDS.detailChars) return { field: `reasons[${i}].detail`, reason: `is ${r.detail.length} characters, more than ${FINDING_BOUNDS.detailChars}` };
    out.push({ code, detail: r.detail });
  }
  return out;
}

const refused = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && !Array.isArray(x) && 'reason' in x && 'field' in x;

/**
 * The finding as the contract has it (a fresh object holding only the contract's fields), or
 * the first field refused and why. Never throws for bad input.
 */
export function validateFinding(input: unknown): Finding | RejectedEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return new RejectedEvent(`a finding must be an object, got ${preview(input)}`, { field: null, code: 'not_object' });
  }
  const rec = input as Record<string, unknown>;
  const findingId = idString(rec.findingId, 'findingId');
  const key = typeof findingId === 'string' ? findingId : null;
  const no = (r: Refusal) => new RejectedEvent(r.reason, { field: r.field, eventId: key });
  if (refused(findingId)) return no(findingId);
  const kind = idString(rec.kind, 'kind');
  if (refused(kind)) return no(kind);
  // an own-property test, not `in` or an index: 'toString' is on every object's prototype
  const severity = rec.severity;
  if (typeof severity !== 'string' || !(SEVERITIES as readonly string[]).includes(severity)) {
    return no({ field: 'severity', reason: `must be one of ${SEVERITIES.join('|')}, got ${preview(severity)}` });
  }
  const score = rec.score;
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1) {
    return no({ field: 'score', reason: `must be a number in 0..1, got ${preview(score)}` });
  }
  const accountIds = idArray(rec.accountIds, 'accountIds', FINDING_BOUNDS.accountIds);
  if (refused(accountIds)) return no(accountIds);
  const symbols = idArray(rec.symbols, 'symbols', FINDING_BOUNDS.symbols);
  if (refused(symbols)) return no(symbols);
  const detectedAt = rec.detectedAt;
  if (typeof detectedAt !== 'number' || !Number.isInteger(detectedAt) || detectedAt < EARLIEST_EVENT_MS || detectedAt >= LATEST_EVENT_MS) {
    return no({ field: 'detectedAt', reason: `must be epoch milliseconds in 2000..2100, got ${preview(detectedAt)}` });
  }
  const evidence = idArray(rec.evidence, 'evidence', FINDING_BOUNDS.evidence);
  if (refused(evidence)) return no(evidence);
  const reasons = reasonsOf(rec.reasons);
  if (refused(reasons)) return no(reasons);
  const revision = rec.revision;
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 1 || revision > MAX_REVISION) {
    return no({ field: 'revision', reason: `must be an integer >= 1, got ${preview(revision)}` });
  }
  const f: Finding = { findingId, kind, severity: severity as Severity, score, accountIds: [...accountIds], symbols: [...symbols], detectedAt, evidence: [...evidence], reasons, revision };
  for (const name of ['threat', 'vulnerability', 'impact'] as const) {
    const v = unitOrNull(rec[name], name);
    if (refused(v)) return no(v);
    if (rec[name] !== undefined) f[name] = v;
  }
  return f;
}
