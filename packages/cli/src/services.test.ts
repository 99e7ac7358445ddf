import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

// A service whose clean stop hangs (a socket that never closes, as a kafkajs disconnect can)
const hanging = `
  const { untilSignal } = await import(${JSON.stringify(new URL('./services.js', import.meta.url).href)});
  setInterval(() => undefined, 1000);
  const signalled = untilSignal({ error: (o, m) => process.stderr.write(m + '\\n') }, 300);
  process.stdout.write('ready\\n');
  await signalled;
  await new Promise(() => undefined);
`;

test('a service whose clean stop hangs exits 1 after the stop timeout, saying so', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', hanging], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b) => { err += b; });
  // signalled only once its handlers are in place, whatever else it prints first
  let out = '';
  await new Promise<void>((resolve) => child.stdout.on('data', (b) => { out += b; if (out.includes('ready\n')) resolve(); }));
  const t0 = Date.now();
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 1);
  assert.match(err, /did not stop in time/);
  assert.ok(Date.now() - t0 < 10_000, 'well before the test gives up');
});
