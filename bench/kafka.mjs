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
const { AvroSerde, KafkaBus, createKafka, ensureTopics, topicNames, topicTable } = await imp('packages/bus/dist/index.js');
const { replayFile, kafkaAdminHelpers } = await imp('packages/cli/dist/index.js');
const { startIngest } = await imp('services/ingest/dist/index.js');
const { loadReference, startDetector } = await imp('services/detector/dist/index.js');
const { startAlerter } = await imp('services/alerter/dist/index.js');

const data = process.argv[2];
const prefix = `bench_${Date.now().toString(36)}.`;
const topics = topicNames(prefix);
const brokers = env.KAFKA_BROKERS.split(',');
const kafka = createKafka({ brokers, clientId: 'kanshi-bench', logLevel: 'nothing' });
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, { topics: topicTable(prefix) });
const serde = await AvroSerde.create({ registryUrl: env.SCHEMA_REGISTRY_URL, topics: topicTable(prefix) });
const bus = new KafkaBus({ kafka, serde });
const files = { events: path.join(data, 'events.ndjson'), instruments: path.join(data, 'instruments.ndjson'), accounts: path.join(data, 'accounts.ndjson') };
process.stderr.write("kafka bench: replaying\n");
const replayed = await replayFile(bus, topics, files);
process.stderr.write(`kafka bench: ${replayed.sent} events in; bare consume\n`);
const N = replayed.sent;
const silent = { info() {}, warn() {} };

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
const helpers = kafkaAdminHelpers({ kafkaBrokers: brokers }, topics);
const reference = await loadReference(bus, topics, helpers.endOffsets);
const t1 = performance.now();
const ingest = await startIngest({ bus, store: null, log: silent, topics, groupId: `${prefix}ingest`, caughtUpPartitions: helpers.caughtUpPartitions, knownSymbol: (s) => reference.ref.hasInstrument(s) });
const detector = await startDetector({ bus, ref: reference.ref, log: silent, topics, groupId: `${prefix}detector`, accountPartitions: helpers.accountPartitions, symbolPartitions: helpers.symbolPartitions });
const alerter = await startAlerter({ bus, store: null, log: silent, topics, groupId: `${prefix}alerter` });
const accepted = () => ingest.stats.accepted;
let lastLog = 0;
while (accepted() + ingest.stats.duplicates + ingest.stats.rejected < N || detector.stats().events < accepted()) {
  await new Promise((r) => setTimeout(r, 50));
  if (Date.now() - lastLog > 5_000) {
    lastLog = Date.now();
    process.stderr.write(`kafka bench: ingest ${JSON.stringify(ingest.stats)} detector ${JSON.stringify(detector.stats())}\n`);
  }
}
const pipeline = N / ((performance.now() - t1) / 1000);
await Promise.all([ingest.stop(), detector.stop(), alerter.stop()]);
await reference.stop();
await helpers.close();
await bus.close();
await admin.deleteTopics({ topics: topicTable(prefix).map((t) => t.name) }).catch(() => undefined);
await admin.disconnect();
console.log(JSON.stringify({ events: N, eventsPerSec: Math.round(pipeline), bareConsumePerSec: Math.round(bare), ratio: Number((pipeline / bare).toFixed(3)) }));
process.exit(0);
