/** `kanshi detector` and `kanshi alerter`: the detection stages and the alert desk on Kafka. */
import { parseArgs } from 'node:util';
import { topicNames } from '@kanshi/bus';
import { loadReference, startDetector } from '@kanshi/detector';
import { startAlerter } from '@kanshi/alerter';
import type { HoldMode } from '@kanshi/contract';
import { latenessMs, UsageError } from './lab.js';
import { webhooksFromEnv } from './webhook-config.js';
import { kafkaAdminHelpers } from './kafka-admin.js';
import { connect, logger, openServiceStore, opsServer, serviceConfig, serviceHealth, untilSignal } from './services.js';
import { alerterMetrics, detectorMetrics } from './service-metrics.js';

export async function detector(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log('kanshi detector\n  Stage 1 (per account) on kanshi.events and stage 2 (per symbol) on kanshi.symbol-signals; findings to `findings`.\n  State is rebuilt on start by re-reading the logs. Env: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KANSHI_TOPIC_PREFIX, KANSHI_GROUP_ID, LOG_LEVEL,\n  KANSHI_MAX_LATENESS_MS (default 300000: every finding waits as long for late events; seconds on a live feed).');
    return 0;
  }
  const cfg = serviceConfig(process.env, 'detector');
  const maxLatenessMs = latenessMs(process.env.KANSHI_MAX_LATENESS_MS, 'KANSHI_MAX_LATENESS_MS');
  const log = logger(cfg, 'kanshi-detector');
  const health = serviceHealth(cfg, log);
  const topics = topicNames(cfg.topicPrefix);
  const bus = await connect(cfg, 'kanshi-detector', health);
  const admin = kafkaAdminHelpers(cfg, topics);
  const reference = await loadReference(bus, topics, admin.endOffsets);
  log.info({ instruments: reference.ref.instrumentCount, accounts: reference.ref.accountCount, rejected: reference.rejected }, 'reference data loaded');
  const running = await startDetector({
    bus, ref: reference.ref, log, topics, groupId: cfg.groupId, maxLatenessMs,
    accountPartitions: admin.accountPartitions, symbolPartitions: admin.symbolPartitions,
  });
  const ops = await opsServer(9465, detectorMetrics(running, admin.endOffsets), log, health, bus);
  const sig = await untilSignal(log);
  health.stop();
  log.info({ signal: sig, ...running.stats() }, 'stopping');
  await running.stop();
  await ops.close();
  await reference.stop();
  await admin.close();
  await bus.close();
  return 0;
}

export async function alerter(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log('kanshi alerter\n  Findings in; alerts (topic and signed webhooks), hold commands and the audit log out, all recorded in ClickHouse.\n  Env: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL, KANSHI_HOLD_MODE (dry_run|enforce),\n  KANSHI_WEBHOOK_<NAME>_URL and KANSHI_WEBHOOK_<NAME>_SECRET (or _SECRET_FILE) per receiver, KANSHI_WEBHOOK_ALLOW_HTTP_LOOPBACK.');
    return 0;
  }
  const cfg = serviceConfig(process.env, 'alerter');
  const mode = (process.env.KANSHI_HOLD_MODE ?? 'dry_run') as HoldMode;
  if (mode !== 'dry_run' && mode !== 'enforce') throw new UsageError(`KANSHI_HOLD_MODE must be dry_run or enforce, got '${mode}'`);
  const { webhooks, policy: webhookPolicy } = webhooksFromEnv(process.env);
  const log = logger(cfg, 'kanshi-alerter');
  const health = serviceHealth(cfg, log);
  const bus = await connect(cfg, 'kanshi-alerter', health);
  const store = await openServiceStore(cfg, log);
  const topics = topicNames(cfg.topicPrefix);
  const running = await startAlerter({ bus, store, log, topics, groupId: cfg.groupId, holdPolicy: { mode }, webhooks, webhookPolicy });
  const admin = kafkaAdminHelpers(cfg, topics);
  const ops = await opsServer(9466, alerterMetrics(running, () => admin.groupLag(cfg.groupId, topics.findings)), log, health, bus);
  const sig = await untilSignal(log);
  health.stop();
  log.info({ signal: sig, ...running.stats() }, 'stopping');
  await running.stop();
  await ops.close();
  await admin.close();
  await bus.close();
  await store?.close();
  return 0;
}
