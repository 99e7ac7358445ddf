import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryBus, topicNames } from '@kanshi/bus';
import type { ListEntry } from '@kanshi/contract';
import { ListBook } from '@kanshi/detection';
import { followLists } from './lists.js';

const T = topicNames('lists.');
const entry = (entryId: string, o: Partial<ListEntry> = {}): ListEntry => ({
  entryId, list: 'block', target: 'device', value: `dev-${entryId}`, accountId: null, author: 'ana', reason: 'case f-1',
  createdAt: Date.UTC(2026, 0, 1), expiresAt: Date.UTC(2026, 3, 1), removedAt: null, findingId: null, ...o,
});

test('the lists topic is read to its end before start, then followed: new entries, replacements and tombstones apply; bad records are counted, not applied', async () => {
  const bus = new InMemoryBus();
  let published = 0;
  const publish = async (messages: { key: string; value: unknown }[]) => {
    published += messages.length;
    await bus.publish(T.lists, messages);
  };
  await publish([{ key: 'L1', value: entry('L1') }, { key: 'L2', value: entry('L2') }, { key: 'BAD', value: { entryId: 'BAD', list: 'grey' } }]);
  const book = new ListBook();
  const warnings: string[] = [];
  const lists = await followLists(bus, T, async () => new Map([[0, BigInt(published)]]), book, { info: () => undefined, warn: (_o, m) => warnings.push(m ?? '') });
  assert.equal(book.size, 2, 'read to the end before detection starts');
  assert.equal(lists.rejected, 1);
  assert.match(warnings[0], /rejected/);

  await publish([{ key: 'L3', value: entry('L3') }, { key: 'L1', value: entry('L1', { removedAt: Date.UTC(2026, 1, 1) }) }, { key: 'L2', value: null }]);
  await bus.idle();
  assert.deepEqual([...book.entries()].map((e) => e.entryId).sort(), ['L1', 'L3']);
  assert.equal([...book.entries()].find((e) => e.entryId === 'L1')?.removedAt, Date.UTC(2026, 1, 1), 'a later record replaces the entry');
  await lists.stop();
  await bus.close();
});
