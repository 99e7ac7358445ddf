import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumerHealth } from '@kanshi/bus';
import { ServiceHealth } from './health.js';

const consumer = (over: Partial<ConsumerHealth> = {}): ConsumerHealth => ({
  topic: 'logins', groupId: 'g', state: 'running', reason: null, restarting: false, crashes: 0, lastFetchAt: 0, inBatchSince: null, ...over,
});

function setup(consumers: ConsumerHealth[]) {
  let now = 0;
  const exits: number[] = [];
  const errors: string[] = [];
  const h = new ServiceHealth({ log: { error: (o, m) => errors.push(`${m} ${JSON.stringify(o)}`) }, stallMs: 10_000, exitAfterMs: 5_000, exit: (c) => exits.push(c), clock: () => now });
  h.watchConsumers(() => consumers);
  return { h, exits, errors, at: (t: number) => { now = t; } };
}

test('ready while every consumer runs and fetches; a crash, a stall or a fault says why', () => {
  const c = [consumer()];
  const s = setup(c);
  s.at(9_000);
  assert.deepEqual(s.h.readiness().detail.reasons, []);
  assert.ok(s.h.readiness().ok);
  s.at(11_000);
  assert.match(s.h.readiness().detail.reasons[0], /consumer of logins \(group g\) has not fetched for 11000 ms/);
  c[0] = consumer({ lastFetchAt: 11_000, inBatchSince: 0 });
  s.at(30_000);
  assert.ok(s.h.readiness().ok, 'a batch in hand (waiting out a database outage) is not a stall');
  c[0] = consumer({ state: 'crashed', reason: 'KafkaJSNotImplemented: LZ4 compression not implemented', crashes: 1 });
  assert.deepEqual(s.h.readiness().detail.reasons, ['consumer of logins (group g) crashed and will not restart: KafkaJSNotImplemented: LZ4 compression not implemented']);
  c[0] = consumer({ lastFetchAt: 30_000 });
  s.h.fault('unhandled rejection: Error: boom');
  assert.deepEqual(s.h.readiness().detail.reasons, ['unhandled rejection: Error: boom']);
});

test('unready for exitAfterMs exits 1, each reason logged once; a requested stop never exits', () => {
  const c = [consumer({ state: 'crashed', reason: 'KafkaJSNumberOfRetriesExceeded: gone', restarting: true })];
  const s = setup(c);
  for (let t = 0; t <= 4_000; t += 1_000) { s.at(t); s.h.check(); }
  assert.deepEqual(s.exits, []);
  assert.equal(s.errors.filter((e) => e.startsWith('not ready ')).length, 1, 'the reason once, not every second');
  s.at(5_000);
  s.h.check();
  assert.deepEqual(s.exits, [1]);
  assert.match(s.errors.at(-1)!, /not ready for too long; exiting 1/);

  const quiet = setup([consumer({ state: 'crashed', reason: 'x' })]);
  quiet.h.stop();
  for (let t = 0; t <= 60_000; t += 1_000) { quiet.at(t); quiet.h.check(); }
  assert.deepEqual(quiet.exits, []);
  assert.deepEqual(quiet.h.readiness().detail.reasons, ['stopping']);
});

test('a consumer that recovers clears the clock: only an unbroken unready spell counts', () => {
  const c = [consumer({ state: 'crashed', reason: 'x', restarting: true })];
  const s = setup(c);
  for (let t = 0; t <= 4_000; t += 1_000) { s.at(t); s.h.check(); }
  c[0] = consumer({ lastFetchAt: 4_500 });
  s.at(5_000); s.h.check();
  c[0] = consumer({ state: 'crashed', reason: 'x', restarting: true });
  for (let t = 6_000; t <= 10_000; t += 1_000) { s.at(t); s.h.check(); }
  assert.deepEqual(s.exits, []);
  s.at(11_000); s.h.check();
  assert.deepEqual(s.exits, [1]);
});

test('an unhandled rejection is logged with its stack and fails readiness; the process goes on', async () => {
  const { spawn } = await import('node:child_process');
  const script = `
    const { ServiceHealth } = await import(${JSON.stringify(new URL('./health.js', import.meta.url).href)});
    const h = new ServiceHealth({ log: { error: (o, m) => process.stderr.write(m + ' ' + JSON.stringify(o) + '\\n') }, stallMs: 60000, exitAfterMs: 60000 });
    h.installProcessHandlers();
    Promise.reject(new Error('webhook URL is malformed'));
    setTimeout(() => { process.stdout.write(JSON.stringify(h.readiness())); }, 50);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (b) => { out += b; });
  child.stderr.on('data', (b) => { err += b; });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(code, 0, `the process was not killed by the rejection: ${err}`);
  assert.match(err, /unhandled promise rejection .*webhook URL is malformed.*"stack"/);
  const r = JSON.parse(out) as { ok: boolean; detail: { reasons: string[] } };
  assert.equal(r.ok, false);
  assert.deepEqual(r.detail.reasons, ['unhandled rejection: Error: webhook URL is malformed']);
});
