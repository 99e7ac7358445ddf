import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RejectedEvent, type InputEvent } from '@kanshi/contract';
import { ReferenceData, resolveDetectionConfig, type StageOutput, type TradeSignal } from '@kanshi/detection';
import { createHash } from 'node:crypto';
import { DETECTION_STATE_VERSION, EventTimeHeap, SnapshotCodec, WatermarkMerge } from '@kanshi/detection';
import { readEventsMessage } from './envelope.js';
import { AccountTask, SymbolTask, TASK_CLASSES } from './tasks.js';

const cfg = resolveDetectionConfig();
const T = Date.UTC(2025, 2, 3, 1);
const login = (id: string, ts: number): InputEvent => ({ type: 'login', eventId: id, ts, accountId: 'A', result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' });

test('the heap hands records over by event time, then id', () => {
  const h = new EventTimeHeap<{ ts: number; id: string }>((x) => x.ts, (x) => x.id);
  for (const [ts, id] of [[3, 'c'], [1, 'b'], [2, 'a'], [1, 'a']] as const) h.push({ ts, id });
  const got: string[] = [];
  h.releaseBefore(2, (x) => got.push(`${x.ts}${x.id}`));
  assert.deepEqual(got, ['1a', '1b'], 'strictly before: a 2 with a smaller id may still come');
  h.push({ ts: 2, id: '0' });
  h.releaseBefore(3, (x) => got.push(`${x.ts}${x.id}`));
  assert.deepEqual(got, ['1a', '1b', '20', '2a']);
  assert.equal(h.size, 1);
});

test('a watermark merge releases before the lowest source, ignores a source going back, and hands over the rest at the end', () => {
  const m = new WatermarkMerge<{ ts: number; id: string }>(2, (x) => x.ts, (x) => x.id);
  const got: string[] = [];
  const take = (x: { ts: number; id: string }) => got.push(`${x.ts}${x.id}`);
  for (const [ts, id] of [[5, 'a'], [1, 'b'], [3, 'c']] as const) m.push({ ts, id });
  m.mark(0, 10);
  m.release(take);
  assert.deepEqual(got, [], 'source 1 has not been heard from');
  m.mark(1, 3);
  m.release(take);
  assert.deepEqual(got, ['1b'], 'strictly before the lowest watermark');
  m.mark(1, 2);
  m.push({ ts: 3, id: 'a' });
  m.mark(1, 4);
  m.release(take);
  assert.deepEqual(got, ['1b', '3a', '3c'], 'a lower mark changed nothing; ties in id order');
  m.finish(take);
  assert.deepEqual(got, ['1b', '3a', '3c', '5a']);
  assert.equal(m.size, 0);
});

test('stage 1 holds events until every stream has passed them, less lateness, whatever order the streams came in', () => {
  const task = new AccountTask(new ReferenceData(), cfg, 60_000);
  const out: StageOutput = { findings: [], trades: [] };
  task.accept({ kind: 'event', event: login('late-stream', T) }, out);
  task.accept({ kind: 'watermark', source: 'login', ts: T + 10 * 60_000 }, out);
  assert.equal(task.pending, 1, 'orders and account events have not reported: nothing may pass');
  task.accept({ kind: 'watermark', source: 'order', ts: T + 10 * 60_000 }, out);
  task.accept({ kind: 'watermark', source: 'account_event', ts: T + 30_000 }, out);
  assert.equal(task.pending, 1, 'within lateness of the slowest stream');
  task.accept({ kind: 'watermark', source: 'account_event', ts: null }, out);
  assert.equal(task.pending, 0);
  assert.equal(task.watermark, T + 10 * 60_000 - 60_000);
  task.accept({ kind: 'watermark', source: 'login', ts: null }, out);
  task.accept({ kind: 'watermark', source: 'order', ts: null }, out);
  assert.equal(task.idle, true, 'all caught up');
  assert.equal(task.watermark, T + 10 * 60_000 - 60_000, 'the watermark stays what the streams reported: caught up is not the end');
  task.accept({ kind: 'event', event: login('next-day', T + 86_400_000) }, out);
  assert.equal(task.idle, false, 'an event showed a stream was not caught up after all');
  assert.equal(task.pending, 1, 'and the partition holds back again, from where that stream was');
  task.accept({ kind: 'watermark', source: 'login', ts: T + 86_400_000 }, out);
  assert.equal(task.pending, 1, 'within lateness of the stream that came back; the others are still caught up');
  assert.deepEqual(task.report(3), { kind: 'watermark', from: 3, ts: T + 86_400_000 - 60_000, idle: false, base: '0', seq: 0, flips: 2 });
});

test('stage 1 drops a re-delivered event', () => {
  const task = new AccountTask(new ReferenceData(), cfg, 0);
  const out: StageOutput = { findings: [], trades: [] };
  task.accept({ kind: 'event', event: login('e1', T) }, out);
  task.accept({ kind: 'event', event: login('e1', T) }, out);
  assert.equal(task.pending, 1);
});

test('stage 1 drops a restarted ingest\'s second copy by raw offset, however far the streams have moved on', () => {
  const task = new AccountTask(new ReferenceData(), cfg, 0);
  const out: StageOutput = { findings: [], trades: [] };
  const DAY = 24 * 3600_000;
  task.accept({ kind: 'event', event: login('e1', T), rawOffset: '0' }, out);
  task.accept({ kind: 'event', event: login('e2', T + 3 * DAY), rawOffset: '1' }, out);
  // the ingest died before committing offsets 0..1 and publishes them again, days later in event time
  task.accept({ kind: 'event', event: login('e1', T), rawOffset: '0' }, out);
  task.accept({ kind: 'event', event: login('e2', T + 3 * DAY), rawOffset: '1' }, out);
  task.accept({ kind: 'event', event: login('e3', T + 3 * DAY + 1), rawOffset: '2' }, out);
  assert.equal(task.republished, 2);
  assert.equal(task.pending, 3, 'e1, e2 and e3, once each');
});

test('stage 1 trusts a caught-up report only for what the other streams had then: a login written after an unread order waits for it (CI, account 524-4462385)', () => {
  const HOUR = 3600_000;
  const order = (id: string, ts: number): InputEvent => ({ type: 'order', eventId: id, ts, accountId: 'A', orderId: id, channel: 'web', symbol: 'X', side: 'sell', orderType: 'market', quantity: 1, currency: 'JPY', status: 'new' });
  const taken: string[] = [];
  const task = new AccountTask(new ReferenceData(), cfg, 5 * 60_000);
  const stage = (task as unknown as { stage: { process(e: InputEvent, o: StageOutput): void } }).stage;
  const process = stage.process.bind(stage);
  stage.process = (e, o) => { taken.push(e.eventId); process(e, o); };
  const out: StageOutput = { findings: [], trades: [] };
  task.accept({ kind: 'event', event: login('l1', T), rawOffset: '9' }, out);
  task.accept({ kind: 'watermark', source: 'login', ts: T }, out);
  task.accept({ kind: 'watermark', source: 'order', ts: T - HOUR }, out);
  // both quiet streams caught up while the login stream's raw log ended at 10
  task.accept({ kind: 'watermark', source: 'order', ts: null, covers: { login: '10', account_event: '0' } }, out);
  task.accept({ kind: 'watermark', source: 'account_event', ts: null, covers: { login: '10', order: '0' } }, out);
  task.accept({ kind: 'watermark', source: 'login', ts: null, covers: { order: '0', account_event: '0' } }, out);
  assert.deepEqual(taken, ['l1'], 'all three caught up: the login is taken');
  // an order is written (raw offset 0), then nine hours later in event time a login (offset 10);
  // ingest's login reader passes the login on while its order reader has not read the order
  task.accept({ kind: 'event', event: login('l2', T + 9 * HOUR), rawOffset: '10' }, out);
  task.accept({ kind: 'event', event: login('l3', T + 10 * HOUR), rawOffset: '11' }, out);
  task.accept({ kind: 'watermark', source: 'login', ts: T + 10 * HOUR }, out);
  assert.deepEqual(taken, ['l1'], 'the order stream\'s report did not reach login offset 10: the logins wait');
  // a report published beside the login, from before it was written, vouches for nothing after it
  task.accept({ kind: 'watermark', source: 'order', ts: null, covers: { login: '10', account_event: '0' } }, out);
  assert.deepEqual(taken, ['l1'], 'a report the login outran is not taken');
  task.accept({ kind: 'event', event: order('o1', T + 10 * 60_000), rawOffset: '0' }, out);
  task.accept({ kind: 'watermark', source: 'order', ts: T + 10 * 60_000 }, out);
  task.accept({ kind: 'watermark', source: 'order', ts: null, covers: { login: '12', account_event: '0' } }, out);
  task.accept({ kind: 'watermark', source: 'account_event', ts: null, covers: { login: '12', order: '1' } }, out);
  assert.deepEqual(taken, ['l1', 'o1', 'l2'], 'in event-time order, the order before the later login; the last login waits out its stream\'s lateness');
  // an ingest of before covers: its reports vouch for everything, as they did
  const legacy = new AccountTask(new ReferenceData(), cfg, 0);
  legacy.accept({ kind: 'watermark', source: 'order', ts: null }, out);
  legacy.accept({ kind: 'watermark', source: 'account_event', ts: null }, out);
  legacy.accept({ kind: 'event', event: login('l3', T), rawOffset: '50' }, out);
  legacy.accept({ kind: 'watermark', source: 'login', ts: T + 1 }, out);
  assert.equal(legacy.pending, 0);
});

const sig = (eventId: string, ts: number): TradeSignal => ({
  symbol: 'X', accountId: 'A', eventId, orderId: eventId, ts, side: 'buy', status: 'new', quantity: 1, price: 1,
  fillQuantity: 0, valueJpy: 1, accountRisk: 0, heldBefore: 0, device: 0, network: 0, asn: 0,
});
const trade = (from: number, seq: number, s: TradeSignal) => ({ kind: 'trade', from, base: '0', seq, signal: s }) as const;

test('stage 2 releases signals only up to the slowest stage-1 partition', () => {
  const task = new SymbolTask(new ReferenceData(), cfg, 2);
  task.accept(trade(0, 0, sig('b', T + 5)), []);
  task.accept({ kind: 'watermark', from: 0, ts: T + 10 }, []);
  assert.equal(task.pending, 1, 'partition 1 has not reported');
  task.accept(trade(1, 0, sig('a', T + 1)), []);
  task.accept({ kind: 'watermark', from: 1, ts: T + 3 }, []);
  assert.equal(task.pending, 1, 'released the earlier one only');
  task.accept({ kind: 'watermark', from: 1, ts: null }, []);
  assert.equal(task.pending, 0);
});

test('stage 2 takes a restarted stage-1 partition\'s re-emitted trades once, and its regressed watermark changes nothing', () => {
  const task = new SymbolTask(new ReferenceData(), cfg, 1);
  const stage1 = new AccountTask(new ReferenceData(), cfg, 0, '0');
  for (const m of stage1.numbered(0, [sig('a', T + 1), sig('b', T + 2)])) task.accept(m, []);
  task.accept({ kind: 'watermark', from: 0, ts: T + 2 }, []);
  assert.equal(task.pending, 1, 'b, at the watermark itself, waits: another trade at its time may still come');
  const rebuilt = new AccountTask(new ReferenceData(), cfg, 0, '0');
  for (const m of rebuilt.numbered(0, [sig('a', T + 1), sig('b', T + 2), sig('c', T + 3)])) task.accept(m, []);
  assert.equal(task.repeated, 2, 'a and b came before');
  assert.equal(task.pending, 2, 'b and c held, nothing twice');
  task.accept({ kind: 'watermark', from: 0, ts: T }, []);
  assert.equal(task.pending, 2, 'a lower watermark from the rebuild does not undo what was reported');
  task.accept({ kind: 'watermark', from: 0, ts: T + 4 }, []);
  assert.equal(task.pending, 0);
});

test('stage 2 leaves an idle stage-1 partition out only while it is idle: once it reports again, its later trades are waited for', () => {
  const task = new SymbolTask(new ReferenceData(), cfg, 2);
  task.accept({ kind: 'watermark', from: 0, ts: T + 10, idle: false, base: '0', seq: 0, flips: 0 }, []);
  task.accept({ kind: 'watermark', from: 1, ts: T + 10, idle: true, base: '0', seq: 0, flips: 1 }, []);
  task.accept(trade(0, 0, sig('a', T + 20)), []);
  task.accept({ kind: 'watermark', from: 0, ts: T + 30, idle: false, base: '0', seq: 1, flips: 0 }, []);
  assert.equal(task.pending, 0, 'partition 1 is idle: it holds nothing back');
  // partition 1 comes back; partition 0 runs on ahead of it
  task.accept({ kind: 'watermark', from: 1, ts: T + 10, idle: false, base: '0', seq: 0, flips: 2 }, []);
  task.accept(trade(0, 1, sig('c', T + 50)), []);
  task.accept({ kind: 'watermark', from: 0, ts: T + 100, idle: false, base: '0', seq: 2, flips: 0 }, []);
  assert.equal(task.pending, 1, 'c waits for partition 1, which has reported again (caught up is not the end)');
  task.accept(trade(1, 0, sig('b', T + 40)), []);
  task.accept({ kind: 'watermark', from: 1, ts: T + 60, idle: false, base: '0', seq: 1, flips: 2 }, []);
  assert.equal(task.pending, 0, 'b then c, in event-time order');
});

test('stage 2 passes over a rebuilt stage-1 partition\'s reports of idle states it has left', () => {
  const task = new SymbolTask(new ReferenceData(), cfg, 2);
  task.accept({ kind: 'watermark', from: 0, ts: T + 100, idle: false, base: '0', seq: 0, flips: 0 }, []);
  // partition 1: idle, then back, then a trade
  task.accept({ kind: 'watermark', from: 1, ts: T + 10, idle: true, base: '0', seq: 0, flips: 1 }, []);
  task.accept({ kind: 'watermark', from: 1, ts: T + 10, idle: false, base: '0', seq: 0, flips: 2 }, []);
  task.accept(trade(0, 0, sig('x', T + 50)), []);
  assert.equal(task.pending, 1, 'x waits for partition 1');
  // partition 1 is rebuilt and reports from its start again: its old idle report must not free x
  task.accept({ kind: 'watermark', from: 1, ts: T + 10, idle: true, base: '0', seq: 0, flips: 1 }, []);
  assert.equal(task.pending, 1, 'an idle report it has since left changes nothing');
  task.accept({ kind: 'watermark', from: 1, ts: T + 10, idle: true, base: '0', seq: 0, flips: 3 }, []);
  assert.equal(task.pending, 0, 'a new idle report does');
});

test('a watermark merge leaves idle sources out of the lowest mark until they report again', () => {
  const m = new WatermarkMerge<{ ts: number; id: string }>(2, (x) => x.ts, (x) => x.id);
  const got: string[] = [];
  const take = (x: { ts: number; id: string }) => got.push(x.id);
  m.mark(0, 100);
  m.mark(1, 5);
  m.push({ ts: 10, id: 'a' });
  m.release(take);
  assert.deepEqual(got, []);
  m.setIdle(1, true);
  m.release(take);
  assert.deepEqual(got, ['a']);
  m.setIdle(1, false);
  m.push({ ts: 20, id: 'b' });
  m.release(take);
  assert.deepEqual(got, ['a'], 'back from idle, source 1 holds from its watermark again');
});

test('the task classes\' layout is pinned to DETECTION_STATE_VERSION: a change to their fields bumps it (with a migration, or rebuilds)', () => {
  // 3: the fields of 2; stage 1's accounts are packed per account in a snapshot (@kanshi/detection packed-map.ts)
  // 4: SymbolState.exits and CampaignWindow.byExit (@kanshi/detection campaigns of one exit), AccountTask.covers
  const pinned: Record<number, string> = { 1: 'b8615fcf321c198e', 2: '2648b0867dc8e295', 3: '2648b0867dc8e295', 4: 'c9d6d05830c19d6f' };
  const layout = new SnapshotCodec({ classes: TASK_CLASSES }).layout();
  const hash = createHash('sha256').update(JSON.stringify(Object.entries(layout).sort(([a], [b]) => (a < b ? -1 : 1)))).digest('hex').slice(0, 16);
  assert.equal(hash, pinned[DETECTION_STATE_VERSION], `the snapshot classes' fields changed: bump DETECTION_STATE_VERSION (@kanshi/detection snapshot-migrations.ts), register a migration or none, and pin ${hash} here`);
});

test('a caught-up report\'s covers are read as the other streams\' offsets in decimal, or the message is refused', () => {
  const ok = readEventsMessage({ kind: 'watermark', source: 'order', ts: null, covers: { login: '12', account_event: '0' }, extra: 1 });
  assert.deepEqual(ok, { kind: 'watermark', source: 'order', ts: null, covers: { login: '12', account_event: '0' } });
  for (const covers of [{ login: 12 }, { login: '-1' }, { order: '1' }, { toString: '1' }, ['1'], { login: '1'.repeat(20) }]) {
    assert.ok(readEventsMessage({ kind: 'watermark', source: 'order', ts: null, covers }) instanceof RejectedEvent, JSON.stringify(covers));
  }
  assert.ok(readEventsMessage({ kind: 'watermark', source: 'order', ts: 5, covers: { login: '1' } }) instanceof RejectedEvent, 'only a caught-up report covers');
});
