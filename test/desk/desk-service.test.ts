/**
 * The desk as its operator runs it, over the ClickHouse server: `kanshi desk users add` with the
 * password on stdin, then `node services/desk/dist/main.js` from its environment; only /login
 * answers without a session, the user logs in, and SIGTERM stops it cleanly; its audit journal
 * survives a SIGKILL (replayed at the next start) and a SIGTERM flushes it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '@kanshi/store';
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
  const journal = mkdtempSync(path.join(tmpdir(), 'kanshi-desk-journal-'));
  cleanup.push(async () => rmSync(journal, { recursive: true, force: true }));
  const env = { ...process.env, CLICKHOUSE_URL: ep.clickhouseUrl, CLICKHOUSE_DATABASE: database, KANSHI_DESK_PORT: '0', LOG_LEVEL: 'info', KAFKA_BROKERS: '', KANSHI_DESK_AUDIT_JOURNAL: journal, KANSHI_DESK_AUDIT_FLUSH_MS: '60000' };

  const add = spawnSync(process.execPath, [KANSHI, 'desk', 'users', 'add', '--name', 'ana', '--role', 'analyst'], { env, input: `${PASSWORD}\n`, encoding: 'utf8', timeout: 60_000 });
  assert.equal(add.status, 0, add.stderr);
  assert.match(add.stdout, /desk user ana \(analyst\) added/);
  assert.ok(!add.stdout.includes(PASSWORD) && !add.stderr.includes(PASSWORD), 'the password is never printed');
  const badRole = spawnSync(process.execPath, [KANSHI, 'desk', 'users', 'add', '--name', 'x', '--role', 'root'], { env, input: PASSWORD, encoding: 'utf8', timeout: 30_000 });
  assert.equal(badRole.status, 2);

  let desk = await startDesk(env);
  const url = desk.url;
  assert.equal((await fetch(`${url}/login`)).status, 200);
  assert.equal((await fetch(`${url}/api/alerts`)).status, 401);
  const { status, session } = await deskLogin(url, 'ana', PASSWORD);
  assert.equal(status, 303);
  const queue = await fetch(`${url}/api/alerts`, { headers: { cookie: session } });
  assert.equal(queue.status, 200);
  assert.deepEqual(((await queue.json()) as { counts: unknown }).counts, { open: 0, confirmed_takeover: 0, false_positive: 0, benign_explained: 0, customer_contacted: 0 });
  assert.equal((await fetch(`${url}/audit`, { headers: { cookie: session }, redirect: 'manual' })).status, 403, 'an analyst does not read the audit');


  // the audit entries wait in the journal (a flush a minute): a kill -9 loses none, the next start replays them
  const store = await openStore({ url: ep.clickhouseUrl, database });
  cleanup.unshift(() => store.close());
  const logins = () => store.desk().auditCount({ action: 'desk.login' });
  assert.equal(await logins(), 0, 'the login page did not wait for ClickHouse');
  desk.process.kill('SIGKILL');
  await withTimeout(desk.exited, 30_000, 'the desk to die on SIGKILL');
  assert.equal(await logins(), 0, 'killed before any flush');
  desk = await startDesk(env);
  assert.equal(await logins(), 1, 'replayed from the journal before serving');
  assert.equal((await deskLogin(desk.url, 'ana', PASSWORD)).status, 303);
  desk.process.kill('SIGTERM');
  assert.equal(await withTimeout(desk.exited, 30_000, 'the desk to stop on SIGTERM'), 0, desk.log().slice(-1000));
  assert.equal(await logins(), 2, 'a clean stop flushes the journal');
});

/** The desk service from `env`, once it logs that it serves. */
async function startDesk(env: NodeJS.ProcessEnv): Promise<{ url: string; process: ChildProcess; exited: Promise<number | null>; log: () => string }> {
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
  return { url, process: desk, exited, log: () => log };
}
