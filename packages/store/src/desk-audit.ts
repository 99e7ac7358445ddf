/**
 * The audit log's and the holds' pages for the desk: the audit log by keyset, newest first (the
 * log grows while it is read, the audit page itself adds an entry on each view, so an offset
 * would shift a row from one page onto the next), with the count under the same filters; every
 * entry as a stream (the CSV export, uncapped); the holds' counts per state. Every value
 * reaches SQL through sql.ts.
 */
import type { AuditEntry } from './rows.js';
import { sqlNumber, sqlString } from './sql.js';

type Rows = <T>(operation: string, query: string) => Promise<T[]>;
export type RowStream = <T>(operation: string, query: string) => AsyncIterable<T>;
type Row = Record<string, unknown>;

export interface AuditQuery {
  actor?: string;
  action?: string;
  subject?: string;
  /** entries after this one in the log's order (newest first): the next page */
  after?: AuditCursor;
  limit?: number;
}

/** Where a page of the audit log ended: its last entry's instant and id. */
export interface AuditCursor {
  at: number;
  auditId: string;
}

const ms = (col: string) => `(toUInt64(toUInt32(${col})) * 1000 + ${col}_ms)`;
const COLUMNS = `audit_id, ${ms('at')} AS t, actor, action, subject, detail, policy_version`;

function where(q: AuditQuery, withCursor: boolean): string {
  const w: string[] = [];
  if (q.actor) w.push(`actor = ${sqlString(q.actor)}`);
  if (q.action) w.push(`action = ${sqlString(q.action)}`);
  if (q.subject) w.push(`subject = ${sqlString(q.subject)}`);
  // the order is t DESC, audit_id: after (t, id) is older, or as old with a greater id
  if (withCursor && q.after) w.push(`(t < ${sqlNumber(q.after.at)} OR (t = ${sqlNumber(q.after.at)} AND audit_id > ${sqlString(q.after.auditId)}))`);
  return w.length ? `WHERE ${w.join(' AND ')}` : '';
}

const toEntry = (r: Row): AuditEntry => ({
  auditId: String(r.audit_id), at: Number(r.t), actor: String(r.actor), action: String(r.action), subject: String(r.subject), detail: String(r.detail), policyVersion: String(r.policy_version),
});

/** One page of the audit log, newest first, after `q.after` when given. */
export async function auditLog(db: string, rows: Rows, q: AuditQuery): Promise<AuditEntry[]> {
  const limit = Math.max(1, Math.min(Math.floor(q.limit ?? 200), 10_000));
  const found = await rows<Row>('read audit log', `SELECT ${COLUMNS} FROM ${db}.audit_log FINAL ${where(q, true)} ORDER BY t DESC, audit_id LIMIT ${sqlNumber(limit)}`);
  return found.map(toEntry);
}

/** Entries matching the filters (the cursor ignored): what the pages add up to. */
export async function auditCount(db: string, rows: Rows, q: AuditQuery): Promise<number> {
  const [r] = await rows<{ n: string }>('count audit log', `SELECT count() AS n FROM ${db}.audit_log FINAL ${where(q, false)}`);
  return Number(r?.n ?? 0);
}

/** Every entry matching the filters, newest first, as the server sends them: nothing held in memory, no cap. */
export async function* auditEntries(db: string, stream: RowStream, q: AuditQuery): AsyncGenerator<AuditEntry> {
  for await (const r of stream<Row>('export audit log', `SELECT ${COLUMNS} FROM ${db}.audit_log FINAL ${where(q, true)} ORDER BY t DESC, audit_id`)) yield toEntry(r);
}

/** Holds per state: `total`, and those with a step (a hold without one is active). As `holdState` adds them up. */
export async function holdCounts(db: string, rows: Rows): Promise<{ total: number; confirmed: number; release_pending: number; released: number }> {
  const found = await rows<{ s: string; n: string }>('count holds', `SELECT 'total' AS s, count() AS n FROM (SELECT DISTINCT hold_id FROM ${db}.holds)
    UNION ALL SELECT s, count() AS n FROM (SELECT multiIf(has(acts, 'released'), 'released', has(acts, 'release_requested'), 'release_pending', 'confirmed') AS s
      FROM (SELECT groupUniqArray(action) AS acts FROM ${db}.hold_actions WHERE hold_id IN (SELECT hold_id FROM ${db}.holds) GROUP BY hold_id)) GROUP BY s`);
  const n = (s: string) => Number(found.find((r) => r.s === s)?.n ?? 0);
  return { total: n('total'), confirmed: n('confirmed'), release_pending: n('release_pending'), released: n('released') };
}
