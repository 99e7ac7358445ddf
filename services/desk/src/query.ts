/**
 * The queue's filters from a query string (unknown values are dropped, never passed on), and
 * whether an alert passes them: what live updates send to a queue page open on those filters.
 */
import { ALERT_STATUSES, QUEUE_SORTS, type AlertStatus, type DeskAlert, type QueueQuery, type QueueSort } from '@kanshi/store';
import { SEVERITIES } from './pages.js';

const PAGE_SIZE = 50;

export const oneOf = <T extends string>(values: readonly T[], v: string | null): T | undefined => (v !== null && (values as readonly string[]).includes(v) ? (v as T) : undefined);

/** A `YYYY-MM-DD` day (UTC) as epoch ms, plus `plus`; undefined for anything else. */
function utcDay(v: string | null, plus = 0): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v ?? '');
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isFinite(t) ? t + plus : undefined;
}

/** The queue's filters from a query string: unknown values are dropped, never passed on. */
export function queueQuery(p: URLSearchParams): QueueQuery {
  const offset = Number(p.get('offset') ?? 0);
  return {
    severity: oneOf(SEVERITIES, p.get('severity')),
    kind: (p.get('kind') ?? '').slice(0, 100) || undefined,
    accountId: (p.get('account') ?? '').trim().slice(0, 200) || undefined,
    symbol: (p.get('symbol') ?? '').trim().slice(0, 100) || undefined,
    since: utcDay(p.get('from')),
    until: utcDay(p.get('to'), 86_400_000),
    status: oneOf<AlertStatus>(ALERT_STATUSES, p.get('status')),
    assignee: (p.get('assignee') ?? '').trim().slice(0, 64) || undefined,
    sort: oneOf<QueueSort>(QUEUE_SORTS, p.get('sort')) ?? 'score',
    offset: Number.isInteger(offset) && offset >= 0 && offset <= 1_000_000 ? offset : 0,
    limit: PAGE_SIZE,
  };
}

/** Whether an alert passes a queue's filters (paging and sort aside), as the store's SQL decides it. */
export function matchesQuery(q: QueueQuery, a: DeskAlert): boolean {
  return (q.severity === undefined || a.severity === q.severity) && (q.kind === undefined || a.kind === q.kind)
    && (q.accountId === undefined || a.accountIds.includes(q.accountId)) && (q.symbol === undefined || a.symbols.includes(q.symbol))
    && (q.since === undefined || a.at >= Math.floor(q.since / 1000) * 1000) && (q.until === undefined || a.at < Math.floor(q.until / 1000) * 1000)
    && (q.status === undefined || a.status === q.status) && (q.assignee === undefined || a.assignee === q.assignee);
}
