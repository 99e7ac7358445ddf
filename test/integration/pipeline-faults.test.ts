/**
 * The detector as separate processes: killed with SIGKILL half-way and started again, and two
 * instances sharing one consumer group, each end with exactly the findings `kanshi detect` gives.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { startIngest } from '@kanshi/ingest';
import { startAlerter } from '@kanshi/alerter';
import { uniqueName } from './harness.js';
import { exited, preparePipeline, sameSet, silent, spawnService, storedFindingIds, until, type Pipeline } from './pipeline-harness.js';

const closers: (() => Promise<void>)[] = [];
const children = new Set<ChildProcess>();
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

async function withIngestAndAlerter(name: string): Promise<Pipeline> {
  const p = await preparePipeline(name);
  closers.push(() => p.close());
  const ingest = await startIngest({ bus: p.bus, store: p.store, log: silent, topics: p.topics, groupId: uniqueName('it_ingest'), caughtUpPartitions: p.admin.caughtUpPartitions });
  closers.push(() => ingest.stop());
  const alerter = await startAlerter({ bus: p.bus, store: p.store, log: silent, topics: p.topics, groupId: uniqueName('it_alerter') });
  closers.push(() => alerter.stop());
  return p;
}

function detector(p: Pipeline, group: string): ChildProcess {
  const c = spawnService(p, 'detector', group);
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

async function stopGracefully(c: ChildProcess): Promise<void> {
  c.kill('SIGTERM');
  await exited(c);
}

async function assertExactlyDetect(p: Pipeline): Promise<void> {
  await until('ClickHouse to hold the findings kanshi detect gives', async () => sameSet(await storedFindingIds(p), p.expected));
  await new Promise((r) => setTimeout(r, 3_000));
  const c = await p.store.counts();
  assert.equal(c.findings.rows, c.findings.ids, 'no finding doubled');
  assert.ok(sameSet(await storedFindingIds(p), p.expected), 'none missing, none extra');
}

test('a detector killed with SIGKILL in the middle and started again ends with detect\'s findings, none missing, none doubled', async () => {
  const p = await withIngestAndAlerter('kill');
  const group = uniqueName('it_det_kill');
  const first = detector(p, group);
  await until('the first findings', async () => (await storedFindingIds(p)).size > 0);
  first.kill('SIGKILL');
  await exited(first);
  const partial = (await storedFindingIds(p)).size;
  const second = detector(p, group);
  await assertExactlyDetect(p);
  assert.ok(partial >= 1);
  await stopGracefully(second);
});

test('two detector instances in one group find what one finds', async () => {
  const p = await withIngestAndAlerter('two');
  const group = uniqueName('it_det_two');
  const a = detector(p, group);
  const b = detector(p, group);
  await assertExactlyDetect(p);
  await Promise.all([stopGracefully(a), stopGracefully(b)]);
});
