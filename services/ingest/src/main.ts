/**
 * Where ingest starts: `node services/ingest/dist/main.js` or `kanshi ingest`. Its config from
 * the environment, then the bus, the store, the reference data and the consumers; on a signal,
 * the batch in hand is finished and committed before anything is closed.
 */
import { kafkaAdminHelpers, topicNames } from '@kanshi/bus';
import { loadReference } from '@kanshi/detector';
import { connect, openServiceStore, opsServer, runIfMain, serviceMain, stopInOrder, untilSignal } from '@kanshi/runtime';
import { ingestMetrics } from './metrics.js';
import { startIngest } from './service.js';

const HELP = `kanshi ingest
  Consumes logins, orders and account-events (Avro via the registry, or JSON), rejects bad records to
  kanshi.dead-letter and ClickHouse with the reason, archives the rest and publishes them to kanshi.events;
  with ClickHouse, also archives kanshi.accounts' snapshots for the desk's holdings chart.
  Env: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL (optional), CLICKHOUSE_DATABASE, KANSHI_TOPIC_PREFIX,
  KANSHI_GROUP_ID, LOG_LEVEL, KANSHI_OPS_PORT (9464), KANSHI_STALL_MS, KANSHI_UNREADY_EXIT_MS
  (health: /livez, /readyz; every variable is in the README's configuration table).`;

export const main = serviceMain('ingest', HELP, async ({ cfg, log, health }) => {
  const bus = await connect(cfg, 'kanshi-ingest', health);
  const store = await openServiceStore(cfg, log);
  const topics = topicNames(cfg.topicPrefix);
  const admin = kafkaAdminHelpers(cfg, topics);
  // the instruments read to their end before the first record, then kept current; ingest checks
  // orders' symbols only, and holding every account would cost each instance the brokerage's
  const reference = await loadReference(bus, topics, admin.endOffsets, undefined, { accounts: false });
  const known = reference.ref.instrumentCount > 0;
  if (!known) log.warn({ topic: topics.instruments }, 'no instrument reference: orders are not checked against it');
  log.info({ instruments: reference.ref.instrumentCount }, 'reference data loaded');
  const running = await startIngest({
    bus, store, log, groupId: cfg.groupId, topics, caughtUpPartitions: admin.caughtUpPartitions, endOffsets: admin.endOffsets,
    knownSymbol: known ? (s) => reference.ref.hasInstrument(s) : undefined,
  });
  const ops = await opsServer(cfg, ingestMetrics(running, () => admin.ingestLag(cfg.groupId)), log, health, bus);
  const sig = await untilSignal(log);
  health.stop();
  log.info({ signal: sig }, 'stopping: finishing the batch in hand, then committing');
  return stopInOrder(log, [
    ['consumers', () => running.stop()], ['ops server', () => ops.close()], ['reference', () => reference.stop()],
    ['admin', () => admin.close()], ['bus', () => bus.close()], store && ['store', () => store.close()],
  ]);
});

runIfMain(import.meta.url, main);
