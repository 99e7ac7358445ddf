/**
 * The rows of one queue page without FINAL over the whole table (FINAL merged 100k alerts per
 * page: most of the page's time, bench/README.md). Candidates first: the first rows in the
 * page's order under its filters, revisions included, a few per shown alert; then every revision
 * of those alerts, the newest of each being the alert (as ReplacingMergeTree(written_at) keeps
 * it), and whether that one passes the filters. Exact when the page ends before the last
 * candidate read: an alert not among the candidates has every passing revision after it. Else,
 * or for a deep page, the FINAL query it replaces.
 */
import { sqlNumber, sqlString } from './sql.js';

type Rows = <T>(operation: string, query: string) => Promise<T[]>;
export type QueueRow = Record<string, unknown> & { alert_id: string; score: number; t: number };
export type QueueOrder = 'score' | 'oldest' | 'newest';

/** Revisions read per alert shown: an alert rewritten more often than this within a page falls back to FINAL. */
const CANDIDATES_PER_ROW = 4;
/** Deeper than this, FINAL (a page that deep is rare; candidates would be most of the table). */
const MAX_CANDIDATE_ROWS = 2000;

const bytes = (s: string) => Buffer.from(s, 'utf8');
/** The SQL's ORDER BY, in JS: ClickHouse compares strings as bytes. */
export function compareRows(order: QueueOrder, a: QueueRow, b: QueueRow): number {
  const id = Buffer.compare(bytes(a.alert_id), bytes(b.alert_id));
  if (order === 'oldest') return a.t - b.t || id;
  if (order === 'newest') return b.t - a.t || id;
  return b.score - a.score || b.t - a.t || id;
}

export const orderBy = (order: QueueOrder) => (order === 'oldest' ? 't ASC, alert_id' : order === 'newest' ? 't DESC, alert_id' : 'score DESC, t DESC, alert_id');

export interface QueueRead {
  table: string;
  /** the page's columns, `t` (epoch ms) among them */
  columns: string;
  /** the expression `t` is */
  tExpr: string;
  conditions: string[];
  order: QueueOrder;
  offset: number;
  limit: number;
}

/**
 * The page's rows, and `alongside` of their ids: run beside the revisions read on the
 * candidates' ids (a superset of the page's), so a caller's per-row reads cost no round of
 * their own; on the FINAL path, after it, on the page's ids.
 */
export async function queueRows<T>(rows: Rows, q: QueueRead, alongside: (ids: string[]) => Promise<T>): Promise<{ rows: QueueRow[]; extra: T }> {
  const withExtra = async (page: QueueRow[]) => ({ rows: page, extra: await alongside(page.map((r) => String(r.alert_id))) });
  const { table, columns, conditions, order, offset, limit } = q;
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const final = () => rows<QueueRow>('read alert queue', `SELECT ${columns} FROM ${table} FINAL ${where} ORDER BY ${orderBy(order)} LIMIT ${sqlNumber(offset)}, ${sqlNumber(limit)}`);
  const want = offset + limit;
  const read = want * CANDIDATES_PER_ROW;
  if (read > MAX_CANDIDATE_ROWS) return withExtra(await final());
  const candidates = await rows<QueueRow>('read alert queue candidates', `SELECT alert_id, score, ${q.tExpr} AS t FROM ${table} ${where} ORDER BY ${orderBy(order)} LIMIT ${sqlNumber(read)}`);
  if (candidates.length === 0) return withExtra([]);
  const ids = [...new Set(candidates.map((c) => String(c.alert_id)))];
  const [revisions, extra] = await Promise.all([
    rows<QueueRow & { w: number; ok: number }>('read alert queue revisions', `SELECT ${columns}, toUInt32(written_at) AS w, ${conditions.length ? `(${conditions.join(' AND ')})` : '1'} AS ok
    FROM ${table} WHERE alert_id IN (${ids.map(sqlString).join(', ')})`),
    alongside(ids)]);
  const newest = new Map<string, QueueRow & { w: number; ok: number }>();
  for (const r of revisions) {
    const had = newest.get(r.alert_id);
    if (!had || Number(r.w) > Number(had.w)) newest.set(r.alert_id, r);
  }
  const passing = [...newest.values()].filter((r) => Number(r.ok) === 1).map((r) => ({ ...r, score: Number(r.score), t: Number(r.t) })).sort((a, b) => compareRows(order, a, b));
  // every candidate read: nothing else passes the filters
  if (candidates.length < read) return { rows: passing.slice(offset, want).map(strip), extra };
  const end = candidates[candidates.length - 1];
  const last = { ...end, alert_id: String(end.alert_id), score: Number(end.score), t: Number(end.t) };
  if (passing.length >= want && compareRows(order, passing[want - 1], last) <= 0) return { rows: passing.slice(offset, want).map(strip), extra };
  return withExtra(await final());
}

function strip(r: QueueRow & { w?: number; ok?: number }): QueueRow {
  const { w: _w, ok: _ok, ...row } = r;
  return row;
}
