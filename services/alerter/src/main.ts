/**
 * Where the alerter starts: `node services/alerter/dist/main.js` or `kanshi alerter`. The hold
 * mode and every webhook receiver are checked before it connects, so a wrong one stops it
 * before any alert; on a signal the batch in hand is recorded before anything is closed.
 */
import { kafkaAdminHelpers, topicNames } from '@kanshi/bus';
import { connect, openServiceStore, opsServer, runIfMain, serviceMain, stopInOrder, untilSignal } from '@kanshi/runtime';
import { alerterMetrics } from './metrics.js';
import { startAlerter } from './service.js';
import { webhooksFromEnv } from './webhook-config.js';

const HELP = `kanshi alerter
  Findings in; alerts (topic and signed webhooks), hold commands and the audit log out, all recorded in ClickHouse.
  Env: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL, CLICKHOUSE_DATABASE, KANSHI_TOPIC_PREFIX, KANSHI_GROUP_ID,
  LOG_LEVEL, KANSHI_OPS_PORT (9466), KANSHI_STALL_MS, KANSHI_UNREADY_EXIT_MS, KANSHI_HOLD_MODE (dry_run|enforce),
  KANSHI_WEBHOOK_<NAME>_URL and KANSHI_WEBHOOK_<NAME>_SECRET (or _SECRET_FILE) per receiver, KANSHI_WEBHOOK_ALLOW_HTTP_LOOPBACK.`;

export const main = serviceMain('alerter', HELP, async ({ cfg, log, health }) => {
  const bus = await connect(cfg, 'kanshi-alerter', health);
  const store = await openServiceStore(cfg, log);
  const topics = topicNames(cfg.topicPrefix);
  const running = await startAlerter({ bus, store, log, topics, groupId: cfg.groupId, holdPolicy: { mode: cfg.holdMode }, webhooks: cfg.webhooks, webhookPolicy: cfg.policy });
  const admin = kafkaAdminHelpers(cfg, topics);
  const ops = await opsServer(cfg, alerterMetrics(running, () => admin.groupLag(cfg.groupId, topics.findings)), log, health, bus);
  const sig = await untilSignal(log);
  health.stop();
  log.info({ signal: sig, ...running.stats() }, 'stopping');
  return stopInOrder(log, [
    ['consumers', () => running.stop()], ['ops server', () => ops.close()], ['admin', () => admin.close()],
    ['bus', () => bus.close()], store && ['store', () => store.close()],
  ]);
}, webhooksFromEnv);

runIfMain(import.meta.url, main);
