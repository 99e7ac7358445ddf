import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountSnapshot } from '@kanshi/contract';
import { ReferenceData } from '@kanshi/detection';
import type { BatchHandler, Bus, BusMessage, Delivery, SubscribeOptions, Subscription } from '@kanshi/bus';
import { PartitionedAccounts } from './accounts.js';

/** A log of several partitions, as the in-memory bus (one partition) cannot show: each subscriber gets every partition. */
class PartitionedBus implements Bus {
  readonly logs = new Map<string, Delivery[][]>();
  private readonly subs = new Set<{ topic: string; handler: BatchHandler; next: number[]; stopped: boolean }>();
  subscribed = 0;

  constructor(readonly partitions: Record<string, number>) {
    for (const [t, n] of Object.entries(partitions)) this.logs.set(t, Array.from({ length: n }, () => []));
  }

  async publish<V>(topic: string, messages: readonly BusMessage<V>[]): Promise<void> {
    const log = this.logs.get(topic)!;
    for (const m of messages) {
      const p = m.partition!;
      log[p].push({ topic, partition: p, offset: String(log[p].length), key: m.key, value: m.value, timestamp: 0 });
    }
    for (const s of this.subs) if (s.topic === topic) await this.drain(s);
  }

  async subscribe<V>(topic: string, _o: SubscribeOptions, handler: BatchHandler<V>): Promise<Subscription> {
    this.subscribed++;
    const s = { topic, handler: handler as BatchHandler, next: this.logs.get(topic)!.map(() => 0), stopped: false };
    this.subs.add(s);
    setImmediate(() => void this.drain(s));
    return { ready: Promise.resolve(), stop: async () => { s.stopped = true; this.subs.delete(s); } };
  }

  private async drain(s: { topic: string; handler: BatchHandler; next: number[]; stopped: boolean }): Promise<void> {
    const log = this.logs.get(s.topic)!;
    for (let p = 0; p < log.length && !s.stopped; p++) {
      const batch = log[p].slice(s.next[p]);
      s.next[p] = log[p].length;
      if (batch.length) await s.handler(batch);
    }
  }

  async close(): Promise<void> {}

  endOffsets = async (topic: string) => new Map(this.logs.get(topic)!.map((l, p) => [p, BigInt(l.length)]));
}

const snapshot = (accountId: string, holdingsJpy = 1): AccountSnapshot => ({ accountId, openedAt: 0, homeCountry: 'JP', mfa: 'sms', holdingsJpy, positions: [] });
const warnings: string[] = [];
const log = { info: () => undefined, warn: (_o: object, m?: string) => void warnings.push(m ?? '') };

async function setUp(accountPartitions = 3, keepMs = 0) {
  const bus = new PartitionedBus({ accounts: accountPartitions });
  // account Pn-i lives on partition n
  await bus.publish('accounts', Array.from({ length: accountPartitions * 4 }, (_, i) => ({ key: `P${i % accountPartitions}-${i}`, partition: i % accountPartitions, value: snapshot(`P${i % accountPartitions}-${i}`) })));
  const ref = new ReferenceData();
  const accounts = await PartitionedAccounts.open({ bus, topic: 'accounts', endOffsets: bus.endOffsets, ref, partitions: 3, log, keepMs });
  return { bus, ref, accounts };
}

const heldIn = (ref: ReferenceData, p: number) => Array.from({ length: 12 }, (_, i) => `P${p}-${i}`).filter((id) => ref.account(id) !== undefined).length;

test('an instance holds the accounts of the partitions it was given, loaded by one pass, and follows their updates', async () => {
  const { bus, ref, accounts } = await setUp();
  accounts.assign([0, 2]);
  (await accounts.claim(0))();
  (await accounts.claim(2))();
  assert.deepEqual([heldIn(ref, 0), heldIn(ref, 1), heldIn(ref, 2)], [4, 0, 4]);
  assert.equal(accounts.count, 8);
  assert.equal(accounts.passesRun, 1, 'the partitions of one assignment share one read of the topic');
  await bus.publish('accounts', [{ key: 'P2-2', partition: 2, value: snapshot('P2-2', 99) }, { key: 'P1-1', partition: 1, value: snapshot('P1-1', 99) }]);
  assert.equal(ref.account('P2-2')?.holdingsJpy, 99, 'an update of an owned partition is taken');
  assert.equal(ref.account('P1-1'), undefined, 'one of a partition owned elsewhere is not');
  await accounts.stop();
});

test('a rebalance lets go of a partition taken away, once no batch of it runs, and loads one given back', async () => {
  const { ref, accounts } = await setUp();
  accounts.assign([0, 1]);
  (await accounts.claim(0))();
  const busy = await accounts.claim(1);
  accounts.assign([0]);
  assert.equal(heldIn(ref, 1), 4, 'a batch of partition 1 still runs: its accounts stay');
  busy();
  assert.equal(heldIn(ref, 1), 0, 'let go after the batch');
  assert.equal(heldIn(ref, 0), 4);
  assert.deepEqual(accounts.partitions, [0]);
  accounts.assign([0, 1]);
  (await accounts.claim(1))();
  assert.equal(heldIn(ref, 1), 4, 'given back: read again');
  await accounts.stop();
});

test('a batch of a partition not yet told of (no assignment hook) loads it before it runs', async () => {
  const { ref, accounts } = await setUp();
  const release = await accounts.claim(2);
  assert.equal(heldIn(ref, 2), 4);
  assert.equal(heldIn(ref, 0), 0);
  release();
  assert.equal(heldIn(ref, 2), 4, 'kept: without an assignment nothing says it moved');
  await accounts.stop();
});

test('an accounts topic not partitioned like kanshi.events is held whole, with a warning', async () => {
  warnings.length = 0;
  const { ref, accounts } = await setUp(2);
  assert.ok(accounts.whole);
  assert.ok(warnings.some((w) => /not partitioned like/.test(w)), warnings.join('; '));
  accounts.assign([0]);
  (await accounts.claim(2))();
  assert.equal(heldIn(ref, 0) + heldIn(ref, 1), 8, 'every account');
  await accounts.stop();
});

test('a partition taken away and given back within keepMs is not read again; one not given back is let go after it', async () => {
  const { ref, accounts } = await setUp(3, 40);
  accounts.assign([0, 1]);
  (await accounts.claim(1))();
  accounts.assign([0]);
  accounts.assign([0, 1]);
  (await accounts.claim(1))();
  assert.equal(accounts.passesRun, 1, 'given back in time: no second read');
  assert.equal(heldIn(ref, 1), 4);
  accounts.assign([0]);
  assert.equal(heldIn(ref, 1), 4, 'kept for a while');
  assert.deepEqual(accounts.owned(), { partitions: [0], accounts: 4 }, 'but not owned');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(heldIn(ref, 1), 0, 'let go once keepMs passed');
  assert.equal(heldIn(ref, 0), 4);
  await accounts.stop();
});
