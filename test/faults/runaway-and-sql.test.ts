/**
 * A hold-policy runaway (a bug that marks every account critical) and hostile values on their
 * way into SQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Finding } from '@kanshi/contract';
import { AlertDesk } from '@kanshi/alerter';
import { DEFAULT_HOLD_POLICY } from '@kanshi/detection';
import { openStore } from '@kanshi/store';

test('a bug that marks 5,000 accounts critical is capped by the circuit breaker, which raises a critical alert', () => {
  const desk = new AlertDesk({ ...DEFAULT_HOLD_POLICY, maxHoldsPerWindow: 50 });
  const t0 = Date.UTC(2025, 2, 3, 1);
  let holds = 0;
  const breakers: Finding[] = [];
  for (let i = 0; i < 5_000; i++) {
    const d = desk.decide({
      findingId: `f${i}`, kind: 'hijacked_pump_buy', severity: 'critical', score: 0.99, accountIds: [`A${i}`], symbols: ['X'],
      detectedAt: t0 + i * 100, evidence: [`e${i}`], reasons: [{ code: 'session_resume_foreign_device', detail: 'cookie on another device' }, { code: 'liquidation', detail: 'sold' }, { code: 'thin_stock_buy', detail: 'bought thin' }], revision: 1,
    });
    holds += d.holds.length;
    if (d.breaker) breakers.push(d.breaker);
  }
  assert.equal(holds, 50, 'never more holds than the window allows');
  assert.ok(desk.breakerOpen);
  assert.ok(breakers.length >= 1 && breakers.every((b) => b.severity === 'critical'), 'the breaker says so, critically');
  const alert = new AlertDesk(DEFAULT_HOLD_POLICY).decide(breakers[0]).alert;
  assert.equal(alert?.severity, 'critical', 'and it becomes an alert');
});

test('account ids, symbols and kinds reach SQL only as values', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kanshi-sql-'));
  const store = await openStore({ embedded: dir, database: 'faults_sql' });
  try {
    await store.migrate();
    const hostile = ["x' OR '1'='1", "x'); DROP TABLE findings; --", 'x\\\' OR 1=1 --', "' UNION SELECT * FROM system.tables --", '\u0000\'"`'];
    await store.writeFindings([{
      findingId: 'f-safe', kind: 'k', severity: 'high', score: 0.7, accountIds: ['A1'], symbols: ['S1'], detectedAt: Date.UTC(2025, 2, 3),
      evidence: [], reasons: [], revision: 1,
    }]);
    for (const h of hostile) {
      assert.deepEqual(await store.findings({ accountId: h }), []);
      assert.deepEqual(await store.findings({ symbol: h }), []);
      assert.deepEqual(await store.findings({ kind: h }), []);
      const seen: string[] = [];
      for await (const e of store.archivedEvents({ from: 0, to: Date.UTC(2100, 0, 1), accountId: h })) seen.push(e.eventId);
      assert.deepEqual(seen, []);
    }
    assert.equal((await store.findings()).length, 1, 'the table is still there, untouched');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
