/**
 * ingest → detector → alerter on the real broker, registry and ClickHouse: a simulated incident
 * replayed into Kafka gives the findings `kanshi detect` gives, and the alert and the hold,
 * exactly once each.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert, Finding, Hold } from '@kanshi/contract';
import { startServices } from './foreign-harness.js';
import { preparePipeline, sameSet, storedFindingIds, until, watch, type Pipeline } from './pipeline-harness.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

test('a replayed incident flows through ingest, detector and alerter: detect\'s findings, alerts and holds, each once', async () => {
  const p: Pipeline = await preparePipeline('e2e');
  closers.push(() => p.close());
  const published = await watch<Finding>(p, p.topics.findings);
  closers.push(published.stop);
  const alerts = await watch<Alert>(p, p.topics.alerts);
  // the default policy is a dry run: its holds are on their own topic, none on account-holds
  const holds = await watch<Hold>(p, p.topics.accountHoldsDryRun);
  const enforced = await watch<Hold>(p, p.topics.accountHolds);
  closers.push(enforced.stop);
  closers.push(alerts.stop, holds.stop);

  // ingest, detector and alerter in this process, as foreign-producers.test.ts runs them too
  await startServices(p, closers);

  assert.ok(p.expected.size > 5, `the incident gives findings (${p.expected.size})`);
  await until('ClickHouse to hold the findings kanshi detect gives', async () => sameSet(await storedFindingIds(p), p.expected));
  await until('alerts and holds on their topics', () => alerts.got.length > 0 && holds.got.length > 0);
  // let anything that would be doubled arrive before counting
  await new Promise((r) => setTimeout(r, 3_000));

  const c = await p.store.counts();
  for (const table of ['findings', 'alerts', 'holds', 'events_raw'] as const) {
    assert.equal(c[table].rows, c[table].ids, `${table}: count() equals uniqExact(id) after FINAL`);
  }
  assert.ok(sameSet(await storedFindingIds(p), p.expected), 'no finding beyond detect\'s');
  const alertIds = alerts.got.map((d) => (d.value as Alert).alertId);
  assert.equal(new Set(alertIds).size, alertIds.length, 'each alert once on the topic');
  assert.equal(c.alerts.ids, alertIds.length);
  const holdIds = holds.got.map((d) => (d.value as Hold).holdId);
  assert.equal(new Set(holdIds).size, holdIds.length, 'each hold once on the topic');
  assert.equal(c.holds.ids, holdIds.length);
  for (const h of holds.got) assert.equal((h.value as Hold).mode, 'dry_run');
  assert.deepEqual(enforced.got, [], 'a dry run puts nothing on account-holds, the topic the order system acts on');
  const revisions = published.got.map((d) => `${(d.value as Finding).findingId}#${(d.value as Finding).revision}`);
  assert.equal(new Set(revisions).size, revisions.length, 'each revision of each finding once on the findings topic');
});
