/**
 * The desk as its operator runs it, over the ClickHouse server: `kanshi desk users add` with the
 * password on stdin, then `node services/desk/dist/main.js` from its environment; only /login
 * answers without a session, the user logs in, and SIGTERM stops it cleanly.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dropTestDatabase, integrationEndpoints, uniqueName, withTimeout } from '../integration/harness.js';
import { deskLogin } from './desk-login.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const KANSHI = path.join(REPO, 'bin/kanshi.js');
const MAIN = path.join(REPO, 'services/desk/dist/main.js');
const PASSWORD = 'a long enough password';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => { for (const c of cleanup) await c().catch(() => undefined); });

test('a bad setting stops the desk before it starts, with exit 2 and the variable named', () => {
  const r = spawnSync(process.execPath, [MAIN], { env: { ...process.env, KANSHI_DESK_PORT: 'http' }, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /KANSHI_DESK_PORT must be a port number, got 'http'/);
  const help = spawnSync(process.execPath, [KANSHI, 'desk', '--help'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /kanshi desk users add --name NAME --role/);
});

test('users add from stdin, then the service: only /login without a session, a login, a clean stop', { timeout: 120_000 }, async () => {
  const ep = await integrationEndpoints();
  const database = uniqueName('desk_service');
  cleanup.push(() => dropTestDatabase(ep.clickhouseUrl, database));
  // no Kafka: list entries go to the data directory's file (lists.test.ts runs the desk on Kafka)
  const env = { ...process.env, CLICKHOUSE_URL: ep.clickhouseUrl, CLICKHOUSE_DATABASE: database, KANSHI_DESK_PORT: '0', LOG_LEVEL: 'info', KAFKA_BROKERS: '' };

  const add = spawnSync(process.execPath, [KANSHI, 'desk', 'users', 'add', '--name', 'ana', '--role', 'analyst'], { env, input: `${PASSWORD}\n`, encoding: 'utf8', timeout: 60_000 });
  assert.equal(add.status, 0, add.stderr);
  assert.match(add.stdout, /desk user ana \(analyst\) added/);
  assert.ok(!add.stdout.includes(PASSWORD) && !add.stderr.includes(PASSWORD), 'the password is never printed');
  const badRole = spawnSync(process.execPath, [KANSHI, 'desk', 'users', 'add', '--name', 'x', '--role', 'root'], { env, input: PASSWORD, encoding: 'utf8', timeout: 30_000 });
  assert.equal(badRole.status, 2);

  const desk = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => desk.on('exit', (code) => resolve(code)));
  cleanup.push(async () => { if (desk.exitCode === null) desk.kill('SIGKILL'); });
  let log = '';
  desk.stderr.on('data', (c: Buffer) => { log += c.toString(); });
  const url = await withTimeout(new Promise<string>((resolve) => {
    desk.stdout.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /"url":"(http:\/\/[^"]+)\/login"/.exec(log);
      if (m) resolve(m[1]);
    });
  }), 60_000, `the desk to log 'desk serving' (its output so far: ${log.slice(-500)})`);

  assert.equal((await fetch(`${url}/login`)).status, 200);
  assert.equal((await fetch(`${url}/api/alerts`)).status, 401);
  const { status, session } = await deskLogin(url, 'ana', PASSWORD);
  assert.equal(status, 303);
  const queue = await fetch(`${url}/api/alerts`, { headers: { cookie: session } });
  assert.equal(queue.status, 200);
  assert.deepEqual(((await queue.json()) as { counts: unknown }).counts, { open: 0, confirmed_takeover: 0, false_positive: 0, benign_explained: 0, customer_contacted: 0 });
  assert.equal((await fetch(`${url}/audit`, { headers: { cookie: session }, redirect: 'manual' })).status, 403, 'an analyst does not read the audit');

  desk.kill('SIGTERM');
  assert.equal(await withTimeout(exited, 30_000, 'the desk to stop on SIGTERM'), 0, log.slice(-1000));
});
