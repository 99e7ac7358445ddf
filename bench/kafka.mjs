#!/usr/bin/env node
// Kafka path: ingest -> detector -> alerter over Avro on the local broker, events/s until the
// detector has folded in every event, against a bare kafkajs consumer that only decodes the same
// raw topics, in the same run. Needs Kafka and the registry (npm run infra:up, or env).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
const file = path.join(env.KANSHI_HOME ?? path.join(os.homedir(), '.kanshi'), 'endpoints.env');
if (existsSync(file)) for (const m of readFileSync(file, 'utf8').matchAll(/^([A-Z_]+)=(.*)$/gm)) env[m[1]] ??= m[2];
if (!env.KAFKA_BROKERS || !env.SCHEMA_REGISTRY_URL) {
  console.log(JSON.stringify({ skipped: 'no Kafka: set KAFKA_BROKERS and SCHEMA_REGISTRY_URL or run npm run infra:up' }));
  process.exit(0);
}
const imp = (p) => import(path.join(root, p));
const silent = { info() {}, warn() {} };
const { AvroSerde, KafkaBus, createKafka, ensureTopics, topicNames, topicTable } = await imp('packages/bus/dist/index.js');
const { publishEvents, readLines, replayFile, kafkaAdminHelpers } = await imp('packages/cli/dist/index.js');
const { parseEventLine, RejectedEvent } = await imp('packages/contract/dist/index.js');
const { startIngest } = await imp('services/ingest/dist/index.js');
const { loadReference, startDetector } = await imp('services/detector/dist/index.js');
const { startAlerter } = await imp('services/alerter/dist/index.js');

const data = process.argv[2];
const prefix = `bench_${Date.now().toString(36)}.`;
const brokers = env.KAFKA_BROKERS.split(',');
const kafka = createKafka({ brokers, clientId: 'kanshi-bench', logLevel: 'nothing' });
const admin = kafka.admin();
await admin.connect();

/** A topic namespace of its own, with its bus. */
async function namespace(p) {
  await ensureTopics(admin, { topics: topicTable(p) });
  const serde = await AvroSerde.create({ registryUrl: env.SCHEMA_REGISTRY_URL, topics: topicTable(p) });
  return { topics: topicNames(p), bus: new KafkaBus({ kafka, serde }) };
}

/** Ingest, detector and alerter in this process, as the services wire them; `startedAt` is after the reference load. */
async function startPipeline(bus, topics, groups, ingestOptions = {}) {
  const helpers = kafkaAdminHelpers({ kafkaBrokers: brokers }, topics);
  const reference = await loadReference(bus, topics, helpers.endOffsets);
  const startedAt = performance.now();
  const ingest = await startIngest({ ...ingestOptions, bus, store: null, log: silent, topics, groupId: `${groups}ingest`, caughtUpPartitions: helpers.caughtUpPartitions, knownSymbol: (s) => reference.ref.hasInstrument(s) });
  const detector = await startDetector({ bus, ref: reference.ref, log: silent, topics, groupId: `${groups}detector`, accountPartitions: helpers.accountPartitions, symbolPartitions: helpers.symbolPartitions });
  const alerter = await startAlerter({ bus, store: null, log: silent, topics, groupId: `${groups}alerter` });
  return {
    startedAt, ingest, detector, alerter,
    async stop() {
      await Promise.all([ingest.stop(), detector.stop(), alerter.stop()]);
      await reference.stop();
      await helpers.close();
    },
  };
}

const { topics, bus } = await namespace(prefix);
const files = { events: path.join(data, 'events.ndjson'), instruments: path.join(data, 'instruments.ndjson'), accounts: path.join(data, 'accounts.ndjson') };
process.stderr.write("kafka bench: replaying\n");
const replayed = await replayFile(bus, topics, files);
process.stderr.write(`kafka bench: ${replayed.sent} events in; bare consume\n`);
const N = replayed.sent;

// baseline: consume and decode the raw topics, nothing else
let decoded = 0;
const t0 = performance.now();
const raw = [topics.logins, topics.orders, topics.accountEvents];
const subs = await Promise.all(raw.map((t) => bus.subscribe(t, { groupId: `${prefix}bare.${t}`, commit: false }, (b) => { decoded += b.length; })));
while (decoded < N) await new Promise((r) => setTimeout(r, 20));
const bare = N / ((performance.now() - t0) / 1000);
await Promise.all(subs.map((s) => s.stop()));

process.stderr.write(`kafka bench: bare ${Math.round(bare)}/s; pipeline\n`);
// the pipeline, in one process: what the services do, without process start-up in the figure
const throughput = await startPipeline(bus, topics, prefix);
const { ingest, detector } = throughput;
const accepted = () => ingest.stats.accepted;
let lastLog = 0;
while (accepted() + ingest.stats.duplicates + ingest.stats.rejected < N || detector.stats().events < accepted()) {
  await new Promise((r) => setTimeout(r, 50));
  if (Date.now() - lastLog > 5_000) {
    lastLog = Date.now();
    process.stderr.write(`kafka bench: ingest ${JSON.stringify(ingest.stats)} detector ${JSON.stringify(detector.stats())}\n`);
  }
}
const pipeline = N / ((performance.now() - throughput.startedAt) / 1000);
await throughput.stop();

// Latency: a fresh namespace, the pipeline running first, then the events published at a fixed
// rate. A finding's latency is from the publish of its newest evidence event (the one that
// made it possible) to its arrival on the findings topic.
const RATE = 5_000;
const lp = `${prefix}lat.`;
const { topics: lt, bus: lbus } = await namespace(lp);
const empty = path.join(os.tmpdir(), `kanshi-bench-empty-${process.pid}.ndjson`);
(await import('node:fs')).writeFileSync(empty, '');
await replayFile(lbus, lt, { ...files, events: empty });
const latency = await startPipeline(lbus, lt, lp, process.env.KANSHI_BENCH_IDLE_MS ? { idleMs: Number(process.env.KANSHI_BENCH_IDLE_MS) } : {});
const { ingest: ling, detector: ldet, alerter: lalert } = latency;
const publishedAt = new Map();
const latencies = [];
const fsub = await lbus.subscribe(lt.findings, { groupId: `${lp}watch`, commit: false }, (batch) => {
  const now = performance.now();
  for (const d of batch) {
    if (!d.value || d.value instanceof RejectedEvent) continue;
    let newest = -1;
    for (const id of d.value.evidence ?? []) newest = Math.max(newest, publishedAt.get(id) ?? -1);
    if (newest >= 0) latencies.push(now - newest);
  }
});
await Promise.all([ling.ready, ldet.ready, lalert.ready, fsub.ready]);
process.stderr.write(`kafka bench: latency at ${RATE} events/s\n`);
const evs = [];
for await (const { line } of readLines(files.events)) {
  const e = parseEventLine(line);
  if (!(e instanceof RejectedEvent)) evs.push(e);
}
const TICK_MS = 50;
const perTick = RATE * TICK_MS / 1000;
const tStart = performance.now();
const inFlight = new Set();
for (let i = 0, tick = 0; i < evs.length; i += perTick, tick++) {
  const due = tStart + tick * TICK_MS;
  if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
  const slice = evs.slice(i, i + perTick);
  const at = performance.now();
  for (const e of slice) publishedAt.set(e.eventId, at);
  // a few ticks in flight, as a brokerage's producers would be: the rate is the publisher's, not the ack round trip's
  const sent = publishEvents(lbus, lt, slice).finally(() => inFlight.delete(sent));
  inFlight.add(sent);
  while (inFlight.size >= 4) await Promise.race(inFlight);
}
await Promise.all(inFlight);
const achieved = evs.length / ((performance.now() - tStart) / 1000);
const settle = performance.now() + 10_000;
while (ldet.stats().events < ling.stats.accepted || ling.stats.accepted + ling.stats.duplicates + ling.stats.rejected < evs.length) {
  if (performance.now() > settle) break;
  await new Promise((r) => setTimeout(r, 50));
}
await new Promise((r) => setTimeout(r, 2_000));
await fsub.stop();
await latency.stop();
await lbus.close();
latencies.sort((a, b) => a - b);
const q = (p) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]) : null);

await bus.close();
await admin.deleteTopics({ topics: [...topicTable(prefix), ...topicTable(lp)].map((t) => t.name) }).catch(() => undefined);
await admin.disconnect();
console.log(JSON.stringify({
  events: N, eventsPerSec: Math.round(pipeline), bareConsumePerSec: Math.round(bare), ratio: Number((pipeline / bare).toFixed(3)),
  latencyRatePerSec: Math.round(achieved), latencyFindings: latencies.length, p50LatencyMs: q(0.5), p99LatencyMs: q(0.99),
}));
process.exit(0);
