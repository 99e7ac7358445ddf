/**
 * Every setting of the services and the Kafka tools, declared once: its variable, default, unit,
 * meaning, who reads it and how it is parsed. A process builds its one config object from this
 * table at start (`loadConfig`), so a bad value stops it before it connects to anything, and the
 * README's configuration table is checked against this one (config.test.ts).
 *
 * TLS and credentials (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, …) have their own checks of which
 * combinations make sense (connection-config.ts) and the alerter's webhook receivers are one set
 * of variables per receiver (services/alerter/src/webhook-config.ts); both are read in the same
 * start-up step, from the same environment.
 */
import os from 'node:os';
import path from 'node:path';
import { parseBrokerList } from '@kanshi/bus';
import { connectionSecurity, type ConnectionSecurity } from './connection-config.js';
import { UsageError } from './usage.js';

/**
 * The processes that read the table: the three services and the CLI's tools (`archive` is
 * `kanshi replay --from-clickhouse`, which needs no Kafka when it writes a file).
 */
export type ProcessName = 'ingest' | 'detector' | 'alerter' | 'desk' | 'replay' | 'archive' | 'topics';
const SERVICES = ['ingest', 'detector', 'alerter'] as const;

interface Ctx {
  /** the variable, or the flag (`--replication-factor`) when the value came from one */
  name: string;
  process: ProcessName;
}

export interface OptionSpec<T = unknown, P extends readonly ProcessName[] = readonly ProcessName[]> {
  env: string;
  /** the default as the README's table spells it */
  default: string;
  unit?: string;
  meaning: string;
  processes: P;
  /** a command-line flag that overrides the variable */
  flag?: string;
  /** unset or empty arrives as undefined; a bad value throws a UsageError naming ctx.name */
  parse(raw: string | undefined, ctx: Ctx): T;
}

function option<T, const P extends readonly ProcessName[]>(spec: OptionSpec<T, P>): OptionSpec<T, P> {
  return spec;
}

function required(hint: string) {
  return (raw: string | undefined, { name }: Ctx): string => {
    if (raw === undefined) throw new UsageError(`${name} is not set (${hint})`);
    return raw;
  };
}

/** A whole number >= 0. */
function wholeCount(fallback: number) {
  return (raw: string | undefined, { name }: Ctx): number => {
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isSafeInteger(v) || v < 0) throw new UsageError(`${name} must be a whole number >= 0, got '${raw}'`);
    return v;
  };
}

/** Whole milliseconds in [min, max]; the message says the unit and the range. */
function wholeMs(fallback: number, min: number, max: number, range: string) {
  return (raw: string | undefined, { name }: Ctx): number => {
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`${name} must be whole milliseconds ${range}, got '${raw}'`);
    return v;
  };
}

function portNumber(raw: string | undefined, fallback: number, name: string): number {
  const port = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${name} must be a port number, got '${raw}'`);
  return port;
}

/** The ops ports of the services, one each so that three share a host without settings. */
export const OPS_PORTS: Record<string, number> = { ingest: 9464, detector: 9465, alerter: 9466 };
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const HOLD_MODES = ['dry_run', 'enforce'] as const;

export const OPTIONS = {
  kafkaBrokers: option({
    env: 'KAFKA_BROKERS', default: '(required)', meaning: 'bootstrap `host:port` list (the desk: optional; set, it publishes list entries to `kanshi.lists` and, with `CLICKHOUSE_URL`, hold changes to `account-holds`)', processes: [...SERVICES, 'replay', 'topics', 'desk'],
    parse: (raw, ctx) => {
      // the desk runs embedded without Kafka; an empty list says so
      if (raw === undefined && ctx.process === 'desk') return [] as string[];
      const list = parseBrokerList(required('e.g. 127.0.0.1:9092; `npm run infra:up` starts a local broker')(raw, ctx));
      if (list.length === 0) throw new UsageError(`${ctx.name} names no broker`);
      return list;
    },
  }),
  schemaRegistryUrl: option({
    env: 'SCHEMA_REGISTRY_URL', default: '(required)', meaning: 'Confluent-compatible registry (Apicurio: `…/apis/ccompat/v7`; the desk: with `KAFKA_BROKERS`)', processes: [...SERVICES, 'replay', 'desk'],
    parse: (raw, ctx) => (raw === undefined && ctx.process === 'desk' ? '' : required('e.g. http://127.0.0.1:8081/apis/ccompat/v7')(raw, ctx)),
  }),
  clickhouseUrl: option({
    env: 'CLICKHOUSE_URL', default: 'none', meaning: 'archive and records; without it ingest only dead-letters (the desk: embedded chdb)', processes: ['ingest', 'alerter', 'desk', 'archive'],
    parse: (raw): string | null => raw ?? null,
  }),
  clickhouseDatabase: option({
    env: 'CLICKHOUSE_DATABASE', default: 'kanshi', meaning: 'the ClickHouse database', processes: ['ingest', 'alerter', 'desk', 'archive'],
    parse: (raw) => raw ?? 'kanshi',
  }),
  topicPrefix: option({
    env: 'KANSHI_TOPIC_PREFIX', default: 'empty', meaning: 'every topic name behind it: one deployment per prefix', processes: [...SERVICES, 'replay', 'topics', 'desk'],
    parse: (raw) => raw ?? '',
  }),
  groupId: option({
    env: 'KANSHI_GROUP_ID', default: 'kanshi-<service>', meaning: 'consumer group (ingest: one per raw topic, `<id>.<topic>`)', processes: SERVICES,
    parse: (raw, ctx) => raw ?? `kanshi-${ctx.process}`,
  }),
  logLevel: option({
    env: 'LOG_LEVEL', default: 'info', meaning: `JSON log level (${LOG_LEVELS.join(', ')})`, processes: [...SERVICES, 'desk'],
    parse: (raw, { name }) => {
      const v = raw ?? 'info';
      if (!LOG_LEVELS.includes(v)) throw new UsageError(`${name} must be one of ${LOG_LEVELS.join('|')}, got '${v}'`);
      return v;
    },
  }),
  opsPort: option({
    env: 'KANSHI_OPS_PORT', default: '9464/9465/9466', meaning: 'the ops server (ingest/detector/alerter); `0` picks a free port', processes: SERVICES,
    parse: (raw, { name, process }) => portNumber(raw, OPS_PORTS[process], name),
  }),
  opsHost: option({
    env: 'KANSHI_OPS_HOST', default: '127.0.0.1', meaning: 'the address the ops server listens on', processes: SERVICES,
    parse: (raw) => raw ?? '127.0.0.1',
  }),
  stallMs: option({
    env: 'KANSHI_STALL_MS', default: '60000', unit: 'ms', meaning: 'a consumer that has not fetched (or joined) for this long is stalled', processes: SERVICES,
    parse: wholeMs(60_000, 1_000, 86_400_000, 'from 1000 to 86400000'),
  }),
  unreadyExitMs: option({
    env: 'KANSHI_UNREADY_EXIT_MS', default: '120000', unit: 'ms', meaning: 'unready this long: exit 1 for the supervisor', processes: SERVICES,
    parse: wholeMs(120_000, 1_000, 86_400_000, 'from 1000 to 86400000'),
  }),
  maxLatenessMs: option({
    env: 'KANSHI_MAX_LATENESS_MS', default: '300000', unit: 'ms', meaning: 'how far out of event-time order events may come (seconds on a live feed)', processes: ['detector'],
    parse: wholeMs(300_000, 0, 86_400_000, 'from 0 to 86400000 (a day)'),
  }),
  snapshotEveryEvents: option({
    env: 'KANSHI_SNAPSHOT_EVERY_EVENTS', default: '100000', meaning: 'a partition task is snapshotted to `kanshi.detector-changelog` after this many input messages (`0`: not by count)', processes: ['detector'],
    parse: wholeCount(100_000),
  }),
  snapshotIntervalMs: option({
    env: 'KANSHI_SNAPSHOT_INTERVAL_MS', default: '30000', unit: 'ms', meaning: 'and at most this long after its last snapshot while input comes (`0`: not by time; both `0`: no snapshots, every start rebuilds from the logs)', processes: ['detector'],
    parse: wholeMs(30_000, 0, 86_400_000, 'from 0 to 86400000 (a day)'),
  }),
  stateDir: option({
    env: 'KANSHI_STATE_DIR', default: 'none', meaning: 'a directory for a copy of each partition task\'s newest snapshot: a restart on this machine restores from it, checked against `kanshi.detector-changelog`, instead of reading the changelog first (none: restores read the changelog)', processes: ['detector'],
    parse: (raw): string | null => (raw === undefined || raw === '' ? null : raw),
  }),
  holdMode: option({
    env: 'KANSHI_HOLD_MODE', default: 'dry_run', meaning: '`enforce` publishes holds to `account-holds`, `dry_run` only to `account-holds-dry-run`', processes: ['alerter'],
    parse: (raw, { name }): (typeof HOLD_MODES)[number] => {
      const v = raw ?? 'dry_run';
      if (!(HOLD_MODES as readonly string[]).includes(v)) throw new UsageError(`${name} must be dry_run or enforce, got '${v}'`);
      return v as (typeof HOLD_MODES)[number];
    },
  }),
  deskBind: option({
    env: 'KANSHI_DESK_BIND', default: '127.0.0.1', meaning: 'the address the desk (web console) listens on', processes: ['desk'],
    parse: (raw) => raw ?? '127.0.0.1',
  }),
  deskPort: option({
    env: 'KANSHI_DESK_PORT', default: '8470', meaning: 'the desk\'s port; `0` picks a free port', processes: ['desk'],
    parse: (raw, { name }) => portNumber(raw, 8470, name),
  }),
  deskData: option({
    env: 'KANSHI_DESK_DATA', default: '~/.kanshi/desk', meaning: 'embedded chdb data directory of the desk when `CLICKHOUSE_URL` is unset', processes: ['desk'],
    parse: (raw) => raw ?? path.join(os.homedir(), '.kanshi', 'desk'),
  }),
  deskAuditJournal: option({
    env: 'KANSHI_DESK_AUDIT_JOURNAL', default: 'KANSHI_DESK_DATA/audit-journal/<database>', meaning: 'the desk\'s audit journal (state directory, one desk each): each audit entry is appended and fdatasync\'ed here before its page is sent, then flushed to ClickHouse in batches', processes: ['desk'],
    parse: (raw): string | null => raw ?? null,
  }),
  deskAuditJournalMaxBytes: option({
    env: 'KANSHI_DESK_AUDIT_JOURNAL_MAX_BYTES', default: '67108864', unit: 'bytes', meaning: 'the journal\'s bound (~250,000 entries): with ClickHouse away this long, pages that need an audit entry fail (503) until it is back', processes: ['desk'],
    parse: (raw, { name }): number => {
      const v = raw === undefined ? 64 * 1024 * 1024 : Number(raw);
      if (!Number.isSafeInteger(v) || v < 65_536) throw new UsageError(`${name} must be whole bytes >= 65536, got '${raw}'`);
      return v;
    },
  }),
  deskAuditFlushMs: option({
    env: 'KANSHI_DESK_AUDIT_FLUSH_MS', default: '500', unit: 'ms', meaning: 'how often the journal\'s entries are flushed to ClickHouse (sooner after 1000 entries; the audit page flushes first)', processes: ['desk'],
    parse: wholeMs(500, 50, 60_000, 'from 50 to 60000'),
  }),
  replicationFactor: option({
    env: 'KAFKA_REPLICATION_FACTOR', flag: 'replication-factor', default: "the broker's", meaning: 'replicas of each topic `kanshi topics create` makes (and `check` compares)', processes: ['topics'],
    parse: (raw, { name }): number | undefined => {
      if (raw === undefined) return undefined;
      const v = Number(raw);
      if (!Number.isInteger(v) || v < 1) throw new UsageError(`${name} must be a whole number >= 1, got '${raw}'`);
      return v;
    },
  }),
} as const;

type Options = typeof OPTIONS;
type KeysOf<P extends ProcessName> = { [K in keyof Options]: P extends Options[K]['processes'][number] ? K : never }[keyof Options];

/** What one process runs with: the options of the table it reads, and its connections' security. */
export type ConfigOf<P extends ProcessName> = { readonly [K in KeysOf<P>]: ReturnType<Options[K]['parse']> } & {
  readonly process: P;
  /** TLS and credentials of the Kafka, registry and ClickHouse connections (secrets: never log) */
  readonly security: ConnectionSecurity;
};

/** The options of the table `process` reads, in table order. */
export function optionsOf(process: ProcessName): [string, OptionSpec][] {
  return Object.entries(OPTIONS).filter(([, o]) => (o.processes as readonly ProcessName[]).includes(process));
}

/**
 * The one config of a process, from its environment and flags (a flag beats its variable).
 * Built once, in main; everything below gets the object, never the environment.
 */
export function loadConfig<P extends ProcessName>(process: P, env: NodeJS.ProcessEnv, flags: Record<string, string | undefined> = {}): ConfigOf<P> {
  const out: Record<string, unknown> = { process };
  for (const [key, o] of optionsOf(process)) {
    const fromFlag = o.flag !== undefined && flags[o.flag] !== undefined;
    const raw = fromFlag ? flags[o.flag!] : env[o.env];
    out[key] = o.parse(raw === '' ? undefined : raw, { name: fromFlag ? `--${o.flag}` : o.env, process });
  }
  out.security = connectionSecurity(env);
  return out as ConfigOf<P>;
}

/** A default as the README's table spells it: values in code font, then the unit. */
export function defaultCell(o: OptionSpec): string {
  const word = o.default.startsWith('(') || o.default === 'none' || o.default === 'empty' || o.default.includes("'");
  return `${word ? o.default : `\`${o.default}\``}${o.unit ? ` ${o.unit}` : ''}`;
}

/** Who reads an option, as an operator knows them (`archive` is a way of running `kanshi replay`). */
export function readersCell(o: OptionSpec): string {
  return [...new Set(o.processes.map((p) => (p === 'archive' ? 'replay' : p)))].join(', ');
}

/** The table as the README shows it (variable, default, meaning, who reads it). */
export function configTableMarkdown(): string {
  const rows = Object.values(OPTIONS).map((o: OptionSpec) =>
    `| \`${o.env}\`${o.flag ? ` (\`--${o.flag}\`)` : ''} | ${defaultCell(o)} | ${o.meaning} | ${readersCell(o)} |`);
  return ['| variable | default | meaning | read by |', '|---|---|---|---|', ...rows].join('\n');
}
