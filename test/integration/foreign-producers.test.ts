/**
 * Records from producers that are not Kanshi's code: the Apache Kafka Java client and librdkafka
 * (confluent-kafka, with Confluent's AvroSerializer and registry client), each publishing a
 * simulated brokerage to the raw and reference topics with all four codecs (gzip, snappy, lz4,
 * zstd), headers, idempotence, a transactional topic with an aborted transaction (Java), and an
 * evolved and an incompatible writer schema (librdkafka). The pipeline must end with exactly
 * `kanshi detect`'s findings, alerts and holds on the same data.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeadLetter } from '@kanshi/ingest';
import { clickhouseQuery } from './harness.js';
import { pipelineLag, preparePipeline, untilExactlyExpected, until, watch, type Pipeline } from './pipeline-harness.js';
import { foreignRecords, javaProducer, kafkaLibs, pythonProducer, run, schemaOf, schemaText, startServices, storedBatches, type Codec, type RawTopic } from './foreign-harness.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

const RAW: RawTopic[] = ['logins', 'orders', 'accountEvents', 'instruments', 'accounts'];

/** Every codec at least once per producer, on different topics for the two. */
const JAVA_CODECS: Record<RawTopic, Codec> = { logins: 'lz4', orders: 'zstd', accountEvents: 'snappy', instruments: 'gzip', accounts: 'lz4' };
const PYTHON_CODECS: Record<RawTopic, Codec> = { logins: 'zstd', orders: 'lz4', accountEvents: 'gzip', instruments: 'snappy', accounts: 'zstd' };

async function prepared(name: string): Promise<{ p: Pipeline; dir: string; input: string; records: number }> {
  const p = await preparePipeline(name, { replay: false });
  closers.push(() => p.close());
  const dir = mkdtempSync(path.join(os.tmpdir(), `kanshi-${name}-`));
  const input = path.join(dir, 'records.ndjson');
  const records = await foreignRecords(p, input);
  assert.ok(p.expected.size > 5, `the simulated incident gives findings to compare (${p.expected.size})`);
  return { p, dir, input, records };
}

function checkCodecs(p: Pipeline, codecs: Record<RawTopic, Codec>): void {
  for (const t of RAW) {
    const stored = storedBatches(p.topics[t]);
    assert.ok(stored.batches > 0, `${p.topics[t]} has record batches in the broker's log`);
    // librdkafka sends a batch uncompressed where compressing would not make it smaller
    assert.ok(stored.codecs.has(codecs[t]) && [...stored.codecs].every((c) => c === codecs[t] || c === 'none'),
      `${p.topics[t]}: batches are ${codecs[t]} (or, where that saves nothing, uncompressed); got ${[...stored.codecs].join(', ')}`);
  }
}

test('the Apache Kafka Java client: lz4, zstd, snappy and gzip, headers, a transactional topic with an aborted transaction: detect\'s findings, alerts and holds', async (t) => {
  const libs = kafkaLibs();
  if (!libs) return t.skip('no Kafka jars under $KANSHI_HOME/kafka/libs (infra/local installs them)');
  const started = Date.now();
  const classes = await javaProducer(libs);
  const { p, dir, input, records } = await prepared('foreign_java');
  // orders that must never be read: written in a transaction that is then aborted
  const aborted = Array.from({ length: 20 }, (_, i) => ({
    topic: p.topics.orders, key: 'aborted-account',
    value: { eventId: `aborted-${i}`, ts: Date.UTC(2025, 2, 3, 1, 0, i), accountId: 'aborted-account', orderId: `aborted-o${i}`, sessionId: null, channel: 'web', symbol: 'ABORTED', side: 'buy', orderType: 'market', quantity: 1e6, price: null, status: 'new', fillQuantity: null, fillPrice: null, currency: 'JPY' },
  }));
  const topics = Object.fromEntries(RAW.map((r) => [p.topics[r], { codec: JAVA_CODECS[r], schema: schemaText(schemaOf(r)), transactional: r === 'orders' || r === 'instruments' }]));
  const job = path.join(dir, 'job.json');
  writeFileSync(job, JSON.stringify({ brokers: p.ep.kafkaBrokers.join(','), registry: p.ep.schemaRegistryUrl, input, topics, aborted }));
  const t0 = Date.now();
  const said = JSON.parse((await run('java', ['-cp', `${libs}/*:${classes}`, 'ForeignProducer', job], 300_000)).trim().split('\n').at(-1)!) as { sent: number };
  const produceMs = Date.now() - t0;
  assert.equal(said.sent, records);
  checkCodecs(p, JAVA_CODECS);
  // instruments too: the reference is read to a log end that is a transaction marker
  for (const tp of [p.topics.orders, p.topics.instruments]) {
    const b = storedBatches(tp);
    assert.ok(b.transactional > 0 && b.control > 0, `${tp} was written in transactions (${b.transactional} transactional, ${b.control} control batches)`);
  }

  const t1 = Date.now();
  const s = await startServices(p, closers);
  await untilExactlyExpected(p, 240_000, () => pipelineLag(p, s.groups));
  const pipelineMs = Date.now() - t1;
  // committed past the transaction markers: a lag of one would never drain
  const lagging = (await p.admin.ingestLag(s.groups.ingest)).filter((l) => l.lag > 0);
  assert.deepEqual(lagging, [], 'ingest has committed every raw partition to its end, markers included');
  const leaked = await clickhouseQuery(p.ep.clickhouseUrl, `SELECT count() FROM ${p.database}.events_raw WHERE event_id LIKE 'aborted-%' FORMAT TSV`);
  assert.equal(leaked.trim(), '0', 'no record of the aborted transaction was read');
  t.diagnostic(`java: ${records} records produced in ${produceMs} ms, pipeline to detect's findings in ${pipelineMs} ms, whole test ${Date.now() - started} ms`);
});

test('librdkafka (confluent-kafka, Confluent\'s AvroSerializer): zstd, lz4, gzip and snappy, headers, an evolved and an incompatible writer schema: detect\'s findings, alerts and holds', async (t) => {
  if (!kafkaLibs()) return t.skip('the codec check reads infra/local\'s broker log');
  const started = Date.now();
  const python = await pythonProducer();
  const venvMs = Date.now() - started;
  const { p, dir, input, records } = await prepared('foreign_rdkafka');
  // v2 of Login: an optional field with a default, what a brokerage adds without asking
  const loginV2 = schemaText('login', (s) => s.fields.push({ name: 'venue', type: ['null', 'string'], default: null }));
  // incompatible: the required accountId is gone
  const broken = schemaText('login', (s) => { s.fields = s.fields.filter((f) => (f as { name: string }).name !== 'accountId'); });
  const extra = Array.from({ length: 3 }, (_, i) => ({
    topic: p.topics.logins, key: `incompatible-${i}`, schema: broken,
    value: { eventId: `incompatible-${i}`, ts: Date.UTC(2025, 2, 3, 0, 0, i), result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' },
  }));
  const topics = Object.fromEntries(RAW.map((r) => [p.topics[r], { codec: PYTHON_CODECS[r], schema: r === 'logins' ? loginV2 : schemaText(schemaOf(r)) }]));
  const job = path.join(dir, 'job.json');
  writeFileSync(job, JSON.stringify({ brokers: p.ep.kafkaBrokers.join(','), registry: p.ep.schemaRegistryUrl, input, topics, extra }));
  const dead = await watch<DeadLetter>(p, p.topics.deadLetter);
  closers.push(dead.stop);
  const t0 = Date.now();
  const said = JSON.parse((await run(python, [path.join('test/foreign/foreign_producer.py'), job], 300_000)).trim().split('\n').at(-1)!) as { sent: number; extra: number; failures: string[] };
  const produceMs = Date.now() - t0;
  assert.deepEqual(said.failures, []);
  assert.equal(said.sent, records);
  checkCodecs(p, PYTHON_CODECS);

  const t1 = Date.now();
  const s = await startServices(p, closers);
  await untilExactlyExpected(p, 240_000, () => pipelineLag(p, s.groups));
  const pipelineMs = Date.now() - t1;
  await until('the incompatible records dead-lettered', () => dead.got.filter((d) => (d.value as DeadLetter).eventId?.startsWith('incompatible-')).length === 3, 30_000);
  for (const d of dead.got.map((x) => x.value as DeadLetter).filter((v) => v.eventId?.startsWith('incompatible-'))) {
    assert.equal(d.field, 'accountId', `rejected for the field the writer schema lacks: ${d.reason}`);
  }
  t.diagnostic(`librdkafka: venv ready in ${venvMs} ms, ${records} records produced in ${produceMs} ms, pipeline to detect's findings in ${pipelineMs} ms, whole test ${Date.now() - started} ms`);
});
