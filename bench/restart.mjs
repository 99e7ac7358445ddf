#!/usr/bin/env node
// Restart: the time from a detector's start to caught up (both stages at the log ends as they
// were at its start) over 1x and 10x history in kanshi.events, the same accounts over 10x the
// days. With checkpoints a restart restores snapshots and replays nothing, so the figure should
// be flat in history (restart.ratio, 10x over 1x, target <= 1.5: the restart on the same machine,
// its state directory holding copies of the snapshots); beside it the restart from the changelog
// alone (restart.topicRatio: a partition moved to another machine) and the rebuild from the log
// that a detector without checkpoints does. Needs Kafka (npm run infra:up, or env).
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { kafkaEnvOrSkip } from './kafka-env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const env = kafkaEnvOrSkip();
const imp = (p) => import(path.join(root, p));
const { AvroSerde, KafkaBus, createKafka, ensureTopics, kafkaAdminHelpers, topicNames, topicTable } = await imp('packages/bus/dist/index.js');
const { RejectedEvent, validateAccount, validateEvent, validateInstrument } = await imp('packages/contract/dist/index.js');
const { ReferenceData, shardOf } = await imp('packages/detection/dist/index.js');
const { simulateToDir } = await imp('packages/simulator/dist/index.js');
const { startDetector } = await imp('services/detector/dist/index.js');

// ~20k and ~200k events for --quick, ~200k and ~2M for the full run (the figures)
const accounts = quick ? 3000 : 20_000;
// --days=A,B: other histories (an exploration, e.g. past the point where the profiles are full);
// restart.ratio in bench/README.md is the default pair's
const daysArg = process.argv.find((a) => a.startsWith('--days='));
const sizes = daysArg ? daysArg.slice(7).split(',').map(Number) : quick ? [2, 20] : [3, 30];
if (sizes.length !== 2 || !sizes.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`--days needs two whole numbers of days, got ${daysArg}`);
const brokers = env.KAFKA_BROKERS.split(',');
const kafka = createKafka({ brokers, clientId: 'kanshi-bench-restart', logLevel: 'nothing' });
const admin = kafka.admin();
await admin.connect();
const silent = { info() {}, warn() {} };
const say = (m) => process.stderr.write(`restart bench: ${m}\n`);

async function* lines(f) {
  for await (const l of readline.createInterface({ input: createReadStream(f), crlfDelay: Infinity })) if (l.trim()) yield JSON.parse(l);
}
async function readAll(f, validate) {
  const out = [];
  for await (const x of lines(f)) {
    const v = validate(x);
    if (!(v instanceof RejectedEvent)) out.push(v);
  }
  return out;
}

/** kanshi.events as ingest writes it: events by account partition, each stream's watermark to every partition as it goes. */
async function publishEvents(bus, topics, events, partitions) {
  let n = 0, maxTs = Number.NEGATIVE_INFINITY, chunk = [];
  const flush = async () => {
    chunk.sort((a, b) => a.partition - b.partition);
    for (let p = 0; p < partitions; p++) for (const source of ['login', 'order', 'account_event']) chunk.push({ key: null, partition: p, value: { kind: 'watermark', source, ts: maxTs } });
    await bus.publish(topics.events, chunk);
    chunk = [];
  };
  for await (const raw of lines(events)) {
    const e = validateEvent(raw);
    if (e instanceof RejectedEvent) continue;
    chunk.push({ key: e.accountId, partition: shardOf(e.accountId, partitions), value: { kind: 'event', event: e } });
    if (e.ts > maxTs) maxTs = e.ts;
    n++;
    if (chunk.length >= 5000) await flush();
  }
  if (chunk.length) await flush();
  const end = [];
  for (let p = 0; p < partitions; p++) for (const source of ['login', 'order', 'account_event']) end.push({ key: null, partition: p, value: { kind: 'watermark', source, ts: null } });
  await bus.publish(topics.events, end);
  return n;
}

/** Waits (bounded) until every partition of both stages has read to the ends `ends` names. */
async function caughtUp(detector, topics, ends, what, timeoutMs) {
  const t0 = Date.now();
  for (;;) {
    const at = new Map(detector.positions().map((p) => [`${p.topic}/${p.partition}`, p.next]));
    const behind = ends.filter(([k, end]) => end > 0n && (at.get(k) ?? 0n) < end);
    if (behind.length === 0) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not caught up within ${timeoutMs} ms (${behind.length} partitions behind, first ${behind[0][0]})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function measure(days) {
  const data = path.join(root, 'bench/data', `restart-${accounts}x${days}`);
  if (!existsSync(path.join(data, 'labels.json'))) {
    say(`simulating ${accounts} accounts x ${days} days into ${data}`);
    await simulateToDir(data, { accounts, days, seed: 42, messy: false });
  }
  const ref = new ReferenceData(await readAll(path.join(data, 'instruments.ndjson'), validateInstrument), await readAll(path.join(data, 'accounts.ndjson'), validateAccount));
  const prefix = `bench_rs_${Date.now().toString(36)}.`;
  const table = topicTable(prefix);
  // a broker busy deleting the last namespace's topics can take a while to host the new ones
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopics(admin, { topics: table });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      say(`creating the topics failed (${e.message}); again in 3 s`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
  const topics = topicNames(prefix);
  const bus = new KafkaBus({ kafka, serde: await AvroSerde.create({ registryUrl: env.SCHEMA_REGISTRY_URL, topics: table }) });
  const helpers = kafkaAdminHelpers({ kafkaBrokers: brokers }, topics);
  const base = { bus, ref, log: silent, topics, accountPartitions: helpers.accountPartitions, symbolPartitions: helpers.symbolPartitions };
  // the detector's state directory (KANSHI_STATE_DIR): the restart on the same machine finds its
  // snapshots there; the restart from the topic alone (a moved partition, a new machine) has none
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'kanshi-bench-restart-'));
  const checkpoints = { everyEvents: 100_000, intervalMs: 30_000, endOffsets: helpers.endOffsets, partitions: helpers.changelogPartitions, stateDir };
  const topicOnly = { ...checkpoints, stateDir: undefined };
  const endsOf = async (topic) => [...(await helpers.endOffsets(topic))].map(([p, e]) => [`${topic}/${p}`, e]);
  const ends = async () => [...(await endsOf(topics.events)), ...(await endsOf(topics.symbolSignals))];
  try {
    say(`${days} days: publishing kanshi.events`);
    const events = await publishEvents(bus, topics, path.join(data, 'events.ndjson'), helpers.accountPartitions);
    say(`${days} days: ${events} events; the first detector folds them in and snapshots`);
    let first = await startDetector({ ...base, groupId: `${prefix}det`, checkpoints });
    // stage 1 first: only then does kanshi.symbol-signals hold all stage 2 will read
    await caughtUp(first, topics, (await ends()).filter(([k]) => k.startsWith(topics.events)), 'the first detector, stage 1', 1_800_000);
    await caughtUp(first, topics, await ends(), 'the first detector', 1_800_000);
    await first.stop();
    // a restart is a new process: the stopped detector's state (10x: some hundred MB) must not
    // stay reachable, or the restart's collections mark it
    first = null;

    const restartOnce = async (group, cps) => {
      const target = await ends();
      const t0 = performance.now();
      // KANSHI_BENCH_LOG=1: the restarted detector's log on stderr, timed from its start
      const log = env.KANSHI_BENCH_LOG ? { info: (o, m) => say(`+${Math.round(performance.now() - t0)} ms ${m} ${JSON.stringify(o)}`), warn: (o, m) => say(`+${Math.round(performance.now() - t0)} ms WARN ${m} ${JSON.stringify(o)}`) } : silent;
      const d = await startDetector({ ...base, log, groupId: group, ...(cps ? { checkpoints: cps } : {}) });
      await caughtUp(d, topics, target, cps ? 'the restarted detector' : 'the rebuilding detector', 1_800_000);
      const seconds = (performance.now() - t0) / 1000;
      const stats = d.stats();
      await d.stop();
      return { seconds, stats };
    };
    say(`${days} days: restart on the checkpoints, on the same machine (the state directory's copies)`);
    const restart = await restartOnce(`${prefix}det`, checkpoints);
    const all = 2 * helpers.accountPartitions;
    if (restart.stats.checkpoints.restored < all) throw new Error(`only ${restart.stats.checkpoints.restored} partitions restored from checkpoints`);
    if (restart.stats.checkpoints.restoredLocal < all) throw new Error(`only ${restart.stats.checkpoints.restoredLocal} partitions restored from the local copies`);
    say(`${days} days: restart on the checkpoints from the changelog alone (a new machine)`);
    const fromTopic = await restartOnce(`${prefix}topic`, topicOnly);
    if (fromTopic.stats.checkpoints.restored < all || fromTopic.stats.checkpoints.restoredLocal > 0) throw new Error(`the restart from the changelog restored ${fromTopic.stats.checkpoints.restored} partitions, ${fromTopic.stats.checkpoints.restoredLocal} locally`);
    say(`${days} days: restart without checkpoints (rebuild from the log)`);
    const rebuild = await restartOnce(`${prefix}rebuild`, null);
    return { events, seconds: restart.seconds, topicSeconds: fromTopic.seconds, rebuildSeconds: rebuild.seconds, snapshotBytes: restart.stats.checkpoints.restoredBytes };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    await bus.close();
    await helpers.close();
    await admin.deleteTopics({ topics: table.map((t) => t.name) }).catch(() => undefined);
  }
}

const one = await measure(sizes[0]);
const ten = await measure(sizes[1]);
await admin.disconnect();
const r3 = (x) => Number(x.toFixed(3));
console.log(JSON.stringify({
  accounts, days: sizes, events1x: one.events, events10x: ten.events,
  seconds1x: r3(one.seconds), seconds10x: r3(ten.seconds), ratio: r3(ten.seconds / one.seconds),
  topicSeconds1x: r3(one.topicSeconds), topicSeconds10x: r3(ten.topicSeconds), topicRatio: r3(ten.topicSeconds / one.topicSeconds),
  rebuildSeconds1x: r3(one.rebuildSeconds), rebuildSeconds10x: r3(ten.rebuildSeconds), rebuildRatio: r3(ten.rebuildSeconds / one.rebuildSeconds),
  snapshotBytesPerAccount: Math.round((ten.snapshotBytes.accounts ?? 0) / accounts),
  snapshotBytesPerAccount1x: Math.round((one.snapshotBytes.accounts ?? 0) / accounts),
}));
process.exit(0);
