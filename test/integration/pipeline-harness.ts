/**
 * A whole Kanshi pipeline on the test services, in its own topic namespace and database:
 * simulated data, what `kanshi detect` finds in it, and helpers to run and watch the services.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AvroSerde, KafkaBus, createKafka, ensureTopics, topicNames, topicTable, type Delivery, type TopicNames } from '@kanshi/bus';
import { kafkaAdminHelpers, replayFile, runDetect } from '@kanshi/cli';
import { simulateToDir } from '@kanshi/simulator';
import { openStore, type Store } from '@kanshi/store';
import type { Finding } from '@kanshi/contract';
import { integrationEndpoints, uniqueName, withTimeout, type IntegrationEndpoints } from './harness.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const silent = { info: () => undefined, warn: () => undefined };

export interface Pipeline {
  ep: IntegrationEndpoints;
  prefix: string;
  database: string;
  topics: TopicNames;
  bus: KafkaBus;
  store: Store;
  admin: ReturnType<typeof kafkaAdminHelpers>;
  /** findingIds `kanshi detect` gives on the same file */
  expected: Set<string>;
  /** holdIds `kanshi detect` gives, and every finding revision it emitted (to derive alerts) */
  expectedHolds: Set<string>;
  emitted: Finding[];
  close(): Promise<void>;
}

/** Simulates a small brokerage with one incident, runs `kanshi detect` on it, replays it into fresh topics. */
export async function preparePipeline(name: string): Promise<Pipeline> {
  const ep = await integrationEndpoints();
  const prefix = `${uniqueName(name)}.`;
  const database = uniqueName(name);
  const topics = topicNames(prefix);
  const kafka = createKafka({ brokers: ep.kafkaBrokers, clientId: `kanshi-it-${name}`, logLevel: 'nothing' });
  const kadmin = kafka.admin();
  await withTimeout(kadmin.connect(), 30_000, 'Kafka admin');
  await ensureTopics(kadmin, { topics: topicTable(prefix) });
  await kadmin.disconnect();
  const bus = new KafkaBus({ kafka, serde: await AvroSerde.create({ registryUrl: ep.schemaRegistryUrl, topics: topicTable(prefix) }) });
  const store = await openStore({ url: ep.clickhouseUrl, database });
  await store.migrate();
  const dir = mkdtempSync(path.join(os.tmpdir(), `kanshi-${name}-`));
  await simulateToDir(dir, { accounts: 800, days: 4, seed: 5, incidents: 1 });
  const files = { events: path.join(dir, 'events.ndjson'), instruments: path.join(dir, 'instruments.ndjson'), accounts: path.join(dir, 'accounts.ndjson') };
  const detect = await runDetect({ ...files, out: path.join(dir, 'out'), quiet: true });
  await replayFile(bus, topics, files);
  const admin = kafkaAdminHelpers({ kafkaBrokers: ep.kafkaBrokers }, topics);
  return {
    ep, prefix, database, topics, bus, store, admin,
    expected: new Set(detect.findings.map((f) => f.findingId)),
    expectedHolds: new Set(detect.holds.map((h) => h.holdId)),
    emitted: detect.emitted,
    async close() {
      await bus.close();
      await admin.close();
      await store.close();
    },
  };
}

/** Collects a topic's messages from its start. */
export async function watch<V>(p: Pipeline, topic: string): Promise<{ got: Delivery<V>[]; stop: () => Promise<void> }> {
  const got: Delivery<V>[] = [];
  const sub = await p.bus.subscribe<V>(topic, { groupId: uniqueName('it_watch'), fromBeginning: true }, (b) => {
    got.push(...b);
  });
  return { got, stop: () => sub.stop() };
}

/** Polls `ok` until it holds; on timeout the error says what was awaited and, given `explain`, what was seen instead. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 180_000, explain?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) {
      const seen = explain ? `: ${await explain().catch((e: unknown) => `(could not explain: ${String(e)})`)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The findingIds in ClickHouse, after merging. */
export async function storedFindingIds(p: Pipeline): Promise<Set<string>> {
  return new Set((await p.store.findings({ limit: 100_000 })).map((f) => f.findingId));
}

/** What differs between what was got and what was wanted, for a failure message. */
export function setDifference(got: Set<string>, want: Set<string>): string {
  const missing = [...want].filter((x) => !got.has(x));
  const extra = [...got].filter((x) => !want.has(x));
  return `${got.size} of ${want.size}; missing ${missing.length} [${missing.slice(0, 5).join(', ')}], extra ${extra.length} [${extra.slice(0, 5).join(', ')}]`;
}

export function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** `kanshi <service>` as its own process, in the pipeline's namespace. */
export function spawnService(p: Pipeline, service: 'detector' | 'ingest' | 'alerter', group: string): ChildProcess {
  return spawn(process.execPath, [path.join(REPO, 'bin/kanshi.js'), service], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env, KAFKA_BROKERS: p.ep.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: p.ep.schemaRegistryUrl, CLICKHOUSE_URL: p.ep.clickhouseUrl,
      CLICKHOUSE_DATABASE: p.database, KANSHI_TOPIC_PREFIX: p.prefix, KANSHI_GROUP_ID: group, LOG_LEVEL: 'warn',
      // two instances on one machine: each its own ephemeral port for /metrics
      KANSHI_OPS_PORT: '0',
    },
  });
}

export function exited(c: ChildProcess): Promise<number | null> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code)));
}
