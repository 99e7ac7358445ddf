import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, InputEvent } from '@kanshi/contract';
import { DAY, history, login, order, runEngine } from './test-fixtures.js';

const run = runEngine;

/** One hijacked account: attacker's device and network, buys the target with an aggressive limit. */
function hijackedBuyer(a: string, minute: number, device: string, price: number): InputEvent[] {
  const l = login(a, minute, { deviceId: device, ip: '103.5.6.7', asn: 135377, ipType: 'hosting', country: 'HK' });
  return [...history(a), l, order(a, minute + 2, { symbol: '1234', side: 'buy', quantity: 20000, price, sessionId: l.sessionId })];
}

test('accounts with takeover signals buying one thin symbol make one pump_campaign, updated as they join', () => {
  const ids = ['H1', 'H2', 'H3', 'H4'];
  const evs = ids.flatMap((a, i) => hijackedBuyer(a, 10 + i * 5, i < 2 ? 'op-laptop' : `dev-${a}`, 480 + i * 10));
  const { findings } = run(evs, ids);
  const campaign = findings.filter((f) => f.kind === 'pump_campaign');
  assert.ok(campaign.length >= 2, 'emitted, then updated');
  assert.equal(new Set(campaign.map((f) => f.findingId)).size, 1, 'one finding id per symbol and day');
  const last = campaign.at(-1)!;
  assert.deepEqual(last.accountIds, ids);
  assert.equal(last.revision, 4);
  assert.deepEqual(last.symbols, ['1234']);
  assert.ok(last.reasons.some((r) => r.code === 'shared_infrastructure'), 'shared device noticed');
  assert.ok(['high', 'critical'].includes(last.severity));
});

test('a beneficiary that accumulated before the campaign and sells into it is found; a long-time holder selling small is not', () => {
  const ids = ['H1', 'H2', 'H3', 'B1', 'L1'];
  const evs: InputEvent[] = [...history('B1'), ...history('L1')];
  // B1 accumulates the thin stock over the days before
  for (let d = 1; d <= 3; d++) {
    evs.push(order('B1', -d * DAY + 40, { symbol: '1234', side: 'buy', quantity: 10000, price: 395, status: 'filled', fillQuantity: 10000, fillPrice: 395 }));
  }
  evs.push(...['H1', 'H2', 'H3'].flatMap((a, i) => hijackedBuyer(a, 10 + i * 3, `dev-${a}`, 520)));
  evs.push(order('B1', 25, { symbol: '1234', side: 'sell', quantity: 30000, price: 530 }));
  evs.push(order('L1', 26, { symbol: '1234', side: 'sell', quantity: 100, price: 530 }));
  const { findings } = run(evs, ids);
  const ben = findings.filter((f) => f.kind === 'dump_beneficiary');
  assert.deepEqual([...new Set(ben.map((f) => f.accountIds[0]))], ['B1']);
  assert.ok(ben.at(-1)!.reasons.some((r) => r.code === 'accumulated_before'));
  assert.ok(['high', 'critical'].includes(ben.at(-1)!.severity), JSON.stringify(ben.at(-1)));
});

test('hard negative: a meme rush of ordinary accounts from their usual devices makes no campaign', () => {
  const ids = Array.from({ length: 40 }, (_, i) => `M${i}`);
  const evs: InputEvent[] = [];
  ids.forEach((a, i) => {
    const l = login(a, 10 + i);
    evs.push(...history(a), l, order(a, 11 + i, { symbol: '1234', side: 'buy', quantity: 3000, price: 440 + i, sessionId: l.sessionId }));
  });
  // a few of them on a new phone, as happens in any crowd
  for (const a of ['M1', 'M2', 'M3']) {
    const l = login(a, 60, { deviceId: `${a}-new-phone` });
    evs.push(l, order(a, 61, { symbol: '1234', side: 'buy', quantity: 3000, price: 500, sessionId: l.sessionId }));
  }
  const { findings, holds } = run(evs, ids);
  assert.equal(findings.filter((f) => f.kind === 'pump_campaign').length, 0);
  assert.equal(findings.filter((f) => f.severity === 'high' || f.severity === 'critical').length, 0);
  assert.equal(holds.length, 0);
});
