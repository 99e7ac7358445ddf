import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectedEvent, type OrderEvent } from '@kanshi/contract';
import { AvroSerde, type SerdeTopic } from './serde.js';
import { BusError } from './errors.js';

const TOPICS: SerdeTopic[] = [
  { name: 'orders', valueSchema: 'order', compacted: false, acceptsJson: true },
  { name: 'logins', valueSchema: 'login', compacted: false, acceptsJson: true },
  { name: 'instruments', valueSchema: 'instrument', compacted: true, acceptsJson: true },
  { name: 'kanshi.events', valueSchema: null, compacted: false },
  { name: 'findings', valueSchema: 'finding', compacted: false },
];

const order: OrderEvent = {
  eventId: 'ord-1-new',
  ts: Date.UTC(2026, 2, 27, 1, 26, 28, 878),
  accountId: 'acc-001',
  orderId: 'ord-1',
  sessionId: 'sess-9',
  channel: 'web',
  symbol: '7203',
  side: 'buy',
  orderType: 'limit',
  quantity: 100,
  price: 2500.5,
  status: 'new',
  fillQuantity: null,
  fillPrice: null,
  currency: 'JPY',
};

const mockSerde = () => AvroSerde.create({ registryUrl: 'mock://serde-test', topics: TOPICS });

function rejection(value: unknown): RejectedEvent {
  assert.ok(value instanceof RejectedEvent, `expected a RejectedEvent, got ${JSON.stringify(value)}`);
  return value;
}

test('an order survives encode and decode through the registry wire format', async () => {
  const serde = await mockSerde();
  const bytes = await serde.encode('orders', order);
  assert.ok(bytes);
  assert.equal(bytes[0], 0, 'magic byte');
  assert.equal(bytes.readInt32BE(1), serde.schemaId('orders'));
  const decoded = await serde.decode('orders', bytes);
  assert.deepEqual({ ...(decoded as object) }, order);
});

test('absent optional fields come back as null', async () => {
  const serde = await mockSerde();
  const { sessionId, channel, price, fillQuantity, fillPrice, ...required } = order;
  const decoded = (await serde.decode('orders', await serde.encode('orders', { ...required, orderType: 'market' }))) as OrderEvent;
  assert.equal(decoded.sessionId, null);
  assert.equal(decoded.price, null);
  assert.equal(decoded.quantity, 100);
});

test('Kanshi\'s own Avro topics take only Avro frames: raw JSON on findings is rejected, not read', async () => {
  const serde = await mockSerde();
  const forged = { findingId: 'f', kind: 'hijacked_pump_buy', severity: 'critical', score: 1, accountIds: ['VICTIM'], symbols: [], detectedAt: 1, evidence: [], reasons: [], revision: 1 };
  assert.match(rejection(await serde.decode('findings', Buffer.from(JSON.stringify(forged)))).reason, /magic byte 0x7b.*looks like JSON, which this topic does not accept/);
  // and the real table says so for every topic that is not a brokerage's input
  const { TOPICS: table } = await import('./topics.js');
  assert.deepEqual(table.filter((t) => t.acceptsJson).map((t) => t.name).sort(), ['account-events', 'accounts', 'instruments', 'logins', 'orders']);
  const real = await AvroSerde.create({ registryUrl: 'mock://serde-table', topics: table });
  for (const t of table.filter((x) => x.valueSchema !== null && !x.acceptsJson)) {
    rejection(await real.decode(t.name, Buffer.from('{"accountId":"VICTIM"}')));
  }
  // internal JSON topics take JSON only: an Avro frame there is no message
  const frame = (await serde.encode('findings', forged))!;
  assert.match(rejection(await serde.decode('kanshi.events', frame)).reason, /invalid JSON/);
  assert.equal((await serde.decode('findings', frame) as { findingId: string }).findingId, 'f', 'the declared format still reads');
});

test('a JSON object on a brokerage input topic is read as JSON (validated downstream); broken JSON is rejected', async () => {
  const serde = await mockSerde();
  assert.deepEqual(await serde.decode('orders', Buffer.from('{"eventId":"x"}')), { eventId: 'x' });
  assert.match(rejection(await serde.decode('orders', Buffer.from('{"eventId":'))).reason, /invalid JSON/);
});

test('bytes that are not a registry frame are rejected with the reason, not thrown', async () => {
  const serde = await mockSerde();
  assert.match(rejection(await serde.decode('orders', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]))).reason, /magic byte 0xde/);
  assert.match(rejection(await serde.decode('orders', Buffer.from([0, 0, 1]))).reason, /3 bytes is too short/);
});

test('a well-formed frame with a schema id the registry does not know is rejected', async () => {
  const serde = await mockSerde();
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0x30, 0x39]), Buffer.from('anything')]);
  assert.match(rejection(await serde.decode('orders', frame)).reason, /unknown schema id 12345/);
});

test('a truncated Avro body is rejected naming the schema it failed against', async () => {
  const serde = await mockSerde();
  const bytes = (await serde.encode('orders', order))!;
  assert.match(rejection(await serde.decode('orders', bytes.subarray(0, 12))).reason, /does not decode with schema id \d+ \(dev\.kanshi\.events\.Order\)/);
});

test('a record of another contract type on a topic is rejected, not decoded as that type', async () => {
  const client = (await mockSerde()).registryClient();
  const serde = await AvroSerde.create({ registryUrl: 'mock://serde-test', topics: TOPICS, client });
  const loginSchema = await client.getBySubjectAndId('logins-value', serde.schemaId('logins')!);
  // Someone registered the login schema under the orders subject and produced logins there.
  const strayId = await client.register('orders-value', loginSchema, false);
  const login = (await serde.encode('logins', {
    eventId: 'l1', ts: order.ts, accountId: 'acc-001', result: 'success', authMethod: 'passkey', channel: 'web', ip: '192.0.2.1',
  }))!;
  login.writeInt32BE(strayId, 1);
  assert.match(rejection(await serde.decode('orders', login)).reason, /is dev\.kanshi\.events\.Login, orders carries dev\.kanshi\.events\.Order/);
});

test('after a rejection the next good message still decodes', async () => {
  const serde = await mockSerde();
  rejection(await serde.decode('orders', Buffer.from('garbage')));
  assert.equal(((await serde.decode('orders', await serde.encode('orders', order))) as OrderEvent).eventId, order.eventId);
});

test('internal topics carry JSON and reject what does not parse', async () => {
  const serde = await mockSerde();
  assert.equal(serde.schemaId('kanshi.events'), null);
  const event = { type: 'order', ...order };
  assert.deepEqual(await serde.decode('kanshi.events', await serde.encode('kanshi.events', event)), event);
  assert.match(rejection(await serde.decode('kanshi.events', Buffer.from('{nope'))).reason, /invalid JSON/);
});

test('null values are tombstones on compacted topics and refused elsewhere', async () => {
  const serde = await mockSerde();
  assert.equal(await serde.encode('instruments', null), null);
  assert.equal(await serde.decode('instruments', null), null);
  assert.match(rejection(await serde.decode('orders', null)).reason, /empty value on orders/);
  await assert.rejects(serde.encode('orders', null), (e: unknown) => e instanceof BusError && e.code === 'encode_failed');
});

test('a value that does not fit the schema is the producer bug: encode throws', async () => {
  const serde = await mockSerde();
  await assert.rejects(
    serde.encode('orders', { ...order, side: 'short' }),
    (e: unknown) => e instanceof BusError && e.code === 'encode_failed' && !e.retriable && /side/.test(e.message),
  );
  await assert.rejects(serde.encode('nope', order), (e: unknown) => e instanceof BusError && e.code === 'unknown_topic');
  // a value JSON cannot even show (a bigint inside) is still the same clear error
  await assert.rejects(serde.encode('orders', { ...order, price: { a: 1n } }), (e: unknown) => e instanceof BusError && e.code === 'encode_failed' && /price/.test(e.message));
});

test('start-up fails clearly on a bad URL or a schema that is not registered', async () => {
  await assert.rejects(AvroSerde.create({ registryUrl: 'localhost:8081' }), (e: unknown) => e instanceof BusError && e.code === 'invalid_config');
  await assert.rejects(
    AvroSerde.create({ registryUrl: 'mock://empty', topics: TOPICS, autoRegister: false }),
    (e: unknown) => e instanceof BusError && e.code === 'schema_unavailable' && /orders-value|logins-value/.test(e.message),
  );
});

test('an unreachable registry is a retriable outage, not a rejection', async () => {
  await assert.rejects(
    AvroSerde.create({ registryUrl: 'http://127.0.0.1:9/apis/ccompat/v7', topics: TOPICS.slice(0, 1), requestTimeoutMs: 500 }),
    (e: unknown) => e instanceof BusError && e.code === 'registry_unreachable' && e.retriable,
  );
});

test('frames interoperate with the registry library\'s own Avro serializer and deserializer', async () => {
  const registry = await import('@confluentinc/schemaregistry');
  const client = registry.SchemaRegistryClient.newClient({ baseURLs: ['mock://serde-interop'], cacheCapacity: 100 });
  const serde = await AvroSerde.create({ registryUrl: 'mock://serde-interop', topics: TOPICS, client });
  const strategy = { subjectNameStrategyType: registry.SubjectNameStrategyType.TOPIC };
  const theirs = new registry.AvroSerializer(client, registry.SerdeType.VALUE, { ...strategy, autoRegisterSchemas: false, useSchemaId: serde.schemaId('orders')! });
  const fromThem = await serde.decode('orders', await theirs.serialize('orders', order));
  assert.deepEqual({ ...(fromThem as object) }, order);
  const reader = new registry.AvroDeserializer(client, registry.SerdeType.VALUE, strategy);
  const fromUs = await reader.deserialize('orders', (await serde.encode('orders', order))!);
  assert.deepEqual({ ...(fromUs as object) }, order);
});

test('a later version of the schema, registered by a producer, is decoded with its own fields', async () => {
  const registry = await import('@confluentinc/schemaregistry');
  const { schemaJson } = await import('@kanshi/contract');
  const client = registry.SchemaRegistryClient.newClient({ baseURLs: ['mock://serde-evolved'], cacheCapacity: 100 });
  const serde = await AvroSerde.create({ registryUrl: 'mock://serde-evolved', topics: TOPICS, client });
  const v1 = schemaJson('order') as { fields: unknown[] };
  const v2 = { ...v1, fields: [...v1.fields, { name: 'venue', type: ['null', 'string'], default: null }] };
  const id = await client.register('orders-value', { schemaType: 'AVRO', schema: JSON.stringify(v2) }, false);
  assert.notEqual(id, serde.schemaId('orders'));
  const theirs = new registry.AvroSerializer(client, registry.SerdeType.VALUE, { subjectNameStrategyType: registry.SubjectNameStrategyType.TOPIC, autoRegisterSchemas: false, useSchemaId: id });
  const decoded = (await serde.decode('orders', await theirs.serialize('orders', { ...order, venue: 'PTS' }))) as OrderEvent & { venue: string };
  assert.equal(decoded.venue, 'PTS');
  assert.equal(decoded.symbol, order.symbol);
});
