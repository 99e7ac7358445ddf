import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InMemoryBus, topicNames, type Bus, type BusMessage, type EventsMessage } from '@kanshi/bus';
import { RejectedEvent, validateAccount, validateEvent, validateInstrument, type Finding } from '@kanshi/contract';
import { ReferenceData } from '@kanshi/detection';
import { simulateToDir } from '@kanshi/simulator';
import { DETECTION_MIGRATIONS, DETECTION_STATE_VERSION } from '@kanshi/detection';
import type { CheckpointOptions } from './checkpointing.js';
import { startDetector, type DetectorOptions } from './service.js';

const T = topicNames('cp.');

function lines<X>(file: string, validate: (x: unknown) => X | RejectedEvent): X[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => validate(JSON.parse(l))).filter((x): x is X => !(x instanceof RejectedEvent));
}

/** kanshi.events as ingest writes it for a simulated brokerage: events, and each stream's watermark as it goes. */
const world = (async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-cp-'));
  try {
    await simulateToDir(dir, { accounts: 600, days: 2, seed: 5, messy: false, scenarios: ['jp-march-2025-wave', 'hk-2024-ramp'] });
    const instruments = lines(path.join(dir, 'instruments.ndjson'), validateInstrument);
    const accounts = lines(path.join(dir, 'accounts.ndjson'), validateAccount);
    const events = lines(path.join(dir, 'events.ndjson'), (x) => validateEvent(x)).sort((a, b) => a.ts - b.ts || (a.eventId < b.eventId ? -1 : 1));
    const messages: EventsMessage[] = [];
    events.forEach((event, i) => {
      messages.push({ kind: 'event', event });
      if (i % 250 === 249) for (const source of ['login', 'order', 'account_event'] as const) messages.push({ kind: 'watermark', source, ts: event.ts });
    });
    for (const source of ['login', 'order', 'account_event'] as const) messages.push({ kind: 'watermark', source, ts: null });
    return { ref: () => new ReferenceData(instruments, accounts), events: events.length, messages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

/** The in-memory bus, counting what each topic holds: the end offsets a checkpoint store reads to. */
function memory() {
  const inner = new InMemoryBus({ maxBatch: 200, retainMessages: 1e9 });
  const counts = new Map<string, number>();
  const bus: Bus = {
    publish: async <V>(topic: string, msgs: readonly BusMessage<V>[]) => {
      counts.set(topic, (counts.get(topic) ?? 0) + msgs.length);
      await inner.publish(topic, msgs);
    },
    subscribe: (topic, o, h) => inner.subscribe(topic, o, h),
    close: () => inner.close(),
  };
  const endOffsets = async (topic: string) => new Map([[0, BigInt(counts.get(topic) ?? 0)]]);
  const read = async <V>(topic: string) => {
    const got: { key: string | null; value: V }[] = [];
    const sub = await inner.subscribe<V>(topic, { groupId: `read-${Math.random()}` }, (b) => { for (const d of b) got.push({ key: d.key, value: d.value as V }); });
    await inner.idle();
    await sub.stop();
    return got;
  };
  return { inner, bus, endOffsets, read };
}

function recorder() {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, log: { info: (_: object, m?: string) => infos.push(m ?? ''), warn: (o: object, m?: string) => warnings.push(`${m} ${JSON.stringify(o)}`) } };
}

const distinct = (fs: { value: Finding }[]) => new Set(fs.map((f) => JSON.stringify(f.value)));

async function uninterrupted(): Promise<Set<string>> {
  const { ref, messages } = await world;
  const m = memory();
  const d = await startDetector({ bus: m.bus, ref: ref(), log: recorder().log, topics: T, accountPartitions: 1, symbolPartitions: 1 });
  await m.bus.publish(T.events, messages.map((value) => ({ key: null, value })));
  await m.inner.idle();
  await d.stop();
  return distinct(await m.read<Finding>(T.findings));
}
const want = uninterrupted();

/** Half the log through one detector, which stops; the rest through a new one (a new group: Kafka's re-read from 0). */
async function restarted(tamper?: (m: ReturnType<typeof memory>) => Promise<void>, secondOptions: Partial<DetectorOptions> = {}, secondState?: CheckpointOptions['state'], stateDir?: string) {
  const { ref, messages } = await world;
  const m = memory();
  const checkpoints = { everyEvents: 60, intervalMs: 0, endOffsets: m.endOffsets, partitions: 1, stateDir };
  const first = await startDetector({ bus: m.bus, ref: ref(), log: recorder().log, topics: T, groupId: 'one', accountPartitions: 1, symbolPartitions: 1, checkpoints });
  const cut = Math.floor(messages.length * 0.55);
  await m.bus.publish(T.events, messages.slice(0, cut).map((value) => ({ key: null, value })));
  await m.inner.idle();
  await first.stop();
  const written = first.stats().checkpoints!;
  await tamper?.(m);
  const rec = recorder();
  const second = await startDetector({ bus: m.bus, ref: ref(), log: rec.log, topics: T, groupId: 'two', accountPartitions: 1, symbolPartitions: 1, checkpoints: { ...checkpoints, state: secondState }, ...secondOptions });
  await m.bus.publish(T.events, messages.slice(cut).map((value) => ({ key: null, value })));
  await m.inner.idle();
  await second.stop();
  return { got: distinct(await m.read<Finding>(T.findings)), written, second: second.stats(), rec };
}

test('a detector restarted on its checkpoints takes the log on from them and finds exactly what an uninterrupted one finds', async () => {
  const { events } = await world;
  const whole = await want;
  assert.ok([...whole].some((f) => f.includes('"pump_campaign"')) && [...whole].some((f) => f.includes('"account_takeover"')), 'both stages find something');
  const r = await restarted();
  assert.ok(r.written.writes >= 4, `snapshots were written (${r.written.writes})`);
  assert.deepEqual(r.rec.warnings, []);
  assert.equal(r.second.checkpoints!.restored, 2, 'stage 1 and stage 2 restored');
  const { messages } = await world;
  const tail = messages.slice(Math.floor(messages.length * 0.55)).filter((x) => x.kind === 'event').length;
  assert.equal(r.second.events, tail, `a graceful stop snapshots everything: the restart reads only what came after (${r.second.events} of ${events} events)`);
  assert.deepEqual([...r.got].sort(), [...whole].sort());
});

test('a corrupted checkpoint is refused with a warning, and the partition is rebuilt from the log with the same findings', async () => {
  const { events } = await world;
  const r = await restarted(async (m) => {
    // every chunk of both slots with one byte changed: the checksum no longer matches
    const latest = new Map((await m.read<{ kind: string; data?: string }>(T.detectorChangelog)).map((x) => [x.key, x.value]));
    const bad = [...latest].filter(([, v]) => v?.kind === 'chunk').map(([key, v]) => {
      const data = Buffer.from(v.data!, 'base64');
      data[data.length >> 1] ^= 0x01;
      return { key, partition: 0, value: { ...v, data: data.toString('base64') } };
    });
    assert.ok(bad.length >= 2);
    await m.bus.publish(T.detectorChangelog, bad);
  });
  assert.equal(r.second.checkpoints!.restored, 0);
  assert.ok(r.rec.warnings.some((w) => /checkpoint refused: rebuilding.*corrupted/.test(w)), r.rec.warnings.join('\n'));
  assert.equal(r.second.events, events, 'rebuilt from the start of the log');
  assert.deepEqual([...r.got].sort(), [...(await want)].sort());
});

test('without its newest checkpoints a detector restores the older slot and replays the log after it, with the same findings', async () => {
  const { messages } = await world;
  const tail = messages.slice(Math.floor(messages.length * 0.55)).filter((x) => x.kind === 'event').length;
  const r = await restarted(async (m) => {
    // the snapshots a graceful stop wrote last, gone as if the stop had been a SIGKILL before them
    const manifests = new Map<string, { offset: string; seq: number }>();
    for (const x of await m.read<{ kind: string; offset: string; seq: number }>(T.detectorChangelog)) if (x.value?.kind === 'manifest') manifests.set(x.key!, x.value);
    const newest = new Map<string, string>();
    for (const [key, v] of manifests) {
      const task = key.split('#')[0];
      const other = newest.get(task);
      if (!other || BigInt(manifests.get(other)!.offset) < BigInt(v.offset)) newest.set(task, key);
    }
    assert.equal(newest.size, 2, 'stage 1 and stage 2 each wrote snapshots');
    await m.bus.publish(T.detectorChangelog, [...newest.values()].map((key) => ({ key, partition: 0, value: null })));
  });
  assert.equal(r.second.checkpoints!.restored, 2);
  assert.deepEqual(r.rec.warnings, []);
  assert.ok(r.second.events > tail, `the log after the older snapshot was replayed (${r.second.events} events, ${tail} after the stop)`);
  assert.deepEqual([...r.got].sort(), [...(await want)].sort());
});

test('a checkpoint written under another lateness is refused: the partition is rebuilt under the new one', async () => {
  const { events } = await world;
  const r = await restarted(undefined, { maxLatenessMs: 60_000 });
  assert.equal(r.second.checkpoints!.restored, 0);
  assert.equal(r.rec.warnings.filter((w) => /checkpoint refused: rebuilding.*another detection config, lateness or partition count/.test(w)).length, 2, r.rec.warnings.join('\n'));
  assert.equal(r.second.events, events, 'rebuilt from the start of the log');
});

// A detector whose state layout version moved on: the snapshots of the one before are migrated
// when the registry has the step, rebuilt from the log when not; a log line says which.
const next = DETECTION_STATE_VERSION + 1;

test('a detector one state version on migrates the snapshots of the one before with a registered step, says so, and takes the log on from them', async () => {
  const { messages } = await world;
  const tail = messages.slice(Math.floor(messages.length * 0.55)).filter((x) => x.kind === 'event').length;
  const touched: string[] = [];
  const step = { from: DETECTION_STATE_VERSION, what: 'AccountTask: republished copies counted anew', migrate: (s: { each(n: string, fn: (f: Record<string, unknown>) => void): void }) => {
    s.each('AccountTask', (f) => { f.republished = 0; touched.push('AccountTask'); });
    return undefined;
  } };
  const r = await restarted(undefined, {}, { version: next, migrations: [...DETECTION_MIGRATIONS, step] });
  assert.equal(r.second.checkpoints!.restored, 2, 'both stages restored');
  assert.deepEqual(touched, ['AccountTask'], 'the step ran on the stage-1 snapshot');
  assert.equal(r.rec.infos.filter((m) => m === 'checkpoint of an older state layout migrated, not rebuilt').length, 2, r.rec.infos.join('\n'));
  assert.deepEqual(r.rec.warnings, []);
  assert.equal(r.second.events, tail, 'nothing replayed but what came after the stop');
  assert.deepEqual([...r.got].sort(), [...(await want)].sort());
});

test('a detector one state version on without a step from the one before rebuilds its partitions from the log, the warning naming the missing step', async () => {
  const { events } = await world;
  const r = await restarted(undefined, {}, { version: next, migrations: DETECTION_MIGRATIONS });
  assert.equal(r.second.checkpoints!.restored, 0);
  const refused = r.rec.warnings.filter((w) => w.startsWith('checkpoint refused: rebuilding the partition from the log') && w.includes(`no migration from ${DETECTION_STATE_VERSION} to ${next} is registered`));
  assert.equal(refused.length, 2, r.rec.warnings.join('\n'));
  assert.equal(r.second.events, events, 'rebuilt from the start of the log');
  assert.deepEqual([...r.got].sort(), [...(await want)].sort());
});

// Local copies (KANSHI_STATE_DIR): a restart on the same machine restores from them when the
// changelog shows nothing was written after them, and from the changelog otherwise.
async function withStateDir(tamper: (m: ReturnType<typeof memory>, dir: string) => Promise<void> = async () => undefined) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-state-'));
  try {
    return await restarted((m) => tamper(m, dir), {}, undefined, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const tailEvents = async () => {
  const { messages } = await world;
  return messages.slice(Math.floor(messages.length * 0.55)).filter((x) => x.kind === 'event').length;
};

test('a detector restarted on the same machine restores both stages from its local copies, replays only what came after, and finds exactly what an uninterrupted one finds', async () => {
  const r = await withStateDir();
  assert.equal(r.second.checkpoints!.restored, 2);
  assert.equal(r.second.checkpoints!.restoredLocal, 2, 'the final snapshots of both stages, on one changelog partition, are both confirmed at the stop');
  assert.deepEqual(r.rec.warnings, []);
  assert.equal(r.second.events, await tailEvents());
  assert.deepEqual([...r.got].sort(), [...(await want)].sort());
});

test('local copies the changelog has moved past are not used: the partitions restore from the changelog, with the same findings', async () => {
  const r = await withStateDir(async (m) => {
    // another instance's snapshot of some task, written after the stop: the changelog's end moves
    await m.bus.publish(T.detectorChangelog, [{ key: 'accounts/9#a', partition: 0, value: null }]);
  });
  assert.equal(r.second.checkpoints!.restored, 2);
  assert.equal(r.second.checkpoints!.restoredLocal, 0);
  assert.equal(r.rec.infos.filter((x) => x === 'local snapshot not used: restoring from the changelog').length, 2, r.rec.infos.join('\n'));
  assert.deepEqual(r.rec.warnings, []);
  assert.deepEqual([...r.got].sort(), [...(await want)].sort());
});

test('a corrupted local copy is refused with a warning and the changelog\'s snapshot restored instead, with the same findings', async () => {
  const r = await withStateDir(async (_m, dir) => {
    const [sub] = readdirSync(dir);
    const file = path.join(dir, sub, 'accounts-0.snap');
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(file, bytes);
  });
  assert.equal(r.second.checkpoints!.restored, 2);
  assert.equal(r.second.checkpoints!.restoredLocal, 1, 'stage 2 from its copy, stage 1 from the changelog');
  assert.ok(r.rec.warnings.some((w) => /^local snapshot refused: restoring from the changelog.*corrupted/.test(w)), r.rec.warnings.join('\n'));
  assert.equal(r.second.events, await tailEvents(), 'the changelog\'s snapshot is as new: nothing more replayed');
  assert.deepEqual([...r.got].sort(), [...(await want)].sort());
});

test('a restart that restores locally and writes nothing leaves its copies standing: the next restart restores them too', async () => {
  const { ref, messages } = await world;
  const m = memory();
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-state-'));
  try {
    const checkpoints = { everyEvents: 60, intervalMs: 0, endOffsets: m.endOffsets, partitions: 1, stateDir: dir };
    const start = async (group: string) => {
      const rec = recorder();
      const d = await startDetector({ bus: m.bus, ref: ref(), log: rec.log, topics: T, groupId: group, accountPartitions: 1, symbolPartitions: 1, checkpoints });
      return { d, rec };
    };
    const first = await start('one');
    await m.bus.publish(T.events, messages.slice(0, 2000).map((value) => ({ key: null, value })));
    await m.inner.idle();
    await first.d.stop();
    for (const group of ['two', 'three']) {
      const again = await start(group);
      await m.inner.idle();
      await again.d.stop();
      assert.equal(again.d.stats().checkpoints!.restoredLocal, 2, `${group}: both stages from their copies`);
      assert.deepEqual(again.rec.warnings, []);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
