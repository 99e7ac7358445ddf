/**
 * A poison pill through the real broker: a ~10 KB login nested 5,000 levels deep, then a good
 * login on the same partition. Before the bounds the deep one threw out of ingest, its batch was
 * never committed and the partition re-read it for ever; now it is dead-lettered with its code,
 * recorded in ClickHouse, and the good one behind it reaches kanshi.events.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { DeadLetter, EventsMessage } from '@kanshi/bus';
import { startIngest } from '@kanshi/ingest';
import { uniqueName, withTimeout } from './harness.js';
import { openTestNamespace } from './namespace.js';
import { until } from './pipeline-harness.js';

const WAIT_MS = 60_000;
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});
const silent = { info: () => undefined, warn: () => undefined };

test('a message nested 5,000 deep is dead-lettered and the partition moves on to the next record', async () => {
  const ns = await openTestNamespace('poison', WAIT_MS);
  closers.push(() => ns.close());
  const { kafka, bus, store, topics } = ns;
  const run = randomBytes(4).toString('hex');
  const events: string[] = [], dead: DeadLetter[] = [];
  for (const topic of [topics.events, topics.deadLetter]) {
    const sub = await bus.subscribe<unknown>(topic, { groupId: uniqueName('it_poison_watch'), fromBeginning: true }, (batch) => {
      for (const d of batch) {
        const m = d.value as EventsMessage | DeadLetter | null;
        if (topic === topics.deadLetter) dead.push(m as DeadLetter);
        else if (m && 'kind' in m && m.kind === 'event') events.push(m.event.eventId);
      }
    });
    closers.push(() => sub.stop());
    await withTimeout(sub.ready, WAIT_MS, `a consumer of ${topic} to join`);
  }
  const ingest = await startIngest({ bus, store, log: silent, topics, groupId: uniqueName('it_poison') });
  closers.push(() => ingest.stop());
  await withTimeout(ingest.ready, WAIT_MS, 'ingest consumers to join');

  const key = `poison-${run}`;
  const deep = Buffer.from(`{"eventId":"deep-${run}","x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
  const good = { eventId: `after-${run}`, ts: Date.UTC(2025, 2, 3), accountId: key, result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' };
  const raw = kafka.producer();
  await raw.connect();
  closers.push(() => raw.disconnect());
  // one key: one partition, the deep record first
  await raw.send({ topic: topics.logins, messages: [{ key, value: deep }, { key, value: Buffer.from(JSON.stringify(good)) }] });

  await until('the good login behind the deep one on kanshi.events', () => events.includes(good.eventId), WAIT_MS);
  await until('the deep one dead-lettered', () => dead.some((d) => d.code === 'too_deep'), WAIT_MS);
  const letter = dead.find((d) => d.code === 'too_deep')!;
  assert.match(letter.source, new RegExp(`^${topics.logins.replace(/\./g, '\\.')}/\\d+@\\d+$`));
  assert.match(letter.reason, /deeper than 64/);
  await until('the rejection recorded in ClickHouse', async () => (await store.counts()).rejected_events.ids >= 1, WAIT_MS);
  assert.equal(ingest.stats.rejectsByReason.too_deep, 1);
});
