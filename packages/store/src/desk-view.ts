/**
 * The alert view's reads in four statements instead of thirteen (bench/README.md: on 18.16 a
 * statement costs ~1.5 ms of server time before it reads a row, and the client waits a timer
 * tick before each request, so a page of many small reads was mostly overhead). The alert row
 * first; then, beside each other, three UNION ALLs, each row tagged with what it is (`src`): the
 * case (its dispositions, case entries, the desk's users, the accounts' holds and their
 * actions), the findings (the alert's own, the accounts', the symbol's) and the events (the
 * accounts' timelines and snapshots). `alertViewPieceByPiece` is the same view from the single
 * reads: what the conformance check compares this with, and what the desk's fakes serve.
 */
import type { AccountSnapshot, Finding, InputEvent } from '@kanshi/contract';
import { holdState, type CaseAction, type CaseEntry, type DeskAlert, type DeskHold, type DeskRole, type DeskStore, type Disposition, type DispositionEntry, type HoldAction, type HoldActionKind } from './desk.js';
import { FINDING_COLUMNS, toFinding } from './rows.js';
import { sqlNumber, sqlString, splitMillis } from './sql.js';

type Rows = <T>(operation: string, query: string) => Promise<T[]>;
type Row = Record<string, unknown>;

export interface AlertViewQuery {
  /** accounts shown of the alert's, the first ones */
  maxAccounts: number;
  /** events per account: the newest up to `afterMs` past the alert */
  timelineLimit: number;
  afterMs: number;
  /** findings on the alert's first symbol within this of it, at most `relatedLimit` */
  relatedMs: number;
  relatedLimit: number;
}

export interface AccountView {
  accountId: string;
  timeline: InputEvent[];
  findings: Finding[];
  holds: DeskHold[];
  snapshot: AccountSnapshot | null;
}

export interface AlertView {
  alert: DeskAlert;
  finding: Finding | null;
  dispositions: DispositionEntry[];
  caseEntries: CaseEntry[];
  users: { name: string; role: DeskRole }[];
  /** the findings on its first symbol around it, its own included */
  related: Finding[];
  accounts: AccountView[];
}

/** Findings of an account per view (what `Store.findings({ accountId })` reads for the desk). */
const ACCOUNT_FINDINGS = 200;
const HOLDS_PER_ACCOUNT = 200;
const MAX_ENTRIES = 10_000;
const ms = (col: string) => `(toUInt64(toUInt32(${col})) * 1000 + ${col}_ms)`;
const dt = (epochMs: number) => `toDateTime(${sqlNumber(splitMillis(epochMs).seconds)}, 'UTC')`;
/** One branch of a UNION ALL: its own ORDER BY and LIMIT stay inside it. */
const branch = (select: string) => `SELECT * FROM (${select})`;
const union = (selects: string[]) => selects.map(branch).join('\nUNION ALL\n');
const NONE = 'emptyArrayString()';
// the case's rows in one shape: src, id, ref, a, b, c, note, t, score, xs, ys
const caseRow = (src: string, cols: { id: string; ref?: string; a?: string; b?: string; c?: string; note?: string; t?: string; score?: string; xs?: string; ys?: string }) =>
  `SELECT '${src}' AS src, ${cols.id} AS id, ${cols.ref ?? "''"} AS ref, ${cols.a ?? "''"} AS a, ${cols.b ?? "''"} AS b, ${cols.c ?? "''"} AS c,
    ${cols.note ?? "''"} AS note, ${cols.t ?? 'toUInt64(0)'} AS t, ${cols.score ?? 'toFloat64(0)'} AS score, ${cols.xs ?? NONE} AS xs, ${cols.ys ?? NONE} AS ys`;

const bytes = (s: string) => Buffer.from(s, 'utf8');
/** ClickHouse's order of strings (bytes), for rows sorted again after a UNION ALL. */
const byBytes = (a: string, b: string) => Buffer.compare(bytes(a), bytes(b));

/**
 * Called once the alert is read, with the accounts the view will show, before their data is
 * read: where the desk starts the view's audit entry (its write runs beside the reads).
 */
export type OnAccounts = (accountIds: string[]) => void;

/**
 * The alert view's rows, or null for an unknown alert. Two rounds: the alert row alone (the
 * audit entry waits for its accounts; written straight to audit_log, that INSERT is the page's
 * longest statement, the desk service's journal append ~1 ms), then everything else beside the
 * audit write.
 */
export async function alertView(db: string, rows: Rows, alertId: string, q: AlertViewQuery, onAccounts: OnAccounts): Promise<AlertView | null> {
  const id = sqlString(alertId);
  const [a] = await rows<Row>('read alert', `${caseRow('alert', { id: 'alert_id', ref: 'finding_id', a: 'kind', b: 'severity', note: 'summary', t: ms('at'), score: 'score', xs: 'account_ids', ys: 'symbols' })}
    FROM ${db}.alerts FINAL WHERE alert_id = ${id} LIMIT 1`);
  if (!a) return null;
  const accountIds = (a.xs as string[]).slice(0, q.maxAccounts);
  onAccounts(accountIds);
  const symbol = (a.ys as string[])[0];
  const at = Number(a.t);
  const accs = accountIds.length ? accountIds.map(sqlString).join(', ') : "''";
  const [caseRows, findingRows, eventRows] = await Promise.all([
    rows<Row>('read alert case', union([
      `${caseRow('disposition', { id: 'entry_id', ref: 'alert_id', a: 'disposition', b: 'actor', note: 'note', t: ms('at') })}
        FROM ${db}.alert_dispositions FINAL WHERE alert_id = ${id} ORDER BY t, id LIMIT ${MAX_ENTRIES}`,
      `${caseRow('case', { id: 'entry_id', ref: 'alert_id', a: 'action', b: 'actor', c: 'assignee', note: 'note', t: ms('at') })}
        FROM ${db}.case_entries FINAL WHERE alert_id = ${id} ORDER BY t, id LIMIT ${MAX_ENTRIES}`,
      `${caseRow('user', { id: 'name', a: 'role' })} FROM ${db}.desk_users FINAL ORDER BY id LIMIT 1000`,
      `${caseRow('hold', { id: 'hold_id', ref: 'account_id', a: 'finding_id', b: 'mode', note: 'reason', t: ms('at') })}
        FROM ${db}.holds FINAL WHERE account_id IN (${accs}) ORDER BY ref, t DESC, id LIMIT ${HOLDS_PER_ACCOUNT} BY ref`,
      `${caseRow('hold_action', { id: 'action_id', ref: 'hold_id', a: 'account_id', b: 'action', c: 'actor', note: 'reason', t: ms('at') })}
        FROM ${db}.hold_actions FINAL WHERE hold_id IN (SELECT hold_id FROM ${db}.holds WHERE account_id IN (${accs})) ORDER BY t, id LIMIT ${MAX_ENTRIES}`,
    ])),
    rows<Row>('read alert findings', union([
      `SELECT 'finding' AS src, '' AS acc, ${FINDING_COLUMNS} FROM ${db}.findings FINAL WHERE finding_id = ${sqlString(String(a.ref))} LIMIT 1`,
      ...accountIds.map((acc) => `SELECT 'account' AS src, ${sqlString(acc)} AS acc, ${FINDING_COLUMNS} FROM ${db}.findings FINAL
        WHERE has(account_ids, ${sqlString(acc)}) ORDER BY detected DESC, finding_id LIMIT ${ACCOUNT_FINDINGS}`),
      ...(symbol === undefined ? [] : [`SELECT 'symbol' AS src, '' AS acc, ${FINDING_COLUMNS} FROM ${db}.findings FINAL WHERE has(symbols, ${sqlString(symbol)})
        AND detected_at >= ${dt(at - q.relatedMs)} AND detected_at <= ${dt(at + q.relatedMs)} ORDER BY detected, finding_id LIMIT ${sqlNumber(q.relatedLimit)}`]),
    ])),
    accountIds.length === 0 ? [] : rows<Row>('read alert timelines', union(accountIds.flatMap((acc) => [
      `SELECT 'event' AS src, ${sqlString(acc)} AS acc, payload, toUInt64(toUInt32(ts)) * 1000 + ts_ms AS t, event_id AS id FROM ${db}.events_raw FINAL
        WHERE account_id = ${sqlString(acc)} AND ts <= ${dt(at + q.afterMs)} ORDER BY ts DESC, ts_ms DESC, event_id DESC LIMIT ${sqlNumber(q.timelineLimit)}`,
      `SELECT 'snapshot' AS src, ${sqlString(acc)} AS acc, payload, toUInt64(toUInt32(written_at)) * 1000 + written_ms AS t, '' AS id FROM ${db}.account_snapshots
        WHERE account_id = ${sqlString(acc)} ORDER BY written_at DESC, written_ms DESC LIMIT 1`,
    ]))),
  ]);
  const of = (src: string) => caseRows.filter((r) => r.src === src);
  const byTime = (x: Row, y: Row) => Number(x.t) - Number(y.t) || byBytes(String(x.id), String(y.id));
  const dispositions = of('disposition').sort(byTime).map((r): DispositionEntry => ({ entryId: String(r.id), alertId: String(r.ref), disposition: r.a as Disposition, actor: String(r.b), note: String(r.note), at: Number(r.t) }));
  const caseEntries = of('case').sort(byTime).map((r): CaseEntry => ({ entryId: String(r.id), alertId: String(r.ref), action: r.a as CaseAction, actor: String(r.b), assignee: String(r.c), note: String(r.note), at: Number(r.t) }));
  const users = of('user').sort((x, y) => byBytes(String(x.id), String(y.id))).map((r) => ({ name: String(r.id), role: r.a as DeskRole }));
  const actions = of('hold_action').sort(byTime).map((r): HoldAction => ({ actionId: String(r.id), holdId: String(r.ref), accountId: String(r.a), action: r.b as HoldActionKind, actor: String(r.c), reason: String(r.note), at: Number(r.t) }));
  const holds = of('hold').sort((x, y) => Number(y.t) - Number(x.t) || byBytes(String(x.id), String(y.id))).map((r): DeskHold => {
    const acts = actions.filter((x) => x.holdId === r.id);
    return { holdId: String(r.id), accountId: String(r.ref), findingId: String(r.a), at: Number(r.t), mode: r.b as DeskHold['mode'], reason: String(r.note), actions: acts, state: holdState(acts) };
  });
  // status and owner as the queue has them: the newest disposition, the newest assignment or escalation
  const owner = caseEntries.filter((e) => e.action === 'assigned' || e.action === 'escalated').at(-1)?.assignee ?? '';
  const alert: DeskAlert = {
    alertId: String(a.id), findingId: String(a.ref), kind: String(a.a), severity: a.b as DeskAlert['severity'], score: Number(a.score),
    accountIds: a.xs as string[], symbols: a.ys as string[], at, summary: String(a.note),
    status: dispositions.at(-1)?.disposition ?? 'open', ...(owner ? { assignee: owner } : {}),
  };
  const findingsOf = (src: string, acc = '') => findingRows.filter((r) => r.src === src && r.acc === acc).map(toFinding);
  const newestFirst = (x: Finding, y: Finding) => y.detectedAt - x.detectedAt || byBytes(x.findingId, y.findingId);
  const oldestFirst = (x: Finding, y: Finding) => x.detectedAt - y.detectedAt || byBytes(x.findingId, y.findingId);
  const events = eventRows.filter((r) => r.src === 'event').sort(byTime);
  return {
    alert, finding: findingsOf('finding')[0] ?? null, dispositions, caseEntries, users, related: findingsOf('symbol').sort(oldestFirst),
    accounts: accountIds.map((accountId) => {
      const snapshot = eventRows.find((r) => r.src === 'snapshot' && r.acc === accountId);
      return {
        accountId, timeline: events.filter((r) => r.acc === accountId).map((r) => JSON.parse(String(r.payload)) as InputEvent),
        findings: findingsOf('account', accountId).sort(newestFirst), holds: holds.filter((h) => h.accountId === accountId),
        snapshot: snapshot ? (JSON.parse(String(snapshot.payload)) as AccountSnapshot) : null,
      };
    }),
  };
}

export type PieceByPiece = Pick<DeskStore, 'alert' | 'finding' | 'dispositions' | 'caseEntries' | 'users' | 'symbolFindings' | 'accountTimeline' | 'accountFindings' | 'holds' | 'accountSnapshot'>;

/** The same view from the desk's single reads: the reference the conformance check holds `alertView` to. */
export async function alertViewPieceByPiece(desk: PieceByPiece, alertId: string, q: AlertViewQuery, onAccounts: OnAccounts): Promise<AlertView | null> {
  const alert = await desk.alert(alertId);
  if (!alert) return null;
  onAccounts(alert.accountIds.slice(0, q.maxAccounts));
  const [finding, dispositions, caseEntries, users, related, accounts] = await Promise.all([
    desk.finding(alert.findingId), desk.dispositions(alertId), desk.caseEntries(alertId), desk.users(),
    alert.symbols.length ? desk.symbolFindings(alert.symbols[0], alert.at - q.relatedMs, alert.at + q.relatedMs, q.relatedLimit) : [],
    Promise.all(alert.accountIds.slice(0, q.maxAccounts).map(async (accountId) => {
      const [timeline, findings, holds, snapshot] = await Promise.all([
        desk.accountTimeline(accountId, alert.at, { limit: q.timelineLimit, afterMs: q.afterMs }), desk.accountFindings(accountId), desk.holds({ accountId }), desk.accountSnapshot(accountId)]);
      return { accountId, timeline, findings, holds, snapshot };
    })),
  ]);
  return { alert, finding, dispositions, caseEntries, users, related, accounts };
}
