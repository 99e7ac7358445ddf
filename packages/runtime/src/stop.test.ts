import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

// A service whose clean stop hangs (a socket that never closes, as a kafkajs disconnect can)
const hanging = (stopTimeoutMs: number) => `
  const { untilSignal } = await import(${JSON.stringify(new URL('./service.js', import.meta.url).href)});
  setInterval(() => undefined, 1000);
  const signalled = untilSignal({ error: (o, m) => process.stderr.write(m + '\\n') }, ${stopTimeoutMs});
  process.stdout.write('ready\\n');
  await signalled;
  await new Promise(() => undefined);
`;

/** The hanging service, started and signalled once its handlers are in place (whatever else it prints first). */
async function stopHanging(stopTimeoutMs: number, signals: NodeJS.Signals[]): Promise<{ code: number | null; err: string; ms: number }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', hanging(stopTimeoutMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b) => { err += b; });
  let out = '';
  await new Promise<void>((resolve) => child.stdout.on('data', (b) => { out += b; if (out.includes('ready\n')) resolve(); }));
  const t0 = Date.now();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  for (const s of signals) {
    child.kill(s);
    await new Promise((r) => setTimeout(r, 100));
  }
  const code = await exit;
  return { code, err, ms: Date.now() - t0 };
}

test('a service whose clean stop hangs exits 1 after the stop timeout, saying so', async () => {
  const r = await stopHanging(300, ['SIGTERM']);
  assert.equal(r.code, 1);
  assert.match(r.err, /did not stop in time/);
  assert.ok(r.ms < 10_000, 'well before the test gives up');
});

test('a second signal exits at once, without waiting out the stop timeout', async () => {
  const r = await stopHanging(60_000, ['SIGTERM', 'SIGINT']);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.err, /did not stop in time/);
  assert.ok(r.ms < 10_000, `exited after ${r.ms} ms`);
});

test('the stop sequence closes in order, skips absent steps, and a failing step neither stops the rest nor passes as clean', async () => {
  const { stopInOrder } = await import('./service.js');
  const done: string[] = [];
  const logged: string[] = [];
  const log = { error: (o: object, m?: string) => void logged.push(`${m} ${JSON.stringify(o)}`) };
  const step = (name: string, fail = false) => [name, async () => { done.push(name); if (fail) throw new Error(`${name} hung up`); }] as const;
  assert.equal(await stopInOrder(log, [step('consumers'), null, step('ops'), false, step('bus')]), 0);
  assert.deepEqual(done, ['consumers', 'ops', 'bus']);
  done.length = 0;
  assert.equal(await stopInOrder(log, [step('consumers'), step('store', true), step('bus')]), 1);
  assert.deepEqual(done, ['consumers', 'store', 'bus']);
  assert.equal(logged.length, 1);
  assert.match(logged[0], /failed to stop cleanly.*store hung up.*"step":"store"/);
});

test('a command that failed exits with its code even while a consumer or socket still holds the process', async () => {
  const script = (code: number) => `
    const { settleExit } = await import(${JSON.stringify(new URL('./service.js', import.meta.url).href)});
    setInterval(() => undefined, 1000);
    settleExit(${code});
  `;
  const run = (code: number) => new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script(code)], { stdio: 'ignore' });
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (c) => { clearTimeout(kill); resolve(c); });
  });
  assert.equal(await run(1), 1, 'the failed start half-way exits 1 instead of staying up');
  assert.equal(await run(3), 3);
});
