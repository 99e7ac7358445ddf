/**
 * The broker and ClickHouse go away in the middle of a replay and come back: the services wait
 * the outage out on their own (nobody restarts them), and ClickHouse ends with exactly the
 * findings, alerts and holds of an undisturbed run. These stop shared services, so
 * scripts/test.mjs runs this directory on its own, after every other test.
 */
import { after, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { integrationEndpoints, uniqueName } from '../integration/harness.js';
import { localServices } from '../integration/local-services.js';
import { exited, pipelineLag, preparePipeline, spawnService, until, untilExactlyExpected, type Pipeline } from '../integration/pipeline-harness.js';
import { replayFile } from '@kanshi/cli';

const CLICKHOUSE_OUTAGE_MS = 60_000;
const BROKER_OUTAGE_MS = 15_000;

const control = localServices(await integrationEndpoints());
const skip = typeof control === 'string' ? control : false;
const live = new Set<ChildProcess>();
const closers: (() => Promise<void>)[] = [];
after(async () => {
  // whatever happened, the services are left running for whoever comes next
  if (typeof control !== 'string') {
    await control.start('kafka').catch(() => undefined);
    await control.start('clickhouse').catch(() => undefined);
  }
  for (const c of live) c.kill('SIGKILL');
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

function startAll(p: Pipeline, name: string) {
  const groups = { ingest: uniqueName(`${name}_ingest`), detector: uniqueName(`${name}_detector`), alerter: uniqueName(`${name}_alerter`) };
  let stopping = false;
  const procs = (['ingest', 'detector', 'alerter'] as const).map((s) => {
    const c = spawnService(p, s, groups[s]);
    live.add(c);
    c.once('exit', (code, signal) => {
      live.delete(c);
      if (stopping) {
        // a clean stop is bounded: past it the service exits 1 (see untilSignal)
        if (code !== 0 && signal !== 'SIGTERM') console.error(`kanshi ${s} did not stop cleanly in time after the outage (code ${code})`);
      } else console.error(`kanshi ${s} exited on its own (code ${code}, signal ${signal}): it should have waited the outage out`);
    });
    return c;
  });
  const crashed = () => procs.some((c) => c.exitCode !== null);
  return {
    groups,
    crashed,
    async stop() {
      stopping = true;
      for (const c of procs) c.kill('SIGTERM');
      for (const c of procs) await exited(c);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`ClickHouse stopped for ${CLICKHOUSE_OUTAGE_MS / 1000} s during a replay: the services wait, then catch up, losing and doubling nothing`, { skip, timeout: 600_000 }, async () => {
  if (typeof control === 'string') return;
  const p = await preparePipeline('ch_outage', { replay: false });
  closers.push(() => p.close());
  const svc = startAll(p, 'cho');
  // the replay runs on into the outage: Kafka is the buffer while ClickHouse is away
  const replay = replayFile(p.bus, p.topics, p.files, 0);
  await until('the first events archived', async () => ((await p.store.counts().catch(() => null))?.events_raw.rows ?? 0) > 0, 60_000);
  await control.stop('clickhouse');
  await replay;
  await sleep(CLICKHOUSE_OUTAGE_MS);
  await control.start('clickhouse');
  await untilExactlyExpected(p, 240_000, () => pipelineLag(p, svc.groups));
  if (svc.crashed()) throw new Error('a service exited during the outage instead of waiting');
  await svc.stop();
});

test(`the Kafka broker stopped for ${BROKER_OUTAGE_MS / 1000} s and restarted during a replay: the services reconnect, losing and doubling nothing`, { skip, timeout: 600_000 }, async () => {
  if (typeof control === 'string') return;
  const p = await preparePipeline('kafka_outage');
  closers.push(() => p.close());
  const svc = startAll(p, 'kfo');
  await until('the first events archived', async () => (await p.store.counts()).events_raw.rows > 0, 60_000);
  await control.stop('kafka');
  await sleep(BROKER_OUTAGE_MS);
  await control.start('kafka');
  await untilExactlyExpected(p, 240_000, () => pipelineLag(p, svc.groups));
  if (svc.crashed()) throw new Error('a service exited during the outage instead of waiting');
  await svc.stop();
});
