/**
 * Ten thousand bad inputs of many shapes, through the paths they would take: NDJSON lines into
 * validation, Avro frames into the registry serde and the ingest decision. Nothing may crash, and
 * every input must come out accepted, dropped as a duplicate, or rejected with a reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AvroSerde, topicTable } from '@kanshi/bus';
import { parseEventLine, RejectedEvent, type EventType } from '@kanshi/contract';
import { Ingestor } from '@kanshi/ingest';

/** A small seeded generator, so a failure names an input that can be made again. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GOOD_LOGIN = { type: 'login', eventId: 'x', ts: Date.UTC(2025, 2, 3), accountId: 'A', result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' };
const GOOD_ORDER = { type: 'order', eventId: 'y', ts: Date.UTC(2025, 2, 3), accountId: 'A', orderId: 'o', symbol: '7203', side: 'buy', orderType: 'market', quantity: 100, status: 'new', currency: 'JPY' };

const MUTATIONS: ((r: () => number, e: Record<string, unknown>) => string)[] = [
  (_r, e) => JSON.stringify(e).slice(0, Math.max(1, JSON.stringify(e).length - 5)), // truncated
  (_r, e) => JSON.stringify({ ...e, ts: Date.UTC(2300, 0, 1) }), // far future
  (_r, e) => JSON.stringify({ ...e, ts: -1 }), // before the epoch
  (_r, e) => JSON.stringify({ ...e, ts: 'next tuesday' }),
  (_r, e) => JSON.stringify({ ...e, accountId: 42 }), // wrong type
  (_r, e) => JSON.stringify({ ...e, accountId: 'A'.repeat(1_000_000) }), // 1 MB string
  (_r, e) => JSON.stringify({ ...GOOD_ORDER, eventId: e.eventId, quantity: -100 }),
  (_r, e) => JSON.stringify({ ...GOOD_ORDER, eventId: e.eventId, quantity: 1e300 }),
  (_r, e) => JSON.stringify({ ...GOOD_ORDER, eventId: e.eventId, quantity: 'lots' }),
  (_r, e) => JSON.stringify({ ...e, eventId: '' }),
  (_r, e) => JSON.stringify({ ...e, type: 'trade' }),
  (_r, e) => JSON.stringify({ ...GOOD_ORDER, eventId: e.eventId, side: 'hold' }),
  (_r, e) => JSON.stringify({ ...GOOD_LOGIN, eventId: e.eventId, authMethod: 'magic' }),
  (_r, e) => JSON.stringify({ ...GOOD_ORDER, eventId: e.eventId, symbol: 'NO.SUCH' }), // unknown symbol
  () => 'null',
  () => '[]',
  () => '"a string"',
  () => '{',
  (r) => String.fromCharCode(...Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 65536))),
  // valid apart from hostile keys: accepted, and nothing leaks into Object.prototype
  (_r, e) => `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},${JSON.stringify(e).slice(1)}`,
];

test('10,000 malformed NDJSON lines: each rejected with a field or a reason, none thrown, nothing polluted', () => {
  const r = rng(1);
  const known = (s: string) => s === '7203';
  let rejected = 0, accepted = 0;
  const reasons = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const base = r() < 0.5 ? GOOD_LOGIN : GOOD_ORDER;
    const line = MUTATIONS[i % MUTATIONS.length](r, { ...base, eventId: `bad-${i}` });
    const out = parseEventLine(line, { knownSymbol: known });
    if (out instanceof RejectedEvent) {
      rejected++;
      assert.ok(out.reason.length > 0, `line ${i} rejected without a reason`);
      reasons.add(out.field ?? out.reason.split(':')[0]);
    } else {
      accepted++;
    }
  }
  assert.equal(rejected + accepted, 10_000);
  // every mutation but the hostile-keys one breaks the record
  assert.equal(rejected, 10_000 - 10_000 / MUTATIONS.length, `${rejected} rejected`);
  assert.ok(reasons.size >= 8, `many shapes, many reasons: ${[...reasons].join(', ')}`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
});

test('10,000 bad Avro frames and records through the serde and ingest: every one accounted for, the stream goes on', async () => {
  const serde = await AvroSerde.create({ registryUrl: 'mock://faults', topics: topicTable() });
  const good = (await serde.encode('orders', { ...GOOD_ORDER, type: undefined, price: null, sessionId: null, channel: null, fillQuantity: null, fillPrice: null }))!;
  const r = rng(2);
  const ingest = new Ingestor({ knownSymbol: (s) => s === '7203' });
  const frames: Buffer[] = [];
  for (let i = 0; i < 10_000; i++) {
    switch (i % 6) {
      case 0: frames.push(good.subarray(0, 1 + Math.floor(r() * (good.length - 1)))); break; // truncated Avro
      case 1: { const f = Buffer.from(good); f.writeInt32BE(1_000_000 + i, 1); frames.push(f); break; } // wrong schema id
      case 2: frames.push(Buffer.from(Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256)))); break; // noise
      case 3: frames.push(Buffer.from(JSON.stringify({ ...GOOD_ORDER, eventId: `j${i}`, quantity: -1 }))); break; // JSON, invalid
      case 4: frames.push(Buffer.from('{"eventId":')); break; // broken JSON
      default: frames.push(Buffer.concat([Buffer.from([0]), good.subarray(1, 5), Buffer.from(Array.from({ length: 20 }, () => Math.floor(r() * 256)))])); // right id, garbage body
    }
  }
  const outcome = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const [i, f] of frames.entries()) {
    const value = await serde.decode('orders', f);
    const d = ingest.accept({ source: `orders/0@${i}`, type: 'order' as EventType, value });
    outcome[d.kind]++;
    if (d.kind === 'rejected') assert.ok(d.rejection.reason.length > 0);
  }
  assert.equal(outcome.accepted + outcome.duplicate + outcome.rejected, 10_000, 'every input accounted for');
  assert.ok(outcome.rejected >= 9_000, JSON.stringify(outcome));
  // and a good record still goes through afterwards
  const after = ingest.accept({ source: 'orders/0@10000', type: 'order', value: await serde.decode('orders', good) });
  assert.equal(after.kind, 'accepted');
});
