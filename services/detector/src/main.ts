/**
 * Where the detector starts: `node services/detector/dist/main.js` or `kanshi detector`. Both
 * stages restore their partitions from snapshots or rebuild them from the logs, so a stop needs
 * no state saved: the consumers are stopped first, then what they used.
 */
import { kafkaAdminHelpers, topicNames } from '@kanshi/bus';
import { connect, opsServer, runIfMain, serviceMain, stopInOrder, untilSignal } from '@kanshi/runtime';
import { detectorMetrics } from './metrics.js';
import { followLists } from './lists.js';
import { PartitionedAccounts } from './accounts.js';
import { loadReference } from './reference.js';
import { startDetector } from './service.js';

const HELP = `kanshi detector
  Stage 1 (per account) on kanshi.events and stage 2 (per symbol) on kanshi.symbol-signals; findings to \`findings\`.
  State is restored on start from snapshots on kanshi.detector-changelog, else rebuilt by re-reading the logs.
  Env: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KANSHI_TOPIC_PREFIX,
  KANSHI_GROUP_ID, LOG_LEVEL, KANSHI_OPS_PORT (9465), KANSHI_STALL_MS, KANSHI_UNREADY_EXIT_MS,
  KANSHI_MAX_LATENESS_MS (default 300000: every finding waits as long for late events; seconds on a live feed),
  KANSHI_SNAPSHOT_EVERY_EVENTS (100000), KANSHI_SNAPSHOT_INTERVAL_MS (30000; both 0: no snapshots), KANSHI_STATE_DIR (none: a local copy of the snapshots for faster restarts).`;

export const main = serviceMain('detector', HELP, async ({ cfg, log, health }) => {
  const topics = topicNames(cfg.topicPrefix);
  const bus = await connect(cfg, 'kanshi-detector', health);
  const admin = kafkaAdminHelpers(cfg, topics);
  // instruments for every partition; accounts only for the stage-1 partitions this instance owns
  const reference = await loadReference(bus, topics, admin.endOffsets, undefined, { accounts: false });
  log.info({ instruments: reference.ref.instrumentCount, rejected: reference.rejected }, 'reference data loaded');
  const lists = await followLists(bus, topics, admin.endOffsets, reference.ref.lists, log);
  log.info({ entries: reference.ref.lists.size, rejected: lists.rejected }, 'block and allow lists loaded, followed from here');
  const accounts = await PartitionedAccounts.open({ bus, topic: topics.accounts, endOffsets: admin.endOffsets, ref: reference.ref, partitions: admin.accountPartitions, log });
  const running = await startDetector({
    bus, ref: reference.ref, accounts, log, topics, groupId: cfg.groupId, maxLatenessMs: cfg.maxLatenessMs,
    accountPartitions: admin.accountPartitions, symbolPartitions: admin.symbolPartitions,
    checkpoints: cfg.snapshotEveryEvents > 0 || cfg.snapshotIntervalMs > 0
      ? { everyEvents: cfg.snapshotEveryEvents, intervalMs: cfg.snapshotIntervalMs, endOffsets: admin.endOffsets, partitions: admin.changelogPartitions, ...(cfg.stateDir ? { stateDir: cfg.stateDir } : {}) }
      : undefined,
  });
  const ops = await opsServer(cfg, detectorMetrics(running, admin.endOffsets, accounts), log, health, bus);
  const sig = await untilSignal(log);
  health.stop();
  const owned = accounts.owned();
  log.info({ signal: sig, ...running.stats(), accountsHeld: owned.accounts, accountPartitions: owned.partitions, accountsKept: accounts.count - owned.accounts }, 'stopping');
  return stopInOrder(log, [
    ['consumers', () => running.stop()], ['ops server', () => ops.close()], ['reference', () => reference.stop()], ['lists', () => lists.stop()], ['accounts', () => accounts.stop()],
    ['admin', () => admin.close()], ['bus', () => bus.close()],
  ]);
});

runIfMain(import.meta.url, main);
