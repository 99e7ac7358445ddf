/**
 * The detector as separate processes: killed with SIGKILL half-way (at its first published
 * finding, with revisions still to make) and started again, and two instances sharing one consumer group, each end with exactly the findings
 * `kanshi detect` gives. The detector publishes again what it rebuilds; the alerter must take
 * each revision once, so alerts, holds and every table as written stay exactly once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Finding } from '@kanshi/contract';
import { startIngest } from '@kanshi/ingest';
import { startAlerter } from '@kanshi/alerter';
import { uniqueName } from './harness.js';
import { readTopic, revisionKey, type OutputPromise } from './outputs.js';
import { exited, preparePipeline, silent, spawnService, until, untilExactlyExpected, type Pipeline } from './pipeline-harness.js';

/** Only the detector is disturbed: its findings may come again, nothing downstream may. */
const DETECTOR_FAULTS: OutputPromise = { findingsTopic: 'atLeastOnce', alerter: 'once', archive: 'once', holds: 'action' };

const closers: (() => Promise<void>)[] = [];
const children = new Set<ChildProcess>();
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

async function withIngestAndAlerter(p: Pipeline): Promise<void> {
  const ingest = await startIngest({ bus: p.bus, store: p.store, log: silent, topics: p.topics, groupId: uniqueName('it_ingest'), caughtUpPartitions: p.admin.caughtUpPartitions, endOffsets: p.admin.endOffsets });
  closers.push(() => ingest.stop());
  const alerter = await startAlerter({ bus: p.bus, store: p.store, log: silent, topics: p.topics, groupId: uniqueName('it_alerter') });
  closers.push(() => alerter.stop());
}

function detector(p: Pipeline, group: string, env: Record<string, string> = {}): ChildProcess {
  const c = spawnService(p, 'detector', group, env);
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

async function stopGracefully(c: ChildProcess): Promise<void> {
  c.kill('SIGTERM');
  await exited(c);
}

const records = async (p: Pipeline, topic: string) => [...(await p.admin.endOffsets(topic)).values()].reduce((a, b) => a + Number(b), 0);
const findingRecords = (p: Pipeline) => records(p, p.topics.findings);
/** a detector that rebuilds from the log on every start, as before checkpoints */
const NO_CHECKPOINTS = { KANSHI_SNAPSHOT_EVERY_EVENTS: '0', KANSHI_SNAPSHOT_INTERVAL_MS: '0' };

test('a detector killed with SIGKILL in the middle and started again ends with detect\'s findings, none missing, none doubled', async () => {
  // the whole input is in Kafka before anything runs, as in an undisturbed replay: the kill is
  // timed by progress (the first finding published), and must find work still to do
  const p = await preparePipeline('kill');
  closers.push(() => p.close());
  await withIngestAndAlerter(p);
  const group = uniqueName('it_det_kill');
  // this test is about the copies a rebuild publishes: no checkpoint may spare it them
  const first = detector(p, group, NO_CHECKPOINTS);
  await until('the first findings published', async () => (await findingRecords(p)) > 0, 120_000, undefined, 50);
  first.kill('SIGKILL');
  await exited(first);
  const before = new Set((await readTopic<Finding>(p, p.topics.findings)).map(revisionKey));
  const all = new Set(p.want.emitted.map(revisionKey));
  assert.ok(before.size > 0 && before.size < all.size, `killed in the middle: ${before.size} of ${all.size} finding revisions made before the kill`);
  assert.deepEqual([...before].filter((k) => !all.has(k)), [], 'only revisions kanshi detect makes were published before the kill');

  const second = detector(p, group, NO_CHECKPOINTS);
  await untilExactlyExpected(p, 180_000, undefined, DETECTOR_FAULTS);
  // the restart rebuilt from the log and published those revisions again: the alerter's
  // exactly-once above was tested against real copies, not an absence of them
  const copies = (await readTopic<Finding>(p, p.topics.findings)).filter((f) => before.has(revisionKey(f))).length;
  assert.ok(copies >= 2 * before.size, `the ${before.size} revisions made before the kill were published again (${copies} records)`);
  await stopGracefully(second);
});

test('a detector killed with SIGKILL between and during checkpoints restores them and ends with detect\'s findings, none missing, none doubled', async () => {
  const p = await preparePipeline('ckpt');
  closers.push(() => p.close());
  await withIngestAndAlerter(p);
  const group = uniqueName('it_det_ckpt');
  // snapshots every few hundred messages: the kill falls between two, or in the middle of one;
  // both on one machine, so the restart may take the local copies the kill left, where the changelog vouches for them
  const stateDir = mkdtempSync(path.join(tmpdir(), 'kanshi-it-state-'));
  closers.push(async () => rmSync(stateDir, { recursive: true, force: true }));
  const often = { KANSHI_SNAPSHOT_EVERY_EVENTS: '150', KANSHI_SNAPSHOT_INTERVAL_MS: '0', KANSHI_STATE_DIR: stateDir };
  const first = detector(p, group, often);
  await until('the first findings and snapshots published', async () => (await findingRecords(p)) > 0 && (await records(p, p.topics.detectorChangelog)) > 0, 120_000, undefined, 50);
  first.kill('SIGKILL');
  await exited(first);
  const before = new Set((await readTopic<Finding>(p, p.topics.findings)).map(revisionKey));
  assert.ok(before.size < p.want.emitted.length, 'killed with revisions still to make');
  const second = detector(p, group, often);
  await untilExactlyExpected(p, 180_000, undefined, DETECTOR_FAULTS);
  await stopGracefully(second);
});

test('two detector instances in one group find what one finds', async () => {
  const p = await preparePipeline('two');
  closers.push(() => p.close());
  await withIngestAndAlerter(p);
  const group = uniqueName('it_det_two');
  const a = detector(p, group);
  const b = detector(p, group);
  await untilExactlyExpected(p, 180_000, undefined, DETECTOR_FAULTS);
  await Promise.all([stopGracefully(a), stopGracefully(b)]);
});
