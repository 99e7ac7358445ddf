import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { RejectedEvent, type OrderEvent } from '@kanshi/contract';
import {
  AvroSerde,
  KafkaBus,
  TOPICS,
  createKafka,
  createProducer,
  ensureTopics,
  type Delivery,
  type TopicSpec,
} from '@kanshi/bus';
import { integrationEndpoints, uniqueName, withTimeout } from './harness.js';

const WAIT_MS = 30_000;

let kafka: Kafka;
let admin: Admin;
let registryUrl: string;
const createdTopics: string[] = [];

function order(n: number): OrderEvent {
  return {
    eventId: `it-ord-${n}`,
    ts: Date.UTC(2026, 2, 27, 1, 26, 28, n),
    accountId: `acc-${n % 3}`,
    orderId: `ord-${n}`,
    sessionId: `sess-${n}`,
    channel: 'app',
    symbol: '7203',
    side: n % 2 ? 'buy' : 'sell',
    orderType: 'limit',
    quantity: 100 * n,
    price: 2500.5,
    status: 'new',
    fillQuantity: null,
    fillPrice: null,
    currency: 'JPY',
  };
}

/** A fresh single-purpose topic carrying orders; one partition keeps the test's order total. */
async function freshOrdersTopic(partitions = 1): Promise<TopicSpec> {
  const spec: TopicSpec = { name: uniqueName('it_orders'), partitions, compacted: false, valueSchema: 'order', keyedBy: 'accountId', acceptsJson: true };
  await ensureTopics(admin, { topics: [spec] });
  createdTopics.push(spec.name);
  return spec;
}

before(async () => {
  const endpoints = await integrationEndpoints();
  registryUrl = endpoints.schemaRegistryUrl;
  kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'kanshi-it-kafka', logLevel: 'error' });
  admin = kafka.admin();
  await withTimeout(admin.connect(), WAIT_MS, `Kafka at ${endpoints.kafkaBrokers.join(',')}`);
});

after(async () => {
  if (createdTopics.length > 0) await admin.deleteTopics({ topics: createdTopics }).catch(() => undefined);
  await admin?.disconnect();
});

test('the live broker holds every topic of the table, as the table describes it, and ensureTopics is idempotent', { timeout: 60_000 }, async () => {
  const first = await ensureTopics(admin);
  assert.deepEqual([...first.created, ...first.existing].sort(), TOPICS.map((t) => t.name).sort());
  const again = await ensureTopics(admin);
  assert.deepEqual(again.created, []);
  const metadata = await admin.fetchTopicMetadata({ topics: TOPICS.map((t) => t.name) });
  for (const spec of TOPICS) {
    assert.equal(metadata.topics.find((t) => t.name === spec.name)?.partitions.length, spec.partitions, spec.name);
  }
});

test('an Avro order produced with the registry serializer is consumed by a kafkajs group and decodes to the input', { timeout: 90_000 }, async () => {
  const topic = await freshOrdersTopic(3);
  const serde = await AvroSerde.create({ registryUrl, topics: [topic] });
  const sent = order(7);
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    await producer.send({ topic: topic.name, acks: -1, messages: [{ key: sent.accountId, value: await serde.encode(topic.name, sent) }] });
  } finally {
    await producer.disconnect();
  }

  const consumer = kafka.consumer({ groupId: uniqueName('it_group') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: topic.name, fromBeginning: true });
    const received = new Promise<{ key: string | null; schemaId: number; value: unknown }>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            resolve({
              key: message.key?.toString() ?? null,
              schemaId: message.value!.readInt32BE(1),
              value: await serde.decode(topic.name, message.value),
            });
          },
        })
        .catch(reject);
    });
    const got = await withTimeout(received, WAIT_MS, `the order on ${topic.name}`);
    assert.equal(got.key, sent.accountId);
    assert.equal(got.schemaId, serde.schemaId(topic.name));
    assert.ok(!(got.value instanceof RejectedEvent), `rejected: ${(got.value as RejectedEvent).reason}`);
    assert.deepEqual({ ...(got.value as object) }, sent);
  } finally {
    await consumer.disconnect();
  }
});

test('poison messages decode to RejectedEvents with reasons and the subscription keeps going', { timeout: 90_000 }, async () => {
  const topic = await freshOrdersTopic();
  const serde = await AvroSerde.create({ registryUrl, topics: [topic] });
  const garbage = randomBytes(48);
  garbage[0] = 0xff; // a leading 0 would be a (bogus) registry frame, a different case
  const unknownId = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), (await serde.encode(topic.name, order(1)))!.subarray(5)]);
  unknownId.writeInt32BE(2_000_000_001, 1);

  const bus = new KafkaBus({ kafka, serde });
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    await producer.send({ topic: topic.name, messages: [{ key: 'acc-x', value: garbage }, { key: 'acc-x', value: unknownId }] });
    await bus.publish(topic.name, [{ key: 'acc-1', value: order(2) }]);
    await producer.send({ topic: topic.name, messages: [{ key: 'acc-x', value: Buffer.from('{"eventId":"not avro",') }] });
    await bus.publish(topic.name, [{ key: 'acc-2', value: order(3) }]);
  } finally {
    await producer.disconnect();
  }

  const groupId = uniqueName('it_poison');
  const seen: Delivery<OrderEvent>[] = [];
  let allSeen!: () => void;
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  const sub = await bus.subscribe<OrderEvent>(topic.name, { groupId }, (batch) => {
    seen.push(...batch);
    if (seen.length >= 5) allSeen();
  });
  try {
    await withTimeout(sub.ready, WAIT_MS, `group ${groupId} to join`);
    await withTimeout(done, WAIT_MS, `5 messages on ${topic.name} (saw ${seen.length})`);
  } finally {
    await bus.close();
  }

  const reasons = seen.map((d) => (d.value instanceof RejectedEvent ? d.value.reason : null));
  assert.match(reasons[0] ?? '', /unknown magic byte 0xff/);
  assert.match(reasons[1] ?? '', /unknown schema id 2000000001/);
  assert.equal(reasons[2], null);
  assert.equal((seen[2].value as OrderEvent).eventId, 'it-ord-2');
  assert.match(reasons[3] ?? '', /invalid JSON/, 'JSON is accepted on raw topics, so broken JSON is rejected as such');
  assert.equal((seen[4].value as OrderEvent).eventId, 'it-ord-3');
  assert.deepEqual(seen.map((d) => d.offset), ['0', '1', '2', '3', '4']);

  // Rejections are data, not failures: the group committed past all five.
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic.name] });
  assert.equal(committed.partitions[0].offset, '5');
});

test('a publish larger than the broker accepts in one request goes out in slices, in order', { timeout: 90_000 }, async () => {
  const spec: TopicSpec = { name: uniqueName('it_big'), partitions: 1, compacted: false, valueSchema: null, keyedBy: 'n' };
  await ensureTopics(admin, { topics: [spec] });
  createdTopics.push(spec.name);
  const bus = new KafkaBus({ kafka, serde: await AvroSerde.create({ registryUrl, topics: [spec] }) });
  try {
    // ~3 MB in one call: more than message.max.bytes (1 MiB) allows in a single request
    const pad = 'x'.repeat(1_000);
    await withTimeout(bus.publish(spec.name, Array.from({ length: 3_000 }, (_, n) => ({ key: 'k', value: { n, pad } }))), WAIT_MS, 'a 3 MB publish');
    const seen: number[] = [];
    const sub = await bus.subscribe<{ n: number }>(spec.name, { groupId: uniqueName('it_big') }, (b) => {
      for (const d of b) seen.push((d.value as { n: number }).n);
    });
    await withTimeout((async () => { while (seen.length < 3_000) await new Promise((r) => setTimeout(r, 50)); })(), WAIT_MS, '3,000 messages back');
    await sub.stop();
    assert.deepEqual(seen.slice(0, 5), [0, 1, 2, 3, 4]);
    assert.ok(seen.every((n, i) => n === i), 'in publish order');
  } finally {
    await bus.close();
  }
});
