/**
 * The symbol stage's campaigns beyond one fast wave (slow campaigns, inflows of weak suspects,
 * one operator behind two accounts, later waves, sells placed before the campaign), and the
 * hold policy's corroboration rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '@kanshi/contract';
import { resolveDetectionConfig, type DetectionOverrides } from './config.js';
import { HoldPolicy } from './hold-policy.js';
import type { TradeSignal } from './signals.js';
import { SymbolStage } from './symbol-stage.js';
import { at, DAY, reference, tradeSignal } from './test-fixtures.js';

const trade = tradeSignal;

/** a fill printing a price, as the market moves */
const print = (minute: number, price: number): TradeSignal => trade('MKT', minute, { status: 'filled', price, fillQuantity: 100, valueJpy: 100 * price, accountRisk: 0 });

function run(trades: TradeSignal[], cfg: DetectionOverrides = {}): Finding[] {
  const stage = new SymbolStage(reference(['B1']), resolveDetectionConfig(cfg));
  const out: Finding[] = [];
  for (const t of [...trades].sort((a, b) => a.ts - b.ts)) stage.process(t, out);
  return out;
}

const campaign = (fs: Finding[]) => fs.filter((f) => f.kind === 'pump_campaign').at(-1);
const HIGH = new Set(['high', 'critical']);
const prints = (from: number, to: number, p0: number, p1: number) => Array.from({ length: 8 }, (_, i) => print(from + ((to - from) * i) / 7, p0 + ((p1 - p0) * i) / 7));

test('a slow campaign: risky buyers one a day over three days, most of the buying, the price up: a campaign that says it was slow', () => {
  const waves = [trade('A', 60), trade('B', DAY + 60), trade('C', 2 * DAY + 60)];
  const risen = campaign(run([...prints(-DAY, 0, 400, 400), ...waves, ...prints(2 * DAY, 2 * DAY + 50, 420, 470)]));
  assert.ok(risen, 'a campaign');
  assert.deepEqual(risen.accountIds, ['A', 'B', 'C']);
  assert.ok(risen.reasons.some((r) => r.code === 'slow_campaign'));
  assert.match(risen.reasons[0].detail, /within 2\.0 days/);
  assert.equal(campaign(run([...prints(-DAY, 0, 400, 400), ...waves, ...prints(2 * DAY, 2 * DAY + 50, 400, 401)])), undefined, 'no price move over days: coincidence');
  assert.equal(campaign(run([...prints(-DAY, 0, 400, 400), ...waves, ...prints(2 * DAY, 2 * DAY + 50, 420, 470)], { slowCampaignWindowMs: 2 * 3600_000 })), undefined, 'without the slow window');
});

test('an inflow of suspects: six open incidents each too weak to be a member, buying one small cap together, are a campaign; five are not', () => {
  const suspects = (k: number) => Array.from({ length: k }, (_, i) => trade(`S${i}`, 10 + i * 5, { accountRisk: 0.3 }));
  const six = campaign(run(suspects(6)));
  assert.ok(six);
  assert.equal(six.accountIds.length, 6);
  assert.ok(six.reasons.some((r) => r.code === 'suspect_inflow'));
  assert.equal(campaign(run(suspects(5))), undefined);
  assert.equal(campaign(run(suspects(6), { campaignSuspectRisk: 0.45 })), undefined, 'without the suspect tier');
});

test('two risky accounts behind one device are one operator: a campaign with two; two strangers are not', () => {
  const shared = campaign(run([trade('A', 10, { device: 77 }), trade('B', 20, { device: 77 })]));
  assert.ok(shared);
  assert.ok(shared.reasons.some((r) => r.code === 'shared_infrastructure'));
  assert.equal(campaign(run([trade('A', 10), trade('B', 20)])), undefined);
});

test('a campaign without a price move, shared infrastructure or many clearly risky members stays medium; the pump makes it high', () => {
  const three = [trade('A', 10, { accountRisk: 0.5 }), trade('B', 20, { accountRisk: 0.5 }), trade('C', 30, { accountRisk: 0.5 })];
  assert.equal(campaign(run([...prints(-60, 0, 400, 400), ...three]))?.severity, 'medium');
  const pumped = campaign(run([...prints(-60, 0, 400, 400), ...prints(11, 25, 410, 480), ...three]));
  assert.ok(pumped && HIGH.has(pumped.severity), pumped?.severity);
});

test('once the price confirms a campaign, a risky buyer of a later wave joins it, hours after the first', () => {
  const first = [trade('A', 10), trade('B', 15), trade('C', 20)];
  const later = trade('D', 10 * 60);
  const joined = campaign(run([...prints(-60, 0, 400, 400), ...prints(12, 30, 420, 480), ...first, later]));
  assert.ok(joined?.accountIds.includes('D'), JSON.stringify(joined?.accountIds));
  const unconfirmed = campaign(run([...prints(-60, 0, 400, 400), ...first, later]));
  assert.ok(!unconfirmed?.accountIds.includes('D'), 'without the pump, the symbol is not watched');
});

test('a limit sell placed before the campaign and filled into it makes a beneficiary', () => {
  const placed = trade('B1', -30, { side: 'sell', orderId: 'sell-1', quantity: 30000, price: 520, valueJpy: 15_600_000, accountRisk: 0, heldBefore: 30000 });
  const fill = { ...placed, eventId: 'fill-1', ts: at(40), status: 'filled' as const, fillQuantity: 30000 };
  const base = [...prints(-DAY, -60, 400, 400), ...prints(5, 35, 430, 520), trade('A', 10), trade('B', 15), trade('C', 20)];
  const ben = run([...base, placed, fill]).filter((f) => f.kind === 'dump_beneficiary');
  assert.ok(ben.length > 0, 'found by its fill');
  assert.equal(ben.at(-1)!.accountIds[0], 'B1');
});

test('the same sale into a campaign by an active trader of many symbols stays medium: the accounts a pump sells through trade little else', () => {
  const base = [...prints(-DAY, -60, 400, 400), ...prints(5, 35, 430, 520), trade('A', 10), trade('B', 15), trade('C', 20)];
  const sale = (activeSymbols: number) => {
    const placed = trade('B1', -30, { side: 'sell', orderId: 'sell-1', quantity: 30000, price: 520, valueJpy: 15_600_000, accountRisk: 0, heldBefore: 30000, activeSymbols });
    return run([...base, placed, { ...placed, eventId: 'fill-1', ts: at(40), status: 'filled' as const, fillQuantity: 30000 }]).filter((f) => f.kind === 'dump_beneficiary').at(-1);
  };
  const few = sale(2);
  assert.ok(few && HIGH.has(few.severity), `a seller of two symbols: ${few?.severity}`);
  assert.equal(sale(12)?.severity, 'medium', 'a seller of twelve: still found, for an analyst, never high');
});

test('a seller\'s account age comes with its trades (openedAt), not from the symbol stage\'s reference data, which holds no accounts', () => {
  const base = [...prints(-DAY, -60, 400, 400), ...prints(5, 35, 430, 520), trade('A', 10), trade('B', 15), trade('C', 20)];
  const sale = (o: Partial<TradeSignal>) => {
    const placed = trade('B1', -30, { side: 'sell', orderId: 'sell-1', quantity: 30000, price: 520, valueJpy: 15_600_000, accountRisk: 0, heldBefore: 30000, activeSymbols: 2, ...o });
    return run([...base, placed, { ...placed, eventId: 'fill-1', ts: at(40), status: 'filled' as const, fillQuantity: 30000 }]).filter((f) => f.kind === 'dump_beneficiary').at(-1);
  };
  const codes = (f: Finding | undefined) => f?.reasons.map((r) => r.code) ?? [];
  const fresh = sale({ openedAt: at(-10 * DAY) });
  assert.ok(codes(fresh).includes('recently_opened'), `an account opened ten days before: ${codes(fresh).join(', ')}`);
  const old = sale({ openedAt: at(-3000 * DAY) });
  assert.ok(!codes(old).includes('recently_opened'), 'a customer of years is not fresh');
  assert.ok(!codes(sale({})).includes('recently_opened'), 'without openedAt the age is unknown: not fresh');
  assert.ok(fresh!.score > (old?.score ?? 0), `the fresh account scores higher (${fresh!.score} > ${old?.score})`);
});

// ---- the hold policy's corroboration

function finding(kind: string, codes: string[], minute: number, o: Partial<Finding> = {}): Finding {
  return {
    findingId: `${kind}-${minute}-${o.accountIds?.[0] ?? 'A'}`, kind, severity: 'critical', score: 0.9, accountIds: ['A'], symbols: ['1234'], detectedAt: at(minute),
    evidence: ['e'], reasons: codes.map((code) => ({ code, detail: code })), revision: 1, ...o,
  };
}

test('holds: novelty and the scheme are not enough; contradicting access and the scheme are, even across two findings of one takeover', () => {
  const novelty = new HoldPolicy();
  assert.equal(novelty.evaluate(finding('hijacked_pump_buy', ['new_device', 'new_network', 'liquidation', 'thin_stock_buy'], 0)).holds.length, 0);
  const cookie = new HoldPolicy();
  assert.equal(cookie.evaluate(finding('takeover_liquidation', ['session_resume_foreign_device', 'liquidation'], 0)).holds.length, 0, 'no thin buy yet');
  const d = cookie.evaluate(finding('hijacked_pump_buy', ['new_device', 'thin_stock_buy'], 300));
  assert.equal(d.holds.length, 1, 'the night session completes the scheme the day session began');
  assert.match(d.holds[0].reason, /^scheme/);
});

test('holds: a campaign corroborates its members\' own scheme; a control change and a withdrawal after contradicting access, or with the e-mail changed too, is a cash-out', () => {
  const p = new HoldPolicy();
  assert.equal(p.evaluate(finding('hijacked_pump_buy', ['new_device', 'liquidation', 'thin_stock_buy'], 0, { accountIds: ['M1'] })).holds.length, 0);
  assert.equal(p.evaluate(finding('hijacked_pump_buy', ['takeover_prior', 'liquidation', 'thin_stock_buy'], 1, { accountIds: ['M2'] })).holds.length, 0);
  assert.equal(p.evaluate(finding('pump_campaign', ['risky_accounts_buying'], 4, { severity: 'high', score: 0.7, accountIds: ['M1', 'M2', 'M3'] })).holds.length, 0,
    'a campaign below the policy\'s own gate corroborates nobody');
  const named = p.evaluate(finding('pump_campaign', ['risky_accounts_buying'], 5, { accountIds: ['M1', 'M2', 'M3'] }));
  assert.deepEqual(named.holds.map((h) => h.accountId), ['M1'], 'only the member whose own login looked unlike it and that showed the scheme itself');
  assert.match(named.holds[0].reason, /^campaign member/);
  const cash = new HoldPolicy();
  assert.equal(cash.evaluate(finding('account_takeover', ['session_resume_foreign_device', 'bank_account_change', 'withdrawal_request'], 0)).holds.length, 1);
  assert.equal(new HoldPolicy().evaluate(finding('account_takeover', ['new_device', 'bank_account_change', 'withdrawal_request'], 0)).holds.length, 0,
    'a new bank account and a withdrawal from a new device is a customer\'s cash-out');
  assert.equal(new HoldPolicy().evaluate(finding('account_takeover', ['vpn_ip', 'legacy_password_only', 'bank_account_change', 'withdrawal_request'], 0)).holds.length, 0,
    'so it is through an always-on VPN');
  assert.equal(new HoldPolicy().evaluate(finding('account_takeover', ['new_device', 'email_change', 'bank_account_change', 'withdrawal_request'], 0)).holds.length, 1,
    'with the e-mail changed too the owner is cut off from it');
  assert.equal(new HoldPolicy().evaluate(finding('account_takeover', ['new_device', 'notification_change', 'withdrawal_request'], 0)).holds.length, 0);
});

test('a stake built in the days before and sold into a slow pump at +7 % is a beneficiary; a holder of years is one only when it supplied much of the campaign\'s buying, and then at medium', () => {
  const base = [...prints(-DAY, -60, 400, 400), ...prints(5, 35, 410, 440), trade('A', 10), trade('B', 15), trade('C', 20)];
  const sell = (heldBefore: number) => trade('B1', 30, { side: 'sell', quantity: 20000, price: 428, valueJpy: 8_560_000, accountRisk: 0, heldBefore });
  const built = [trade('B1', -2 * DAY, { status: 'filled', price: 398, fillQuantity: 20000, valueJpy: 7_960_000, accountRisk: 0 })];
  assert.ok(run([...base, ...built, sell(20000)]).some((f) => f.kind === 'dump_beneficiary'), 'the pre-positioned stake');
  const small = trade('B1', 30, { side: 'sell', quantity: 4000, price: 428, valueJpy: 1_712_000, accountRisk: 0, heldBefore: 20000 });
  assert.ok(!run([...base, small]).some((f) => f.kind === 'dump_beneficiary'), 'no accumulation seen: a +7 % sale of a quarter of the buying is ordinary');
  const supplier = run([...base, sell(20000)]).filter((f) => f.kind === 'dump_beneficiary').at(-1);
  assert.equal(supplier?.severity, 'medium', 'the other side of 136 % of the campaign\'s buying');
  assert.match(supplier.reasons.find((r) => r.code === 'supplied_campaign')?.detail ?? '', /^The sale was 136% of the ¥630万 the campaign's accounts bought/);
});

test('into a campaign the price has confirmed, a buyer with any open incident joins; before the price confirms it, or with no incident, nobody does', () => {
  const wave = [trade('A', 10), trade('B', 15), trade('C', 20)];
  const weak = trade('W', 60, { accountRisk: 0.1 });
  const clean = trade('Z', 61, { accountRisk: 0 });
  const pumped = campaign(run([...prints(-60, 0, 400, 400), ...wave, ...prints(25, 50, 420, 480), weak, clean]));
  assert.ok(pumped && HIGH.has(pumped.severity), pumped?.severity);
  assert.deepEqual(pumped.accountIds, ['A', 'B', 'C', 'W']);
  // the same three buyers without a price move: a campaign not yet confirmed takes no weak suspects
  const flat = campaign(run([...prints(-60, 0, 400, 400), ...wave, ...prints(25, 50, 400, 401), weak]));
  assert.deepEqual(flat?.accountIds, ['A', 'B', 'C']);
});

test('a slow campaign whose price hardly moved is confirmed by its volume: risky buyers taking more than a day of the stock\'s normal value', () => {
  const big = (a: string, minute: number) => trade(a, minute, { quantity: 20_000, valueJpy: 8_000_000 });
  const waves = [big('A', 60), big('B', DAY + 60), big('C', 2 * DAY + 60)];
  const flat = [...prints(-DAY, 0, 400, 400), ...prints(2 * DAY, 2 * DAY + 50, 400, 401)];
  const heavy = campaign(run([...flat, ...waves]));
  assert.ok(heavy && HIGH.has(heavy.severity), heavy?.severity);
  const volume = heavy.reasons.find((r) => r.code === 'volume_confirms');
  assert.ok(volume, heavy.reasons.map((r) => r.code).join(','));
  assert.match(volume.detail, /1\.2 days of 1234's average daily traded value/);
  // the same buyers taking a third of a day's value without a price move stay a coincidence
  assert.equal(campaign(run([...flat, trade('A', 60), trade('B', DAY + 60), trade('C', 2 * DAY + 60)])), undefined);
  assert.equal(campaign(run([...flat, ...waves.map((t) => ({ ...t, eventId: `${t.eventId}x` }))], { weights: { campaign: { volumeConfirmsAdvDays: 5 } } })), undefined, 'without the volume confirmation');
});

test('a slow campaign\'s seller is judged on what it sold from the campaign\'s first wave on, days before the campaign was seen', () => {
  const big = (a: string, minute: number) => trade(a, minute, { quantity: 20_000, valueJpy: 8_000_000 });
  const flat = [...prints(-DAY, 0, 400, 400), ...prints(2 * DAY, 2 * DAY + 50, 400, 401)];
  const sale = (minute: number) => trade('S', minute, { side: 'sell', quantity: 20_000, price: 410, valueJpy: 8_200_000, accountRisk: 0, heldBefore: 60_000 });
  // it sold into the first wave (day 0) and into the third, when the volume made the campaign
  const ben = run([...flat, big('A', 60), sale(70), big('B', DAY + 60), big('C', 2 * DAY + 60), sale(2 * DAY + 70)]).filter((f) => f.kind === 'dump_beneficiary').at(-1);
  assert.ok(ben, 'the other side of the campaign\'s buying');
  assert.match(ben.reasons[0]?.detail ?? '', /^Sold 40000 1234 /, 'both sales: the first, two days before the campaign formed, too');
});

test('a seller into a large campaign is judged on the buying around its own sales: the other side of a later wave, not of the whole campaign', () => {
  const big = (a: string, minute: number) => trade(a, minute, { quantity: 20_000, valueJpy: 8_000_000 });
  const wave = [...prints(-60, 0, 400, 400), big('A', 10), big('B', 15), big('C', 20), ...prints(25, 145, 402, 404), trade('D', 130)];
  const sale = trade('S', 150, { side: 'sell', quantity: 5000, price: 404, valueJpy: 2_020_000, accountRisk: 0, heldBefore: 60_000 });
  const ben = run([...wave, sale]).filter((f) => f.kind === 'dump_beneficiary').at(-1);
  assert.equal(ben?.severity, 'medium', 'it sold about what D bought around it');
  assert.match(ben.reasons.find((r) => r.code === 'supplied_campaign')?.detail ?? '', /^The ¥202万 it sold in the last 2 h was 96% of the ¥210万 risky buyers placed in those 2 h \(the campaign's accounts bought ¥2,610万 in all\)/);
  // the same sale three hours after the wave that moved nothing around it supplies nobody
  assert.equal(run([...prints(-60, 0, 400, 400), big('A', 10), big('B', 15), big('C', 20), ...prints(25, 145, 402, 404), { ...sale, ts: sale.ts + 60 * 60_000 }]).some((f) => f.kind === 'dump_beneficiary'), false);
});

test('a seller into two waves is measured like with like: its sales of the last 2 h against the buying of those 2 h, not all its sales against the latest wave', () => {
  const big = (a: string, minute: number) => trade(a, minute, { quantity: 20_000, valueJpy: 8_000_000 });
  const wave = [...prints(-60, 0, 400, 400), big('A', 10), big('B', 15), big('C', 20), ...prints(25, 145, 402, 404), trade('D', 130)];
  const sale = (minute: number) => trade('S', minute, { side: 'sell', quantity: 5000, price: 404, valueJpy: 2_020_000, accountRisk: 0, heldBefore: 60_000 });
  const ben = run([...wave, sale(22), sale(150)]).filter((f) => f.kind === 'dump_beneficiary').at(-1);
  assert.ok(ben, 'it sold about what D bought around its second sale');
  const supplied = ben.reasons.find((r) => r.code === 'supplied_campaign')?.detail ?? '';
  // both sales (¥404万) against D's ¥210万 alone would claim 192 %: more than the seller supplied
  assert.match(supplied, /^The ¥202万 it sold in the last 2 h was 96% of the ¥210万 risky buyers placed in those 2 h/);
  assert.match(ben.reasons[0]?.detail ?? '', /^Sold 10000 1234 \(¥404万\)/, 'the first reason still counts every sale into the campaign');
});

test('a stake bought in the days before, a noticeable part of the stock\'s daily value, and sold whole into a campaign that lifted the price only 3 % names its seller at medium; sold in part, or held for years, or too small to matter, it does not', () => {
  const wave = [...prints(-DAY, -60, 400, 400), trade('A', 10), trade('B', 15), trade('C', 20), ...prints(25, 40, 401, 404)];
  const built = (quantity: number) => trade('B1', -2 * DAY, { status: 'filled', price: 398, fillQuantity: quantity, valueJpy: 398 * quantity, accountRisk: 0 });
  const sale = (quantity: number, heldBefore: number) => trade('B1', 30, { side: 'sell', quantity, price: 412, valueJpy: 412 * quantity, accountRisk: 0, heldBefore });
  const ben = (trades: TradeSignal[]) => run(trades).filter((f) => f.kind === 'dump_beneficiary').at(-1);
  // 5,000 shares are 0.1 days of 1234's ¥2,000万 daily value; the ¥206万 sale is a third of the ¥630万 the campaign bought
  const staked = ben([...wave, built(5000), sale(5000, 5000)]);
  assert.equal(staked?.severity, 'medium', JSON.stringify(staked));
  assert.match(staked.reasons.find((r) => r.code === 'staked_for_campaign')?.detail ?? '', /^Bought the 5000 1234 it held in the 2\.0 days before the campaign and sold all of it into the campaign, though the price rose only 3\.0%/);
  assert.equal(ben([...wave, built(5000), sale(2500, 5000)]), undefined, 'half of it sold: the stake may have had another purpose');
  assert.equal(ben([...wave, sale(5000, 5000)]), undefined, 'no buying of it seen: a holder selling into a rise');
  assert.equal(ben([...wave, built(1000), sale(1000, 1000)]), undefined, '0.02 days of the daily value: any trader\'s position');
});
