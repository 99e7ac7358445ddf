/**
 * A whole Kanshi pipeline on the test services, in its own topic namespace and database:
 * simulated data, what `kanshi detect` finds in it, and helpers to run and watch the services.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AvroSerde, KafkaBus, createKafka, ensureTopics, kafkaAdminHelpers, topicNames, topicTable, type Delivery, type TopicNames } from '@kanshi/bus';
import { publishEvents, readLines, replayFile, runDetect, type ReplayFiles } from '@kanshi/cli';
import { simulateToDir } from '@kanshi/simulator';
import { openStore, type Store } from '@kanshi/store';
import { parseEventLine, RejectedEvent, type Finding, type InputEvent } from '@kanshi/contract';
import { clickhouseQuery, integrationEndpoints, removeTestNamespace, uniqueName, withTimeout, type IntegrationEndpoints } from './harness.js';
import { AFTER_CRASHES, assertOutputs, recordWrites, expectedAlertList, findingContent, type Expected, type OutputPromise } from './outputs.js';

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
  /** everything an undisturbed run produces, with content: what assertOutputs compares with */
  want: Expected;
  files: ReplayFiles;
  close(): Promise<void>;
}

/**
 * Simulates a small brokerage with one incident, runs `kanshi detect` on it, and (unless told
 * not to) replays it into fresh topics.
 */
export async function preparePipeline(name: string, opts: { replay?: boolean; accounts?: number } = {}): Promise<Pipeline> {
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
  await recordWrites(ep.clickhouseUrl, database);
  const dir = mkdtempSync(path.join(os.tmpdir(), `kanshi-${name}-`));
  await simulateToDir(dir, { accounts: opts.accounts ?? 800, days: 4, seed: 5, incidents: 1 });
  const files = { events: path.join(dir, 'events.ndjson'), instruments: path.join(dir, 'instruments.ndjson'), accounts: path.join(dir, 'accounts.ndjson') };
  const detect = await runDetect({ ...files, out: path.join(dir, 'out'), quiet: true });
  if (opts.replay ?? true) await replayFile(bus, topics, files);
  const admin = kafkaAdminHelpers({ kafkaBrokers: ep.kafkaBrokers }, topics);
  const eventIds = new Set<string>();
  for await (const { line } of readLines(files.events)) {
    const ev = parseEventLine(line);
    if (!(ev instanceof RejectedEvent)) eventIds.add(ev.eventId);
  }
  return {
    ep, prefix, database, topics, bus, store, admin,
    expected: new Set(detect.findings.map((f) => f.findingId)),
    expectedHolds: new Set(detect.holds.map((h) => h.holdId)),
    emitted: detect.emitted,
    want: { findings: detect.findings, emitted: detect.emitted, alerts: expectedAlertList(detect.emitted), holds: detect.holds, eventIds },
    files,
    async close() {
      try {
        await bus.close();
        await admin.close();
        await store.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await removeTestNamespace(ep, { topicPrefix: prefix, database });
      }
    },
  };
}

/** Input published while the services run, as far as the test says: the events in file order, after the reference data. */
export interface Publisher {
  /** valid events in the file */
  readonly total: number;
  /** events published so far */
  readonly published: number;
  /** publishes the reference data (once) and the events up to the `upTo`-th */
  publishUpTo(upTo: number): Promise<void>;
}

export async function inputPublisher(p: Pipeline): Promise<Publisher> {
  const events: InputEvent[] = [];
  for await (const { line } of readLines(p.files.events)) {
    const ev = parseEventLine(line);
    if (!(ev instanceof RejectedEvent)) events.push(ev);
  }
  let published = 0;
  let refs = false;
  return {
    total: events.length,
    get published() {
      return published;
    },
    async publishUpTo(upTo: number) {
      if (!refs) {
        // replayFile with no events: instruments and accounts, as a replay sends them first
        const none = path.join(path.dirname(p.files.events), 'no-events.ndjson');
        writeFileSync(none, '');
        await replayFile(p.bus, p.topics, { ...p.files, events: none });
        refs = true;
      }
      const end = Math.min(events.length, Math.max(published, Math.floor(upTo)));
      if (end > published) await publishEvents(p.bus, p.topics, (async function* () { yield* events.slice(published, end); })());
      published = end;
    },
  };
}

/** Input events the ingest group has committed, over its three raw topics. */
export async function ingestCommitted(p: Pipeline, ingestGroup: string): Promise<{ committed: number; lag: number }> {
  const rows = await p.admin.ingestLag(ingestGroup);
  const ends = await Promise.all([p.topics.logins, p.topics.orders, p.topics.accountEvents].map((t) => p.admin.endOffsets(t)));
  const total = ends.flatMap((m) => [...m.values()]).reduce((a, b) => a + Number(b), 0);
  const lag = rows.reduce((a, r) => a + r.lag, 0);
  return { committed: total - lag, lag };
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
export async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 180_000, explain?: () => Promise<string>, pollMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) {
      const seen = explain ? `: ${await explain().catch((e: unknown) => `(could not explain: ${String(e)})`)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
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

/** `kanshi <service>` as its own process, in the pipeline's namespace; `stdout: 'pipe'` to read its log. */
export function spawnService(p: Pipeline, service: 'detector' | 'ingest' | 'alerter', group: string, env: Record<string, string> = {}, stdout: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  return spawn(process.execPath, [path.join(REPO, 'bin/kanshi.js'), service], {
    cwd: REPO,
    stdio: ['ignore', stdout, 'inherit'],
    env: {
      ...process.env, KAFKA_BROKERS: p.ep.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: p.ep.schemaRegistryUrl, CLICKHOUSE_URL: p.ep.clickhouseUrl,
      CLICKHOUSE_DATABASE: p.database, KANSHI_TOPIC_PREFIX: p.prefix, KANSHI_GROUP_ID: group, LOG_LEVEL: 'warn',
      // two instances on one machine: each its own ephemeral port for /metrics
      KANSHI_OPS_PORT: '0',
      ...env,
    },
  });
}

export function exited(c: ChildProcess): Promise<number | null> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code)));
}

/** Alerts an undisturbed alerter raises: per finding, each severity of high and above as first reached. */
export function expectedAlerts(p: Pick<Pipeline, 'emitted'>): Set<string> {
  return new Set(expectedAlertList(p.emitted).map((a) => a.alertId));
}

/** Alert or hold ids in ClickHouse, after merging. */
export async function storedIds(p: Pipeline, table: 'alerts' | 'holds'): Promise<Set<string>> {
  const id = table === 'alerts' ? 'alert_id' : 'hold_id';
  const rows = await clickhouseQuery(p.ep.clickhouseUrl, `SELECT ${id} FROM ${p.database}.${table} FINAL FORMAT TSV`);
  return new Set(rows.split('\n').filter(Boolean));
}

/**
 * Waits until ClickHouse holds exactly the findings (content and revision), alerts and holds of an
 * undisturbed run, lets anything still in flight arrive, then checks every output under the
 * promise `how` (outputs.ts). `explain` adds what a timeout message should say beyond the
 * differences (consumer lag, say).
 */
export async function untilExactlyExpected(p: Pipeline, timeoutMs = 180_000, explain: () => Promise<string> = async () => '', how: OutputPromise = AFTER_CRASHES): Promise<void> {
  const alerts = new Set(p.want.alerts.map((a) => a.alertId));
  const want = new Set(p.want.findings.map(findingContent));
  const storedContent = async () => new Set((await p.store.findings({ limit: 100_000 })).map(findingContent));
  // ClickHouse itself may be coming back: a refused read is "not yet"
  const safely = async (ok: () => Promise<boolean>) => ok().catch(() => false);
  await until('the findings of an undisturbed run, each at its last revision', () => safely(async () => sameSet(await storedContent(), want)), timeoutMs,
    async () => `findings ${setDifference(await storedFindingIds(p), p.expected)}; ${await describeChanged(p)}${await describeExtras(p)}${await explain()}`);
  await until('its alerts and holds', () => safely(async () => sameSet(await storedIds(p, 'alerts'), alerts) && sameSet(await storedIds(p, 'holds'), p.expectedHolds)), timeoutMs,
    async () => `alerts ${setDifference(await storedIds(p, 'alerts'), alerts)}; holds ${setDifference(await storedIds(p, 'holds'), p.expectedHolds)}; ${await explain()}`);
  // anything still in flight would show up now as a doubled or extra record
  await new Promise((r) => setTimeout(r, 3_000));
  await assertOutputs(p, p.want, how);
}

/** Findings stored under an expected id whose revision or content differs from detect's. */
async function describeChanged(p: Pipeline): Promise<string> {
  const want = new Map(p.want.findings.map((f) => [f.findingId, findingContent(f)]));
  const changed = (await p.store.findings({ limit: 100_000 })).filter((f) => want.has(f.findingId) && want.get(f.findingId) !== findingContent(f));
  return changed.slice(0, 2).map((f) => `changed ${findingContent(f)}, want ${want.get(f.findingId)}; `).join('') || '';
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

/**
 * Keeps the input `lead` (a share of it) ahead of what the ingest group has committed, topping
 * up every 25 ms, until `upTo` (a share) is published or `stop`. Ingest must never drain all
 * three streams before the end: in a quiet moment what comes next is taken in arrival order,
 * which can differ from kanshi detect's (README, "a paced replay").
 */
export function feedAhead(p: Pipeline, input: Publisher, ingestGroup: string, lead: number): { stop(): Promise<void>; error(): unknown } {
  let feeding = true;
  let failed: unknown;
  const loop = (async () => {
    while (feeding && input.published < input.total) {
      try {
        const now = await ingestCommitted(p, ingestGroup);
        if (input.published - now.committed < input.total * lead) await input.publishUpTo(now.committed + input.total * lead);
      } catch (e) {
        failed = e;
        return;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    async stop() {
      feeding = false;
      await loop;
    },
    error: () => failed,
  };
}
