#!/usr/bin/env node
// The latency figure's brokerage side, in a process of its own as a brokerage's producers would
// be: publishes a data set's events at a fixed rate to a namespace's raw topics and times each
// finding from the publish of its newest evidence event to its arrival on the findings topic.
// Started by bench/kafka.mjs with the namespace's pipeline already running; answers over IPC.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const imp = (p) => import(path.join(root, p));
const { AvroSerde, KafkaBus, createKafka, topicNames, topicTable } = await imp('packages/bus/dist/index.js');
const { publishEvents, readLines } = await imp('packages/cli/dist/index.js');
const { parseEventLine, RejectedEvent } = await imp('packages/contract/dist/index.js');

const [events, prefix, rateArg] = process.argv.slice(2);
const RATE = Number(rateArg);
const TICK_MS = 50;
const kafka = createKafka({ brokers: process.env.KAFKA_BROKERS.split(','), clientId: 'kanshi-bench-publisher', logLevel: 'nothing' });
const serde = await AvroSerde.create({ registryUrl: process.env.SCHEMA_REGISTRY_URL, topics: topicTable(prefix) });
const bus = new KafkaBus({ kafka, serde });
const topics = topicNames(prefix);

const evs = [];
for await (const { line } of readLines(events)) {
  const e = parseEventLine(line);
  if (!(e instanceof RejectedEvent)) evs.push(e);
}

// KANSHI_BENCH_TRACE=1: each finding's arrival (ms after the first publish) and latency, on stderr
const trace = Boolean(process.env.KANSHI_BENCH_TRACE);
let tStart = 0;
const publishedAt = new Map();
const latencies = [];
let lastFinding = performance.now();
const watch = await bus.subscribe(topics.findings, { groupId: `${prefix}watch`, commit: false }, (batch) => {
  const now = performance.now();
  lastFinding = now;
  for (const d of batch) {
    if (!d.value || d.value instanceof RejectedEvent) continue;
    let newest = -1;
    for (const id of d.value.evidence ?? []) newest = Math.max(newest, publishedAt.get(id) ?? -1);
    if (newest < 0) continue;
    latencies.push(now - newest);
    if (trace) process.stderr.write(`finding ${d.value.kind} at ${Math.round(now - tStart)} ms: ${Math.round(now - newest)} ms\n`);
  }
});
await watch.ready;

// a few ticks in flight, as a brokerage's producers would have: the rate is the publisher's, not the ack round trip's
const perTick = RATE * TICK_MS / 1000;
tStart = performance.now();
const inFlight = new Set();
for (let i = 0, tick = 0; i < evs.length; i += perTick, tick++) {
  const due = tStart + tick * TICK_MS;
  if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
  const slice = evs.slice(i, i + perTick);
  const at = performance.now();
  for (const e of slice) publishedAt.set(e.eventId, at);
  const sent = publishEvents(bus, topics, slice).finally(() => inFlight.delete(sent));
  inFlight.add(sent);
  while (inFlight.size >= 4) await Promise.race(inFlight);
}
await Promise.all(inFlight);
const achieved = evs.length / ((performance.now() - tStart) / 1000);

// done when no finding has come for 3 s (at most 20 s after the last publish)
const until = performance.now() + 20_000;
while (performance.now() - lastFinding < 3_000 && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
await watch.stop();
await bus.close();
process.send({ achieved, published: evs.length, latencies }, () => process.exit(0));
