/**
 * Every codec through the real broker both ways with kafkajs alone: what Kanshi's own tools
 * write compressed, the broker accepts (it decompresses to validate) and the bus reads back.
 * The codecs from other producers are in foreign-producers.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { AvroSerde, KafkaBus, createKafka, ensureTopics, type TopicSpec } from '@kanshi/bus';
import { integrationEndpoints, uniqueName, withTimeout } from './harness.js';
import { until } from './pipeline-harness.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

test('kafkajs writes gzip, snappy, lz4 and zstd batches the broker accepts, and the bus reads them all', async () => {
  const ep = await integrationEndpoints();
  const kafka = createKafka({ brokers: ep.kafkaBrokers, clientId: 'kanshi-it-codecs', logLevel: 'nothing' });
  const spec: TopicSpec = { name: uniqueName('it_codecs'), partitions: 1, compacted: false, valueSchema: null, keyedBy: 'n' };
  const admin = kafka.admin();
  await withTimeout(admin.connect(), 30_000, 'Kafka admin');
  closers.push(async () => { await admin.deleteTopics({ topics: [spec.name] }); await admin.disconnect(); });
  await ensureTopics(admin, { topics: [spec] });
  const producer = kafka.producer();
  await producer.connect();
  closers.push(() => producer.disconnect());
  const { CompressionTypes } = kafkajs;
  const codecs = { gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD };
  for (const [name, compression] of Object.entries(codecs)) {
    // enough alike records that each batch is really compressed
    await producer.send({ topic: spec.name, compression, messages: Array.from({ length: 50 }, (_, i) => ({ key: name, value: JSON.stringify({ codec: name, i, pad: 'x'.repeat(200) }) })) });
  }
  const bus = new KafkaBus({ kafka, serde: await AvroSerde.create({ registryUrl: 'mock://codecs', topics: [spec] }) });
  closers.push(() => bus.close());
  const got = new Map<string, number>();
  const sub = await bus.subscribe<{ codec: string }>(spec.name, { groupId: uniqueName('it_codecs') }, (batch) => {
    for (const d of batch) { const v = d.value as { codec: string }; got.set(v.codec, (got.get(v.codec) ?? 0) + 1); }
  });
  closers.push(() => sub.stop());
  await until('every codec\'s records read back', () => [...got.values()].reduce((a, b) => a + b, 0) >= 200, 60_000, async () => JSON.stringify([...got]));
  assert.deepEqual(Object.fromEntries(got), { gzip: 50, snappy: 50, lz4: 50, zstd: 50 });
  assert.deepEqual(bus.consumerHealth().map((h) => h.crashes), [0]);
});
