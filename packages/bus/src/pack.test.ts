import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectedEvent } from '@kanshi/contract';
import type { Delivery } from './bus.js';
import { BusError } from './errors.js';
import { isPacked, packRuns, unpack, type OutRecord } from './pack.js';

/** What a consumer would be handed for these records, as the Kafka bus does it. */
function consume(records: OutRecord[]): Delivery<unknown>[] {
  const out: Delivery<unknown>[] = [];
  records.forEach((r, i) => {
    const m = { offset: String(i), timestamp: '0', value: r.value, headers: r.headers };
    if (isPacked(m)) unpack('t', r.partition ?? 0, m, out);
    else out.push({ topic: 't', partition: r.partition ?? 0, offset: String(i), key: r.key, value: JSON.parse(r.value!.toString()), timestamp: 0 });
  });
  return out;
}

test('runs for one partition travel as one record and come back as the same messages, in order', () => {
  const msgs = Array.from({ length: 1000 }, (_, i) => ({ key: `acc-${i % 7}`, partition: 2, value: { kind: 'event', n: i } }));
  const records = packRuns([...msgs, { key: null, partition: 2, value: { kind: 'watermark', ts: 5 } }]);
  assert.equal(records.length, 1);
  const back = consume(records);
  assert.equal(back.length, 1001);
  assert.deepEqual(back.slice(0, 1000).map((d) => [d.key, d.value]), msgs.map((m) => [m.key, m.value]));
  assert.deepEqual(back[1000].value, { kind: 'watermark', ts: 5 });
  assert.ok(back.every((d) => d.offset === '0' && d.partition === 2), 'every message shares its record\'s offset');
});

test('a big run is split below the size bound; keyed messages and single ones stay plain', () => {
  const big = 'x'.repeat(1000);
  const msgs = Array.from({ length: 600 }, (_, i) => ({ key: 'a', partition: 1, value: { i, big } }));
  const records = packRuns([{ key: 'sym', value: { trade: 1 } }, ...msgs, { key: null, partition: 3, value: { mark: 1 } }]);
  assert.ok(records.length >= 4);
  assert.ok(records.every((r) => r.value!.length <= 300 * 1024));
  assert.equal(records[0].key, 'sym');
  assert.equal(records[0].partition, undefined, 'a keyed message is left to the partitioner');
  assert.ok(!isPacked(records[records.length - 1]), 'a run of one is a plain record');
  const back = consume(records);
  assert.deepEqual(back.map((d) => (d.value as { i?: number }).i).filter((i) => i !== undefined), msgs.map((m) => m.value.i));
});

test('the size bound is in bytes: a run of kanji text stays under it', () => {
  const msgs = Array.from({ length: 300 }, (_, i) => ({ key: '口座', partition: 0, value: { i, name: '株'.repeat(1000) } }));
  const records = packRuns(msgs);
  assert.ok(records.length >= 4);
  assert.ok(records.every((r) => r.value!.length <= 260 * 1024), `largest ${Math.max(...records.map((r) => r.value!.length))} bytes`);
  assert.equal(consume(records).length, 300);
});

test('a broken packed record or entry is a rejection, not a crash; a tombstone is refused', () => {
  const out: Delivery<unknown>[] = [];
  unpack('t', 0, { offset: '9', timestamp: '0', value: Buffer.from('[[1,') }, out);
  assert.equal(out.length, 1);
  assert.ok(out[0].value instanceof RejectedEvent);
  const entries: Delivery<unknown>[] = [];
  unpack('t', 0, { offset: '9', timestamp: '0', value: Buffer.from('[["k"],["k",{"a":1}],7]') }, entries);
  assert.deepEqual(entries.map((d) => d.value instanceof RejectedEvent), [true, false, true]);
  assert.throws(() => packRuns([{ key: 'k', partition: 0, value: null }]), BusError);
});
