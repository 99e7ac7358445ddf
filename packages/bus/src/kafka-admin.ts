/** What the services and tools ask the broker itself: partition counts, log ends, a group's lag, whether the topics exist. */
import type { Kafka } from 'kafkajs';
import { BusError } from './errors.js';
import { createKafka } from './kafka.js';
import type { KafkaSecurity } from './kafka-security.js';
import { retryBriefly } from './retry.js';
import { topicNames, topicTable, TOPICS, type TopicNames } from './topics.js';

/** Offsets just past the last message of each partition of a topic. */
export type EndOffsets = (topic: string) => Promise<Map<number, bigint>>;

/** Partition counts from the topic table, and end offsets from the broker. */
export function kafkaAdminHelpers(cfg: { kafkaBrokers: string[]; security?: { kafka: KafkaSecurity } }, topics: TopicNames) {
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: 'kanshi-admin', logLevel: 'error', security: cfg.security?.kafka });
  const admin = kafka.admin();
  const connected = admin.connect();
  const endOffsets: EndOffsets = async (topic) => {
    await connected;
    const offs = await admin.fetchTopicOffsets(topic);
    return new Map(offs.map((o) => [o.partition, BigInt(o.high)]));
  };
  const partitionsOf = (name: keyof typeof topics) => TOPICS.find((t) => t.name === topicNames()[name])!.partitions;
  /** Messages a consumer group has not committed yet, per partition. */
  const groupLag = async (groupId: string, topic: string) => {
    await connected;
    const [ends, committed] = await Promise.all([endOffsets(topic), retryBriefly(() => admin.fetchOffsets({ groupId, topics: [topic] }))]);
    const at = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    return [...ends].map(([partition, end]) => {
      const c = at.get(partition) ?? -1n;
      return { topic, partition, lag: Number(end - (c < 0n ? 0n : c)) };
    });
  };
  return {
    endOffsets,
    groupLag,
    /** Lag of an ingest deployment: one group per raw topic, `<groupId>.<topic>` */
    ingestLag: async (groupId: string) => (await Promise.all([topics.logins, topics.orders, topics.accountEvents].map((tp) => groupLag(`${groupId}.${tp}`, tp)))).flat(),
    accountPartitions: partitionsOf('events'),
    symbolPartitions: partitionsOf('symbolSignals'),
    changelogPartitions: partitionsOf('detectorChangelog'),
    caughtUpPartitions: async (topic: string, groupId: string) => (await groupLag(groupId, topic)).filter((l) => l.lag === 0).map((l) => l.partition),
    close: async () => { await connected.catch(() => undefined); await admin.disconnect(); },
  };
}

/**
 * Fails with one line naming the missing topics and the command that makes them: a service
 * never creates a topic, so a new prefix without `kanshi topics create` must say so, and a
 * broker that does not answer is `broker_unreachable`, not a missing topic.
 */
export async function requireTopics(kafka: Kafka, prefix: string, brokers: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const present = new Set(await admin.listTopics());
    const missing = topicTable(prefix).map((t) => t.name).filter((n) => !present.has(n));
    if (missing.length > 0) {
      const shown = missing.length > 4 ? `${missing.slice(0, 4).join(', ')} and ${missing.length - 4} more` : missing.join(', ');
      throw new BusError('topic_missing', `${missing.length} topics of this deployment do not exist (${shown}); create them with \`kanshi topics create\` (same KAFKA_BROKERS and KANSHI_TOPIC_PREFIX=${JSON.stringify(prefix)})`);
    }
  } catch (e) {
    if (e instanceof BusError) throw e;
    throw new BusError('broker_unreachable', `Kafka at ${brokers.join(',')} did not answer: ${(e as Error).message}`, { cause: e });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
