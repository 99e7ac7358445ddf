import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '@kanshi/contract';
import { DEFAULT_HOLD_POLICY } from '@kanshi/detection';
import { AlertDesk } from './desk.js';

const f = (revision: number, severity: Finding['severity'], score = 0.9): Finding => ({
  findingId: 'f1', kind: 'hijacked_pump_buy', severity, score, accountIds: ['A'], symbols: ['X'], detectedAt: Date.UTC(2025, 2, 3),
  evidence: ['e1'], reasons: [{ code: 'session_resume_foreign_device', detail: 'cookie on another device' }, { code: 'liquidation', detail: 'sold' }, { code: 'thin_stock_buy', detail: 'bought thin' }], revision, threat: 0.9, vulnerability: 1, impact: 0.5,
});

test('a finding alerts once per severity reached; re-sent revisions are not news', () => {
  const desk = new AlertDesk(DEFAULT_HOLD_POLICY);
  assert.equal(desk.decide(f(1, 'medium')).alert, null);
  const high = desk.decide(f(2, 'high'));
  assert.ok(high.alert);
  assert.equal(desk.decide(f(2, 'high')).news, false, 'the same revision again (a detector restart)');
  assert.equal(desk.decide(f(3, 'high')).alert, null, 'new evidence at the same severity is no new alert');
  const crit = desk.decide(f(4, 'critical'));
  assert.ok(crit.alert && crit.alert.alertId !== high.alert.alertId);
  assert.equal(crit.holds.length, 1, 'critical with score >= 0.8 holds, dry run');
  assert.equal(crit.holds[0].mode, 'dry_run');
});

test('a restarted desk remembers what was decided: no second alert for a severity, no second hold for a held account', () => {
  const first = new AlertDesk(DEFAULT_HOLD_POLICY);
  const crit = first.decide(f(2, 'critical'));
  assert.equal(crit.holds.length, 1);
  const other = { ...f(1, 'critical'), findingId: 'f2' };
  assert.equal(first.decide(other).holds.length, 0, 'one hold per account within the cool-down');

  const restarted = new AlertDesk(DEFAULT_HOLD_POLICY);
  restarted.restore({
    revisions: new Map([['f1', 2]]), alerted: new Map([['f1', ['critical']]]),
    heldAt: new Map([['A', crit.holds[0].at]]), recentHolds: [crit.holds[0].at], breakerOpenedAt: null,
  });
  assert.equal(restarted.decide(f(2, 'critical')).news, false, 'the revision ClickHouse has');
  const next = restarted.decide(f(3, 'critical'));
  assert.equal(next.alert, null, 'critical was alerted before the restart');
  assert.equal(restarted.decide(other).holds.length, 0, 'A was held before the restart');
  assert.equal(new AlertDesk(DEFAULT_HOLD_POLICY).decide(other).holds.length, 1, 'what a desk without that memory would do');
});
