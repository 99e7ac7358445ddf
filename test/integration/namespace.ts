/**
 * A test's own Kanshi deployment on the shared services: the whole topic table behind a fresh
 * prefix, a bus over it and a migrated database, so nothing another test (or run) wrote can
 * reach it. `close` stops the bus and store and removes the topics and database.
 */
import { AvroSerde, KafkaBus, createKafka, ensureTopics, topicNames, topicTable, type TopicNames } from '@kanshi/bus';
import { openStore, type Store } from '@kanshi/store';
import { integrationEndpoints, removeTestNamespace, uniqueName, withTimeout, type IntegrationEndpoints } from './harness.js';

export interface TestNamespace {
  ep: IntegrationEndpoints;
  kafka: ReturnType<typeof createKafka>;
  topics: TopicNames;
  database: string;
  bus: KafkaBus;
  store: Store;
  close(): Promise<void>;
}

export async function openTestNamespace(name: string, timeoutMs = 60_000): Promise<TestNamespace> {
  const ep = await integrationEndpoints();
  const kafka = createKafka({ brokers: ep.kafkaBrokers, clientId: `kanshi-it-${name}`, logLevel: 'nothing' });
  const prefix = `${uniqueName(name)}.`;
  const database = uniqueName(`it_${name}`);
  const closing: (() => Promise<void>)[] = [() => removeTestNamespace(ep, { topicPrefix: prefix, database })];
  const close = async () => {
    for (const c of closing.reverse()) await c().catch(() => undefined);
  };
  try {
    const admin = kafka.admin();
    await withTimeout(admin.connect(), timeoutMs, 'Kafka admin');
    await ensureTopics(admin, { topics: topicTable(prefix) }).finally(() => admin.disconnect());
    const bus = new KafkaBus({ kafka, serde: await AvroSerde.create({ registryUrl: ep.schemaRegistryUrl, topics: topicTable(prefix) }) });
    closing.push(() => bus.close());
    const store = await openStore({ url: ep.clickhouseUrl, database });
    closing.push(() => store.close());
    await store.migrate();
    return { ep, kafka, topics: topicNames(prefix), database, bus, store, close };
  } catch (e) {
    await close();
    throw e;
  }
}
