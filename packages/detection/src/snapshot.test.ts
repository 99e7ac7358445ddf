import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RejectedEvent, validateAccount, validateEvent, validateInstrument, type Finding, type InputEvent } from '@kanshi/contract';
import { simulateToDir } from '@kanshi/simulator';
import { AccountStage, type StageOutput } from './account-stage.js';
import { resolveDetectionConfig } from './config.js';
import { ReferenceData } from './reference.js';
import type { TradeSignal } from './signals.js';
import { createHash } from 'node:crypto';
import { SNAPSHOT_FORMAT, SnapshotCodec, SnapshotError } from './snapshot.js';
import { Incident } from './incident.js';
import { DEFAULT_DETECTION_CONFIG } from './config.js';
import { DETECTION_STATE_VERSION, type SnapshotMigration } from './snapshot-migrations.js';
import { SymbolStage } from './symbol-stage.js';
import { PackedMap } from './packed-map.js';
import { EMPTY } from './profile.js';

const cfg = resolveDetectionConfig();

function lines<T>(file: string, validate: (x: unknown) => T | RejectedEvent): T[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => validate(JSON.parse(l))).filter((x): x is T => !(x instanceof RejectedEvent));
}

/** A simulated brokerage's days with its incidents (campaigns among them), in event-time order. */
const world = (async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-snapshot-'));
  try {
    await simulateToDir(dir, { accounts: 500, days: 2, seed: 7, messy: false, scenarios: ['jp-march-2025-wave', 'hk-2024-ramp', 'pass-the-cookie'] });
    const ref = new ReferenceData(lines(path.join(dir, 'instruments.ndjson'), validateInstrument), lines(path.join(dir, 'accounts.ndjson'), validateAccount));
    const events = lines(path.join(dir, 'events.ndjson'), (x) => validateEvent(x)).sort((a, b) => a.ts - b.ts || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
    return { ref, events };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

function stage1(stage: AccountStage, events: readonly InputEvent[], out: StageOutput): void {
  for (const e of events) stage.process(e, out);
}

function stage2(stage: SymbolStage, trades: readonly TradeSignal[], out: Finding[]): void {
  for (const t of trades) stage.process(t, out);
}

test('stage 1 snapshotted half-way and restored into a fresh stage finds byte for byte what an uninterrupted run finds', async () => {
  const { ref, events } = await world;
  const whole: StageOutput = { findings: [], trades: [] };
  stage1(new AccountStage(ref, cfg), events, whole);
  assert.ok(whole.findings.length >= 3 && whole.trades.length > 100, `the day exercises stage 1 (${whole.findings.length} findings, ${whole.trades.length} trades)`);

  const codec = new SnapshotCodec({ externals: { ref, cfg } });
  for (const cut of [Math.floor(events.length / 2), Math.floor(events.length / 3)]) {
    const out: StageOutput = { findings: [], trades: [] };
    const first = new AccountStage(ref, cfg);
    stage1(first, events.slice(0, cut), out);
    const bytes = codec.encode(first, { offset: cut });
    // a fresh codec, as a restarted process has: nothing shared with the writer but the bytes
    const back = new SnapshotCodec({ externals: { ref, cfg } }).decode<AccountStage>(bytes);
    assert.ok(back.ok, back.ok ? '' : back.reason);
    assert.ok(back.state instanceof AccountStage && back.state !== first);
    assert.equal(back.state.accountCount, first.accountCount);
    assert.deepEqual(back.header.meta, { offset: cut });
    stage1(back.state, events.slice(cut), out);
    assert.equal(JSON.stringify(out.findings), JSON.stringify(whole.findings), `findings after a restore at event ${cut}`);
    assert.equal(JSON.stringify(out.trades), JSON.stringify(whole.trades), `trade signals after a restore at event ${cut}`);
  }
});

test('stage 2 snapshotted half-way and restored finds byte for byte what an uninterrupted run finds', async () => {
  const { ref, events } = await world;
  const s1: StageOutput = { findings: [], trades: [] };
  stage1(new AccountStage(ref, cfg), events, s1);
  const whole: Finding[] = [];
  stage2(new SymbolStage(ref, cfg), s1.trades, whole);
  assert.ok(whole.some((f) => f.kind === 'pump_campaign'), `the day has a campaign (${whole.map((f) => f.kind).join(', ')})`);

  const codec = new SnapshotCodec({ externals: { ref, cfg } });
  // cut inside the first campaign, while its window is open
  const firstCampaign = s1.trades.findIndex((t) => t.ts >= whole.find((f) => f.kind === 'pump_campaign')!.detectedAt);
  for (const cut of [Math.floor(s1.trades.length / 2), Math.max(1, firstCampaign - 1)]) {
    const out: Finding[] = [];
    const first = new SymbolStage(ref, cfg);
    stage2(first, s1.trades.slice(0, cut), out);
    const back = codec.decode<SymbolStage>(codec.encode(first));
    assert.ok(back.ok, back.ok ? '' : back.reason);
    stage2(back.state, s1.trades.slice(cut), out);
    assert.equal(JSON.stringify(out), JSON.stringify(whole), `stage 2 findings after a restore at trade ${cut}`);
  }
});

test('a truncated, corrupted or foreign snapshot, or one of another format, is refused with a reason', async () => {
  const { ref, events } = await world;
  const codec = new SnapshotCodec({ externals: { ref, cfg } });
  const stage = new AccountStage(ref, cfg);
  stage1(stage, events.slice(0, 2000), { findings: [], trades: [] });
  const good = codec.encode(stage, { offset: 1999 });
  const refused = (b: Uint8Array) => {
    const r = codec.decode(b);
    assert.equal(r.ok, false);
    return r.ok ? '' : r.reason;
  };
  assert.match(refused(good.subarray(0, good.length - 10)), /truncated/);
  assert.match(refused(good.subarray(0, 12)), /truncated/);
  const flipped = Buffer.from(good);
  flipped[flipped.length - 100] ^= 0xff;
  assert.match(refused(flipped), /corrupted/);
  const other = Buffer.from(good);
  other.writeUInt16BE(SNAPSHOT_FORMAT + 1, 4);
  assert.match(refused(other), /format 2, this detector reads format 1/);
  assert.match(refused(Buffer.from('{"not":"a snapshot"}')), /not a Kanshi snapshot/);
  assert.match(refused(new Uint8Array(0)), /not a Kanshi snapshot/);
  const header = Buffer.from(good);
  header[60] ^= 0x01;
  assert.match(refused(header), /corrupted/);
  // an external the restoring process does not supply
  const r = new SnapshotCodec({ externals: { cfg } }).decode(good);
  assert.ok(!r.ok && /external ref was not supplied/.test(r.reason), r.ok ? '' : r.reason);
});

test('a snapshot of a class whose fields changed is refused, naming the fields, not restored half-right', () => {
  class Counter {
    n = 1;
  }
  const v1 = new SnapshotCodec({ classes: [{ name: 'Counter', cls: Counter, sample: () => new Counter() }] });
  const bytes = v1.encode({ c: new Counter() });
  const back = v1.decode<{ c: Counter }>(bytes);
  assert.ok(back.ok && back.state.c instanceof Counter && back.state.c.n === 1);
  // the next version of the code gave the class a field
  const v2 = new SnapshotCodec({ classes: [{ name: 'Counter', cls: Counter, sample: () => Object.assign(new Counter(), { seen: 0 }) }] });
  const r = v2.decode(bytes);
  assert.ok(!r.ok && /layout changed.*Counter: \+seen/.test(r.reason), r.ok ? '' : r.reason);
  const v3 = new SnapshotCodec();
  const gone = v3.decode(bytes);
  assert.ok(!gone.ok && /Counter is not known here/.test(gone.reason), gone.ok ? '' : gone.reason);
});

test('an older state layout is migrated when every step is registered, and refused with the reason when not', () => {
  class Counter {
    n = 1;
  }
  const classes = (fields: object) => [{ name: 'Counter', cls: Counter, sample: () => Object.assign(new Counter(), fields) }];
  const v1 = new SnapshotCodec({ version: 1, migrations: [], classes: classes({}) });
  const c = new Counter();
  c.n = 21;
  const bytes = v1.encode({ c, again: c });
  // version 2 gave the class a field; the step fills it from what the old state holds
  const seen: SnapshotMigration = { from: 1, what: 'Counter: +seen, twice n', migrate: (s) => {
    s.each('Counter', (f) => { f.seen = (f.n as number) * 2; });
    return undefined;
  } };
  const v2 = new SnapshotCodec({ version: 2, migrations: [seen], classes: classes({ seen: 0 }) });
  const up = v2.decode<{ c: Counter & { seen: number }; again: Counter }>(bytes);
  assert.ok(up.ok, up.ok ? '' : up.reason);
  assert.deepEqual(up.migrated, ['1->2: Counter: +seen, twice n']);
  assert.ok(up.state.c instanceof Counter && up.state.c.seen === 42 && up.state.again === up.state.c, 'migrated once, sharing kept');
  const current = v2.decode(v2.encode({ c: up.state.c }));
  assert.ok(current.ok && current.migrated.length === 0, 'a current snapshot needs no step');

  const why = (r: ReturnType<SnapshotCodec['decode']>) => (r.ok ? 'restored' : r.reason);
  // no step registered: rebuilt, and the reason says which step is missing
  assert.match(why(new SnapshotCodec({ version: 2, migrations: [], classes: classes({ seen: 0 }) }).decode(bytes)), /state version 1, this detector's is 2, and no migration from 1 to 2 is registered/);
  // two versions on, one step missing
  assert.match(why(new SnapshotCodec({ version: 3, migrations: [seen], classes: classes({ seen: 0 }) }).decode(bytes)), /no migration from 2 to 3/);
  // a step that cannot take the state (only the log has what the new layout needs)
  const refuses: SnapshotMigration = { from: 1, what: 'Counter: +seen, from the log', migrate: () => 'seen is only in the log' };
  assert.match(why(new SnapshotCodec({ version: 2, migrations: [refuses], classes: classes({ seen: 0 }) }).decode(bytes)), /cannot take this state: seen is only in the log/);
  // a step that forgot a field is caught by the layout check, not restored half-right
  const forgot: SnapshotMigration = { from: 1, what: 'nothing', migrate: () => undefined };
  assert.match(why(new SnapshotCodec({ version: 2, migrations: [forgot], classes: classes({ seen: 0 }) }).decode(bytes)), /still differs after migrating 1 to 2 \(Counter: \+seen\)/);
  // a snapshot of a newer detector (a rollback)
  assert.match(why(v1.decode(v2.encode({ c }))), /state version 2 is newer than this detector's 1/);
});

test('the state layout is pinned to DETECTION_STATE_VERSION: a change to a snapshot class\'s fields is a decision (bump it, add a migration or let it rebuild)', () => {
  // 3: the same fields as 2; AccountStage.accounts became a PackedMap (packed-map.ts), which a snapshot carries otherwise
  // 4: SymbolState.exits and CampaignWindow.byExit (campaigns of one exit); the detector's AccountTask gained covers
  const pinned: Record<number, string> = { 1: '7aaf597d47eac7d5', 2: '473b074f77ffde99', 3: '473b074f77ffde99', 4: 'd3a9014deeff0bf5' };
  const layout = new SnapshotCodec().layout();
  const hash = createHash('sha256').update(JSON.stringify(Object.entries(layout).sort(([a], [b]) => (a < b ? -1 : 1)))).digest('hex').slice(0, 16);
  assert.equal(hash, pinned[DETECTION_STATE_VERSION], `the detection classes' fields changed (${JSON.stringify(layout)}): bump DETECTION_STATE_VERSION in snapshot-migrations.ts, register a migration from the old version or none (old snapshots are then rebuilt), and pin ${hash} here`);
});

test('what a snapshot cannot carry is a bug the encoder names: an unregistered class, a closure', () => {
  class Stray {
    x = 1;
  }
  const codec = new SnapshotCodec();
  assert.throws(() => codec.encode({ a: [new Stray()] }), (e: unknown) => e instanceof SnapshotError && /Stray instance/.test(e.message));
  assert.throws(() => codec.encode({ f: () => 1 }), (e: unknown) => e instanceof SnapshotError && /\$\.f is a function/.test(e.message));
});

test('shared references, cycles, maps, bigints and infinities survive', () => {
  const shared = { k: 1 };
  const cyc: Record<string, unknown> = { name: 'c' };
  cyc.self = cyc;
  const state = { a: shared, b: [shared], m: new Map([['x', shared]]), s: new Set([1n]), big: 2n ** 70n, inf: Number.NEGATIVE_INFINITY, cyc, u: new Uint16Array([1, 65535]) };
  const codec = new SnapshotCodec();
  const r = codec.decode<typeof state>(codec.encode(state));
  assert.ok(r.ok);
  assert.equal(r.state.a, r.state.b[0]);
  assert.equal(r.state.m.get('x'), r.state.a);
  assert.equal(r.state.cyc.self, r.state.cyc);
  assert.equal(r.state.big, 2n ** 70n);
  assert.equal(r.state.inf, Number.NEGATIVE_INFINITY);
  assert.deepEqual([...r.state.s], [1n]);
  assert.deepEqual([...r.state.u], [1, 65535]);
});

test('a version-1 snapshot, from before incidents a control change opens, is migrated: its incidents were opened by logins or trading', () => {
  const inc = new Incident('e1', 1, 2, undefined, DEFAULT_DETECTION_CONFIG);
  inc.loginRisk = 0.4;
  // the version-1 layout of an Incident had no controlOnly
  delete (inc as Partial<Incident>).controlOnly;
  const bytes = new SnapshotCodec({ version: 1, migrations: [] }).encode({ inc });
  const back = new SnapshotCodec().decode<{ inc: Incident }>(bytes);
  assert.ok(back.ok, back.ok ? '' : back.reason);
  assert.equal(back.migrated.length, DETECTION_STATE_VERSION - 1, back.migrated.join('; '));
  assert.match(back.migrated[0], /^1->2: Incident gains controlOnly/);
  assert.match(back.migrated[1], /^2->3: AccountStage.accounts becomes a PackedMap/);
  assert.ok(back.state.inc instanceof Incident && back.state.inc.controlOnly === false && back.state.inc.loginRisk === 0.4);
});

test('a version-3 symbol stage, from before campaigns of one exit, is migrated: each symbol gains an empty exit window, each campaign byExit false, and the stage goes on', () => {
  const stage = new SymbolStage(new ReferenceData([], []), DEFAULT_DETECTION_CONFIG);
  const trade = { symbol: 'T1', accountId: 'a', eventId: 'e', orderId: 'o', ts: 1, side: 'buy', status: 'new', quantity: 1, price: 1, fillQuantity: 0, valueJpy: 1, accountRisk: 0.5, heldBefore: 0, device: 0, network: 0, asn: 0 } as TradeSignal;
  stage.process(trade, []);
  const symbols = (stage as unknown as { symbols: Map<string, Record<string, unknown>> }).symbols;
  // the version-3 layout: no exit window, and campaign windows without byExit
  for (const s of symbols.values()) {
    delete s.exits;
    for (const k of ['pending', 'slow', 'suspects']) delete (s[k] as Record<string, unknown>).byExit;
  }
  const bytes = new SnapshotCodec({ version: 3, migrations: [], externals: { ref: stage['ref' as never], cfg: DEFAULT_DETECTION_CONFIG } }).encode(stage);
  const back = new SnapshotCodec({ externals: { ref: stage['ref' as never], cfg: DEFAULT_DETECTION_CONFIG } }).decode<SymbolStage>(bytes);
  assert.ok(back.ok, back.ok ? '' : back.reason);
  assert.match(back.migrated.at(-1) ?? '', /^3->4: SymbolState gains exits/);
  const revived = (back.state as unknown as { symbols: Map<string, { exits: { members: Map<string, unknown>; byExit: boolean }; pending: { byExit: boolean } }> }).symbols.get('T1');
  assert.ok(revived && revived.exits.members.size === 0 && revived.exits.byExit === false && revived.pending.byExit === false);
  back.state.process({ ...trade, accountId: 'b', eventId: 'e2', ts: 2, fundedBySale: true, novelExit: true, network: 7 }, []);
  assert.equal(revived.exits.members.size, 1, 'the migrated exit window takes the next such buyer');
});

// Stage 1's accounts packed one by one (packed-map.ts): revived on first use, reused untouched.
const run = stage1;
const accountsOf = (stage: AccountStage) => (stage as unknown as { accounts: PackedMap<string, object> }).accounts;
const same = (a: StageOutput, b: StageOutput, what: string) => {
  assert.equal(JSON.stringify(a.findings), JSON.stringify(b.findings), `findings ${what}`);
  assert.equal(JSON.stringify(a.trades), JSON.stringify(b.trades), `trade signals ${what}`);
};

test('a restored stage holds its accounts packed and revives each on its first event; a snapshot of it reuses the untouched ones, and the findings are an uninterrupted run\'s', async () => {
  const { ref, events } = await world;
  const whole: StageOutput = { findings: [], trades: [] };
  run(new AccountStage(ref, cfg), events, whole);
  assert.ok(whole.findings.length > 0, 'the days find something');
  const codec = () => new SnapshotCodec({ externals: { ref, cfg } });
  const [a, b] = [Math.floor(events.length * 0.5), Math.floor(events.length * 0.52)];
  const out: StageOutput = { findings: [], trades: [] };
  const first = new AccountStage(ref, cfg);
  run(first, events.slice(0, a), out);
  const back = codec().decode<AccountStage>(codec().encode(first));
  assert.ok(back.ok, back.ok ? '' : back.reason);
  assert.equal(accountsOf(back.state).stillPacked, first.accountCount, 'nothing revived by the restore itself');
  assert.equal(back.state.accountCount, first.accountCount);
  run(back.state, events.slice(a, b), out);
  const packed = accountsOf(back.state).stillPacked;
  assert.ok(packed > 0 && packed < back.state.accountCount, `some accounts revived, some not (${packed} of ${back.state.accountCount} packed)`);
  // a second snapshot: revived accounts packed anew, untouched ones as the bytes they came in
  const again = codec().decode<AccountStage>(codec().encode(back.state));
  assert.ok(again.ok, again.ok ? '' : again.reason);
  run(again.state, events.slice(b), out);
  same(out, whole, 'after two restores');
  assert.ok(accountsOf(again.state).stillPacked < back.state.accountCount);
});

test('a version-2 stage (its accounts a Map, the profiles sharing one empty list) is migrated into packed accounts, snapshots again, and finds what an uninterrupted run finds', async () => {
  const { ref, events } = await world;
  const whole: StageOutput = { findings: [], trades: [] };
  run(new AccountStage(ref, cfg), events, whole);
  const cut = Math.floor(events.length / 2);
  const out: StageOutput = { findings: [], trades: [] };
  const first = new AccountStage(ref, cfg);
  run(first, events.slice(0, cut), out);
  // the version-2 form: a plain Map, and the empty list one array that v8 kept shared
  const shared: number[] = [];
  const map = new Map([...accountsOf(first).liveEntries()].map(([k, st]) => {
    for (const [f, v] of Object.entries(st)) if (v === EMPTY) (st as Record<string, unknown>)[f] = shared;
    return [k, st];
  }));
  Object.assign(first, { accounts: map });
  const v2 = new SnapshotCodec({ externals: { ref, cfg }, version: 2, migrations: [] }).encode(first);
  const codec = () => new SnapshotCodec({ externals: { ref, cfg } });
  const back = codec().decode<AccountStage>(v2);
  assert.ok(back.ok, back.ok ? '' : back.reason);
  assert.ok(back.migrated.some((m) => m.startsWith('2->3')), back.migrated.join('; '));
  assert.ok(accountsOf(back.state) instanceof PackedMap);
  const again = codec().decode<AccountStage>(codec().encode(back.state));
  assert.ok(again.ok, again.ok ? '' : again.reason);
  run(again.state, events.slice(cut), out);
  same(out, whole, 'after a migrated restore');
});

test('a packed map\'s values share nothing but its anchors: another shared object is refused when the snapshot is written, an anchor stays one object', () => {
  const codec = new SnapshotCodec();
  const common = { n: 1 };
  const m = new PackedMap<string, { c: object }>();
  m.set('a', { c: common });
  m.set('b', { c: common });
  assert.throws(() => codec.encode({ m }), (e: unknown) => e instanceof SnapshotError && /shared by two values of a packed map/.test(e.message));
  const outside = new PackedMap<string, { c: object }>();
  outside.set('a', { c: common });
  assert.throws(() => codec.encode({ outside, common }), (e: unknown) => e instanceof SnapshotError && /held by a packed map's value and by the rest/.test(e.message));
  const anchored = new PackedMap<string, { c: object }>([common]);
  anchored.set('a', { c: common });
  anchored.set('b', { c: common });
  const r = codec.decode<{ anchored: PackedMap<string, { c: object }>; common: object }>(codec.encode({ anchored, common }));
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.equal(r.state.anchored.get('a')!.c, r.state.common);
  assert.equal(r.state.anchored.get('b')!.c, r.state.common);
  assert.equal(r.state.anchored.get('c'), undefined);
  assert.equal(r.state.anchored.size, 2);
});
