import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Finding, Hold } from '@kanshi/contract';
import { verifyPassword } from '@kanshi/desk';
import { openStore } from '@kanshi/store';
import { loadDemoIntoDesk } from './demo-desk.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kanshi-demo-desk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the demo's findings, alerts, holds and the flagged accounts' events land in the desk's store, with a working one-time login", async () => {
  const f = (findingId: string, severity: Finding['severity'], accountId: string): Finding => ({
    findingId, kind: 'hijacked_pump_buy', severity, score: 0.9, accountIds: [accountId], symbols: ['CFI'], detectedAt: 1_741_269_029_000, evidence: ['e1'], reasons: [{ code: 'c', detail: 'd' }], revision: 1,
  });
  const holds: Hold[] = [{ holdId: 'h1', accountId: 'A1', findingId: 'f1', at: 1_741_269_030_000, mode: 'dry_run', reason: 'r' }];
  const events = path.join(dir, 'events.ndjson');
  const login = (eventId: string, accountId: string) => JSON.stringify({ type: 'login', eventId, ts: 1_741_269_000_000, accountId, result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' });
  writeFileSync(events, `${[login('e1', 'A1'), login('e2', 'B9'), login('e3', 'A2'), login('e4', 'A10')].join('\n')}\n`);
  const accounts = path.join(dir, 'accounts.ndjson');
  const account = (accountId: string) => JSON.stringify({ accountId, openedAt: 1_700_000_000_000, homeCountry: 'JP', mfa: 'sms', holdingsJpy: 1, positions: [{ symbol: 'CFI', quantity: 100 }] });
  writeFileSync(accounts, `${[account('A1'), account('B9'), account('A10')].join('\n')}\n`);
  const data = path.join(dir, 'desk');
  const text = await loadDemoIntoDesk({ findings: [f('f1', 'critical', 'A1'), f('f2', 'low', 'A2')], holds, eventsFile: events, accountsFile: accounts, env: { KANSHI_DESK_DATA: data, CLICKHOUSE_URL: 'http://127.0.0.1:1' } });
  assert.match(text, /2 findings, 1 holds, 2 events of the flagged accounts/);
  assert.match(text, /CLICKHOUSE_URL= KANSHI_DESK_DATA=\S+ npx kanshi desk/, 'the command to run names the embedded store');
  const password = /as demo \/ (\S+) /.exec(text)![1];
  const store = await openStore({ embedded: data });
  try {
    const desk = store.desk();
    const page = await desk.queue({});
    assert.deepEqual(page.alerts.map((a) => a.findingId), ['f1'], 'alerts for high and critical findings only');
    assert.equal((await desk.holds()).length, 1);
    assert.deepEqual((await desk.accountTimeline('A1', 1_741_269_029_000)).map((e) => e.eventId), ['e1'], 'A10 is not A1');
    const user = await desk.user('demo');
    assert.equal(user?.role, 'supervisor');
    assert.deepEqual((await desk.accountSnapshot('A1'))?.positions, [{ symbol: 'CFI', quantity: 100 }], 'a flagged account\'s snapshot, for the holdings chart');
    assert.equal(await desk.accountSnapshot('B9'), null, 'not an unflagged one');
    assert.ok(await verifyPassword(password, user!.passwordHash));
  } finally {
    await store.close();
  }
});
