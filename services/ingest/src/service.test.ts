import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryBus, topicNames, type Delivery, type EventsMessage } from '@kanshi/bus';
import { startIngest } from './service.js';

const T0 = Date.UTC(2025, 2, 6, 5);
const quiet = { info: () => undefined, warn: () => undefined };

test('a caught-up report covers the other streams\' log ends, and is made again once they pass them', async () => {
  const bus = new InMemoryBus();
  const t = topicNames('svc.');
  const raw: Record<string, string> = { login: t.logins, order: t.orders, account_event: t.accountEvents };
  const published = new Map<string, number>();
  const seen: EventsMessage[] = [];
  await bus.subscribe<EventsMessage>(t.events, { groupId: 'watch', fromBeginning: true }, async (b: Delivery<EventsMessage>[]) => { for (const d of b) seen.push(d.value as EventsMessage); });
  const publish = async (type: string, value: object) => {
    await bus.publish(raw[type], [{ key: 'A', value }]);
    published.set(raw[type], (published.get(raw[type]) ?? 0) + 1);
  };
  const passedOn = (topic: string) => seen.filter((m) => m.kind === 'event' && raw[m.event.type] === topic).length;
  const ingest = await startIngest({
    bus, store: null, log: quiet, topics: t, idleMs: 20,
    // the in-memory bus has one partition per topic: caught up once ingest has passed on all it holds
    caughtUpPartitions: async (topic) => (passedOn(topic) === (published.get(topic) ?? 0) ? [0] : []),
    endOffsets: async (topic) => new Map([[0, BigInt(published.get(topic) ?? 0)]]),
  });
  const reports = (source: string) => seen.filter((m): m is Extract<EventsMessage, { kind: 'watermark' }> => m.kind === 'watermark' && m.source === source && m.ts === null);
  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(ok(), what);
  };
  try {
    await publish('order', { eventId: 'o1', ts: T0, accountId: 'A', orderId: 'o1', channel: 'web', symbol: 'X', side: 'sell', orderType: 'market', quantity: 1, currency: 'JPY', status: 'new' });
    await publish('login', { eventId: 'l1', ts: T0 + 60_000, accountId: 'A', result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' });
    await until('each stream reported caught up', () => ['login', 'order', 'account_event'].every((s) => reports(s).length > 0));
    assert.deepEqual(reports('order')[0].covers, { login: '1', account_event: '0' }, 'the order stream vouches for the one login there was');
    const before = reports('order').length;
    await publish('login', { eventId: 'l2', ts: T0 + 9 * 3600_000, accountId: 'A', result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' });
    await until('the order stream reported again once a login passed its report', () => reports('order').length > before);
    assert.deepEqual(reports('order').at(-1)?.covers, { login: '2', account_event: '0' });
    const events = seen.filter((m) => m.kind === 'event');
    assert.deepEqual(events.map((m) => m.kind === 'event' && m.rawOffset), ['0', '0', '1'], 'the raw offsets the covers are compared with');
  } finally {
    await ingest.stop();
    await bus.close();
  }
});
