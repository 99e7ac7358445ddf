/**
 * Each service's main, as `kanshi <service>` and `node services/<name>/dist/main.js` call it:
 * a bad config is exit 2 and one line naming the variable, before anything is connected, and it
 * reads the environment it is given, not process.env.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { main as alerter } from '@kanshi/alerter/main';
import { main as detector } from '@kanshi/detector/main';
import { main as ingest } from '@kanshi/ingest/main';

const MAINS = { ingest, detector, alerter };

async function run(main: (argv: string[], env: NodeJS.ProcessEnv) => Promise<number>, env: NodeJS.ProcessEnv): Promise<{ code: number; err: string }> {
  const said: string[] = [];
  const error = console.error;
  const before = process.env.KAFKA_BROKERS;
  // a process.env that would connect somewhere: main must not fall back to it
  process.env.KAFKA_BROKERS = '127.0.0.1:9';
  console.error = (...a: unknown[]) => void said.push(a.join(' '));
  try {
    return { code: await main([], env), err: said.join('\n') };
  } finally {
    console.error = error;
    if (before === undefined) delete process.env.KAFKA_BROKERS;
    else process.env.KAFKA_BROKERS = before;
  }
}

for (const [name, main] of Object.entries(MAINS)) {
  test(`${name}: without KAFKA_BROKERS, main returns 2 with one line naming it`, async () => {
    const r = await run(main, { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9' });
    assert.equal(r.code, 2);
    assert.equal(r.err.split('\n').length, 1, r.err);
    assert.match(r.err, new RegExp(`^kanshi ${name}: KAFKA_BROKERS is not set .*see 'kanshi ${name} --help'`));
  });
}

test('a setting only one service reads stops that service, with exit 2', async () => {
  const env = { KAFKA_BROKERS: '127.0.0.1:9', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9' };
  const hold = await run(alerter, { ...env, KANSHI_HOLD_MODE: 'yes' });
  assert.equal(hold.code, 2);
  assert.match(hold.err, /^kanshi alerter: KANSHI_HOLD_MODE must be dry_run or enforce, got 'yes'/);
  const late = await run(detector, { ...env, KANSHI_MAX_LATENESS_MS: '5m' });
  assert.equal(late.code, 2);
  assert.match(late.err, /^kanshi detector: KANSHI_MAX_LATENESS_MS must be whole milliseconds/);
  const port = await run(ingest, { ...env, KANSHI_OPS_PORT: '99999' });
  assert.equal(port.code, 2);
  assert.match(port.err, /^kanshi ingest: KANSHI_OPS_PORT must be a port number, got '99999'/);
});

test('each service runs itself as a script: node services/<name>/dist/main.js', () => {
  for (const name of Object.keys(MAINS)) {
    const script = fileURLToPath(import.meta.resolve(`@kanshi/${name}/main`));
    const r = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^kanshi ${name}\\n`));
    const bad = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '' } });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /KAFKA_BROKERS is not set/);
  }
});
