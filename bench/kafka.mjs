#!/usr/bin/env node
// Kafka path: ingest -> detector -> alerter over Avro on the local broker, events/s until the
// detector has folded in every event, against a bare kafkajs consumer that only decodes the same
// raw topics, in the same run. Needs Kafka and the registry (npm run infra:up, or env).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaEnvOrSkip } from './kafka-env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = kafkaEnvOrSkip();
const imp = (p) => import(path.join(root, p));
const silent = { info() {}, warn() {} };
const { AvroSerde, KafkaBus, createKafka, ensureTopics, kafkaAdminHelpers, topicNames, topicTable } = await imp('packages/bus/dist/index.js');
const { replayFile } = await imp('packages/cli/dist/index.js');
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
// rate by bench/publisher.mjs, a process of its own as a brokerage's producers are. A finding's
// latency is from the publish of its newest evidence event (the one that made it possible) to
// its arrival on the findings topic, both timed in the publisher.
const RATE = 5_000;
const lp = `${prefix}lat.`;
const { topics: lt, bus: lbus } = await namespace(lp);
const empty = path.join(os.tmpdir(), `kanshi-bench-empty-${process.pid}.ndjson`);
(await import('node:fs')).writeFileSync(empty, '');
await replayFile(lbus, lt, { ...files, events: empty });
const latency = await startPipeline(lbus, lt, lp, process.env.KANSHI_BENCH_IDLE_MS ? { idleMs: Number(process.env.KANSHI_BENCH_IDLE_MS) } : {});
await Promise.all([latency.ingest.ready, latency.detector.ready, latency.alerter.ready]);
process.stderr.write(`kafka bench: latency at ${RATE} events/s\n`);
const { fork } = await import('node:child_process');
// the child's stdout goes to stderr: this process's stdout is the JSON result run.mjs parses
const publisher = fork(path.join(root, 'bench/publisher.mjs'), [files.events, lp, String(RATE)], { env: { ...process.env, ...env }, stdio: ['ignore', process.stderr, 'inherit', 'ipc'] });
const measured = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => {
    publisher.kill();
    reject(new Error('the latency publisher did not report within 5 minutes'));
  }, 300_000);
  publisher.once('message', (m) => {
    clearTimeout(timer);
    resolve(m);
  });
  // resolved already when it reported; otherwise it died first (a signal, a crash) and says so
  publisher.once('exit', (code, signal) => {
    clearTimeout(timer);
    setTimeout(() => reject(new Error(`the latency publisher exited (${code ?? signal}) before reporting`)), 500);
  });
});
await latency.stop();
await lbus.close();
const latencies = measured.latencies;
const achieved = measured.achieved;
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
