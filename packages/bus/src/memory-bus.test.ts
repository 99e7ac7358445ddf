import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryBus } from './memory-bus.js';
import { BusError } from './errors.js';
import type { Delivery } from './bus.js';

const msgs = (...values: number[]) => values.map((v) => ({ key: `k${v % 2}`, value: v }));
const values = (ds: Delivery[]) => ds.map((d) => d.value);

test('a subscriber from the beginning sees every message in publish order', async () => {
  const bus = new InMemoryBus();
  const seen: Delivery[] = [];
  await bus.publish('orders', msgs(1, 2, 3));
  await bus.subscribe('orders', { groupId: 'g' }, (batch) => void seen.push(...batch));
  await bus.publish('orders', msgs(4));
  await bus.idle();
  assert.deepEqual(values(seen), [1, 2, 3, 4]);
  assert.deepEqual(seen.map((d) => d.offset), ['0', '1', '2', '3']);
  assert.equal(seen[0].key, 'k1');
  assert.equal(seen[0].topic, 'orders');
});

test('fromBeginning false starts at the end of the log', async () => {
  const bus = new InMemoryBus();
  const seen: Delivery[] = [];
  await bus.publish('orders', msgs(1, 2));
  await bus.subscribe('orders', { groupId: 'g', fromBeginning: false }, (batch) => void seen.push(...batch));
  await bus.publish('orders', msgs(3));
  await bus.idle();
  assert.deepEqual(values(seen), [3]);
});

test('a group resumes after its committed offset; another group reads everything', async () => {
  const bus = new InMemoryBus();
  const first: Delivery[] = [];
  const sub = await bus.subscribe('orders', { groupId: 'detector' }, (batch) => void first.push(...batch));
  await bus.publish('orders', msgs(1, 2));
  await bus.idle();
  await sub.stop();
  await bus.publish('orders', msgs(3));
  const resumed: Delivery[] = [];
  const audit: Delivery[] = [];
  await bus.subscribe('orders', { groupId: 'detector' }, (batch) => void resumed.push(...batch));
  await bus.subscribe('orders', { groupId: 'audit' }, (batch) => void audit.push(...batch));
  await bus.idle();
  assert.deepEqual(values(first), [1, 2]);
  assert.deepEqual(values(resumed), [3]);
  assert.deepEqual(values(audit), [1, 2, 3]);
});

test('one group cannot hold two live subscriptions on a topic', async () => {
  const bus = new InMemoryBus();
  await bus.subscribe('orders', { groupId: 'g' }, () => undefined);
  await assert.rejects(bus.subscribe('orders', { groupId: 'g' }, () => undefined), (e: unknown) => e instanceof BusError && e.code === 'invalid_config');
});

test('idle waits for a whole pipeline, including what handlers publish downstream', async () => {
  const bus = new InMemoryBus();
  const findings: Delivery[] = [];
  await bus.subscribe('orders', { groupId: 'detector' }, async (batch) => {
    await new Promise((r) => setTimeout(r, 5));
    await bus.publish('findings', batch.map((d) => ({ key: d.key, value: (d.value as number) * 10 })));
  });
  await bus.subscribe('findings', { groupId: 'alerter' }, (batch) => void findings.push(...batch));
  await bus.publish('orders', msgs(1, 2, 3));
  await bus.idle();
  assert.deepEqual(values(findings), [10, 20, 30]);
});

test('messages published while a batch runs arrive as the next batch, capped by maxBatch', async () => {
  const bus = new InMemoryBus({ maxBatch: 2 });
  const batches: number[][] = [];
  await bus.subscribe('orders', { groupId: 'g' }, async (batch) => {
    batches.push(values(batch) as number[]);
    await new Promise((r) => setTimeout(r, 2));
  });
  await bus.publish('orders', msgs(1));
  await bus.publish('orders', msgs(2, 3, 4));
  await bus.idle();
  assert.deepEqual(batches, [[1], [2, 3], [4]]);
});

test('a failing handler stops its subscription and idle reports the error', async () => {
  const bus = new InMemoryBus();
  let calls = 0;
  await bus.subscribe('orders', { groupId: 'g' }, () => {
    calls++;
    throw new Error('detector bug');
  });
  await bus.publish('orders', msgs(1));
  await assert.rejects(bus.idle(), /detector bug/);
  await bus.publish('orders', msgs(2));
  await assert.rejects(bus.idle(), /detector bug/);
  assert.equal(calls, 1);
});

test('consumed messages beyond the retained tail are dropped; a late group sees the tail', async () => {
  const bus = new InMemoryBus({ retainMessages: 2 });
  await bus.subscribe('orders', { groupId: 'g' }, () => undefined);
  await bus.publish('orders', msgs(1, 2, 3, 4, 5));
  await bus.idle();
  const late: Delivery[] = [];
  await bus.subscribe('orders', { groupId: 'late' }, (batch) => void late.push(...batch));
  await bus.idle();
  assert.deepEqual(values(late), [4, 5]);
  assert.deepEqual(late.map((d) => d.offset), ['3', '4']);
});

test('close stops every subscription', async () => {
  const bus = new InMemoryBus();
  const seen: Delivery[] = [];
  await bus.subscribe('orders', { groupId: 'g' }, (batch) => void seen.push(...batch));
  await bus.close();
  await assert.rejects(bus.publish('orders', msgs(1)), BusError);
  assert.equal(seen.length, 0);
});

test('a handler that asks to seek reads on from that offset: what it skips is never delivered', async () => {
  const bus = new InMemoryBus({ maxBatch: 2 });
  await bus.publish('events', msgs(0, 1, 2, 3, 4, 5, 6, 7));
  const seen: Delivery[] = [];
  await bus.subscribe('events', { groupId: 'g', commit: false }, (batch) => {
    seen.push(...batch);
    // a restored task covers offsets up to 5: the first batch asks for 6 on
    return batch[0].offset === '0' ? { seekTo: '6' } : undefined;
  });
  await bus.idle();
  assert.deepEqual(values(seen), [0, 1, 6, 7]);
});
