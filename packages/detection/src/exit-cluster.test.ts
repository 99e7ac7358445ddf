/**
 * Campaigns of one exit: accounts that each sold and then bought one small cap through the same
 * IP range, new to each of them. Their logins may show nothing (no history, a residential proxy
 * at home); the range and the two steps link them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, InputEvent } from '@kanshi/contract';
import { AccountStage, type StageOutput } from './account-stage.js';
import { resolveDetectionConfig } from './config.js';
import { ReferenceData } from './reference.js';
import type { TradeSignal } from './signals.js';
import { SymbolStage } from './symbol-stage.js';
import { account, INSTRUMENTS, login, order, reference, tradeSignal } from './test-fixtures.js';

// no takeover signal at all: the account stage saw nothing it could contradict
const buyer = (a: string, minute: number, o: Partial<TradeSignal> = {}) => tradeSignal(a, minute, { accountRisk: 0, network: 77, novelExit: true, fundedBySale: true, ...o });

function campaigns(trades: TradeSignal[]): Finding[] {
  const stage = new SymbolStage(reference([]), resolveDetectionConfig());
  const out: Finding[] = [];
  for (const t of trades) stage.process(t, out);
  return out.filter((f) => f.kind === 'pump_campaign');
}

test('three accounts that each sold and bought one small cap through one range new to each of them are a campaign, and a fourth through it joins', () => {
  const found = campaigns([buyer('A', 0), buyer('B', 90), buyer('C', 300), buyer('D', 400), buyer('E', 410, { network: 78 })]);
  const last = found.at(-1);
  assert.ok(last, 'a campaign');
  assert.deepEqual(last.accountIds, ['A', 'B', 'C', 'D'], 'the range\'s accounts, not the buyer through another');
  assert.match(last.reasons.find((r) => r.code === 'exit_cluster')?.detail ?? '', /^4 of the accounts each sold holdings and then bought 1234 through one IP range new to each of them, within 12 h/);
  assert.deepEqual(found.map((f) => f.accountIds.length), [3, 4], 'formed at the third, revised at the fourth');

  // the shared exit establishes the campaign: at its next revision the buyer through another new range is named with it
  const later = campaigns([buyer('A', 0), buyer('B', 90), buyer('C', 300), buyer('D', 400), buyer('E', 410, { network: 78 }), buyer('F', 420)]).at(-1);
  assert.deepEqual(later?.accountIds, ['A', 'B', 'C', 'D', 'E', 'F']);
  assert.match(later?.reasons.find((r) => r.code === 'sold_then_bought_in')?.detail ?? '', /^1 of the accounts were named/);
});

test('no campaign of one exit from buyers who did not sell first, from a range they knew, from two ranges, or spread over more than the window', () => {
  assert.equal(campaigns([buyer('A', 0, { fundedBySale: undefined }), buyer('B', 10, { fundedBySale: undefined }), buyer('C', 20, { fundedBySale: undefined })]).length, 0, 'buyers only');
  // an office's or a carrier's range is one its people already use
  assert.equal(campaigns([buyer('A', 0, { novelExit: undefined }), buyer('B', 10, { novelExit: undefined }), buyer('C', 20, { novelExit: undefined })]).length, 0, 'a known range');
  assert.equal(campaigns([buyer('A', 0), buyer('B', 10), buyer('C', 20, { network: 78 })]).length, 0, 'two ranges');
  assert.equal(campaigns([buyer('A', 0), buyer('B', 10), buyer('C', 13 * 60)]).length, 0, 'the first left the 12 h window');
});

test('stage 1 marks a buy that spends a real part of what the account had just sold, in a session that is not its owner\'s familiar one', () => {
  const trades = (a: string, sell: boolean, buyQty: number) => {
    const stage = new AccountStage(new ReferenceData(INSTRUMENTS, [account(a)]), resolveDetectionConfig());
    const out: StageOutput = { findings: [], trades: [] };
    const l = login(a, 0, { channel: 'web', ip: '153.137.100.145', asn: 4713, ipType: 'residential' });
    const evs: InputEvent[] = [l, order(a, 40, { symbol: '1234', side: 'buy', quantity: buyQty, sessionId: l.sessionId })];
    if (sell) evs.splice(1, 0, order(a, 5, { symbol: '6758', side: 'sell', quantity: 100, orderType: 'market', price: null, sessionId: l.sessionId }));
    for (const e of evs) stage.process(e, out);
    return out.trades.filter((t) => t.side === 'buy');
  };
  // ¥120万 sold; ¥40万 bought is a third of it, ¥20万 a sixth
  assert.equal(trades('F1', true, 1000)[0]?.fundedBySale, true);
  assert.equal(trades('F2', true, 500)[0]?.fundedBySale, undefined, 'a buy of a sixth of the sale is not spending it');
  assert.equal(trades('F3', false, 1000)[0]?.fundedBySale, undefined, 'nothing sold');
});

test('an established campaign names the earlier buyers who sold and came through a range new to them, from a day before its first member', () => {
  const wave = [tradeSignal('M1', 0), tradeSignal('M2', 20), tradeSignal('M3', 40)];
  const quiet = (a: string, minute: number, o: Partial<TradeSignal> = {}) => buyer(a, minute, { network: 500 + minute, ...o });
  const found = campaigns([quiet('R', -30 * 60), quiet('Q', -10 * 60), quiet('S', -9 * 60, { fundedBySale: undefined }), quiet('K', -8 * 60, { novelExit: undefined }), ...wave]);
  const last = found.at(-1);
  assert.ok(last && last.severity === 'high', 'three risky accounts: a campaign at high');
  assert.deepEqual(last.accountIds, ['M1', 'M2', 'M3', 'Q'], 'Q sold and bought through a new range 10 h before; R 30 h before, S without selling, K through a range it knew');
  assert.match(last.reasons.find((r) => r.code === 'sold_then_bought_in')?.detail ?? '', /^1 of the accounts were named once the campaign was established/);

  // a campaign of one exit keeps the range's accounts; the pool keeps the buyer through another range, and names it
  const byExit = campaigns([buyer('X', -60, { network: 90 }), buyer('A', 0), buyer('B', 90), buyer('C', 300)]).at(-1);
  assert.deepEqual(byExit?.accountIds, ['A', 'B', 'C', 'X']);

  // risky-looking buyers of a small cap alone (below riskyMemberRisk, no shared operator, no rise) name nobody else
  const weak = campaigns([quiet('Q', -10 * 60), ...['W1', 'W2', 'W3'].map((a, i) => tradeSignal(a, i * 20, { accountRisk: 0.5 }))]);
  assert.ok(weak.length > 0 && weak.every((f) => f.severity === 'medium'), 'a medium campaign');
  assert.ok(weak.every((f) => !f.accountIds.includes('Q')), 'an unconfirmed campaign does not reach back');
});

test('three suspects, each too weak to be a member, that each spent a sale on one small cap through its own new range are a campaign; having only bought, or through ranges they knew, they are not', () => {
  const suspect = (a: string, minute: number, o: Partial<TradeSignal> = {}) => buyer(a, minute, { accountRisk: 0.3, network: 600 + minute, ...o });
  const found = campaigns([suspect('A', 0), suspect('B', 4), suspect('C', 8)]).at(-1);
  assert.ok(found, 'a campaign at the third');
  assert.deepEqual(found.accountIds, ['A', 'B', 'C']);
  assert.match(found.reasons.find((r) => r.code === 'suspects_spent_sales')?.detail ?? '', /^3 of the accounts had takeover signals too weak alone \(risk 0.25 to 0.45\), but each sold holdings and spent the sale on 1234 through an IP range new to it\.$/);
  assert.equal(found.reasons.some((r) => r.code === 'exit_cluster'), false, 'three ranges, not one exit');

  assert.equal(campaigns([suspect('A', 0, { fundedBySale: undefined }), suspect('B', 4, { fundedBySale: undefined }), suspect('C', 8, { fundedBySale: undefined })]).length, 0, 'suspects who only bought');
  assert.equal(campaigns([suspect('A', 0, { novelExit: undefined }), suspect('B', 4, { novelExit: undefined }), suspect('C', 8, { novelExit: undefined })]).length, 0, 'through ranges they knew');
  assert.equal(campaigns([suspect('A', 0, { accountRisk: 0.2 }), suspect('B', 4, { accountRisk: 0.2 }), suspect('C', 8, { accountRisk: 0.2 })]).length, 0, 'no open incident worth the name');
});
