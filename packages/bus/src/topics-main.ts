/**
 * `node packages/bus/dist/topics-main.js`: waits for Kafka, then creates the topic table's
 * topics (infra/local/up.sh runs it). Env: KAFKA_BROKERS (127.0.0.1:9092),
 * KAFKA_REPLICATION_FACTOR (broker default), KAFKA_WAIT_TIMEOUT_MS (60000), KANSHI_TOPIC_PREFIX ('').
 */
import type { Admin } from 'kafkajs';
import { BusError } from './errors.js';
import { createKafka, parseBrokerList } from './kafka.js';
import { ensureTopics, topicTable } from './topics.js';

async function connectWithin(brokers: string[], timeoutMs: number): Promise<Admin> {
  // No kafkajs retries: its exponential back-off would overrun our deadline; we poll instead.
  const kafka = createKafka({ brokers, clientId: 'kanshi-topics', logLevel: 'nothing', retries: 0, connectionTimeoutMs: 2_000 });
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return admin;
    } catch (e) {
      last = e;
      await admin.disconnect().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new BusError('broker_unreachable', `Kafka at ${brokers.join(',')} did not answer within ${timeoutMs} ms: ${(last as Error)?.message}`);
}

async function main(): Promise<void> {
  const brokers = parseBrokerList(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');
  const timeoutMs = Number(process.env.KAFKA_WAIT_TIMEOUT_MS ?? 60_000);
  const replicationFactor = process.env.KAFKA_REPLICATION_FACTOR ? Number(process.env.KAFKA_REPLICATION_FACTOR) : undefined;
  const admin = await connectWithin(brokers, timeoutMs);
  try {
    const report = await ensureTopics(admin, { replicationFactor, topics: topicTable(process.env.KANSHI_TOPIC_PREFIX ?? '') });
    const created = report.created.length ? `created ${report.created.join(', ')}` : 'created none';
    console.log(`[topics] ${created}; ${report.existing.length} already present`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((e: unknown) => {
  console.error(`[topics] ERROR: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
