import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RejectedEvent } from '@kanshi/contract';
import { Ingestor } from './ingest.js';

const login = { eventId: 'e1', ts: Date.UTC(2025, 2, 3, 1), accountId: 'A', result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1', country: null, asn: null, ipType: null, deviceId: null, userAgent: null, sessionId: null };

test('a valid record is accepted once; its re-delivery is a duplicate', () => {
  const ing = new Ingestor();
  const a = ing.accept({ source: 'logins/0@1', type: 'login', value: login });
  assert.equal(a.kind, 'accepted');
  assert.equal(a.kind === 'accepted' && a.event.type, 'login');
  assert.equal(ing.accept({ source: 'logins/0@2', type: 'login', value: login }).kind, 'duplicate');
  assert.deepEqual({ ...ing.stats, rejectsByReason: undefined }, { accepted: 1, duplicates: 1, rejected: 0, rejectsByReason: undefined });
});

test('Avro shapes (Date timestamps, bigint longs) are read as the contract\'s numbers', () => {
  const d = new Ingestor().accept({ source: 'logins/0@1', type: 'login', value: { ...login, ts: new Date(login.ts), asn: 2516n } });
  assert.equal(d.kind, 'accepted');
  if (d.kind === 'accepted' && d.event.type === 'login') {
    assert.equal(d.event.ts, login.ts);
    assert.equal(d.event.asn, 2516);
  }
});

test('bad records are rejected with the field, the reason, the source and the raw input; the stream goes on', () => {
  const ing = new Ingestor();
  const bad = ing.accept({ source: 'orders/3@9', type: 'order', value: { eventId: 'o1', ts: login.ts, accountId: 'A', orderId: 'x', symbol: 'S', side: 'buy', orderType: 'market', quantity: -5, status: 'new', currency: 'JPY' } });
  assert.equal(bad.kind, 'rejected');
  if (bad.kind === 'rejected') {
    assert.equal(bad.rejection.field, 'quantity');
    assert.equal(bad.rejection.eventId, 'o1');
    assert.equal(bad.rejection.source, 'orders/3@9');
    assert.match(bad.rejection.raw, /"quantity":-5/);
  }
  const poison = ing.accept({ source: 'orders/3@10', type: 'order', value: new RejectedEvent('unknown schema id 999: the registry has no such schema') });
  assert.equal(poison.kind, 'rejected');
  assert.equal(poison.kind === 'rejected' && poison.rejection.reason, 'unknown schema id 999: the registry has no such schema');
  assert.equal(ing.accept({ source: 'logins/0@1', type: 'login', value: login }).kind, 'accepted');
  assert.equal(ing.stats.rejected, 2);
});

test('a value nested 5,000 deep (handed over without the serde) is a rejection, not a RangeError that would stall the partition', () => {
  const ing = new Ingestor();
  let deep: unknown = 1;
  for (let i = 0; i < 5000; i++) deep = [deep];
  const d = ing.accept({ source: 'logins/0@1', type: 'login', value: { ...login, x: deep } });
  assert.equal(d.kind, 'rejected');
  assert.equal(d.kind === 'rejected' && d.rejection.code, 'too_deep');
  assert.equal(ing.accept({ source: 'logins/0@2', type: 'login', value: login }).kind, 'accepted', 'the next record is read');
});

test('rejections are counted by field and code: 5,000 distinct bad values make a handful of keys', () => {
  const ing = new Ingestor({ knownSymbol: (s) => s === 'S' });
  const order = { eventId: 'o', ts: login.ts, accountId: 'A', orderId: 'x', symbol: 'S', side: 'buy', orderType: 'market', quantity: 1, status: 'new', currency: 'JPY' };
  for (let i = 0; i < 1000; i++) {
    for (const value of [{ ...order, quantity: -i - 1 }, { ...order, symbol: `SYM${i}` }, { ...order, side: `s${i}` }, { ...order, ts: `t${i}` }, new RejectedEvent(`unknown schema id ${i}: the registry has no such schema`, { code: 'unknown_schema' })]) {
      ing.accept({ source: `orders/0@${i}`, type: 'order', value });
    }
  }
  assert.equal(ing.stats.rejected, 5000);
  assert.deepEqual(Object.keys(ing.stats.rejectsByReason).sort(), ['quantity: out_of_range', 'side: not_allowed', 'symbol: unknown_symbol', 'ts: bad_time', 'unknown_schema']);
});
