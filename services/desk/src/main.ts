/**
 * Where the desk starts: `node services/desk/dist/main.js` or `kanshi desk`. Its config from the
 * environment, the store (the ClickHouse server with CLICKHOUSE_URL, embedded chdb in
 * KANSHI_DESK_DATA otherwise), then the web server; `kanshi desk users add` manages its users.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { topicNames, type Bus } from '@kanshi/bus';
import type { Logger } from 'pino';
import { openStore, type Store } from '@kanshi/store';
import { connect, exitCodeOf, loadConfig, openServiceStore, runIfMain, serviceMain, stopInOrder, untilSignal, UsageError, type ConfigOf } from '@kanshi/runtime';
import { AuditJournal, journaled } from './audit-journal.js';
import { busHoldRecords } from './hold-records.js';
import { DeskServer } from './server.js';
import { addUser, readPassword, userFromFlags, USERS_HELP } from './users.js';
import { fileListStore, topicListStore, type ListStore } from './list-store.js';

const HELP = `kanshi desk
  The surveillance desk: a web console over ClickHouse where analysts work alerts (queue, alert and
  account view, dispositions), release holds (an enforced hold needs a supervisor's approval) and
  every action and view is audited. Open http://KANSHI_DESK_BIND:KANSHI_DESK_PORT/login.
  Env: CLICKHOUSE_URL (unset: embedded chdb in KANSHI_DESK_DATA), CLICKHOUSE_DATABASE, KANSHI_DESK_BIND
  (127.0.0.1), KANSHI_DESK_PORT (8470), KANSHI_DESK_DATA (~/.kanshi/desk), KANSHI_DESK_AUDIT_JOURNAL
  (KANSHI_DESK_DATA/audit-journal/<database>: audit entries wait there for ClickHouse), KANSHI_DESK_AUDIT_JOURNAL_MAX_BYTES,
  KANSHI_DESK_AUDIT_FLUSH_MS, LOG_LEVEL; KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
  KANSHI_TOPIC_PREFIX: list entries go to kanshi.lists (unset: to KANSHI_DESK_DATA/lists.ndjson), and with
  CLICKHOUSE_URL too each hold change to account-holds (embedded, or no KAFKA_BROKERS: ClickHouse only).
${USERS_HELP}`;

type DeskConfig = ConfigOf<'desk'>;

/** The desk's store, migrated: the server's when configured, else the embedded one. */
export async function openDeskStore(cfg: DeskConfig, log: Pick<Logger, 'info' | 'warn'>): Promise<Store> {
  const server = await openServiceStore(cfg, log as Logger);
  if (server) return server;
  mkdirSync(cfg.deskData, { recursive: true });
  const store = await openStore({ embedded: cfg.deskData, database: cfg.clickhouseDatabase });
  const m = await store.migrate();
  log.info({ applied: m.applied, embedded: cfg.deskData }, 'embedded ClickHouse (chdb) migrated');
  return store;
}

/** The desk's one Kafka connection (lists and hold changes share it); null without KAFKA_BROKERS. */
async function openBus(cfg: DeskConfig): Promise<Bus | null> {
  if (cfg.kafkaBrokers.length === 0) return null;
  if (!cfg.schemaRegistryUrl) throw new UsageError('SCHEMA_REGISTRY_URL is not set (the desk publishes list entries and hold changes as Avro when KAFKA_BROKERS is set)');
  return connect(cfg, 'kanshi-desk');
}

/** With Kafka the lists topic the detectors follow; without, a file `kanshi detect --lists` reads. */
async function openListStore(cfg: DeskConfig, bus: Bus | null): Promise<{ lists: ListStore; close: () => Promise<void> }> {
  if (!bus) {
    mkdirSync(cfg.deskData, { recursive: true });
    return { lists: fileListStore(path.join(cfg.deskData, 'lists.ndjson')), close: async () => undefined };
  }
  const lists = await topicListStore(bus, topicNames(cfg.topicPrefix).lists, `kanshi-desk-lists-${randomBytes(6).toString('hex')}`);
  return { lists, close: () => lists.close() };
}

const serve = serviceMain('desk', HELP, async ({ cfg, log, health }) => {
  const store = await openDeskStore(cfg, log);
  const bus = await openBus(cfg);
  const lists = await openListStore(cfg, bus);
  // Hold changes go to the order system on Kafka only in server mode (CLICKHOUSE_URL too): the
  // embedded demo's holds must not reach a real order system the shell happens to point at.
  const holdRecords = bus && cfg.clickhouseUrl !== null ? busHoldRecords(bus, topicNames(cfg.topicPrefix)) : undefined;
  if (!holdRecords) log.info({ kafkaIgnored: bus !== null }, 'embedded mode or no KAFKA_BROKERS: hold changes stay in ClickHouse, nothing is published on account-holds');
  // every audit entry through the journal: what an earlier run left there goes to ClickHouse first
  const journal = await AuditJournal.open({ dir: cfg.deskAuditJournal ?? path.join(cfg.deskData, 'audit-journal', encodeURIComponent(cfg.clickhouseDatabase)), sink: store.desk(), log, maxBytes: cfg.deskAuditJournalMaxBytes, flushMs: cfg.deskAuditFlushMs });
  await journal.flush().catch(() => log.error({ pendingBytes: journal.pendingBytes }, 'audit journal: replay failed; the flusher keeps trying'));
  journal.start();
  const desk = new DeskServer({ desk: journaled(store.desk(), journal), log, lists: lists.lists, holdRecords });
  const { url } = await desk.listen(cfg.deskBind, cfg.deskPort);
  log.info({ url: `${url}/login`, store: store.target, lists: lists.lists.where, auditJournal: journal.dir }, 'desk serving');
  const sig = await untilSignal(log);
  health.stop();
  log.info({ signal: sig }, 'stopping');
  return stopInOrder(log, [['web server', () => desk.close()], ['audit journal', () => journal.close()], ['lists', () => lists.close()], bus && ['bus', () => bus.close()], ['store', () => store.close()]]);
});

async function users(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const user = userFromFlags(argv);
    if (user === 'help') {
      console.log(USERS_HELP);
      return 0;
    }
    const password = await readPassword(process.stdin);
    const cfg = loadConfig('desk', env);
    // a server that does not answer yet is waited for (as the services do), and said so on stderr
    const quiet = { info: () => undefined, warn: (o: { what?: string; err?: string }, m?: string) => console.error(`kanshi desk users: ${o.what ?? 'ClickHouse'} ${m ?? ''} ${o.err ?? ''}`.trim()) };
    const store = await openDeskStore(cfg, quiet as unknown as Pick<Logger, 'info' | 'warn'>);
    try {
      await addUser(store.desk(), user, password);
    } finally {
      await store.close();
    }
    console.log(`desk user ${user.name} (${user.role}) added in ${store.target}`);
    return 0;
  } catch (e) {
    return exitCodeOf('kanshi desk users', e);
  }
}

export function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return argv[0] === 'users' ? users(argv.slice(1), env) : serve(argv, env);
}

runIfMain(import.meta.url, main);
