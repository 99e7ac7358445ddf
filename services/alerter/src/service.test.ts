import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryBus, topicNames, type Delivery } from '@kanshi/bus';
import type { Finding, Hold } from '@kanshi/contract';
import { startAlerter } from './service.js';
import type { FindingDeadLetter } from './intake.js';

const T0 = Date.UTC(2025, 2, 3, 1);
const HOUR = 3600_000;
const silent = { info: () => undefined, warn: () => undefined };

const finding = (i: number, accounts: string[], patch: Record<string, unknown> = {}): Finding => ({
  findingId: `f${i}`, kind: 'hijacked_pump_buy', severity: 'critical', score: 0.95, accountIds: accounts, symbols: ['X'],
  detectedAt: T0 + i * HOUR, evidence: [`e${i}`], reasons: [{ code: 'session_resume_foreign_device', detail: 'cookie on another device' }, { code: 'liquidation', detail: 'sold' }, { code: 'thin_stock_buy', detail: 'bought thin' }], revision: 1, ...patch,
} as Finding);

async function alerter(mode: 'enforce' | 'dry_run', findings: unknown[], clock = () => T0 + 30 * HOUR) {
  const bus = new InMemoryBus();
  const t = topicNames();
  const got = { holds: [] as Hold[], dryRun: [] as Hold[], dead: [] as FindingDeadLetter[] };
  const watch = <V>(topic: string, into: V[]) => bus.subscribe<V>(topic, { groupId: `w-${topic}` }, (b: Delivery<V>[]) => {
    for (const d of b) into.push(d.value as V);
  });
  await watch(t.accountHolds, got.holds);
  await watch(t.accountHoldsDryRun, got.dryRun);
  await watch(t.deadLetter, got.dead);
  const running = await startAlerter({ bus, store: null, log: silent, holdPolicy: { mode }, clock });
  await bus.publish(t.findings, findings.map((value, i) => ({ key: `k${i}`, value })));
  await bus.idle();
  await running.stop();
  await bus.close();
  return { ...got, stats: running.stats() };
}

test('the alerter validates each finding before deciding: what breaks the contract is dead-lettered, never held', async () => {
  const bad = [
    finding(1, ['B1'], { severity: 'toString' }),
    finding(2, ['B2'], { severity: 'bogus' }),
    finding(3, ['B3'], { score: '0.9' }),
    finding(4, ['B4'], { accountIds: undefined }),
    finding(5, ['B5'], { reasons: 'none' }),
    { accountIds: ['B6'] },
  ];
  const r = await alerter('enforce', [...bad, finding(9, ['GOOD'])]);
  assert.deepEqual(r.holds.map((h) => h.accountId), ['GOOD'], 'only the valid finding holds');
  assert.equal(r.dead.length, bad.length, 'every invalid one is dead-lettered');
  assert.deepEqual(r.dead.map((d) => d.field), ['severity', 'severity', 'score', 'accountIds', 'reasons', 'findingId']);
  for (const d of r.dead) {
    assert.equal(d.topic, topicNames().findings);
    assert.match(d.source, /^findings\/0@\d+$/);
    assert.ok(d.reason.length > 0);
  }
  assert.equal(r.stats.rejected, bad.length);
  assert.equal(r.stats.findings, 1);
});

test('enforced holds go to account-holds and dry runs to account-holds-dry-run, never the other way', async () => {
  const enforced = await alerter('enforce', [finding(1, ['A1', 'A2'])]);
  assert.deepEqual(enforced.holds.map((h) => [h.accountId, h.mode]), [['A1', 'enforce'], ['A2', 'enforce']]);
  assert.deepEqual(enforced.dryRun, []);
  const rehearsed = await alerter('dry_run', [finding(1, ['A1', 'A2'])]);
  assert.deepEqual(rehearsed.holds, [], 'nothing a dry run decides reaches the topic the order system acts on');
  assert.deepEqual(rehearsed.dryRun.map((h) => [h.accountId, h.mode]), [['A1', 'dry_run'], ['A2', 'dry_run']]);
});

test('the service\'s breaker counts wall time: a backlog judged in one instant is capped', async () => {
  const backlog = Array.from({ length: 20 }, (_, i) => finding(i, Array.from({ length: 50 }, (_, a) => `A${i}-${a}`)));
  const r = await alerter('enforce', backlog);
  assert.equal(r.holds.length, 50);
  assert.ok(r.stats.breakerOpen);
});

test('a batch records its findings in ClickHouse last: a restart reads a recorded revision as decided, so its alerts and holds must be there already', async () => {
  const calls: string[] = [];
  const record = (name: string) => async (rows: unknown[]) => { if (rows.length) calls.push(name); };
  const store = {
    decisionsSoFar: async () => ({ revisions: new Map(), alerted: new Map(), heldAt: new Map(), recentHolds: [], recentHoldWrites: [], breakerOpenedAt: null }),
    writeRejections: record('rejections'), writeFindings: record('findings'), writeAlerts: record('alerts'), writeHolds: record('holds'), audit: record('audit'),
  };
  const bus = new InMemoryBus();
  const t = topicNames();
  const running = await startAlerter({ bus, store: store as never, log: silent, holdPolicy: { mode: 'enforce' }, clock: () => T0 + 30 * HOUR });
  await bus.publish(t.findings, [{ key: 'k', value: finding(1, ['A']) }]);
  await bus.idle();
  await running.stop();
  await bus.close();
  assert.ok(calls.includes('alerts') && calls.includes('holds'), `the finding made an alert and a hold: ${calls.join(', ')}`);
  assert.equal(calls.at(-1), 'findings', `findings recorded after the rest: ${calls.join(', ')}`);
});
