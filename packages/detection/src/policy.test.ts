import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '@kanshi/contract';
import { InvalidConfig, resolveDetectionConfig } from './config.js';
import { EventIdDeduper } from './dedupe.js';
import { HoldPolicy, DEFAULT_HOLD_POLICY } from './hold-policy.js';
import { EventTimeReorderBuffer } from './reorder.js';

function finding(i: number, severity: Finding['severity'] = 'critical'): Finding {
  return {
    findingId: `f${i}`, kind: 'hijacked_pump_buy', severity, score: 0.9, accountIds: [`A${i}`], symbols: ['X'],
    detectedAt: 1_700_000_000_000 + i * 1000, evidence: [`e${i}`], reasons: [{ code: 'session_resume_foreign_device', detail: 'cookie on another device' }, { code: 'liquidation', detail: 'sold' }, { code: 'thin_stock_buy', detail: 'bought thin' }], revision: 1,
  };
}

test('hold policy: dry run by default, deterministic hold ids, one hold per account', () => {
  const p = new HoldPolicy();
  const a = p.evaluate(finding(1));
  assert.equal(a.holds.length, 1);
  assert.equal(a.holds[0].mode, 'dry_run');
  assert.equal(a.holds[0].holdId, new HoldPolicy().evaluate(finding(1)).holds[0].holdId);
  assert.equal(p.evaluate({ ...finding(1), findingId: 'other' }).holds.length, 0, 'already held');
  assert.equal(p.evaluate(finding(2, 'high')).holds.length, 0, 'below minimum severity');
});

test('hold policy runaway: the circuit breaker caps holds and raises one critical finding', () => {
  const p = new HoldPolicy({ ...DEFAULT_HOLD_POLICY, maxHoldsPerWindow: 10, mode: 'enforce' });
  let holds = 0;
  const breakers: Finding[] = [];
  for (let i = 0; i < 500; i++) {
    const d = p.evaluate(finding(i));
    holds += d.holds.length;
    if (d.breaker) breakers.push(d.breaker);
  }
  assert.equal(holds, 10);
  assert.equal(breakers.length, 1);
  assert.equal(breakers[0].severity, 'critical');
  assert.equal(breakers[0].kind, 'hold_circuit_breaker');
  assert.ok(p.breakerOpen);
});

test('config: overrides are validated and the bad option is named', () => {
  assert.equal(resolveDetectionConfig({ campaignMinAccounts: 5 }).campaignMinAccounts, 5);
  assert.throws(() => resolveDetectionConfig({ thinBuyMinAdvShare: 2 }), (e: unknown) => e instanceof InvalidConfig && e.option === 'thinBuyMinAdvShare');
  assert.throws(() => resolveDetectionConfig({ incidentWindowMs: -1 }), /incidentWindowMs/);
  assert.throws(() => resolveDetectionConfig({ campaignMinAccounts: 1 }), /campaignMinAccounts/);
  assert.deepEqual(resolveDetectionConfig({ secureGatewayAsns: [64512] }).secureGatewayAsns, [64512]);
  assert.throws(() => resolveDetectionConfig({ secureGatewayAsns: ['AS62044'] as unknown as number[] }), /secureGatewayAsns: must be a list of AS numbers/);
  assert.throws(() => resolveDetectionConfig({ locationKeepingRelayAsns: [13335, -1] }), /locationKeepingRelayAsns: must be a list of AS numbers/);
});

test('dedupe remembers ids within its window only', () => {
  const d = new EventIdDeduper(2 * 3600_000);
  assert.equal(d.firstSighting('a', 0), true);
  assert.equal(d.firstSighting('a', 10), false);
  d.firstSighting('b', 5 * 3600_000);
  assert.equal(d.firstSighting('a', 5 * 3600_000 + 1), true, 'forgotten after the window');
});

test('dedupe windows run per lane: a stream read days ahead does not make a slow one forget', () => {
  const d = new EventIdDeduper(2 * 3600_000);
  assert.equal(d.firstSighting('login-1', 0, 'login'), true);
  assert.equal(d.firstSighting('acct-1', 96 * 3600_000, 'account_event'), true, 'the sparse stream is read to day 4 first');
  assert.equal(d.firstSighting('login-2', 3600_000, 'login'), true);
  assert.equal(d.firstSighting('login-1', 0, 'login'), false, 'still within the login lane\'s window');
  d.firstSighting('login-3', 5 * 3600_000, 'login');
  assert.equal(d.firstSighting('login-1', 0, 'login'), true, 'forgotten once its own lane moved past the window');
});

test('reorder buffer releases in event-time order within the lateness, late ones at once', () => {
  const b = new EventTimeReorderBuffer<{ ts: number; id: string }>(100, (r) => r.ts, (r) => r.id);
  const out: { ts: number; id: string }[] = [];
  for (const r of [{ ts: 50, id: 'b' }, { ts: 10, id: 'a' }, { ts: 50, id: 'a' }, { ts: 300, id: 'z' }, { ts: 20, id: 'late' }]) b.push(r, (x) => out.push(x));
  b.drain((x) => out.push(x));
  assert.deepEqual(out.map((r) => `${r.ts}${r.id}`), ['10a', '50a', '50b', '20late', '300z']);
  assert.equal(b.late, 1);
});
