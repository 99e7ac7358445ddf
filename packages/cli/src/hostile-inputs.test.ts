/**
 * Hostile inputs at every place Kanshi reads untrusted bytes: ingest's raw topics, the
 * alerter's findings, the detector's internal topics, and `kanshi detect`'s lines. Seeded and
 * bounded, so a failure replays. Each stream must go on: every good record after the bad ones
 * is still processed, and each bad one is rejected with a reason code, none thrown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AvroSerde, InMemoryBus, topicNames, topicTable,
  type BatchHandler, type Bus, type BusMessage, type DeadLetter, type Subscription, type SubscribeOptions,
} from '@kanshi/bus';
import { REJECT_CODES, SCHEMA_NAMES, schemaFieldNames, type Finding } from '@kanshi/contract';
import { ReferenceData } from '@kanshi/detection';
import { startAlerter } from '@kanshi/alerter';
import { startDetector } from '@kanshi/detector';
import { startIngest } from '@kanshi/ingest';
import { runDetect } from './detect.js';
import { MAX_LINE_CHARS } from './ndjson.js';

const SEED = 20261201;
const T = topicNames('hostile.');
const quiet = { info() {}, warn() {} };

/** mulberry32: a small seeded PRNG, so every run throws the same inputs. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <X>(xs: readonly X[]) => xs[Math.floor(next() * xs.length)] };
}
type Rng = ReturnType<typeof prng>;

/**
 * The in-memory bus with the Kafka bus's wire in between: values are encoded by the serde when
 * published (a Buffer is sent as the raw bytes it is) and decoded when delivered.
 */
class WireBus implements Bus {
  readonly inner = new InMemoryBus({ maxBatch: 50 });
  constructor(readonly serde: AvroSerde) {}
  async publish<V>(topic: string, messages: readonly BusMessage<V>[]): Promise<void> {
    const bytes = await Promise.all(messages.map(async (m) => ({ ...m, value: Buffer.isBuffer(m.value) ? m.value : await this.serde.encode(topic, m.value) })));
    await this.inner.publish(topic, bytes);
  }
  subscribe<V>(topic: string, options: SubscribeOptions, handler: BatchHandler<V>): Promise<Subscription> {
    return this.inner.subscribe<Buffer | null>(topic, options, async (batch) =>
      handler(await Promise.all(batch.map(async (d) => ({ ...d, value: (await this.serde.decode(topic, d.value as Buffer | null)) as V })))));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  /** every value published to a topic, decoded */
  async read<V>(topic: string): Promise<V[]> {
    const out: V[] = [];
    const sub = await this.subscribe<V>(topic, { groupId: `reader-${topic}-${Math.random()}` }, async (b) => void out.push(...b.map((d) => d.value as V)));
    await this.inner.idle();
    await sub.stop();
    return out;
  }
}

const wire = async () => new WireBus(await AvroSerde.create({ registryUrl: `mock://hostile-${Math.random()}`, topics: topicTable('hostile.') }));
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const deep = (rng: Rng) => { const d = 2000 + rng.int(8000); return `${'['.repeat(d)}${']'.repeat(d)}`; };
const randomBytes = (rng: Rng, n: number) => Buffer.from(Array.from({ length: n }, () => rng.int(256)));
const WRONG = [null, true, 0, -1, 1e308, '', 'x'.repeat(3000), [], [1, [2]], {}, { a: { b: 1 } }] as const;

/** Hostile values for a topic whose good records look like `good`; `avro` is a good record's frame. */
function hostile(rng: Rng, good: Record<string, unknown>, avro: Buffer): { kind: string; value: Buffer } {
  const kinds = ['deep', 'huge string', 'huge array', 'wrong type', 'prototype keys', 'invalid utf-8', 'truncated avro', 'wrong magic', 'unknown schema id', 'random bytes'] as const;
  const kind = rng.pick(kinds);
  const fields = Object.keys(good);
  switch (kind) {
    case 'deep': return { kind, value: Buffer.from(`{"eventId":"deep","x":${deep(rng)}}`) };
    case 'huge string': return { kind, value: json({ ...good, [rng.pick(fields)]: 'x'.repeat(rng.next() < 0.5 ? 2 << 20 : 300_000) }) };
    case 'huge array': return { kind, value: json({ ...good, [rng.pick(fields)]: new Array(50_000 + rng.int(50_000)).fill(0) }) };
    case 'wrong type': return { kind, value: json({ ...good, [rng.pick(fields)]: rng.pick(WRONG) }) };
    case 'prototype keys': {
      // the fields only behind prototype keys: read as own properties, they must not count
      const key = rng.pick(['__proto__', 'constructor', 'prototype']);
      return { kind, value: Buffer.from(`{"${key}":${JSON.stringify(good)},"toString":1}`) };
    }
    case 'invalid utf-8': {
      const text = JSON.stringify(good);
      const at = text.indexOf('"', 2) + 1;
      return { kind, value: Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(rng.pick([[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]])), Buffer.from(text.slice(at))]) };
    }
    case 'truncated avro': return { kind, value: avro.subarray(0, 5 + rng.int(Math.max(1, avro.length - 6))) };
    case 'wrong magic': {
      const b = Buffer.from(avro);
      b[0] = 1 + rng.int(0x7a);
      return { kind, value: b };
    }
    case 'unknown schema id': {
      const b = Buffer.from(avro);
      b.writeInt32BE(100_000 + rng.int(1e9), 1);
      return { kind, value: b };
    }
    case 'random bytes': return { kind, value: randomBytes(rng, 1 + rng.int(300)) };
  }
}

const assertCoded = (dead: DeadLetter[]) => {
  for (const d of dead) {
    assert.ok(d.code && (REJECT_CODES as readonly string[]).includes(d.code), `code ${d.code} for ${d.reason}`);
    assert.ok(d.reason.length > 3 && d.source.includes('@'));
  }
};

/** Rejection counts keyed by a contract field and a code only: a bounded set of metric series. */
const assertClosedKeys = (counts: Record<string, number>) => {
  const fields = new Set(['type', ...SCHEMA_NAMES.flatMap((n) => schemaFieldNames(n)), 'other']);
  for (const k of Object.keys(counts)) {
    const [a, b] = k.split(': ');
    assert.ok(b === undefined ? (REJECT_CODES as readonly string[]).includes(a) : fields.has(a) && (REJECT_CODES as readonly string[]).includes(b), k);
  }
};

test('ingest: hostile records on the raw topics are dead-lettered with a code; every good one after them goes through', async () => {
  const rng = prng(SEED);
  const bus = await wire();
  const ingest = await startIngest({ bus, store: null, log: quiet, topics: T, idleMs: 10_000 });
  const login = (i: number) => ({ eventId: `good-${i}`, ts: Date.UTC(2025, 2, 3, 1) + i, accountId: `A${i % 7}`, result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' });
  const frame = (await bus.serde.encode(T.logins, login(0)))!;
  const kinds: Record<string, number> = {};
  let good = 0, bad = 0;
  for (let i = 0; i < 600; i++) {
    if (i % 3 === 0) {
      await bus.publish(T.logins, [{ key: 'A', value: login(good++) }]);
      continue;
    }
    const h = hostile(rng, login(-1), frame);
    kinds[h.kind] = (kinds[h.kind] ?? 0) + 1;
    bad++;
    await bus.publish(T.logins, [{ key: 'A', value: h.value }]);
  }
  await bus.inner.idle();
  const dead = await bus.read<DeadLetter>(T.deadLetter);
  const events = (await bus.read<{ kind: string; event?: { eventId: string } }>(T.events)).filter((m) => m.kind === 'event');
  await ingest.stop();
  assert.equal(Object.keys(kinds).length, 10, `every kind thrown: ${JSON.stringify(kinds)}`);
  assert.equal(ingest.stats.accepted, good);
  assert.deepEqual(events.map((m) => m.event!.eventId), Array.from({ length: good }, (_, i) => `good-${i}`), 'every good record, in order');
  assert.equal(dead.length, bad, 'each hostile record dead-lettered once');
  assertCoded(dead);
  assertClosedKeys(ingest.stats.rejectsByReason);
  const unreadable = dead.filter((d) => d.code === 'unreadable');
  assert.deepEqual(unreadable, [], 'no record made ingest throw');
  assert.equal(({} as Record<string, unknown>).eventId, undefined, 'nothing reached Object.prototype');
});

const finding = (i: number): Finding => ({
  findingId: `f-${i}`, kind: 'hijacked_pump_buy', severity: 'high', score: 0.7, accountIds: [`A${i}`], symbols: ['X'], detectedAt: Date.UTC(2025, 2, 3) + i,
  evidence: [`e${i}`], reasons: [{ code: 'c', detail: 'why' }], revision: 1, threat: 0.9, vulnerability: 1, impact: 0.5,
});

test('alerter: unreadable findings are dead-lettered with a code; every good finding after them is alerted', async () => {
  const rng = prng(SEED + 1);
  const bus = await wire();
  const alerter = await startAlerter({ bus, store: null, log: quiet, topics: T });
  const frame = (await bus.serde.encode(T.findings, finding(0)))!;
  let good = 0, bad = 0;
  for (let i = 0; i < 400; i++) {
    if (i % 4 === 0) {
      await bus.publish(T.findings, [{ key: 'f', value: finding(good++) }]);
      continue;
    }
    // findings take Avro only, so the JSON shapes are refused as frames; the Avro ones as bodies
    await bus.publish(T.findings, [{ key: 'f', value: hostile(rng, finding(-1) as unknown as Record<string, unknown>, frame).value }]);
    bad++;
  }
  // wrong types inside a well-formed Avro frame: the schema holds, the contract check refuses
  await bus.publish(T.findings, [{ key: 'f', value: await bus.serde.encode(T.findings, { ...finding(-2), score: 7, accountIds: ['x'.repeat(5000)] }) }]);
  bad++;
  await bus.publish(T.findings, [{ key: 'f', value: finding(good++) }]);
  await bus.inner.idle();
  const alerts = await bus.read<{ findingId: string }>(T.alerts);
  const dead = await bus.read<DeadLetter>(T.deadLetter);
  await alerter.stop();
  const goodIds = new Set(Array.from({ length: good }, (_, i) => `f-${i}`));
  assert.deepEqual(alerts.map((a) => a.findingId).filter((id) => goodIds.has(id)), [...goodIds], 'every good finding alerted, in order');
  assert.equal(dead.length, bad, 'each hostile finding dead-lettered once');
  assertCoded(dead);
});

test('detector: misshapen internal messages are dead-lettered; good events after them are still processed', async () => {
  const rng = prng(SEED + 2);
  const bus = await wire();
  const detector = await startDetector({ bus, ref: new ReferenceData(), log: quiet, topics: T, accountPartitions: 1, symbolPartitions: 1 });
  const event = (i: number) => ({ kind: 'event', event: { type: 'login', eventId: `g${i}`, ts: Date.UTC(2025, 2, 3) + i, accountId: 'A', result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' }, rawOffset: String(i) });
  const misshapen = [
    { kind: 'event' }, { kind: 'event', event: { type: 'order' } }, { kind: 'event', event: event(0).event, rawOffset: 'abc' }, { kind: 'watermark', source: 'nope', ts: 1 },
    { kind: 'nope' }, [], 'text', 7, { kind: 'event', event: { ...event(0).event, ts: 'soon' } },
  ];
  let good = 0, bad = 0;
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 0) await bus.publish(T.events, [{ key: 'A', value: event(good++) }]);
    else {
      bad++;
      const v = rng.next() < 0.5 ? json(rng.pick(misshapen)) : rng.next() < 0.5 ? Buffer.from(`{"kind":"event","event":${deep(rng)}}`) : randomBytes(rng, 1 + rng.int(200));
      await bus.publish(T.events, [{ key: 'A', value: v }]);
    }
  }
  await bus.publish(T.symbolSignals, [{ key: 'S', value: json({ kind: 'trade', from: 0, base: '0', seq: 0, signal: { symbol: 5 } }) }, { key: 'S', value: json({ kind: 'watermark', from: 0, ts: 1 }) }]);
  await bus.inner.idle();
  const dead = await bus.read<DeadLetter>(T.deadLetter);
  assert.equal(detector.stats().events, good);
  assert.equal(dead.length, bad + 1, 'each misshapen message once, the bad trade signal too');
  assertCoded(dead);
  await detector.stop();
});

test('kanshi detect: hostile lines are rejected with a code in line order; the good lines are all detected on, with 1 or 2 workers', async () => {
  const rng = prng(SEED + 3);
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-hostile-'));
  writeFileSync(path.join(dir, 'instruments.ndjson'), `${JSON.stringify({ symbol: '7203', name: 'Big', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 4e13, adv20Jpy: 1e11, prevClose: 3000 })}\n`);
  writeFileSync(path.join(dir, 'accounts.ndjson'), '');
  const login = (i: number) => ({ type: 'login', eventId: `g${i}`, ts: Date.UTC(2025, 2, 3) + i * 1000, accountId: `A${i % 5}`, result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' });
  const parts: Buffer[] = [];
  const badLines: number[] = [];
  let good = 0;
  for (let n = 1; n <= 400; n++) {
    if (n % 2 === 1) parts.push(json(login(good++)));
    else {
      badLines.push(n);
      const kind = rng.int(8);
      const b = login(-n);
      parts.push(
        kind === 0 ? Buffer.from(`{"type":"login","x":${deep(rng)}}`)
        : kind === 1 ? Buffer.from(`{"eventId":"${'y'.repeat(MAX_LINE_CHARS + rng.int(1 << 20))}"}`)
        : kind === 2 ? json({ ...b, accountId: new Array(20_000).fill('A') })
        : kind === 3 ? json({ ...b, [rng.pick(Object.keys(b))]: rng.pick(WRONG.filter((w) => w !== '' && w !== null)) })
        : kind === 4 ? Buffer.from(`{"__proto__":${JSON.stringify(b)}}`)
        : kind === 5 ? Buffer.concat([Buffer.from('{"type":"login","eventId":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
        : kind === 6 ? Buffer.from(JSON.stringify(b).slice(0, 10 + rng.int(40)))
        // random bytes without line breaks, and never blank
        : Buffer.concat([Buffer.from('x'), randomBytes(rng, 1 + rng.int(200)).map((c) => (c === 10 || c === 13 ? 32 : c))]),
      );
    }
  }
  writeFileSync(path.join(dir, 'events.ndjson'), Buffer.concat(parts.flatMap((p) => [p, Buffer.from('\n')])));
  const files = { events: path.join(dir, 'events.ndjson'), instruments: path.join(dir, 'instruments.ndjson'), accounts: path.join(dir, 'accounts.ndjson') };
  const rejects: string[] = [];
  for (const workers of [1, 2]) {
    const out = path.join(dir, `out-${workers}`);
    const s = await runDetect({ ...files, out, workers, quiet: true });
    assert.equal(s.valid, good, `${workers} worker(s): every good line detected on`);
    assert.equal(s.stats.events, good);
    assert.equal(s.rejected, badLines.length);
    const rows = readFileSync(path.join(out, 'rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { source: string; code: string; reason: string; raw: string });
    assert.deepEqual(rows.map((r) => Number(r.source.split(':')[1])), badLines, 'one rejection per bad line, in line order');
    for (const r of rows) assert.ok((REJECT_CODES as readonly string[]).includes(r.code) && r.reason.length > 3 && r.raw.length <= 2100, JSON.stringify(r).slice(0, 200));
    assert.ok(rows.some((r) => r.code === 'line_too_long') && rows.some((r) => r.code === 'too_deep') && rows.some((r) => r.code === 'bad_encoding'));
    assertClosedKeys(s.rejectsByReason);
    rejects.push(readFileSync(path.join(out, 'rejects.ndjson'), 'utf8'));
  }
  assert.equal(rejects[0], rejects[1], 'the same rejects, byte for byte, for any --workers');
});
