import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistryClient, type SchemaInfo } from '@confluentinc/schemaregistry';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RejectedEvent, SCHEMAS_DIR, schemaJson } from '@kanshi/contract';
import { AvroSerde, BusError, type SerdeTopic } from '@kanshi/bus';
import { integrationEndpoints, uniqueName } from './harness.js';

let registryUrl: string;

before(async () => {
  registryUrl = (await integrationEndpoints()).schemaRegistryUrl;
});

const avro = (schema: unknown): SchemaInfo => ({ schemaType: 'AVRO', schema: JSON.stringify(schema) });

test('the registry registers and serves a schema through the Confluent-compatible API', { timeout: 60_000 }, async () => {
  const client = new SchemaRegistryClient({ baseURLs: [registryUrl], createAxiosDefaults: { timeout: 10_000 } });
  const subject = `${uniqueName('it_registry')}-value`;
  const order = schemaJson('order') as { fields: object[] };

  const id = await client.register(subject, avro(order), false);
  assert.ok(Number.isInteger(id) && id > 0, `id ${id}`);
  assert.equal(await client.register(subject, avro(order), false), id, 'registering the same schema again is a no-op');

  // A fresh client has nothing cached: these answers come from the registry itself.
  const fresh = new SchemaRegistryClient({ baseURLs: [registryUrl], createAxiosDefaults: { timeout: 10_000 } });
  const byId = await fresh.getBySubjectAndId(subject, id);
  assert.deepEqual(JSON.parse(byId.schema), order);
  const latest = await fresh.getLatestSchemaMetadata(subject);
  assert.equal(latest.id, id);
  assert.equal(latest.version, 1);
  assert.equal(await fresh.getId(subject, avro(order), false), id);
  assert.ok((await fresh.getAllSubjects()).includes(subject));

  // An optional field with a default is a compatible evolution: a second version, a new id.
  const evolved = { ...order, fields: [...order.fields, { name: 'venue', type: ['null', 'string'], default: null }] };
  const id2 = await fresh.register(subject, avro(evolved), false);
  assert.notEqual(id2, id);
  assert.deepEqual(await fresh.getAllVersions(subject), [1, 2]);

  assert.deepEqual((await fresh.deleteSubject(subject)).sort(), [1, 2]);
});

test('the serde registers contract schemas at start-up, or refuses to start when told not to and they are absent', { timeout: 60_000 }, async () => {
  const topics: SerdeTopic[] = [{ name: uniqueName('it_logins'), valueSchema: 'login', compacted: false }];
  await assert.rejects(
    AvroSerde.create({ registryUrl, topics, autoRegister: false }),
    (e: unknown) => e instanceof BusError && e.code === 'schema_unavailable' && e.message.includes(`${topics[0].name}-value`),
  );
  const registering = await AvroSerde.create({ registryUrl, topics });
  const lookingUp = await AvroSerde.create({ registryUrl, topics, autoRegister: false });
  assert.equal(lookingUp.schemaId(topics[0].name), registering.schemaId(topics[0].name));
});

test('frames naming a missing schema, or a record of another type, are rejected against the real registry', { timeout: 60_000 }, async () => {
  const orders = uniqueName('it_orders');
  const logins = uniqueName('it_logins');
  const serde = await AvroSerde.create({
    registryUrl,
    topics: [
      { name: orders, valueSchema: 'order', compacted: false },
      { name: logins, valueSchema: 'login', compacted: false },
    ],
  });
  const login = (await serde.encode(logins, {
    eventId: 'l1', ts: Date.UTC(2026, 2, 27), accountId: 'acc-1', result: 'success', authMethod: 'session_resume', channel: 'api', ip: '198.51.100.7',
  }))!;
  const strayLogin = await serde.decode(orders, login);
  assert.ok(strayLogin instanceof RejectedEvent);
  assert.match(strayLogin.reason, new RegExp(`schema id ${serde.schemaId(logins)}`));

  const missing = Buffer.from(login);
  missing.writeInt32BE(2_000_000_002, 1);
  const unknown = await serde.decode(orders, missing);
  assert.ok(unknown instanceof RejectedEvent);
  assert.match(unknown.reason, /unknown schema id 2000000002/);
});

test('the hold schema\'s version 2 is FULL-compatible with version 1 in the registry; a required field without a default is not', { timeout: 60_000 }, async () => {
  const client = new SchemaRegistryClient({ baseURLs: [registryUrl], createAxiosDefaults: { timeout: 10_000 } });
  const subject = `${uniqueName('it_holds')}-value`;
  const v1 = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, 'history/hold-v1.avsc'), 'utf8')) as { fields: object[] };
  await client.register(subject, avro(v1), false);
  // FULL: old readers read new records and new readers old ones, what the order system relies on
  await client.updateConfig(subject, { compatibility: 'FULL' as never });
  try {
    assert.equal(await client.testSubjectCompatibility(subject, avro(schemaJson('hold'))), true, 'version 2 only adds fields with defaults');
    const broken = { ...v1, fields: [...v1.fields, { name: 'releasedBy', type: 'string' }] };
    assert.equal(await client.testSubjectCompatibility(subject, avro(broken)), false, 'a new reader could not read an old record');
    const id2 = await client.register(subject, avro(schemaJson('hold')), false);
    assert.ok(id2 > 0);
  } finally {
    await client.deleteSubject(subject);
  }
});
