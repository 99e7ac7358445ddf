import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding, LoginEvent, OrderEvent } from '@kanshi/contract';
import { infraGraph, priceVolumeChart, sharedInfrastructure } from './campaign-chart.js';
import { campaignRoles, campaignWindow } from './campaign-view.js';

const T0 = Date.UTC(2026, 10, 30, 5, 0);
const XSS = `"'><script>alert(1)</script>`;
const order = (eventId: string, accountId: string, side: 'buy' | 'sell', min: number, q: number, p: number): OrderEvent => ({
  eventId, ts: T0 + min * 60_000, accountId, orderId: eventId, symbol: 'XTKS:4597', side, orderType: 'market', quantity: q, status: 'filled', fillQuantity: q, fillPrice: p, currency: 'JPY',
});
const login = (accountId: string, ip: string, asn: number, deviceId: string): LoginEvent => ({ eventId: `l-${accountId}-${ip}`, ts: T0, accountId, result: 'success', authMethod: 'password', channel: 'web', ip, asn, deviceId });
const finding = (findingId: string, kind: string, accountIds: string[], min: number): Finding => ({
  findingId, kind, severity: 'high', score: 0.8, accountIds, symbols: ['XTKS:4597'], detectedAt: T0 + min * 60_000, evidence: [], reasons: [], revision: 1,
});

test('a campaign\'s hijacked accounts come from campaign and pump-buy findings, its beneficiaries from dump findings', () => {
  const findings = [finding('c', 'pump_campaign', ['A', 'B'], 30), finding('h', 'hijacked_pump_buy', ['C'], 20), finding('d', 'dump_beneficiary', ['Z', 'A'], 60)];
  const { members, beneficiaries } = campaignRoles(findings);
  assert.deepEqual([...members].sort(), ['A', 'B', 'C']);
  assert.deepEqual([...beneficiaries], ['Z'], 'a hijacked account is never also a beneficiary');
  assert.deepEqual(campaignWindow(findings), { from: T0 + 20 * 60_000 - 90 * 60_000, to: T0 + 120 * 60_000 });
});

test('the price chart marks the hijacked buys and the beneficiary sells, nothing else; labels are text', () => {
  const orders = [order('o1', 'A', 'buy', 10, 19_000, 416), order('o2', 'Q', 'buy', 11, 500, 420), order('o3', 'Z', 'sell', 40, 30_000, 610), order('o4', 'Z', 'buy', -60, 30_000, 300), order('o5', XSS, 'buy', 12, 10, 430)];
  const pv = priceVolumeChart(orders, new Set(['A', XSS]), new Set(['Z']), T0 - 90 * 60_000, T0 + 60 * 60_000);
  assert.deepEqual(pv.marked.map((m) => [m.order.eventId, m.role]), [['o1', 'member'], ['o3', 'beneficiary'], ['o5', 'member']], 'not another account\'s buy, not a beneficiary\'s buy');
  assert.equal((pv.svg.text.match(/class="mark mark-member"/g) ?? []).length, 2);
  assert.equal((pv.svg.text.match(/class="mark mark-beneficiary"/g) ?? []).length, 1);
  assert.ok(pv.svg.text.includes('<polyline'), 'a price line');
  assert.ok(!pv.svg.text.includes('<script'), 'an account id is text inside the SVG');
});

test('shared infrastructure: what two or more accounts logged in from (/24, /48, ASN, device)', () => {
  const shared = sharedInfrastructure([
    login('A', '185.220.101.33', 208294, 'dev-1'), login('B', '185.220.101.40', 208294, 'dev-2'), login('Z', '203.0.113.5', 17676, 'dev-1'),
    login('A', '126.22.31.4', 17676, 'dev-a'), login(XSS, '198.51.100.1', 64500, 'dev-x'),
  ]);
  assert.deepEqual(shared.map((s) => [s.kind, s.value, s.accounts.join(' ')]), [
    ['IP prefix', '185.220.101.0/24', 'A B'], ['ASN', 'AS17676', 'Z A'], ['ASN', 'AS208294', 'A B'], ['device', 'dev-1', 'A Z'],
  ]);
  const svg = infraGraph(['A', 'B', 'Z', XSS], shared, new Set(['A', 'B']), new Set(['Z'])).text;
  assert.equal((svg.match(/<line /g) ?? []).length, 8, 'one line per account and what it shares');
  assert.ok(!svg.includes('<script'));
});
