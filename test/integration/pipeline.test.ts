/**
 * ingest → detector → alerter on the real broker, registry and ClickHouse: a simulated incident
 * replayed into Kafka gives the findings `kanshi detect` gives (each at its revision, with its
 * severity and accounts), and the alerts and holds derived from them, each record exactly once on
 * every topic and in every table as written.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServices } from './foreign-harness.js';
import { UNDISTURBED } from './outputs.js';
import { preparePipeline, untilExactlyExpected, type Pipeline } from './pipeline-harness.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

test('a replayed incident flows through ingest, detector and alerter: detect\'s findings, alerts and holds, each once', async () => {
  const p: Pipeline = await preparePipeline('e2e');
  closers.push(() => p.close());
  // ingest, detector and alerter in this process, as foreign-producers.test.ts runs them too
  await startServices(p, closers);

  assert.ok(p.want.findings.length > 5, `the incident gives findings (${p.want.findings.length})`);
  assert.ok(p.want.alerts.length > 0 && p.want.holds.length > 0, `and alerts (${p.want.alerts.length}) and holds (${p.want.holds.length})`);
  // nothing fails here, so nothing may come twice: not on a topic, not in a table as written;
  // the default policy is a dry run, so every hold is on the dry-run topic and none on
  // account-holds, the topic the order system acts on (outputs.ts, holdTopics)
  await untilExactlyExpected(p, 180_000, undefined, UNDISTURBED);
});
