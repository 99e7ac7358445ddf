/**
 * What a pipeline produced, compared with what it should have: every record on the output topics
 * (read from their start, not deduplicated) and every row ClickHouse was sent (before merging),
 * against the findings, alerts and holds `kanshi detect` gives on the same input.
 *
 * The promise is per output (README, "Reliability"): with no crash or outage, the alerter's
 * topics and every table get each record once; after a crash or an outage they may get a record
 * again, always the same record under the same id, and what merges (ClickHouse FINAL, or the
 * distinct ids on a topic) is exactly the expected set. `copies` says which promise to check.
 */
import assert from 'node:assert/strict';
import { fromAvro, type Delivery } from '@kanshi/bus';
import type { Alert, Finding, Hold, Severity } from '@kanshi/contract';
import { deterministicId } from '@kanshi/detection';
import { clickhouseQuery, uniqueName } from './harness.js';
import type { Pipeline } from './pipeline-harness.js';

/** 'once': every id (findings: id and revision) exactly once; 'atLeastOnce': one or more identical copies. */
export type Copies = 'once' | 'atLeastOnce';

export interface OutputPromise {
  /** the findings topic: the detector publishes everything again on each start and rebalance */
  findingsTopic: Copies;
  /** alerts and account-holds topics, and the alerter's rows in ClickHouse (findings, alerts, holds, audit) */
  alerter: Copies;
  /** the archive (events_raw): ingest archives again what it had not committed */
  archive: Copies;
  /** holds compared in full, or by what the order system acts on (see holdAction) */
  holds: 'content' | 'action';
}

export const UNDISTURBED: OutputPromise = { findingsTopic: 'once', alerter: 'once', archive: 'once', holds: 'content' };
/** A crash or an outage anywhere: what was in flight may come again, never differently. */
export const AFTER_CRASHES: OutputPromise = { findingsTopic: 'atLeastOnce', alerter: 'atLeastOnce', archive: 'atLeastOnce', holds: 'action' };

/** The identity of a finding revision, the unit the findings topic and table promise. */
export const revisionKey = (f: Pick<Finding, 'findingId' | 'revision'>) => `${f.findingId}#${f.revision}`;

/** What of a finding must match `kanshi detect`'s: a finding stuck at an old revision, a changed severity or account list all differ. */
export function findingContent(f: Finding): string {
  return JSON.stringify([f.findingId, f.revision, f.kind, f.severity, f.score, [...f.accountIds].sort(), [...f.symbols].sort(), f.detectedAt, [...f.evidence].sort()]);
}

/** Everything of an alert but its summary, which is the alerter's prose. */
export function alertContent(a: Alert): string {
  return JSON.stringify([a.alertId, a.findingId, a.kind, a.severity, a.score, [...a.accountIds].sort(), [...a.symbols].sort(), a.at]);
}

/** Everything of a hold: what the order system acts on, and when and why it was decided. */
export function holdContent(h: Hold): string {
  return JSON.stringify([h.holdId, h.accountId, h.findingId, h.mode, h.at, h.reason]);
}

/**
 * What the order system acts on. After a detector restart or rebalance the findings of one
 * account reach the alerter in another order across the findings partitions, and the hold policy
 * (hold-policy/2) decides on the account's findings seen so far: the same hold, for the same
 * account, finding and mode, but possibly decided at another finding's instant and worded
 * differently. Faults are checked against this; an undisturbed run against all of holdContent.
 */
export function holdAction(h: Hold): string {
  return JSON.stringify([h.holdId, h.accountId, h.findingId, h.mode]);
}

/** Severity ranks as the contract orders them; written out here so a changed alert rule in the alerter cannot change what is expected. */
const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/**
 * The alerts the README promises for detect's revisions, derived here rather than by the
 * alerter's own desk: one per finding and severity reached, from high up, when the finding first
 * reaches it (an escalation is a new alert, a re-send is not), id `a_` + hash(findingId, severity).
 */
export function expectedAlertList(emitted: readonly Finding[]): Alert[] {
  const alerted = new Map<string, number>();
  const out: Alert[] = [];
  for (const f of emitted) {
    const level = RANK[f.severity];
    if (level < RANK.high || level <= (alerted.get(f.findingId) ?? -1)) continue;
    alerted.set(f.findingId, level);
    out.push({
      alertId: deterministicId('a', f.findingId, f.severity), findingId: f.findingId, kind: f.kind, severity: f.severity, score: f.score,
      accountIds: f.accountIds, symbols: f.symbols, at: f.detectedAt, summary: '',
    });
  }
  return out;
}

/**
 * Every record of `topic` from its start up to the end it has now, copies included: a consumer
 * of its own with no group history, read until each partition's end offset.
 */
export async function readTopic<V>(p: Pipeline, topic: string, timeoutMs = 60_000): Promise<V[]> {
  const ends = await p.admin.endOffsets(topic);
  const want = [...ends].filter(([, end]) => end > 0n);
  if (want.length === 0) return [];
  const got: Delivery<V>[] = [];
  const reached = new Set<number>();
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const sub = await p.bus.subscribe<V>(topic, { groupId: uniqueName('it_read'), fromBeginning: true, commit: false }, (batch) => {
    for (const d of batch) {
      const end = ends.get(d.partition) ?? 0n;
      if (BigInt(d.offset) >= end) continue;
      got.push(d);
      if (BigInt(d.offset) === end - 1n) reached.add(d.partition);
    }
    if (reached.size === want.length) done();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([all, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms reading ${topic} to its end: ${reached.size} of ${want.length} partitions read, ${got.length} records`)), timeoutMs);
    })]);
  } finally {
    clearTimeout(timer);
    await sub.stop();
  }
  return got.map((d) => fromAvro(d.value) as V);
}

/** Counts per key, and the keys whose copies differ from each other or from what was wanted. */
function tally<V>(records: readonly V[], key: (v: V) => string, content: (v: V) => string, want: ReadonlyMap<string, string>) {
  const copies = new Map<string, number>();
  const differing: string[] = [];
  for (const r of records) {
    const k = key(r);
    copies.set(k, (copies.get(k) ?? 0) + 1);
    const w = want.get(k);
    if (w !== undefined && content(r) !== w) differing.push(`${k}: got ${content(r)}, want ${w}`);
  }
  return { copies, differing };
}

/**
 * Asserts that `records` hold each wanted key (`once`: exactly one record; `atLeastOnce`: one
 * or more), no other key, and every copy equal to what was wanted.
 */
export function assertCopies<V>(what: string, records: readonly V[], key: (v: V) => string, content: (v: V) => string, want: readonly V[], copies: Copies): void {
  const wanted = new Map(want.map((w) => [key(w), content(w)]));
  const t = tally(records, key, content, wanted);
  const missing = [...wanted.keys()].filter((k) => !t.copies.has(k));
  const extra = [...t.copies.keys()].filter((k) => !wanted.has(k));
  const doubled = [...t.copies].filter(([, n]) => n > 1);
  assert.deepEqual({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }, { missing: [], extra: [] },
    `${what}: ${t.copies.size} keys in ${records.length} records, ${wanted.size} expected; missing ${missing.length}, extra ${extra.length}`);
  assert.deepEqual(t.differing.slice(0, 3), [], `${what}: ${t.differing.length} records differ from the expected ones`);
  if (copies === 'once') {
    assert.deepEqual(doubled.slice(0, 5), [], `${what}: each exactly once, but ${doubled.length} came more than once`);
  }
}

type WrittenTable = 'findings' | 'alerts' | 'holds' | 'audit_log' | 'events_raw';
const WRITE_KEY: Record<WrittenTable, string> = {
  findings: "concat(finding_id, '#', toString(revision))", alerts: 'alert_id', holds: 'hold_id', audit_log: 'audit_id', events_raw: 'event_id',
};

/**
 * Keeps the key of every row inserted into each table, before any merge: the tables are
 * ReplacingMergeTree, and a background merge (not only FINAL) folds a doubled write away, so
 * counting the tables themselves can miss one. A materialized view sees each inserted block;
 * its plain MergeTree never folds. Made before the services start, in the test's own database.
 */
export async function recordWrites(clickhouseUrl: string, database: string): Promise<void> {
  for (const [table, key] of Object.entries(WRITE_KEY)) {
    // database comes from uniqueName: [A-Za-z0-9_] only
    await clickhouseQuery(clickhouseUrl, `CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.written_${table} ENGINE = MergeTree() ORDER BY k AS SELECT ${key} AS k FROM ${database}.${table}`);
  }
}

/** Rows per key as inserted into a table (see recordWrites). */
export async function rawRowCounts(p: Pipeline, table: WrittenTable): Promise<Map<string, number>> {
  const tsv = await clickhouseQuery(p.ep.clickhouseUrl, `SELECT k, count() FROM ${p.database}.written_${table} GROUP BY k FORMAT TSV`);
  return new Map(tsv.split('\n').filter(Boolean).map((l) => {
    const [k, n] = l.split('\t');
    return [k, Number(n)];
  }));
}

/** Asserts raw row counts: each expected key present (`once`: exactly one row), none other. */
export function assertRawRows(what: string, rows: ReadonlyMap<string, number>, want: ReadonlySet<string>, copies: Copies): void {
  const missing = [...want].filter((k) => !rows.has(k));
  const extra = [...rows.keys()].filter((k) => !want.has(k));
  const doubled = [...rows].filter(([, n]) => n > 1);
  assert.deepEqual({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }, { missing: [], extra: [] },
    `${what} (rows as written, before merging): ${rows.size} keys, ${want.size} expected; missing ${missing.length}, extra ${extra.length}`);
  if (copies === 'once') {
    assert.deepEqual(doubled.slice(0, 5), [], `${what}: each row written once, but ${doubled.length} keys have more than one row (${[...rows.values()].reduce((a, b) => a + b, 0)} rows)`);
  }
}

/** What ClickHouse holds after merging (FINAL), and what the expected versions are. */
async function mergedRows<V>(p: Pipeline, table: 'alerts' | 'holds'): Promise<V[]> {
  const cols = table === 'alerts'
    ? "alert_id AS alertId, finding_id AS findingId, kind, severity, score, account_ids AS accountIds, symbols, toUInt64(toUInt32(at)) * 1000 + at_ms AS at, summary"
    : "hold_id AS holdId, account_id AS accountId, finding_id AS findingId, toUInt64(toUInt32(at)) * 1000 + at_ms AS at, mode, reason";
  const out = await clickhouseQuery(p.ep.clickhouseUrl, `SELECT ${cols} FROM ${p.database}.${table} FINAL FORMAT JSONEachRow`);
  return out.split('\n').filter(Boolean).map((l) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    return { ...r, at: Number(r.at), ...(table === 'alerts' ? { score: Number(r.score) } : {}) } as V;
  });
}

/** The keys of every event `kanshi detect` took, which is what ingest archives. */
export interface Expected {
  findings: readonly Finding[];
  emitted: readonly Finding[];
  alerts: readonly Alert[];
  holds: readonly Hold[];
  eventIds: ReadonlySet<string>;
}

/**
 * Everything a run produced, checked against `kanshi detect`'s: the merged findings, alerts and
 * holds in ClickHouse (content, not only ids), every record on the findings, alerts and
 * account-holds topics, and every row as written, each under the promise `how` names.
 */
export async function assertOutputs(p: Pipeline, want: Expected, how: OutputPromise): Promise<void> {
  // merged: what an investigator reads, exactly detect's
  const stored = await p.store.findings({ limit: 100_000 });
  assertCopies('ClickHouse findings (FINAL) vs kanshi detect', stored, (f) => f.findingId, findingContent, want.findings, 'once');
  assertCopies('ClickHouse alerts (FINAL) vs expected', await mergedRows<Alert>(p, 'alerts'), (a) => a.alertId, alertContent, want.alerts, 'once');
  const hold = how.holds === 'content' ? holdContent : holdAction;
  assertCopies('ClickHouse holds (FINAL) vs expected', await mergedRows<Hold>(p, 'holds'), (h) => h.holdId, hold, want.holds, 'once');

  // the topics as their consumers see them: every record, copies counted
  assertCopies('findings topic, per id and revision', await readTopic<Finding>(p, p.topics.findings), revisionKey, findingContent, want.emitted, how.findingsTopic);
  assertCopies('alerts topic', await readTopic<Alert>(p, p.topics.alerts), (a) => a.alertId, alertContent, want.alerts, how.alerter);
  for (const topic of holdTopics(p)) {
    assertCopies(`${topic} topic`, await readTopic<Hold>(p, topic), (h) => h.holdId, hold, want.holds.filter((h) => holdTopicOf(p, h) === topic), how.alerter);
  }

  // rows as written: the claim about writes, which FINAL would hide
  assertRawRows('findings table, per id and revision', await rawRowCounts(p, 'findings'), new Set(want.emitted.map(revisionKey)), how.alerter);
  assertRawRows('alerts table', await rawRowCounts(p, 'alerts'), new Set(want.alerts.map((a) => a.alertId)), how.alerter);
  assertRawRows('holds table', await rawRowCounts(p, 'holds'), new Set(want.holds.map((h) => h.holdId)), how.alerter);
  const audit = await rawRowCounts(p, 'audit_log');
  assert.equal(audit.size, want.alerts.length + want.holds.length, 'audit log: one entry per alert and hold');
  if (how.alerter === 'once') assert.deepEqual([...audit].filter(([, n]) => n > 1), [], 'audit log: each entry written once');
  assertRawRows('archive (events_raw)', await rawRowCounts(p, 'events_raw'), want.eventIds, how.archive);
}

/**
 * The topics holds go to. One today (`account-holds`, told apart by `mode`); a deployment that
 * gives dry runs a topic of their own names it with "Holds" in the key, and each hold is looked
 * for on its own.
 */
export function holdTopics(p: Pipeline): string[] {
  return Object.entries(p.topics).filter(([k]) => /holds/i.test(k)).map(([, v]) => v);
}

function holdTopicOf(p: Pipeline, h: Hold): string {
  const topics = Object.entries(p.topics).filter(([k]) => /holds/i.test(k));
  if (topics.length === 1) return topics[0][1];
  const dry = topics.find(([k]) => /dry/i.test(k));
  return (h.mode === 'dry_run' && dry ? dry : topics.find(([k]) => !/dry/i.test(k))!)[1];
}
