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
import { kafkaAdminHelpers, replayFile, runDetect, type ReplayFiles } from '@kanshi/cli';
import { simulateToDir } from '@kanshi/simulator';
import { openStore, type Store } from '@kanshi/store';
import assert from 'node:assert/strict';
import { AlertDesk } from '@kanshi/alerter';
import { DEFAULT_HOLD_POLICY } from '@kanshi/detection';
import type { Finding } from '@kanshi/contract';
import { clickhouseQuery, integrationEndpoints, removeTestNamespace, uniqueName, withTimeout, type IntegrationEndpoints } from './harness.js';

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
  files: ReplayFiles;
  close(): Promise<void>;
}

/**
 * Simulates a small brokerage with one incident, runs `kanshi detect` on it, and (unless told
 * not to) replays it into fresh topics.
 */
export async function preparePipeline(name: string, opts: { replay?: boolean } = {}): Promise<Pipeline> {
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
  if (opts.replay ?? true) await replayFile(bus, topics, files);
  const admin = kafkaAdminHelpers({ kafkaBrokers: ep.kafkaBrokers }, topics);
  return {
    ep, prefix, database, topics, bus, store, admin,
    expected: new Set(detect.findings.map((f) => f.findingId)),
    expectedHolds: new Set(detect.holds.map((h) => h.holdId)),
    emitted: detect.emitted,
    files,
    async close() {
      try {
        await bus.close();
        await admin.close();
        await store.close();
      } finally {
        await removeTestNamespace(ep, { topicPrefix: prefix, database });
      }
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

/** Alerts an undisturbed alerter raises: per finding, each severity of high and above as first reached. */
export function expectedAlerts(p: Pipeline): Set<string> {
  const desk = new AlertDesk(DEFAULT_HOLD_POLICY);
  const ids = new Set<string>();
  for (const f of p.emitted) {
    const a = desk.decide(f).alert;
    if (a) ids.add(a.alertId);
  }
  return ids;
}

/** Alert or hold ids in ClickHouse, after merging. */
export async function storedIds(p: Pipeline, table: 'alerts' | 'holds'): Promise<Set<string>> {
  const id = table === 'alerts' ? 'alert_id' : 'hold_id';
  const rows = await clickhouseQuery(p.ep.clickhouseUrl, `SELECT ${id} FROM ${p.database}.${table} FINAL FORMAT TSV`);
  return new Set(rows.split('\n').filter(Boolean));
}

/**
 * Waits until ClickHouse holds exactly the findings, alerts and holds of an undisturbed run, then
 * checks that nothing was doubled (`count()` equals `uniqExact(id)` after FINAL). `explain` adds
 * what a timeout message should say beyond the differences (consumer lag, say).
 */
export async function untilExactlyExpected(p: Pipeline, timeoutMs = 180_000, explain: () => Promise<string> = async () => ''): Promise<void> {
  const alerts = expectedAlerts(p);
  // ClickHouse itself may be coming back: a refused read is "not yet"
  const safely = async (ok: () => Promise<boolean>) => ok().catch(() => false);
  await until('the findings of an undisturbed run', () => safely(async () => sameSet(await storedFindingIds(p), p.expected)), timeoutMs,
    async () => `findings ${setDifference(await storedFindingIds(p), p.expected)}; ${await describeExtras(p)}${await explain()}`);
  await until('its alerts and holds', () => safely(async () => sameSet(await storedIds(p, 'alerts'), alerts) && sameSet(await storedIds(p, 'holds'), p.expectedHolds)), timeoutMs,
    async () => `alerts ${setDifference(await storedIds(p, 'alerts'), alerts)}; holds ${setDifference(await storedIds(p, 'holds'), p.expectedHolds)}; ${await explain()}`);
  // anything still in flight would show up now as a doubled or extra row
  await new Promise((r) => setTimeout(r, 3_000));
  const c = await p.store.counts();
  for (const t of ['findings', 'alerts', 'holds', 'events_raw'] as const) assert.equal(c[t].rows, c[t].ids, `${t}: count() equals uniqExact(id)`);
  assert.ok(sameSet(await storedFindingIds(p), p.expected), 'findings: none lost, none extra');
  assert.ok(sameSet(await storedIds(p, 'alerts'), alerts), 'alerts: none lost, none extra');
  assert.ok(sameSet(await storedIds(p, 'holds'), p.expectedHolds), 'holds: none lost, none extra');
}

/** What the findings no undisturbed run gives are about, to tell an ordering slip from a doubled input. */
async function describeExtras(p: Pipeline): Promise<string> {
  const extra = (await p.store.findings({ limit: 100_000 })).filter((f) => !p.expected.has(f.findingId));
  const near = (f: Finding) => p.emitted.filter((e) => e.kind === f.kind && e.accountIds.some((a) => f.accountIds.includes(a)) && e.symbols.join() === f.symbols.join());
  return extra.slice(0, 3).map((f) => {
    const twin = near(f).at(-1);
    const diff = twin ? ` (undisturbed: rev ${twin.revision}, ${twin.evidence.length} evidence, score ${twin.score}, id ${twin.findingId})` : ' (no undisturbed finding of that kind and subject)';
    return `extra ${f.kind} accounts ${f.accountIds.slice(0, 4).join(',')} symbols ${f.symbols.join(',')} rev ${f.revision} ${f.evidence.length} evidence score ${f.score}${diff}; `;
  }).join('');
}

/** Consumer lag of a pipeline's ingest and alerter groups, for a timeout message. */
export async function pipelineLag(p: Pipeline, groups: { ingest: string; alerter: string }): Promise<string> {
  const rows = [...await p.admin.ingestLag(groups.ingest), ...await p.admin.groupLag(groups.alerter, p.topics.findings)];
  return rows.filter((r) => r.lag > 0).map((r) => `${r.topic}/${r.partition} lag ${r.lag}`).join('; ') || 'no lag';
}
