/**
 * The ingest service against the real broker, registry and ClickHouse: Avro records in; valid
 * ones archived once and published to kanshi.events; a duplicate dropped; a record that breaks
 * the contract and bytes that are no record at all dead-lettered and stored with their reason.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Delivery, EventsMessage, KafkaBus } from '@kanshi/bus';
import type { LoginEvent, OrderEvent } from '@kanshi/contract';
import { startIngest, type DeadLetter } from '@kanshi/ingest';
import { uniqueName, withTimeout } from './harness.js';
import { openTestNamespace } from './namespace.js';

const WAIT_MS = 60_000;
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

const silent = { info: () => undefined, warn: () => undefined };
const run = randomBytes(4).toString('hex');

function login(n: number): LoginEvent {
  return {
    eventId: `it-ing-${run}-l${n}`, ts: Date.UTC(2025, 2, 3, 0, 0, n), accountId: `it-${run}-a${n}`, result: 'success',
    authMethod: 'password_otp_sms', channel: 'app', ip: '126.1.2.3', country: 'JP', asn: 17676, ipType: 'mobile',
    deviceId: 'dev', userAgent: null, sessionId: `s${n}`,
  };
}

function order(n: number, quantity: number): OrderEvent {
  return {
    eventId: `it-ing-${run}-o${n}`, ts: Date.UTC(2025, 2, 3, 0, 1, n), accountId: `it-${run}-a${n}`, orderId: `o${n}`,
    sessionId: `s${n}`, channel: 'app', symbol: '7203', side: 'buy', orderType: 'market', quantity, price: null,
    status: 'new', fillQuantity: null, fillPrice: null, currency: 'JPY',
  };
}

async function collect<V>(bus: KafkaBus, topic: string, keep: (d: Delivery<V>) => boolean) {
  const got: Delivery<V>[] = [];
  const sub = await bus.subscribe<V>(topic, { groupId: uniqueName('it_ing_watch'), fromBeginning: true }, (batch) => {
    for (const d of batch) if (keep(d)) got.push(d);
  });
  closers.push(() => sub.stop());
  await withTimeout(sub.ready, WAIT_MS, `a consumer of ${topic} to join`);
  return got;
}

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('ingest archives valid records once, publishes them by account, and dead-letters bad ones with the reason', async () => {
  // its own topics and database: nothing another test (or run) wrote can reach it; closers run
  // last first, so the namespace goes once everything using it has stopped
  const ns = await openTestNamespace('ingest', WAIT_MS);
  closers.push(() => ns.close());
  const { kafka, bus, store, topics: TOPIC } = ns;

  const mine = (id: string | null | undefined) => !!id && id.startsWith(`it-ing-${run}`);
  const events = await collect<EventsMessage>(bus, TOPIC.events, (d) => {
    const m = d.value as EventsMessage | null;
    return m?.kind === 'event' && mine(m.event.eventId);
  });
  const dead = await collect<DeadLetter>(bus, TOPIC.deadLetter, (d) => mine((d.value as DeadLetter | null)?.eventId) || (d.value as DeadLetter | null)?.raw === '');

  const ingest = await startIngest({ bus, store, log: silent, topics: TOPIC, groupId: uniqueName('it_ingest') });
  closers.push(() => ingest.stop());
  await withTimeout(ingest.ready, WAIT_MS, 'ingest consumers to join');

  await bus.publish(TOPIC.logins, [login(1), login(2), login(1)].map((v) => ({ key: v.accountId, value: v })));
  await bus.publish(TOPIC.orders, [order(1, 100), order(2, -5)].map((v) => ({ key: v.accountId, value: v })));
  const raw = kafka.producer();
  await raw.connect();
  closers.push(() => raw.disconnect());
  await raw.send({ topic: TOPIC.orders, messages: [{ key: `it-${run}`, value: Buffer.from([0, 0, 0, 0x7f, 0xff, 1, 2, 3]) }] });
  // the same contract as JSON is accepted on an Avro topic
  const json = { ...login(3), ts: new Date(login(3).ts).toISOString() };
  await raw.send({ topic: TOPIC.logins, messages: [{ key: json.accountId, value: Buffer.from(JSON.stringify(json)) }] });

  await until('four valid events on kanshi.events', () => events.length >= 4);
  await until('two dead letters', () => dead.filter((d) => mine((d.value as DeadLetter).eventId) || (d.value as DeadLetter).reason.includes('schema id')).length >= 2);
  const sent = events.map((d) => (d.value as Extract<EventsMessage, { kind: 'event' }>).event);
  const ids = sent.map((e) => e.eventId).sort();
  assert.deepEqual(ids, [`it-ing-${run}-l1`, `it-ing-${run}-l2`, `it-ing-${run}-l3`, `it-ing-${run}-o1`], 'each valid event once, the duplicate dropped, JSON accepted');
  assert.equal(sent.find((e) => e.eventId.endsWith('-l3'))?.ts, login(3).ts, 'an ISO time in JSON is the same instant');
  for (const [i, d] of events.entries()) assert.equal(d.key, sent[i].accountId, 'keyed by accountId');

  const negative = dead.map((d) => d.value as DeadLetter).find((d) => d.eventId === `it-ing-${run}-o2`);
  assert.ok(negative, 'the negative quantity is dead-lettered');
  assert.equal(negative.field, 'quantity');
  assert.match(negative.source, /orders\/\d+@\d+$/);
  assert.ok(dead.some((d) => /schema id/.test((d.value as DeadLetter).reason)), 'the undecodable bytes are dead-lettered with why');

  // an account snapshot on the compacted topic reaches the desk's holdings chart in ClickHouse
  const account = `it-${run}-a1`;
  await bus.publish(TOPIC.accounts, [{ key: account, value: { accountId: account, openedAt: Date.UTC(2020, 0, 1), homeCountry: 'JP', mfa: 'sms', holdingsJpy: 1_234_000, positions: [{ symbol: '7203', quantity: 400 }] } }]);
  await until('the account snapshot in ClickHouse', async () => (await store.desk().accountSnapshot(account)) !== null);
  assert.deepEqual((await store.desk().accountSnapshot(account))?.positions, [{ symbol: '7203', quantity: 400 }]);

  await until('the archive and the rejected table', async () => {
    const c = await store.counts();
    return c.events_raw.ids >= 4 && c.rejected_events.ids >= 2;
  });
  const c = await store.counts();
  assert.deepEqual(c.events_raw, { rows: 4, ids: 4 });
  assert.equal(c.rejected_events.rows, c.rejected_events.ids);
});
