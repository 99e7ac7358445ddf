/** What the services ask the broker itself: partition counts, log ends, a group's lag. */
import { createKafka, topicNames, TOPICS, type KafkaSecurity, type TopicNames } from '@kanshi/bus';
import type { EndOffsets } from '@kanshi/detector';

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
    const [ends, committed] = await Promise.all([endOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
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
    caughtUpPartitions: async (topic: string, groupId: string) => (await groupLag(groupId, topic)).filter((l) => l.lag === 0).map((l) => l.partition),
    close: async () => { await connected.catch(() => undefined); await admin.disconnect(); },
  };
}
