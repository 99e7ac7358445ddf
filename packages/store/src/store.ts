import { createClient, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import { redactUrl, type Alert, type Finding, type Hold, type InputEvent, type Rejection } from '@kanshi/contract';
import { DeskStore } from './desk.js';
import { classify, MigrationMismatch, StoreConfigError } from './errors.js';
import { checkOrder, checksumOf, migrationsTable, MIGRATIONS, type Migration } from './migrations/index.js';
import {
  alertRow, auditRow, eventRow, findingRow, holdRow, rejectionRow, toFinding, FINDING_COLUMNS,
  type ArchivedEvent, type AuditEntry,
} from './rows.js';
import { sqlIdent, sqlNumber, sqlString, splitMillis, UnsafeIdentifier } from './sql.js';

export type StoreConfig =
  | {
      /** HTTP endpoint of a ClickHouse server, e.g. `http://127.0.0.1:8123` */
      url: string;
      /** created if missing; default `kanshi` */
      database?: string;
      /** default `default`; a `user:pass@` in `url` is taken as the credentials too (not both) */
      username?: string;
      password?: string;
      /** PEM of the CA(s) an https server's certificate must chain to; default the system's */
      ca?: string;
      /** PEM client certificate and key, for a server that requires one (both or neither) */
      cert?: string;
      key?: string;
      /** per request, connecting included; a silent server fails as StoreUnavailable after this. Default 30 000 */
      requestTimeoutMs?: number;
    }
  /**
   * Embedded ClickHouse (chdb) keeping its data in this directory. chdb binds one data
   * directory per process: every embedded store of a process must use the same one.
   */
  | { embedded: string; database?: string };

export interface MigrationReport {
  /** `"<version> <name>"` of each migration this run applied, in order */
  applied: string[];
  /** how many were recorded before this run */
  alreadyApplied: number;
  /** versions recorded in the database that this build does not know: a newer build migrated it */
  unknownVersions: number[];
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface FindingQuery {
  since?: number;
  kind?: string;
  accountId?: string;
  symbol?: string;
  limit?: number;
}

export interface ArchiveQuery {
  from: number;
  to: number;
  accountId?: string;
}

/** The alerter's decisions as recorded, to carry its memory across a restart. */
export interface DecisionsSoFar {
  revisions: Map<string, number>;
  alerted: Map<string, string[]>;
  heldAt: Map<string, number>;
  /** oldest first */
  recentHolds: number[];
  /** when the newest holds were first written (wall clock, whole seconds), oldest first: the breaker's wall-time window */
  recentHoldWrites: number[];
  breakerOpenedAt: number | null;
}

export const TABLES = ['events_raw', 'rejected_events', 'findings', 'alerts', 'holds', 'audit_log'] as const;
export type TableName = (typeof TABLES)[number];

/** Where Kanshi keeps what it saw and what it concluded. One per process; close() it. */
export class Store {
  private constructor(
    private readonly client: ClickHouseClient,
    private readonly db: string,
    /** for messages: the URL or the embedded path, never a password */
    readonly target: string,
    private readonly clock: () => number,
  ) {}

  static async open(config: StoreConfig, clock: () => number = Date.now): Promise<Store> {
    const db = checkedDatabase(config.database);
    let client: ClickHouseClient;
    let target: string;
    if ('embedded' in config) {
      if (typeof config.embedded !== 'string' || config.embedded === '') throw new StoreConfigError('embedded', 'must be a directory path');
      // Loaded only here: the server path never loads the native addon. chdb/connection plugs
      // chdb into @clickhouse/client, so both modes run the very same client code below.
      const { createChdbConnection } = await import('chdb/connection');
      client = createClient({ connection: createChdbConnection({ path: config.embedded }) } as Parameters<typeof createClient>[0]);
      target = `chdb:${config.embedded}`;
    } else {
      const url = checkedUrl(config.url);
      const timeout = config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      if (!Number.isInteger(timeout) || timeout <= 0) throw new StoreConfigError('requestTimeoutMs', `must be a positive integer of milliseconds, got ${timeout}`);
      target = `${url.protocol}//${url.host}`;
      const auth = credentials(url, config);
      client = createClient({
        url: url.href, ...auth, tls: tlsOptions(url, config),
        request_timeout: timeout, log: { level: ClickHouseLogLevel.OFF },
      });
    }
    const store = new Store(client, db, target, clock);
    try {
      await store.command('create database', `CREATE DATABASE IF NOT EXISTS ${db}`);
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
    return store;
  }

  /**
   * Applies the migrations not yet recorded, in order; safe to run from every instance at
   * start-up. `migrations` is for tests; services use the default, this build's schema.
   */
  async migrate(migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
    checkOrder(migrations);
    await this.command('create migrations table', migrationsTable(this.db));
    const done = new Map((await this.rows<{ version: number; checksum: string }>('read migrations',
      `SELECT version, checksum FROM ${this.db}.kanshi_migrations`)).map((r) => [Number(r.version), r.checksum]));
    const known = new Set(migrations.map((m) => m.version));
    const applied: string[] = [];
    for (const m of migrations) {
      const recorded = done.get(m.version);
      if (recorded !== undefined) {
        if (recorded !== checksumOf(m)) throw new MigrationMismatch(m.version, m.name, recorded, checksumOf(m));
        continue;
      }
      // Every statement is IF NOT EXISTS: a run that died before recording the version repeats
      // harmlessly, and so does a second instance migrating at the same moment (its duplicate
      // record reads back as the same version).
      for (const sql of m.statements(this.db)) await this.command(`migration ${m.version} (${m.name})`, sql);
      await this.insert('kanshi_migrations', [{ version: m.version, name: m.name, checksum: checksumOf(m), applied_at: splitMillis(this.clock()).seconds }]);
      applied.push(`${m.version} ${m.name}`);
    }
    return { applied, alreadyApplied: done.size, unknownVersions: [...done.keys()].filter((v) => !known.has(v)).sort((a, b) => a - b) };
  }

  archiveEvents(events: ArchivedEvent[]): Promise<void> {
    const now = this.clock();
    return this.insert('events_raw', events.map((e) => eventRow(e, now)));
  }

  writeRejections(rejections: Rejection[], at = this.clock()): Promise<void> {
    return this.insert('rejected_events', rejections.map((r) => rejectionRow(r, at)));
  }

  writeFindings(findings: Finding[]): Promise<void> {
    const now = this.clock();
    return this.insert('findings', findings.map((f) => findingRow(f, now)));
  }

  writeAlerts(alerts: Alert[]): Promise<void> {
    const now = this.clock();
    return this.insert('alerts', alerts.map((a) => alertRow(a, now)));
  }

  writeHolds(holds: Hold[]): Promise<void> {
    const now = this.clock();
    return this.insert('holds', holds.map((h) => holdRow(h, now)));
  }

  audit(entries: AuditEntry[]): Promise<void> {
    return this.insert('audit_log', entries.map(auditRow));
  }

  /**
   * The latest revision of each finding, newest first, where that latest revision matches `q`
   * (an older revision that matched does not count: FINAL merges before WHERE filters).
   */
  async findings(q: FindingQuery = {}): Promise<Finding[]> {
    const where: string[] = [];
    if (q.since !== undefined) {
      // The seconds bound can use the column as stored; the exact bound adds the milliseconds.
      const since = splitMillis(q.since);
      where.push(`detected_at >= toDateTime(${sqlNumber(since.seconds)}, 'UTC')`,
        `(detected_at > toDateTime(${sqlNumber(since.seconds)}, 'UTC') OR detected_at_ms >= ${sqlNumber(since.millis)})`);
    }
    if (q.kind !== undefined) where.push(`kind = ${sqlString(q.kind)}`);
    if (q.accountId !== undefined) where.push(`has(account_ids, ${sqlString(q.accountId)})`);
    if (q.symbol !== undefined) where.push(`has(symbols, ${sqlString(q.symbol)})`);
    const limit = Math.max(1, Math.min(Math.floor(q.limit ?? 1000), 1_000_000));
    const rows = await this.rows<Record<string, unknown>>('read findings', `SELECT ${FINDING_COLUMNS} FROM ${this.db}.findings FINAL
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY detected DESC, finding_id LIMIT ${limit}`);
    return rows.map(toFinding);
  }

  /** Archived events of a period in event-time order: what `kanshi replay --from-clickhouse` sends. */
  async *archivedEvents(q: ArchiveQuery): AsyncGenerator<InputEvent> {
    const from = splitMillis(q.from).seconds;
    const to = splitMillis(q.to).seconds;
    const where = [`ts >= toDateTime(${sqlNumber(from)}, 'UTC')`, `ts <= toDateTime(${sqlNumber(to)}, 'UTC')`];
    if (q.accountId !== undefined) where.push(`account_id = ${sqlString(q.accountId)}`);
    const sql = `SELECT payload FROM ${this.db}.events_raw FINAL WHERE ${where.join(' AND ')} ORDER BY ts, ts_ms, event_id`;
    const result = await this.client.query({ query: sql, format: 'JSONEachRow' }).catch((e: unknown) => {
      throw classify('read archive', this.target, e);
    });
    for await (const rows of result.stream<{ payload: string }>()) {
      for (const row of rows) {
        const e = JSON.parse(row.json().payload) as InputEvent;
        if (e.ts >= q.from && e.ts <= q.to) yield e;
      }
    }
  }

  /**
   * What the alerter had decided, read back after a restart: the newest revision of each
   * finding, the severities alerted per finding, each account's latest hold, the newest
   * `recentHolds` hold instants (the breaker's window) and when the breaker last opened.
   */
  async decisionsSoFar(recentHolds: number): Promise<DecisionsSoFar> {
    const ms = (col: string) => `toUInt64(toUInt32(${col})) * 1000 + ${col}_ms`;
    const limit = sqlNumber(Math.max(0, Math.floor(recentHolds)));
    const [findings, alerted, held, recent, written, breaker] = await Promise.all([
      this.rows<{ finding_id: string; revision: number }>('read finding revisions', `SELECT finding_id, max(revision) AS revision FROM ${this.db}.findings GROUP BY finding_id`),
      this.rows<{ finding_id: string; severities: string[] }>('read alerted severities', `SELECT finding_id, groupUniqArray(severity) AS severities FROM ${this.db}.alerts GROUP BY finding_id`),
      this.rows<{ account_id: string; t: string }>('read holds', `SELECT account_id, max(${ms('at')}) AS t FROM ${this.db}.holds GROUP BY account_id`),
      this.rows<{ t: string }>('read recent holds', `SELECT max(${ms('at')}) AS t FROM ${this.db}.holds GROUP BY hold_id ORDER BY t DESC LIMIT ${limit}`),
      this.rows<{ t: string }>('read recent hold writes', `SELECT toUInt64(toUInt32(min(written_at))) * 1000 AS t FROM ${this.db}.holds GROUP BY hold_id ORDER BY t DESC LIMIT ${limit}`),
      this.rows<{ t: string; n: string }>('read breaker', `SELECT max(${ms('at')}) AS t, count() AS n FROM ${this.db}.audit_log WHERE action = 'hold.circuit_breaker_open'`),
    ]);
    return {
      revisions: new Map(findings.map((r) => [r.finding_id, Number(r.revision)])),
      alerted: new Map(alerted.map((r) => [r.finding_id, r.severities])),
      heldAt: new Map(held.map((r) => [r.account_id, Number(r.t)])),
      recentHolds: recent.map((r) => Number(r.t)).sort((a, b) => a - b),
      recentHoldWrites: written.map((r) => Number(r.t)).sort((a, b) => a - b),
      breakerOpenedAt: Number(breaker[0]?.n ?? 0) > 0 ? Number(breaker[0].t) : null,
    };
  }

  /** The surveillance desk's reads and writes, over this store's connection (packages/store/src/desk.ts). */
  desk(): DeskStore {
    return new DeskStore(this.db, (op, q) => this.rows(op, q), (t, v) => this.insert(t, v), (e) => this.audit(e),
      (accountId) => this.findings({ accountId, limit: 200 }), (op, q) => this.stream(op, q));
  }

  /** Rows per table and distinct ids after merging: `rows === ids` means nothing was doubled. */
  async counts(): Promise<Record<TableName, { rows: number; ids: number }>> {
    const idOf: Record<TableName, string> = {
      events_raw: 'event_id', rejected_events: 'source', findings: 'finding_id', alerts: 'alert_id', holds: 'hold_id', audit_log: 'audit_id',
    };
    const out = {} as Record<TableName, { rows: number; ids: number }>;
    for (const t of TABLES) {
      const [r] = await this.rows<{ rows: string; ids: string }>(`count ${t}`, `SELECT count() AS rows, uniqExact(${idOf[t]}) AS ids FROM ${this.db}.${t} FINAL`);
      out[t] = { rows: Number(r.rows), ids: Number(r.ids) };
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async command(operation: string, query: string): Promise<void> {
    try {
      await this.client.command({ query });
    } catch (e) {
      throw classify(operation, this.target, e);
    }
  }

  private async rows<T>(operation: string, query: string): Promise<T[]> {
    try {
      const r = await this.client.query({ query, format: 'JSONEachRow' });
      return await r.json<T>();
    } catch (e) {
      throw classify(operation, this.target, e);
    }
  }

  /** Rows as the server sends them, a block at a time. */
  private async *stream<T>(operation: string, query: string): AsyncGenerator<T> {
    let result: Awaited<ReturnType<ClickHouseClient['query']>>;
    try {
      result = await this.client.query({ query, format: 'JSONEachRow' });
    } catch (e) {
      throw classify(operation, this.target, e);
    }
    try {
      for await (const rows of result.stream<T>()) for (const row of rows) yield row.json();
    } catch (e) {
      throw classify(operation, this.target, e);
    }
  }

  private async insert(table: string, values: Record<string, unknown>[]): Promise<void> {
    if (values.length === 0) return;
    try {
      await this.client.insert({ table: `${this.db}.${table}`, values, format: 'JSONEachRow' });
    } catch (e) {
      throw classify(`insert into ${table}`, this.target, e);
    }
  }
}

function checkedDatabase(name: string | undefined): string {
  try {
    return sqlIdent(name ?? 'kanshi');
  } catch (e) {
    if (e instanceof UnsafeIdentifier) throw new StoreConfigError('database', e.message);
    throw e;
  }
}

function checkedUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // printed redacted: an operator's typo must not put the password in a log
    throw new StoreConfigError('url', `not a URL: ${JSON.stringify(typeof value === 'string' ? redactUrl(value) : value)} (expected e.g. http://127.0.0.1:8123)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StoreConfigError('url', `must be http: or https:, got ${url.protocol}`);
  return url;
}

/** The credentials, from the options or from the URL's user info (which is then taken off the URL). */
function credentials(url: URL, config: { username?: string; password?: string }): { username: string; password: string } {
  if (url.username || url.password) {
    if (config.username !== undefined || config.password !== undefined) throw new StoreConfigError('username', 'credentials are in the url and given as options too: give them one way');
    const fromUrl = { username: decodeURIComponent(url.username) || 'default', password: decodeURIComponent(url.password) };
    url.username = '';
    url.password = '';
    return fromUrl;
  }
  if (config.username === '') throw new StoreConfigError('username', 'is empty');
  return { username: config.username ?? 'default', password: config.password ?? '' };
}

function tlsOptions(url: URL, config: { ca?: string; cert?: string; key?: string }) {
  const { ca, cert, key } = config;
  if (ca === undefined && cert === undefined && key === undefined) return undefined;
  if (url.protocol !== 'https:') throw new StoreConfigError('ca', 'TLS options need an https: url');
  if ((cert === undefined) !== (key === undefined)) throw new StoreConfigError(cert === undefined ? 'cert' : 'key', 'a client certificate needs both the certificate and its key');
  if (ca === undefined) throw new StoreConfigError('ca', 'is needed with a client certificate (the client library takes both together)');
  if (!/-----BEGIN CERTIFICATE-----/.test(ca)) throw new StoreConfigError('ca', 'is not a PEM certificate (-----BEGIN CERTIFICATE-----)');
  return cert !== undefined && key !== undefined
    ? { ca_cert: Buffer.from(ca), cert: Buffer.from(cert), key: Buffer.from(key) }
    : { ca_cert: Buffer.from(ca) };
}

/**
 * Opens a store and creates its database if missing; call `migrate()` before writing.
 * Throws StoreConfigError for bad options and StoreUnavailable when the server does not answer.
 */
export function openStore(config: StoreConfig, clock?: () => number): Promise<Store> {
  return Store.open(config, clock);
}
