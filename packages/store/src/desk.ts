/**
 * The surveillance desk's reads and writes: its users, the alert queue with each alert's
 * disposition and owner, cases, holds with their release state, and the audit log. All of its
 * SQL is here and in desk-accounts.ts (migrations 002 to 004 are its DDL); every value reaches SQL
 * through sql.ts.
 */
import type { AccountSnapshot, Alert, Finding, Hold, HoldState, InputEvent, LoginEvent } from '@kanshi/contract';
import { queueRows } from './desk-queue.js';
import { accountSnapshot, findingsWithEvidence, sharedInfraLogins, writeAccountSnapshots, type InfraProbe } from './desk-accounts.js';
import { auditCount, auditEntries, auditLog, holdCounts, type AuditQuery, type RowStream } from './desk-audit.js';
import { alertView, type AlertView, type AlertViewQuery, type OnAccounts } from './desk-view.js';
import { FINDING_COLUMNS, toFinding, type AuditEntry } from './rows.js';
import { sqlNumber, sqlString, splitMillis } from './sql.js';

export const DESK_ROLES = ['analyst', 'supervisor', 'auditor'] as const;
export type DeskRole = (typeof DESK_ROLES)[number];

export const DISPOSITIONS = ['confirmed_takeover', 'false_positive', 'benign_explained', 'customer_contacted'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];
/** An alert's status: open until a disposition is recorded, then the newest disposition. */
export const ALERT_STATUSES = ['open', ...DISPOSITIONS] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const QUEUE_SORTS = ['score', 'oldest', 'newest'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];

export interface DeskUser {
  name: string;
  role: DeskRole;
  /** `scrypt$N$r$p$salt$key`, never the password */
  passwordHash: string;
}

export interface QueueQuery {
  severity?: string;
  kind?: string;
  accountId?: string;
  symbol?: string;
  /** alerts at or after this instant (epoch ms, to the second) */
  since?: number;
  /** alerts before this instant (epoch ms, to the second) */
  until?: number;
  status?: AlertStatus;
  /** alerts whose case is assigned to this user (the newest assignment or escalation): "my queue" */
  assignee?: string;
  sort?: QueueSort;
  offset?: number;
  limit?: number;
}

export interface DeskAlert extends Alert {
  status: AlertStatus;
  /** whom its case is assigned to; absent while nobody has it */
  assignee?: string;
}

export interface QueuePage {
  alerts: DeskAlert[];
  /** alerts matching every filter, status included (for paging) */
  total: number;
  /** alerts matching the other filters, per status */
  counts: Record<AlertStatus, number>;
}

export type HoldActionKind = 'confirmed' | 'release_requested' | 'released';
export interface HoldAction {
  actionId: string;
  holdId: string;
  accountId: string;
  action: HoldActionKind;
  actor: string;
  reason: string;
  at: number;
}

/** the contract's hold states, what the desk's entries add up to */
export type { HoldState };
export interface DeskHold extends Hold {
  state: HoldState;
  /** oldest first */
  actions: HoldAction[];
}

export interface DispositionEntry {
  entryId: string;
  alertId: string;
  disposition: Disposition;
  actor: string;
  note: string;
  at: number;
}

/** What is done to a case besides its disposition (alert_dispositions): each an entry of case_entries. */
export const CASE_ACTIONS = ['assigned', 'commented', 'escalated'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];
export interface CaseEntry {
  entryId: string;
  alertId: string;
  action: CaseAction;
  actor: string;
  /** assigned or escalated to; empty for a comment */
  assignee: string;
  note: string;
  at: number;
}

type Rows = <T>(operation: string, query: string) => Promise<T[]>;
type Insert = (table: string, values: Record<string, unknown>[]) => Promise<void>;
type Row = Record<string, unknown>;

const ms = (col: string) => `(toUInt64(toUInt32(${col})) * 1000 + ${col}_ms)`;
const ALERT_COLUMNS = `alert_id, finding_id, kind, severity, score, account_ids, symbols, ${ms('at')} AS t, summary`;
const limitOf = (n: number | undefined, fallback: number, max: number) => Math.max(1, Math.min(Math.floor(n ?? fallback), max));

/** The desk's view of a store: built by `Store.desk()`, sharing its connection. */
export class DeskStore {
  constructor(
    private readonly db: string,
    private readonly rows: Rows,
    private readonly insert: Insert,
    private readonly writeAudit: (entries: AuditEntry[]) => Promise<void>,
    private readonly readFindings: (accountId: string) => Promise<Finding[]>,
    private readonly stream: RowStream,
  ) {}

  addUser(u: DeskUser, at: number): Promise<void> {
    return this.insert('desk_users', [{ name: u.name, role: u.role, password_hash: u.passwordHash, version: at, created_at: splitMillis(at).seconds }]);
  }

  async user(name: string): Promise<DeskUser | null> {
    const [r] = await this.rows<Row>('read desk user', `SELECT name, role, password_hash FROM ${this.db}.desk_users FINAL WHERE name = ${sqlString(name)} LIMIT 1`);
    return r ? { name: String(r.name), role: r.role as DeskRole, passwordHash: String(r.password_hash) } : null;
  }

  /** One page of the alert queue, with the counts per status under the same other filters. */
  async queue(q: QueueQuery): Promise<QueuePage> {
    const base: string[] = [];
    if (q.severity) base.push(`severity = ${sqlString(q.severity)}`);
    if (q.kind) base.push(`kind = ${sqlString(q.kind)}`);
    if (q.accountId) base.push(`has(account_ids, ${sqlString(q.accountId)})`);
    if (q.symbol) base.push(`has(symbols, ${sqlString(q.symbol)})`);
    if (q.since !== undefined) base.push(`at >= toDateTime(${sqlNumber(splitMillis(q.since).seconds)}, 'UTC')`);
    if (q.until !== undefined) base.push(`at < toDateTime(${sqlNumber(splitMillis(q.until).seconds)}, 'UTC')`);
    if (q.assignee) base.push(`alert_id IN (SELECT alert_id FROM (${this.owners()}) WHERE owner = ${sqlString(q.assignee)})`);
    const all = q.status ? [...base, this.statusFilter(q.status)] : base;
    const where = (w: string[]) => (w.length ? `WHERE ${w.join(' AND ')}` : '');
    const limit = limitOf(q.limit, 50, 500);
    const offset = Math.max(0, Math.floor(q.offset ?? 0));
    // Without a status filter the page's total is the count under the other filters, and without
    // any filter every disposition counts (the desk records one only for an alert it has): each
    // query saved is a scan of the whole table saved.
    const countBase = () => this.rows<{ n: string }>('count alerts', `SELECT count() AS n FROM ${this.db}.alerts FINAL ${where(base)}`);
    const [page, total, inBase, decided] = await Promise.all([
      // each shown alert's status and owner, read beside the page's revisions (queueRows)
      queueRows(this.rows, { table: `${this.db}.alerts`, columns: ALERT_COLUMNS, tExpr: ms('at'), conditions: all, order: q.sort ?? 'score', offset, limit },
        (ids) => Promise.all([this.statusesOf(ids), this.ownersOf(ids)])),
      q.status ? this.rows<{ n: string }>('count alert queue', `SELECT count() AS n FROM ${this.db}.alerts FINAL ${where(all)}`) : null,
      countBase(),
      this.rows<{ d: string; n: string }>('count dispositions', `SELECT d, count() AS n FROM (${this.latestDispositions()})
        ${base.length ? `WHERE alert_id IN (SELECT alert_id FROM ${this.db}.alerts FINAL ${where(base)})` : ''} GROUP BY d`),
    ]);
    const counts = Object.fromEntries(ALERT_STATUSES.map((s) => [s, 0])) as Record<AlertStatus, number>;
    for (const r of decided) if ((DISPOSITIONS as readonly string[]).includes(r.d)) counts[r.d as Disposition] = Number(r.n);
    counts.open = Number(inBase[0]?.n ?? 0) - DISPOSITIONS.reduce((s, d) => s + counts[d], 0);
    const [statuses, owners] = page.extra;
    return { alerts: page.rows.map((r) => toDeskAlert(r, statuses, owners)), total: Number((total ?? inBase)[0]?.n ?? 0), counts };
  }

  /** When the newest alert row was written (epoch seconds, the writer's clock; 0 for none): where live updates start. */
  async newestAlertWrite(): Promise<number> {
    const [r] = await this.rows<{ w: string }>('read newest alert write', `SELECT toUInt32(max(written_at)) AS w FROM ${this.db}.alerts`);
    return Number(r?.w ?? 0);
  }

  /**
   * Alert rows written at or after `seconds` (epoch, to the second), oldest write first, each with
   * its write second: what live updates send. A rewritten alert comes again (no FINAL: this
   * must stay cheap on a large table); the caller drops ids it has sent.
   */
  async alertsWrittenSince(seconds: number, limit = 200): Promise<{ alert: DeskAlert; writtenAt: number }[]> {
    const rows = await this.rows<Row>('read new alerts', `SELECT ${ALERT_COLUMNS}, toUInt32(written_at) AS w FROM ${this.db}.alerts
      WHERE written_at >= toDateTime(${sqlNumber(Math.max(0, Math.floor(seconds)))}, 'UTC') ORDER BY w, alert_id LIMIT ${sqlNumber(limitOf(limit, 200, 1000))}`);
    const ids = rows.map((r) => String(r.alert_id));
    const [statuses, owners] = await Promise.all([this.statusesOf(ids), this.ownersOf(ids)]);
    return rows.map((r) => ({ alert: toDeskAlert(r, statuses, owners), writtenAt: Number(r.w) }));
  }

  /** The kinds alerted so far, for the queue's filter. */
  async kinds(): Promise<string[]> {
    const rows = await this.rows<{ kind: string }>('read alert kinds', `SELECT DISTINCT kind FROM ${this.db}.alerts ORDER BY kind LIMIT 100`);
    return rows.map((r) => r.kind);
  }

  async alert(alertId: string): Promise<DeskAlert | null> {
    // the row, its status and its owner side by side: none needs another (an unknown id wastes two small reads)
    const [[r], statuses, owners] = await Promise.all([
      this.rows<Row>('read alert', `SELECT ${ALERT_COLUMNS} FROM ${this.db}.alerts FINAL WHERE alert_id = ${sqlString(alertId)} LIMIT 1`),
      this.statusesOf([alertId]), this.ownersOf([alertId])]);
    return r ? toDeskAlert(r, statuses, owners) : null;
  }

  /** Everything the alert view shows, in two rounds of reads (desk-view.ts); null for an unknown alert. */
  alertView(alertId: string, q: AlertViewQuery, onAccounts: OnAccounts): Promise<AlertView | null> {
    return alertView(this.db, this.rows, alertId, q, onAccounts);
  }

  async finding(findingId: string): Promise<Finding | null> {
    const [r] = await this.rows<Row>('read finding', `SELECT ${FINDING_COLUMNS} FROM ${this.db}.findings FINAL WHERE finding_id = ${sqlString(findingId)} LIMIT 1`);
    return r ? toFinding(r) : null;
  }

  accountFindings(accountId: string): Promise<Finding[]> {
    return this.readFindings(accountId);
  }

  /**
   * An account's archived events around an instant, oldest first: the newest `limit` up to
   * `until` plus `after` ms (what happened since the alert matters too).
   */
  async accountTimeline(accountId: string, until: number, q: { afterMs?: number; limit?: number } = {}): Promise<InputEvent[]> {
    const to = splitMillis(until + (q.afterMs ?? 3_600_000)).seconds;
    const rows = await this.rows<{ payload: string }>('read account timeline', `SELECT payload FROM (SELECT payload, ts, ts_ms, event_id FROM ${this.db}.events_raw FINAL
      WHERE account_id = ${sqlString(accountId)} AND ts <= toDateTime(${sqlNumber(to)}, 'UTC') ORDER BY ts DESC, ts_ms DESC, event_id DESC LIMIT ${sqlNumber(limitOf(q.limit, 200, 10_000))})
      ORDER BY ts, ts_ms, event_id`);
    return rows.map((r) => JSON.parse(r.payload) as InputEvent);
  }

  /** Findings naming a symbol detected in [from, to], oldest first: a campaign's members, beneficiaries and buys. */
  async symbolFindings(symbol: string, from: number, to: number, limit = 200): Promise<Finding[]> {
    const rows = await this.rows<Row>('read symbol findings', `SELECT ${FINDING_COLUMNS} FROM ${this.db}.findings FINAL WHERE has(symbols, ${sqlString(symbol)})
      AND detected_at >= toDateTime(${sqlNumber(splitMillis(from).seconds)}, 'UTC') AND detected_at <= toDateTime(${sqlNumber(splitMillis(to).seconds)}, 'UTC')
      ORDER BY detected, finding_id LIMIT ${sqlNumber(limitOf(limit, 200, 1000))}`);
    return rows.map(toFinding);
  }

  /** Archived orders of a symbol (every account's) in [from, to], oldest first: its price and volume. */
  async symbolOrders(symbol: string, from: number, to: number, limit = 20_000): Promise<InputEvent[]> {
    const rows = await this.rows<{ payload: string }>('read symbol orders', `SELECT payload FROM ${this.db}.events_raw FINAL
      WHERE symbol = ${sqlString(symbol)} AND type = 'order' AND ts >= toDateTime(${sqlNumber(splitMillis(from).seconds)}, 'UTC')
      AND ts <= toDateTime(${sqlNumber(splitMillis(to).seconds)}, 'UTC') ORDER BY ts, ts_ms, event_id LIMIT ${sqlNumber(limitOf(limit, 20_000, 100_000))}`);
    return rows.map((r) => JSON.parse(r.payload) as InputEvent);
  }

  /** Account snapshots (kanshi.accounts), written as of `at`; the newest write of an account is its snapshot. */
  writeAccountSnapshots(snapshots: AccountSnapshot[], at: number): Promise<void> {
    return writeAccountSnapshots(this.insert, snapshots, at);
  }

  accountSnapshot(accountId: string): Promise<AccountSnapshot | null> {
    return accountSnapshot(this.db, this.rows, accountId);
  }

  /** Logins in [from, to] sharing a probed device, prefix or ASN-within-prefix, at most `limit`. */
  sharedInfraLogins(probe: InfraProbe, from: number, to: number, limit = 2000): Promise<LoginEvent[]> {
    return sharedInfraLogins(this.db, this.rows, probe, from, to, limit);
  }

  /** Findings detected in [from, to] whose evidence names one of the events. */
  findingsWithEvidence(eventIds: string[], from: number, to: number, limit = 50): Promise<Finding[]> {
    return findingsWithEvidence(this.db, this.rows, eventIds, from, to, limit);
  }

  async dispositions(alertId: string): Promise<DispositionEntry[]> {
    const rows = await this.rows<Row>('read dispositions', `SELECT entry_id, alert_id, disposition, actor, note, ${ms('at')} AS t
      FROM ${this.db}.alert_dispositions FINAL WHERE alert_id = ${sqlString(alertId)} ORDER BY t, entry_id`);
    return rows.map((r) => ({ entryId: String(r.entry_id), alertId: String(r.alert_id), disposition: r.disposition as Disposition, actor: String(r.actor), note: String(r.note), at: Number(r.t) }));
  }

  writeDisposition(d: DispositionEntry): Promise<void> {
    const t = splitMillis(d.at);
    return this.insert('alert_dispositions', [{ entry_id: d.entryId, alert_id: d.alertId, disposition: d.disposition, actor: d.actor, note: d.note, at: t.seconds, at_ms: t.millis }]);
  }

  /** The users a case can go to, by name (no password hashes). */
  async users(): Promise<{ name: string; role: DeskRole }[]> {
    const rows = await this.rows<Row>('read desk users', `SELECT name, role FROM ${this.db}.desk_users FINAL ORDER BY name LIMIT 1000`);
    return rows.map((r) => ({ name: String(r.name), role: r.role as DeskRole }));
  }

  /** A case's entries, oldest first (its dispositions are `dispositions`). */
  async caseEntries(alertId: string): Promise<CaseEntry[]> {
    const rows = await this.rows<Row>('read case entries', `SELECT entry_id, alert_id, action, actor, assignee, note, ${ms('at')} AS t
      FROM ${this.db}.case_entries FINAL WHERE alert_id = ${sqlString(alertId)} ORDER BY t, entry_id LIMIT 10000`);
    return rows.map((r) => ({ entryId: String(r.entry_id), alertId: String(r.alert_id), action: r.action as CaseAction, actor: String(r.actor), assignee: String(r.assignee), note: String(r.note), at: Number(r.t) }));
  }

  writeCaseEntry(e: CaseEntry): Promise<void> {
    const t = splitMillis(e.at);
    return this.insert('case_entries', [{ entry_id: e.entryId, alert_id: e.alertId, action: e.action, actor: e.actor, assignee: e.assignee, note: e.note, at: t.seconds, at_ms: t.millis }]);
  }

  /** Holds newest first, each with its release entries and the state they add up to. */
  async holds(q: { accountId?: string; holdId?: string; limit?: number; offset?: number } = {}): Promise<DeskHold[]> {
    const where: string[] = [];
    if (q.accountId !== undefined) where.push(`account_id = ${sqlString(q.accountId)}`);
    if (q.holdId !== undefined) where.push(`hold_id = ${sqlString(q.holdId)}`);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const holds = await this.rows<Row>('read holds', `SELECT hold_id, account_id, finding_id, ${ms('at')} AS t, mode, reason
      FROM ${this.db}.holds FINAL ${w} ORDER BY t DESC, hold_id LIMIT ${sqlNumber(Math.max(0, Math.floor(q.offset ?? 0)))}, ${sqlNumber(limitOf(q.limit, 200, 5000))}`);
    if (holds.length === 0) return [];
    const ids = holds.map((h) => sqlString(String(h.hold_id))).join(', ');
    const actions = await this.rows<Row>('read hold actions', `SELECT action_id, hold_id, account_id, action, actor, reason, ${ms('at')} AS t
      FROM ${this.db}.hold_actions FINAL WHERE hold_id IN (${ids}) ORDER BY t, action_id`);
    const byHold = new Map<string, HoldAction[]>();
    for (const a of actions) {
      const action: HoldAction = { actionId: String(a.action_id), holdId: String(a.hold_id), accountId: String(a.account_id), action: a.action as HoldActionKind, actor: String(a.actor), reason: String(a.reason), at: Number(a.t) };
      byHold.set(action.holdId, [...(byHold.get(action.holdId) ?? []), action]);
    }
    return holds.map((h) => {
      const acts = byHold.get(String(h.hold_id)) ?? [];
      return {
        holdId: String(h.hold_id), accountId: String(h.account_id), findingId: String(h.finding_id), at: Number(h.t),
        mode: h.mode as Hold['mode'], reason: String(h.reason), actions: acts, state: holdState(acts),
      };
    });
  }

  writeHoldAction(a: HoldAction): Promise<void> {
    const t = splitMillis(a.at);
    return this.insert('hold_actions', [{ action_id: a.actionId, hold_id: a.holdId, account_id: a.accountId, action: a.action, actor: a.actor, reason: a.reason, at: t.seconds, at_ms: t.millis }]);
  }

  audit(entries: AuditEntry[]): Promise<void> {
    return this.writeAudit(entries);
  }

  /** A page of the audit log, newest first (after `q.after`: keyset paging, desk-audit.ts). */
  auditLog(q: AuditQuery = {}): Promise<AuditEntry[]> {
    return auditLog(this.db, this.rows, q);
  }

  auditCount(q: AuditQuery = {}): Promise<number> {
    return auditCount(this.db, this.rows, q);
  }

  /** Every entry matching `q`, newest first, streamed from the server (the CSV export). */
  auditEntries(q: AuditQuery = {}): AsyncGenerator<AuditEntry> {
    return auditEntries(this.db, this.stream, q);
  }

  holdCounts(): ReturnType<typeof holdCounts> {
    return holdCounts(this.db, this.rows);
  }

  private latestDispositions(): string {
    return `SELECT alert_id, argMax(disposition, ${ms('at')}) AS d FROM ${this.db}.alert_dispositions GROUP BY alert_id`;
  }

  /** Each case's owner: the newest assignment or escalation (a retried write is the same entry, same value). */
  private owners(): string {
    return `SELECT alert_id, argMax(assignee, ${ms('at')}) AS owner FROM ${this.db}.case_entries WHERE action IN ('assigned', 'escalated') GROUP BY alert_id`;
  }

  private async ownersOf(alertIds: string[]): Promise<Map<string, string>> {
    if (alertIds.length === 0) return new Map();
    const rows = await this.rows<{ alert_id: string; owner: string }>('read case owners', `SELECT alert_id, owner FROM (${this.owners()})
      WHERE alert_id IN (${alertIds.map(sqlString).join(', ')})`);
    return new Map(rows.filter((r) => r.owner !== '').map((r) => [r.alert_id, r.owner]));
  }

  private statusFilter(status: AlertStatus): string {
    if (status === 'open') return `alert_id NOT IN (SELECT alert_id FROM ${this.db}.alert_dispositions)`;
    return `alert_id IN (SELECT alert_id FROM (${this.latestDispositions()}) WHERE d = ${sqlString(status)})`;
  }

  private async statusesOf(alertIds: string[]): Promise<Map<string, AlertStatus>> {
    if (alertIds.length === 0) return new Map();
    const rows = await this.rows<{ alert_id: string; d: string }>('read alert statuses', `SELECT alert_id, d FROM (${this.latestDispositions()})
      WHERE alert_id IN (${alertIds.map(sqlString).join(', ')})`);
    return new Map(rows.map((r) => [r.alert_id, r.d as AlertStatus]));
  }
}

/**
 * A hold's state from its entries: released once released, pending while a release waits for
 * approval, confirmed once someone confirmed the hold was right (and no release is under way).
 */
export function holdState(actions: readonly HoldAction[]): HoldState {
  if (actions.some((a) => a.action === 'released')) return 'released';
  if (actions.some((a) => a.action === 'release_requested')) return 'release_pending';
  if (actions.some((a) => a.action === 'confirmed')) return 'confirmed';
  return 'active';
}

function toDeskAlert(r: Row, statuses: Map<string, AlertStatus>, owners: Map<string, string>): DeskAlert {
  const alertId = String(r.alert_id);
  return {
    alertId, findingId: String(r.finding_id), kind: String(r.kind), severity: r.severity as Alert['severity'], score: Number(r.score),
    accountIds: r.account_ids as string[], symbols: r.symbols as string[], at: Number(r.t), summary: String(r.summary),
    status: statuses.get(alertId) ?? 'open', ...(owners.has(alertId) ? { assignee: owners.get(alertId) } : {}),
  };
}
