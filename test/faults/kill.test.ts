/**
 * Every service killed with SIGKILL at random moments of a replay, five times each, and started
 * again: the findings, alerts and holds in ClickHouse are exactly those of an undisturbed run,
 * none lost, none doubled.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { AlertDesk } from '@kanshi/alerter';
import { DEFAULT_HOLD_POLICY } from '@kanshi/detection';
import { uniqueName } from '../integration/harness.js';
import { exited, preparePipeline, sameSet, setDifference, spawnService, storedFindingIds, until, type Pipeline } from '../integration/pipeline-harness.js';

const KILLS_PER_SERVICE = 5;
const live = new Set<ChildProcess>();
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of live) c.kill('SIGKILL');
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

/** Alerts an undisturbed alerter raises: per finding, each severity of high and above as first reached. */
function expectedAlerts(p: Pipeline): Set<string> {
  const desk = new AlertDesk(DEFAULT_HOLD_POLICY);
  const ids = new Set<string>();
  for (const f of p.emitted) {
    const a = desk.decide(f).alert;
    if (a) ids.add(a.alertId);
  }
  return ids;
}

async function ids(p: Pipeline, table: 'alerts' | 'holds'): Promise<Set<string>> {
  const id = table === 'alerts' ? 'alert_id' : 'hold_id';
  // read through the store's own client is not public; a findings-shaped query is enough here
  const r = await fetch(`${p.ep.clickhouseUrl}/?query=${encodeURIComponent(`SELECT ${id} FROM ${p.database}.${table} FINAL FORMAT TSV`)}`);
  return new Set((await r.text()).split('\n').filter(Boolean));
}

test(`ingest, detector and alerter each SIGKILLed ${KILLS_PER_SERVICE} times during a replay lose and double nothing`, { timeout: 600_000 }, async () => {
  const p = await preparePipeline('kills');
  closers.push(() => p.close());
  const groups = { ingest: uniqueName('k_ingest'), detector: uniqueName('k_detector'), alerter: uniqueName('k_alerter') };
  const procs: Record<keyof typeof groups, ChildProcess> = {} as never;
  const start = (s: keyof typeof groups) => {
    const c = spawnService(p, s, groups[s]);
    live.add(c);
    c.once('exit', () => live.delete(c));
    procs[s] = c;
  };
  for (const s of ['ingest', 'detector', 'alerter'] as const) start(s);

  // a fixed pseudo-random schedule: a failure can be reproduced
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const order = (['ingest', 'detector', 'alerter'] as const).flatMap((s) => Array.from({ length: KILLS_PER_SERVICE }, () => s));
  order.sort(() => next() - 0.5);
  for (const s of order) {
    await new Promise((r) => setTimeout(r, 300 + Math.floor(next() * 2_500)));
    procs[s].kill('SIGKILL');
    await exited(procs[s]);
    start(s);
  }

  const alerts = expectedAlerts(p);
  const lags = async () => {
    const rows = await Promise.all([
      ...[p.topics.logins, p.topics.orders, p.topics.accountEvents].map((t) => p.admin.groupLag(`${groups.ingest}.${t}`, t)),
      p.admin.groupLag(groups.alerter, p.topics.findings),
    ]);
    return rows.flat().filter((r) => r.lag > 0).map((r) => `${r.topic}/${r.partition} lag ${r.lag}`).join('; ') || 'no lag';
  };
  await until('the findings of an undisturbed run', async () => sameSet(await storedFindingIds(p), p.expected), 180_000,
    async () => `findings ${setDifference(await storedFindingIds(p), p.expected)}; ${await lags()}`);
  await until('its alerts and holds', async () => sameSet(await ids(p, 'alerts'), alerts) && sameSet(await ids(p, 'holds'), p.expectedHolds), 180_000,
    async () => `alerts ${setDifference(await ids(p, 'alerts'), alerts)}; holds ${setDifference(await ids(p, 'holds'), p.expectedHolds)}; ${await lags()}`);
  await new Promise((r) => setTimeout(r, 3_000));
  const c = await p.store.counts();
  for (const t of ['findings', 'alerts', 'holds', 'events_raw'] as const) assert.equal(c[t].rows, c[t].ids, `${t}: count() equals uniqExact(id)`);
  assert.ok(sameSet(await storedFindingIds(p), p.expected), 'findings: none lost, none extra');
  assert.ok(sameSet(await ids(p, 'alerts'), alerts), 'alerts: none lost, none extra');
  assert.ok(sameSet(await ids(p, 'holds'), p.expectedHolds), 'holds: none lost, none extra');
  for (const s of ['ingest', 'detector', 'alerter'] as const) {
    procs[s].kill('SIGTERM');
    await exited(procs[s]);
  }
});
