import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_VALUE_DEPTH, RejectedEvent, schemaJson } from '@kanshi/contract';
import type { Delivery } from './bus.js';
import { unpack } from './pack.js';
import { AvroSerde, fromAvro, type SerdeTopic } from './serde.js';

const TOPICS: SerdeTopic[] = [
  { name: 'logins', valueSchema: 'login', compacted: false, acceptsJson: true },
  { name: 'findings', valueSchema: 'finding', compacted: false },
  { name: 'kanshi.events', valueSchema: null, compacted: false },
];
const serde = () => AvroSerde.create({ registryUrl: 'mock://serde-bounds', topics: TOPICS });
const code = (v: unknown) => (v instanceof RejectedEvent ? v.code : 'decoded');
// ~10 KB that nests 5,000 levels: what made fromAvro throw RangeError outside any try
const deepJson = `{"eventId":"x","a":${'['.repeat(5000)}${']'.repeat(5000)}}`;

test('a value nested 5,000 deep is refused at decode, before it is parsed, wherever JSON is read', async () => {
  const s = await serde();
  for (const topic of ['logins', 'kanshi.events']) assert.equal(code(await s.decode(topic, Buffer.from(deepJson))), 'too_deep', topic);
  assert.equal(code(await s.decode('findings', Buffer.from(deepJson))), 'bad_frame', 'findings take Avro only');
});

test('values over the size bound, or not UTF-8, are refused unread', async () => {
  const s = await serde();
  const big = Buffer.alloc((1 << 20) + 1, 0x20);
  big[0] = 0;
  assert.equal(code(await s.decode('logins', big)), 'too_large');
  assert.equal(code(await s.decode('kanshi.events', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))), 'bad_encoding');
});

test('every decode failure carries its code: frame, schema id, body', async () => {
  const s = await serde();
  assert.equal(code(await s.decode('logins', Buffer.from([7, 0, 0, 0, 1, 2]))), 'bad_frame');
  assert.equal(code(await s.decode('logins', Buffer.from([0, 0, 0, 0x30, 0x39, 2]))), 'unknown_schema');
  const good = (await s.encode('logins', { eventId: 'l', ts: Date.UTC(2025, 0, 1), accountId: 'A', result: 'success', authMethod: 'passkey', channel: 'web', ip: '192.0.2.1' }))!;
  assert.equal(code(await s.decode('logins', good.subarray(0, 9))), 'bad_avro');
  assert.equal(code(await s.decode('logins', null)), 'empty_value');
});

test('fromAvro converts up to the depth bound and returns a rejection beyond it instead of overflowing the stack', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 5000; i++) deep = { x: deep };
  assert.equal(code(fromAvro(deep)), 'too_deep');
  let ok: unknown = 1n;
  for (let i = 0; i < MAX_VALUE_DEPTH; i++) ok = [ok];
  let v = fromAvro(ok);
  for (let i = 0; i < MAX_VALUE_DEPTH; i++) v = (v as unknown[])[0];
  assert.equal(v, 1, 'the deepest accepted value is converted');
});

test('a recursive writer schema is refused once, before any body is read', async () => {
  const s = await serde();
  const own = schemaJson('login') as { fields: object[] };
  const recursive = { ...own, fields: [...own.fields, { name: 'next', type: ['null', 'dev.kanshi.events.Login'], default: null }] };
  const id = await s.registryClient().register('logins-value', { schemaType: 'AVRO', schema: JSON.stringify(recursive) }, false);
  const frame = Buffer.from([0, 0, 0, 0, 0, 0]);
  frame.writeInt32BE(id, 1);
  const r = await s.decode('logins', frame);
  assert.equal(code(r), 'unknown_schema');
  assert.match((r as RejectedEvent).reason, /recursive/);
});

test('a packed record is bounded like any value: a deep one is one rejection, and the next record is read', () => {
  const into: Delivery[] = [];
  unpack('kanshi.events', 0, { offset: '1', timestamp: '0', value: Buffer.from(`[["k",${deepJson}]]`) }, into);
  unpack('kanshi.events', 0, { offset: '2', timestamp: '0', value: Buffer.from('[["k",{"kind":"watermark"}]]') }, into);
  assert.deepEqual(into.map((d) => code(d.value)), ['too_deep', 'decoded']);
});
