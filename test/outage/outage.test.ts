/**
 * The broker and ClickHouse go away in the middle of a replay and come back: the services wait
 * the outage out on their own (nobody restarts them), and ClickHouse ends with exactly the
 * findings, alerts and holds of an undisturbed run. Each outage is proved: the process was
 * running and was stopped, the endpoint refused every probe through the outage window, and work
 * was pending when it began. These stop shared services, so scripts/test.mjs runs this
 * directory on its own, after every other test.
 *
 * Without the project's own local services (Docker, or endpoints given) there is nothing this
 * test may stop: it is skipped with the reason printed to stderr, and KANSHI_REQUIRE_OUTAGE_TESTS=1
 * turns that skip into a failure.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { integrationEndpoints, uniqueName } from '../integration/harness.js';
import { localServices, type LocalService, type LocalServices } from '../integration/local-services.js';
import { rawRowCounts } from '../integration/outputs.js';
import { exited, ingestCommitted, pipelineLag, preparePipeline, spawnService, until, untilExactlyExpected, type Pipeline } from '../integration/pipeline-harness.js';

const CLICKHOUSE_OUTAGE_MS = 60_000;
const BROKER_OUTAGE_MS = 15_000;

const control = localServices(await integrationEndpoints());
let skip: string | false = false;
if (typeof control === 'string') {
  if (process.env.KANSHI_REQUIRE_OUTAGE_TESTS === '1') throw new Error(`KANSHI_REQUIRE_OUTAGE_TESTS=1, but the outage tests cannot run: ${control}`);
  skip = `outage tests SKIPPED, nothing was stopped: ${control}`;
  console.error(`\n!!! ${skip}\n!!! (run them with the local services of infra/local/up.sh; KANSHI_REQUIRE_OUTAGE_TESTS=1 makes this a failure)\n`);
}
const live = new Set<ChildProcess>();
// each service's log (warnings and errors), so that a service that exits on its own says why
const logDir = mkdtempSync(path.join(os.tmpdir(), 'kanshi-outage-'));
const logTail = (file: string) => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-12).join('\n');
  } catch {
    return '(no log)';
  }
};
const closers: (() => Promise<void>)[] = [];
after(async () => {
  // whatever happened, the services are left running for whoever comes next
  if (typeof control !== 'string') {
    for (const s of ['kafka', 'clickhouse'] as const) if (!(await control.answers(s))) await control.start(s).catch((e: unknown) => console.error(`could not restart ${s}: ${String(e)}`));
  }
  for (const c of live) c.kill('SIGKILL');
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

function startAll(p: Pipeline, name: string) {
  const groups = { ingest: uniqueName(`${name}_ingest`), detector: uniqueName(`${name}_detector`), alerter: uniqueName(`${name}_alerter`) };
  let stopping = false;
  const procs = (['ingest', 'detector', 'alerter'] as const).map((s) => {
    const c = spawnService(p, s, groups[s], {}, 'pipe');
    const log = path.join(logDir, `${name}-${s}.log`);
    c.stdout?.pipe(createWriteStream(log));
    live.add(c);
    // 'close': after the log's last line has come through
    c.once('close', (code, signal) => {
      live.delete(c);
      if (stopping) {
        // a clean stop is bounded: past it the service exits 1 (see untilSignal)
        if (code !== 0 && signal !== 'SIGTERM') console.error(`kanshi ${s} did not stop cleanly in time after the outage (code ${code})`);
      } else {
        console.error(`kanshi ${s} exited on its own (code ${code}, signal ${signal}): it should have waited the outage out. The end of its log (${log}):\n${logTail(log)}`);
      }
    });
    return c;
  });
  const [ingest] = procs;
  const crashed = () => procs.some((c) => c.exitCode !== null || c.signalCode !== null);
  return {
    groups,
    crashed,
    /** SIGSTOP: ingest keeps its place and its connections but does no work until thawed */
    freezeIngest: () => ingest.kill('SIGSTOP'),
    thawIngest: () => ingest.kill('SIGCONT'),
    async stop() {
      stopping = true;
      for (const c of procs) c.kill('SIGTERM');
      for (const c of procs) await exited(c);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops `s`, runs `refusing` once it refuses, holds the outage for `ms` probing the endpoint every
 * second (each probe must be refused), runs `during` once half-way, and starts `s` again (also
 * on a failure). Returns how many probes were refused.
 */
async function outage(t: TestContext, c: LocalServices, s: LocalService, ms: number, during: () => Promise<void> = async () => undefined, refusing: () => void = () => undefined): Promise<number> {
  await c.stop(s);
  refusing();
  const began = Date.now();
  let refused = 0, ran = false;
  try {
    while (Date.now() - began < ms) {
      assert.equal(await c.answers(s), false, `${s} answered ${Date.now() - began} ms into its outage: it was not down`);
      refused++;
      if (!ran && Date.now() - began >= ms / 2) {
        ran = true;
        await during();
      }
      await sleep(1_000);
    }
  } catch (e) {
    // the next test needs the service: back before the failure is reported
    await c.start(s).catch(() => undefined);
    throw e;
  }
  const down = Date.now() - began;
  await c.start(s);
  t.diagnostic(`${s} down for ${down} ms (and ${Date.now() - began - down} ms to start again): ${refused} probes refused`);
  assert.ok(refused >= ms / 2_000, `${s}: ${refused} probes through a ${ms} ms outage`);
  return refused;
}

test(`ClickHouse stopped for ${CLICKHOUSE_OUTAGE_MS / 1000} s during a replay: the services wait, then catch up, losing and doubling nothing`, { skip, timeout: 600_000 }, async (t) => {
  if (typeof control === 'string') return;
  // the whole input is in Kafka first, as in the broker test: ingest works through it from the
  // start and is never caught up before its end, so no quiet moment changes the event-time order
  // three times the usual input, so that the first archive is a small part of it
  const p = await preparePipeline('ch_outage', { accounts: 2400 });
  closers.push(() => p.close());
  const svc = startAll(p, 'cho');
  // ingest commits only what it archived: its first commit is the first archive, read from the
  // broker, which answers at once, where a count in a busy ClickHouse may take longer than the rest
  await until('the first events archived', async () => (await ingestCommitted(p, svc.groups.ingest)).committed > 0, 60_000, undefined, 50);
  // ClickHouse takes seconds to shut down and keeps taking writes meanwhile, time in which a fast
  // ingest archived the whole input (lag 0 half-way, so the outage tested nothing): ingest is
  // frozen from here until ClickHouse refuses, so the outage begins with this work still to do
  svc.freezeIngest();
  let thawed = false;
  const thaw = () => {
    if (!thawed) svc.thawIngest();
    thawed = true;
  };
  try {
    const atStop = await ingestCommitted(p, svc.groups.ingest);
    t.diagnostic(`at the ClickHouse stop: ${atStop.committed} input messages archived and committed, ${atStop.lag} still to do`);
    assert.ok(atStop.lag > 0, `work was pending when ClickHouse stopped (lag ${atStop.lag})`);
    await outage(
      t,
      control,
      'clickhouse',
      CLICKHOUSE_OUTAGE_MS,
      async () => {
        // ingest cannot archive, so it must not have committed the rest: work held up by the outage, buffered in Kafka
        const { lag } = await ingestCommitted(p, svc.groups.ingest);
        t.diagnostic(`half-way through the ClickHouse outage: ingest lag ${lag}`);
        assert.ok(lag > 0, `ingest held input it could not archive during the ClickHouse outage (lag ${lag})`);
      },
      thaw,
    );
  } finally {
    thaw();
  }
  assert.equal(svc.crashed(), false, 'no service exited during the outage');
  await untilExactlyExpected(p, 240_000, () => pipelineLag(p, svc.groups));
  assert.equal(svc.crashed(), false, 'no service exited while catching up');
  await svc.stop();
});

test(`the Kafka broker stopped for ${BROKER_OUTAGE_MS / 1000} s and restarted during a replay: the services reconnect, losing and doubling nothing`, { skip, timeout: 600_000 }, async (t) => {
  if (typeof control === 'string') return;
  const p = await preparePipeline('kafka_outage');
  closers.push(() => p.close());
  const svc = startAll(p, 'kfo');
  await until('the first events archived', async () => (await rawRowCounts(p, 'events_raw')).size > 0, 60_000);
  // the outage must begin with work still to do, or it tests nothing
  const archived = (await rawRowCounts(p, 'events_raw')).size;
  const written = (await rawRowCounts(p, 'findings')).size;
  t.diagnostic(`at the broker stop: ${archived} of ${p.want.eventIds.size} events archived, ${written} of ${p.want.emitted.length} finding revisions written`);
  assert.ok(archived < p.want.eventIds.size || written < p.want.emitted.length, 'work was pending when the broker stopped');
  await outage(t, control, 'kafka', BROKER_OUTAGE_MS);
  assert.equal(svc.crashed(), false, 'no service exited during the outage');
  await untilExactlyExpected(p, 240_000, () => pipelineLag(p, svc.groups));
  assert.equal(svc.crashed(), false, 'no service exited while catching up');
  await svc.stop();
});
