/**
 * `kanshi ingest` and `kanshi replay --to-kafka`: the CLI's side of the Kafka services. One
 * validated config object from env and flags, built at start-up; signals stop work cleanly.
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AvroSerde, createKafka, KafkaBus, parseBrokerList, topicNames, topicTable, untilDone, type Bus, type BusMessage, type TopicNames } from '@kanshi/bus';
import { ServiceHealth } from './health.js';
import { requireTopics } from './topics.js';
import { parseEventLine, RejectedEvent, schemaFieldNames, validateAccount, validateInstrument, type InputEvent } from '@kanshi/contract';
import { startIngest } from '@kanshi/ingest';
import { loadReference } from '@kanshi/detector';
import { kafkaAdminHelpers } from './kafka-admin.js';
import { openStore, type Store } from '@kanshi/store';
import { UsageError, need } from './lab.js';
import { NdjsonWriter, readLines } from './ndjson.js';
import { Progress } from './progress.js';
import { startOpsServer, type Metric, type OpsServer } from './ops.js';
import { ingestMetrics } from './service-metrics.js';
import { connectionSecurity, securitySummary, type ConnectionSecurity } from './connection-config.js';
import { serviceLogger } from './log.js';

export interface ServiceConfig {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  clickhouseUrl: string | null;
  clickhouseDatabase: string;
  groupId: string;
  logLevel: string;
  /** every topic name behind it: several deployments (or test runs) on one cluster */
  topicPrefix: string;
  /** TLS and credentials of the Kafka, registry and ClickHouse connections (secrets: never log) */
  security: ConnectionSecurity;
  /** a consumer that has not fetched (or joined) for this long makes the service unready */
  stallMs: number;
  /** unready for this long: the service exits 1 for its supervisor to restart it */
  unreadyExitMs: number;
}

function msFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1_000) throw new UsageError(`${name} must be a whole number of milliseconds, at least 1000, got '${raw}'`);
  return v;
}

/** The one config of a Kafka service, from the environment; a UsageError names what is missing. */
export function serviceConfig(env: NodeJS.ProcessEnv, service = 'ingest'): ServiceConfig {
  const brokers = env.KAFKA_BROKERS;
  const registry = env.SCHEMA_REGISTRY_URL;
  if (!brokers) throw new UsageError('KAFKA_BROKERS is not set (e.g. 127.0.0.1:9092; `npm run infra:up` starts a local broker)');
  if (!registry) throw new UsageError('SCHEMA_REGISTRY_URL is not set (e.g. http://127.0.0.1:8081/apis/ccompat/v7)');
  return {
    kafkaBrokers: parseBrokerList(brokers),
    schemaRegistryUrl: registry,
    clickhouseUrl: env.CLICKHOUSE_URL || null,
    clickhouseDatabase: env.CLICKHOUSE_DATABASE || 'kanshi',
    groupId: env.KANSHI_GROUP_ID || `kanshi-${service}`,
    logLevel: env.LOG_LEVEL || 'info',
    topicPrefix: env.KANSHI_TOPIC_PREFIX || '',
    security: connectionSecurity(env),
    stallMs: msFrom(env, 'KANSHI_STALL_MS', 60_000),
    unreadyExitMs: msFrom(env, 'KANSHI_UNREADY_EXIT_MS', 120_000),
  };
}

export function logger(cfg: ServiceConfig, name: string): Logger {
  return serviceLogger(name, cfg.logLevel);
}

/**
 * The bus of a service or tool, once the deployment's topics are known to exist (a
 * `topic_missing` BusError names them and `kanshi topics create` otherwise). With `health`,
 * consumer crashes are logged through it and its readiness follows the bus's consumers.
 */
export async function connect(cfg: ServiceConfig, clientId: string, health?: ServiceHealth) {
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId, logLevel: 'error', security: cfg.security.kafka });
  const serde = await AvroSerde.create({ registryUrl: cfg.schemaRegistryUrl, topics: topicTable(cfg.topicPrefix), ...cfg.security.registry });
  await requireTopics(kafka, cfg.topicPrefix, cfg.kafkaBrokers);
  const bus = new KafkaBus({ kafka, serde, onConsumerCrash: health ? (c) => health.consumerCrashed(c) : undefined });
  health?.watchConsumers(() => bus.consumerHealth());
  return bus;
}

/** A service's health: process-level handlers from the start, the watchdog once it runs. */
export function serviceHealth(cfg: ServiceConfig, log: Logger): ServiceHealth {
  const health = new ServiceHealth({ log, stallMs: cfg.stallMs, exitAfterMs: cfg.unreadyExitMs });
  health.installProcessHandlers();
  return health;
}

/** How long a service may take to stop once signalled before it exits anyway. */
const STOP_TIMEOUT_MS = 20_000;

/**
 * Resolves on SIGTERM or SIGINT, once. From then on the service has STOP_TIMEOUT_MS to stop
 * cleanly: a kafkajs consumer caught restarting after a broker outage can hang its disconnect,
 * and a stop that never ends is worse than a SIGKILL, which loses nothing (offsets move only after
 * the writes). A second signal exits at once.
 */
export function untilSignal(log?: Pick<Logger, 'error'>, stopTimeoutMs = STOP_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve) => {
    let signalled = false;
    const on = (sig: NodeJS.Signals) => {
      if (signalled) process.exit(1);
      signalled = true;
      setTimeout(() => {
        log?.error({ timeoutMs: stopTimeoutMs }, 'did not stop in time; exiting without the rest of the clean stop');
        process.exit(1);
      }, stopTimeoutMs).unref();
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export async function ingest(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log('kanshi ingest\n  Consumes logins, orders and account-events (Avro via the registry, or JSON), rejects bad records to\n  kanshi.dead-letter and ClickHouse with the reason, archives the rest and publishes them to kanshi.events.\n  Env: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL (optional), CLICKHOUSE_DATABASE, KANSHI_GROUP_ID, LOG_LEVEL,\n  KANSHI_STALL_MS, KANSHI_UNREADY_EXIT_MS (health: /livez, /readyz; see the README).');
    return 0;
  }
  const cfg = serviceConfig(process.env, 'ingest');
  const log = logger(cfg, 'kanshi-ingest');
  log.info({ config: { ...cfg, security: securitySummary(cfg.security) } }, 'starting');
  const health = serviceHealth(cfg, log);
  const bus = await connect(cfg, 'kanshi-ingest', health);
  const store = await openServiceStore(cfg, log);
  const topics = topicNames(cfg.topicPrefix);
  const admin = kafkaAdminHelpers(cfg, topics);
  // the reference read to its end before the first record, then kept current
  const reference = await loadReference(bus, topics, admin.endOffsets);
  const known = reference.ref.instrumentCount > 0;
  if (!known) log.warn({ topic: topics.instruments }, 'no instrument reference: orders are not checked against it');
  log.info({ instruments: reference.ref.instrumentCount, accounts: reference.ref.accountCount }, 'reference data loaded');
  const running = await startIngest({
    bus, store, log, groupId: cfg.groupId, topics, caughtUpPartitions: admin.caughtUpPartitions,
    knownSymbol: known ? (s) => reference.ref.hasInstrument(s) : undefined,
  });
  const ops = await opsServer(9464, ingestMetrics(running, () => admin.ingestLag(cfg.groupId)), log, health, bus);
  const sig = await untilSignal(log);
  health.stop();
  log.info({ signal: sig }, 'stopping: finishing the batch in hand, then committing');
  await running.stop();
  await ops.close();
  await reference.stop();
  await admin.close();
  await bus.close();
  await store?.close();
  return 0;
}

/** How long a service waits at start-up for a ClickHouse that does not answer yet. */
const STORE_STARTUP_WAIT_MS = 5 * 60_000;

/**
 * The service's store, migrated; null without CLICKHOUSE_URL. A server that does not answer yet
 * (both started together, or a restart during an outage) is waited for, up to five minutes.
 */
export async function openServiceStore(cfg: ServiceConfig, log: Logger): Promise<Store | null> {
  const url = cfg.clickhouseUrl;
  if (!url) return null;
  const deadline = Date.now() + STORE_STARTUP_WAIT_MS;
  return untilDone('open ClickHouse', async () => {
    const store = await openStore({ url, database: cfg.clickhouseDatabase, ...cfg.security.clickhouse });
    try {
      const m = await store.migrate();
      log.info({ applied: m.applied }, 'ClickHouse migrated');
      return store;
    } catch (e) {
      await store.close();
      throw e;
    }
  }, { log, abandon: () => Date.now() > deadline });
}

/**
 * /livez, /readyz (and /healthz), /metrics on KANSHI_OPS_PORT (default per service), 127.0.0.1
 * unless KANSHI_OPS_HOST; the watchdog starts with it, once the service runs.
 */
export async function opsServer(defaultPort: number, metrics: () => Promise<Metric[]>, log: Logger, health: ServiceHealth, bus: KafkaBus): Promise<OpsServer> {
  const port = Number(process.env.KANSHI_OPS_PORT ?? defaultPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`KANSHI_OPS_PORT must be a port number, got '${process.env.KANSHI_OPS_PORT}'`);
  process.once('SIGTERM', () => health.stop());
  const all = async (): Promise<Metric[]> => [
    ...await metrics(),
    { name: 'kanshi_consumer_crashes_total', help: 'consumer crashes (kafkajs restarts some, gives up on others)', type: 'counter', samples: [{ value: bus.consumerCrashes }] },
    { name: 'kanshi_ready', help: '1 while /readyz answers 200', type: 'gauge', samples: [{ value: health.readiness().ok ? 1 : 0 }] },
  ];
  const srv = await startOpsServer({ host: process.env.KANSHI_OPS_HOST, port }, all, () => health.readiness());
  health.startWatchdog();
  log.info({ port: srv.port }, 'serving /livez, /readyz, /healthz and /metrics');
  return srv;
}

export interface ReplayFiles {
  events: string;
  instruments: string;
  accounts: string;
}

export interface ReplayResult {
  sent: number;
  skipped: number;
  instruments: number;
  accounts: number;
}

/**
 * Publishes reference data to the compacted topics, then the events to the raw topics (Avro,
 * keyed by accountId) in file order, time-scaled by `speed` (0: as fast as possible).
 */
export async function replayFile(bus: Bus, topics: TopicNames, files: ReplayFiles, speed = 0, onProgress?: (sent: number) => void): Promise<ReplayResult> {
  const refs = async (file: string, topic: string, check: (x: unknown) => unknown, key: (x: Record<string, unknown>) => string) => {
    const batch: BusMessage[] = [];
    for await (const { line } of readLines(file)) {
      let v: unknown;
      try {
        v = check(JSON.parse(line));
      } catch {
        continue;
      }
      if (!(v instanceof RejectedEvent)) batch.push({ key: key(v as Record<string, unknown>), value: v });
    }
    await bus.publish(topic, batch);
    return batch.length;
  };
  const instruments = await refs(files.instruments, topics.instruments, validateInstrument, (x) => String(x.symbol));
  const accounts = await refs(files.accounts, topics.accounts, validateAccount, (x) => String(x.accountId));
  let skipped = 0;
  async function* parsed(): AsyncGenerator<InputEvent> {
    for await (const { line } of readLines(files.events, () => void skipped++)) {
      const ev = parseEventLine(line);
      if (ev instanceof RejectedEvent) skipped++;
      else yield ev;
    }
  }
  const sent = await publishEvents(bus, topics, parsed(), speed, onProgress);
  return { sent, skipped, instruments, accounts };
}

/** Events into the raw topics (Avro, keyed by accountId) in the order given, time-scaled by `speed`. */
export async function publishEvents(bus: Bus, topics: TopicNames, events: AsyncIterable<InputEvent>, speed = 0, onProgress?: (sent: number) => void): Promise<number> {
  const raw: Record<InputEvent['type'], string> = { login: topics.logins, order: topics.orders, account_event: topics.accountEvents };
  const fields = { login: schemaFieldNames('login'), order: schemaFieldNames('order'), account_event: schemaFieldNames('account_event') };
  let sent = 0;
  let first: number | null = null;
  const started = Date.now();
  let pending: { topic: string; msg: BusMessage<InputEvent> }[] = [];
  const flush = async () => {
    const byTopic = new Map<string, BusMessage<InputEvent>[]>();
    for (const p of pending) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.msg]);
    for (const [topic, msgs] of byTopic) await bus.publish(topic, msgs);
    sent += pending.length;
    pending = [];
    onProgress?.(sent);
  };
  for await (const ev of events) {
    if (speed > 0) {
      first ??= ev.ts;
      const due = started + (ev.ts - first) / speed;
      if (due > Date.now()) {
        await flush();
        await sleep(due - Date.now());
      }
    }
    // Avro records carry every field: an absent optional one is null on the wire
    const value: Record<string, unknown> = {};
    for (const f of fields[ev.type]) value[f] = (ev as unknown as Record<string, unknown>)[f] ?? null;
    pending.push({ topic: raw[ev.type], msg: { key: ev.accountId, value: value as unknown as InputEvent } });
    if (pending.length >= 500) await flush();
  }
  await flush();
  return sent;
}

const REPLAY_HELP = `kanshi replay --events F --instruments F --accounts F --to-kafka [--speed X]
kanshi replay --from-clickhouse --from T --to T [--account ID] (--out FILE | --to-kafka [--speed X])
  A file: reference data to the compacted topics, then the events to logins/orders/account-events
  (Avro, keyed by accountId) in file order. An archived period (T: ISO-8601 or epoch ms): the
  events ClickHouse archived, in event-time order, to an NDJSON file for \`kanshi detect\`, or
  back into Kafka. --speed 60 plays an hour a minute, 0 (default) as fast as possible.
  Env: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL, CLICKHOUSE_DATABASE, KANSHI_TOPIC_PREFIX.`;

/** `kanshi replay`: a file, or an archived period, into Kafka (or a file), in event-time order. */
export async function replay(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' }, instruments: { type: 'string' }, accounts: { type: 'string' },
      'to-kafka': { type: 'boolean', default: false }, speed: { type: 'string', default: '0' },
      'from-clickhouse': { type: 'boolean', default: false }, from: { type: 'string' }, to: { type: 'string' },
      account: { type: 'string' }, out: { type: 'string' },
      help: { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(REPLAY_HELP);
    return 0;
  }
  const speed = Number(values.speed);
  if (!Number.isFinite(speed) || speed < 0) throw new UsageError(`--speed must be a number >= 0, got '${values.speed}'`);
  if (values['from-clickhouse']) return replayArchive(values, speed);
  if (!values['to-kafka']) throw new UsageError('say where to: --to-kafka');
  const files = { events: need(values.events, 'events'), instruments: need(values.instruments, 'instruments'), accounts: need(values.accounts, 'accounts') };
  const cfg = serviceConfig(process.env);
  const bus = await connect(cfg, 'kanshi-replay');
  const bar = new Progress('replay', 2_000);
  try {
    const r = await replayFile(bus, topicNames(cfg.topicPrefix), files, speed, (n) => { if (!values.quiet) bar.update(n, undefined, ' events'); });
    bar.done();
    console.log(`replayed ${r.sent.toLocaleString('en-US')} events (${r.skipped} bad lines skipped), ${r.instruments} instruments, ${r.accounts} accounts into Kafka`);
  } finally {
    await bus.close();
  }
  return 0;
}

function instant(v: string | undefined, flag: string): number {
  const s = need(v, flag);
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new UsageError(`--${flag} must be an ISO-8601 time or epoch milliseconds, got '${s}'`);
  return t;
}

async function replayArchive(values: { from?: string; to?: string; account?: string; out?: string; 'to-kafka'?: boolean; quiet?: boolean }, speed: number): Promise<number> {
  const from = instant(values.from, 'from');
  const to = instant(values.to, 'to');
  if (to < from) throw new UsageError('--to is before --from');
  if (!values.out && !values['to-kafka']) throw new UsageError('say where to: --out FILE or --to-kafka');
  const url = process.env.CLICKHOUSE_URL;
  if (!url) throw new UsageError('CLICKHOUSE_URL is not set: the archive lives in ClickHouse');
  const store = await openStore({ url, database: process.env.CLICKHOUSE_DATABASE || 'kanshi', ...connectionSecurity(process.env).clickhouse });
  const bar = new Progress('replay', 2_000);
  try {
    // the account id and the times reach SQL only through the store's escaping
    const events = store.archivedEvents({ from, to, accountId: values.account });
    if (values.out) {
      const w = new NdjsonWriter(values.out);
      let n = 0;
      for await (const e of events) {
        await w.write(e);
        n++;
        if (!values.quiet) bar.update(n, undefined, ' events');
      }
      await w.close();
      bar.done();
      console.log(`${n.toLocaleString('en-US')} archived events of ${new Date(from).toISOString()} .. ${new Date(to).toISOString()} → ${values.out}`);
      return 0;
    }
    const cfg = serviceConfig(process.env);
    const bus = await connect(cfg, 'kanshi-replay');
    try {
      const n = await publishEvents(bus, topicNames(cfg.topicPrefix), events, speed, (k) => { if (!values.quiet) bar.update(k, undefined, ' events'); });
      bar.done();
      console.log(`replayed ${n.toLocaleString('en-US')} archived events into Kafka`);
    } finally {
      await bus.close();
    }
    return 0;
  } finally {
    await store.close();
  }
}
