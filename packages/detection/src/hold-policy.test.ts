import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '@kanshi/contract';
import { DEFAULT_HOLD_POLICY, HoldPolicy, type HoldDecision } from './hold-policy.js';

const T0 = Date.UTC(2025, 2, 3, 1);
const HOUR = 3600_000;

function finding(i: number, accounts: number, at: number, extra: Partial<Finding> = {}): Finding {
  return {
    findingId: `f${i}`, kind: 'hijacked_pump_buy', severity: 'critical', score: 0.95,
    accountIds: Array.from({ length: accounts }, (_, a) => `A${i}-${a}`), symbols: ['X'], detectedAt: at,
    evidence: [`e${i}`], reasons: [{ code: 'session_resume_foreign_device', detail: 'cookie on another device' }, { code: 'liquidation', detail: 'sold' }, { code: 'thin_stock_buy', detail: 'bought thin' }], revision: 1, ...extra,
  };
}

function run(p: HoldPolicy, fs: Finding[]): { holds: number; breakers: Finding[]; decisions: HoldDecision[] } {
  const decisions = fs.map((f) => p.evaluate(f));
  return { holds: decisions.reduce((n, d) => n + d.holds.length, 0), breakers: decisions.flatMap((d) => (d.breaker ? [d.breaker] : [])), decisions };
}

test('the breaker cannot be outrun: 20 findings an hour apart by timestamp, 50 accounts each, judged in one instant give 50 holds', () => {
  const backlog = Array.from({ length: 20 }, (_, i) => finding(i, 50, T0 + i * HOUR));
  const live = run(new HoldPolicy({ ...DEFAULT_HOLD_POLICY, mode: 'enforce' }, { wallClock: () => T0 + 20 * HOUR }), backlog);
  assert.equal(live.holds, 50, 'the wall-clock window caps a backlog, a replay or forged timestamps');
  assert.equal(live.breakers.length, 1, 'and says so once');
  assert.match(live.breakers[0].reasons[0].detail, /wall-clock/);
  // offline (`kanshi detect`) counts event time only, so its output is a function of the input
  assert.equal(run(new HoldPolicy(DEFAULT_HOLD_POLICY), backlog).holds, 1000);
});

test('the wall-clock window reopens once wall time has passed it; the event-time window still trips on its own', () => {
  let now = T0 + 100 * HOUR;
  const p = new HoldPolicy({ ...DEFAULT_HOLD_POLICY, maxHoldsPerWindow: 10 }, { wallClock: () => now });
  assert.equal(run(p, [finding(1, 30, T0 + 0 * HOUR), finding(2, 5, T0 + 2 * HOUR)]).holds, 10);
  assert.ok(p.breakerOpen);
  now += HOUR;
  assert.equal(run(p, [finding(3, 5, T0 + 4 * HOUR)]).holds, 5, 'an hour of wall time later');
  // one wall hour per finding, but a burst in event time: the event-time window caps it
  const q = new HoldPolicy({ ...DEFAULT_HOLD_POLICY, maxHoldsPerWindow: 10 }, { wallClock: () => now });
  let holds = 0;
  for (let i = 0; i < 30; i++) {
    now += HOUR;
    holds += q.evaluate(finding(100 + i, 1, T0 + i * 1000)).holds.length;
  }
  assert.equal(holds, 10);
});

test('a finding dated 2099 neither keeps the window full nor silences the breaker', () => {
  const far = Date.UTC(2099, 0, 1);
  const cfg = { ...DEFAULT_HOLD_POLICY, maxHoldsPerWindow: 10 };
  // without a wall clock (offline): the far date counts near itself only
  const offline = new HoldPolicy(cfg);
  const first = run(offline, [finding(0, 11, far)]);
  assert.equal(first.holds, 10);
  assert.equal(first.breakers.length, 1);
  const after = run(offline, [finding(1, 3, T0), finding(2, 3, T0 + HOUR)]);
  assert.equal(after.holds, 6, 'findings of today still hold');
  const flood = run(offline, [finding(3, 20, T0 + 2 * HOUR)]);
  assert.equal(flood.holds, 10);
  assert.equal(flood.breakers.length, 1, 'and the breaker still raises its alarm');
  // with a wall clock (the alerter): a finding dated ahead of it holds nothing and says why
  const live = new HoldPolicy(cfg, { wallClock: () => T0 });
  const future = live.evaluate(finding(0, 11, far));
  assert.equal(future.holds.length, 0);
  assert.match(future.refused ?? '', /ahead of the wall clock/);
  assert.equal(live.evaluate(finding(1, 3, T0)).holds.length, 3);
  assert.equal(live.evaluate(finding(2, 1, T0 + DEFAULT_HOLD_POLICY.maxFutureMs)).holds.length, 1, 'a little clock skew is fine');
});

test('the policy fails closed: what it does not understand holds nothing', () => {
  const bad: [string, Partial<Finding> | Record<string, unknown>][] = [
    ['bogus severity', { severity: 'bogus' }],
    ['a prototype key as severity', { severity: 'toString' }],
    ['another prototype key', { severity: '__proto__' }],
    ['a string score', { score: '0.9' }],
    ['a NaN score', { score: Number.NaN }],
    ['an infinite score', { score: Infinity }],
    ['no score', { score: undefined }],
    ['no accounts list', { accountIds: undefined }],
    ['a non-string account', { accountIds: [7] }],
    ['no detectedAt', { detectedAt: undefined }],
    ['a string detectedAt', { detectedAt: '2025-03-03' }],
    ['no findingId', { findingId: undefined }],
  ];
  for (const [what, patch] of bad) {
    const d = new HoldPolicy({ ...DEFAULT_HOLD_POLICY, mode: 'enforce' }).evaluate({ ...finding(1, 1, T0), ...patch } as Finding);
    assert.equal(d.holds.length, 0, what);
    assert.ok(d.refused, `${what}: reported as not understood`);
  }
  assert.equal(new HoldPolicy({ ...DEFAULT_HOLD_POLICY, minSeverity: 'toString' as never }).evaluate(finding(1, 1, T0)).holds.length, 0, 'a bad minimum holds nothing');
  assert.equal(new HoldPolicy({ ...DEFAULT_HOLD_POLICY }, { wallClock: () => Number.NaN }).evaluate(finding(1, 1, T0)).holds.length, 0, 'nor does an unreadable clock');
  const ok = new HoldPolicy().evaluate(finding(1, 1, T0));
  assert.equal(ok.holds.length, 1, 'the well-formed one holds');
  assert.equal(ok.refused, null);
});

test('a restarted policy carries the wall-clock window: a crash loop does not reset the cap', () => {
  const now = T0 + 5 * HOUR;
  const p = new HoldPolicy({ ...DEFAULT_HOLD_POLICY, maxHoldsPerWindow: 10 }, { wallClock: () => now });
  p.restore({ heldAt: new Map(), recentHolds: [], breakerOpenedAt: null, recentHoldWrites: Array.from({ length: 8 }, (_, i) => now - i * 60_000) });
  assert.equal(p.evaluate(finding(1, 5, T0)).holds.length, 2);
});

test('evidence seen later than a finding does not corroborate it: an account\'s findings read out of order hold as they do in order', () => {
  const one = (id: string, kind: string, at: number, codes: string[], severity: Finding['severity'] = 'high'): Finding => ({
    findingId: id, kind, severity, score: severity === 'critical' ? 0.85 : 0.7, accountIds: ['V'], symbols: ['X'], detectedAt: at,
    evidence: [id], reasons: codes.map((code) => ({ code, detail: code })), revision: 1,
  });
  // a cookie theft and a sell-off, and only ten hours later the thin buy
  const sale = one('f-sale', 'takeover_liquidation', T0, ['session_resume_foreign_device', 'liquidation'], 'critical');
  const buy = one('f-buy', 'hijacked_pump_buy', T0 + 10 * HOUR, ['thin_stock_buy']);
  const holdsOf = (fs: Finding[]) => run(new HoldPolicy(DEFAULT_HOLD_POLICY), fs).decisions.flatMap((d) => d.holds.map((h) => `${h.holdId} ${h.at} ${h.reason}`));
  const inOrder = holdsOf([sale, buy]);
  assert.equal(inOrder.length, 1, 'the buy completes the scheme');
  assert.match(inOrder[0], new RegExp(` ${T0 + 10 * HOUR} `), 'at the buy, not before it');
  assert.deepEqual(holdsOf([buy, sale]), inOrder, 'the buy read first: the sale is not held at its own time on evidence from its future');
  assert.doesNotMatch(inOrder[0], /campaign/, 'a thin buy completed it, not a campaign');
  assert.match(inOrder[0], /corroborated by f-buy/);
});

test('one late finding does not empty the breaker window, and an account held at an older moment is not held again right after its later hold', () => {
  const scheme = (id: string, account: string, at: number): Finding => ({
    findingId: id, kind: 'takeover_liquidation', severity: 'critical', score: 0.9, accountIds: [account], symbols: ['X'], detectedAt: at,
    evidence: [id], reasons: ['tor_ip', 'liquidation', 'thin_stock_buy'].map((code) => ({ code, detail: code })), revision: 1,
  });
  const p = new HoldPolicy(DEFAULT_HOLD_POLICY);
  let holds = 0;
  const judge = (f: Finding) => { holds += p.evaluate(f).holds.length; };
  for (let i = 0; i < 60; i++) judge(scheme(`a${i}`, `A${i}`, T0 + 100 * HOUR + i * 1000));
  assert.equal(holds, 50, 'the cap');
  judge(scheme('late', 'L', T0 + 10 * HOUR));
  for (let i = 0; i < 60; i++) judge(scheme(`b${i}`, `B${i}`, T0 + 100 * HOUR + 70_000 + i * 1000));
  assert.equal(holds, 51, 'the late one is far from the window; the 60 after it are still over the cap');
  const q = new HoldPolicy(DEFAULT_HOLD_POLICY);
  const held = [scheme('B', 'V', T0 + 30 * HOUR), scheme('A', 'V', T0 + 5 * HOUR), scheme('C', 'V', T0 + 31 * HOUR)].flatMap((f) => q.evaluate(f).holds.map((h) => h.findingId));
  assert.deepEqual(held, ['B', 'A'], 'C is an hour after B: the cooldown holds against every recent hold, not the last one made');
});

test('an account\'s finding and the campaign naming it at the same instant hold alike whichever is read first', () => {
  const member: Finding = {
    findingId: 'f-1-member', kind: 'hijacked_pump_buy', severity: 'critical', score: 0.86, accountIds: ['V'], symbols: ['X'], detectedAt: T0,
    evidence: ['e1'], reasons: ['new_device', 'liquidation', 'thin_stock_buy'].map((code) => ({ code, detail: code })), revision: 1,
  };
  const campaign: Finding = {
    findingId: 'f-2-campaign', kind: 'pump_campaign', severity: 'critical', score: 0.83, accountIds: ['V', 'W', 'Z'], symbols: ['X'], detectedAt: T0,
    evidence: ['e2'], reasons: [{ code: 'coordinated_thin_buys', detail: 'three buyers' }], revision: 1,
  };
  const reasons = (fs: Finding[]) => run(new HoldPolicy(DEFAULT_HOLD_POLICY), fs).decisions.flatMap((d) => d.holds.map((h) => `${h.holdId} ${h.at} ${h.reason}`));
  const memberFirst = reasons([member, campaign]);
  assert.equal(memberFirst.length, 1);
  assert.match(memberFirst[0], /campaign member: .*, named by campaign f-2-campaign: /);
  assert.deepEqual(reasons([campaign, member]), memberFirst, 'the campaign read first: at the member\'s own moment it is not yet there');
});
