/**
 * What completes or undoes the scheme's evidence: an exit new to every buyer of a campaign, a
 * change of who hears of the trades in an unvouched session, a trader's habit and round trips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, InputEvent } from '@kanshi/contract';
import { AccountStage, type StageOutput } from './account-stage.js';
import { resolveDetectionConfig, type DetectionOverrides } from './config.js';
import { ReferenceData } from './reference.js';
import type { TradeSignal } from './signals.js';
import { SymbolStage } from './symbol-stage.js';
import { account, at, history, INSTRUMENTS, login, order, reference, runEngine, tradeSignal } from './test-fixtures.js';

const HIGH = new Set(['high', 'critical']);

const trade = (a: string, minute: number, o: Partial<TradeSignal> = {}) => tradeSignal(a, minute, { accountRisk: 0.5, ...o });

function campaign(trades: TradeSignal[]): Finding | undefined {
  const stage = new SymbolStage(reference([]), resolveDetectionConfig());
  const out: Finding[] = [];
  for (const t of trades) stage.process(t, out);
  return out.filter((f) => f.kind === 'pump_campaign').at(-1);
}

test('campaign buyers who each came through the same exit, new to every one of them, are one operator\'s proxy: high before the price moves', () => {
  const rented = campaign([trade('A', 10, { network: 77, novelExit: true }), trade('B', 20, { network: 77, novelExit: true }), trade('C', 30, { network: 77, novelExit: true })]);
  assert.ok(rented && HIGH.has(rented.severity), rented?.severity);
  const why = rented.reasons.find((r) => r.code === 'shared_new_exit');
  assert.match(why?.detail ?? '', /^3 of the accounts came through the same IP range, new to each of them/);
  // the same range known to its buyers is an office or a carrier: it proves nothing
  const office = campaign([trade('A', 10, { network: 77 }), trade('B', 20, { network: 77 }), trade('C', 30, { network: 77 })]);
  assert.equal(office?.severity, 'medium');
  assert.ok(!office.reasons.some((r) => r.code === 'shared_new_exit'));
});

function stage1(a: string, evs: InputEvent[], cfg: DetectionOverrides = {}, positions?: { symbol: string; quantity: number }[]): Finding[] {
  const stage = new AccountStage(new ReferenceData(INSTRUMENTS, [account(a, 'sms', positions)]), resolveDetectionConfig(cfg));
  const out: StageOutput = { findings: [], trades: [] };
  for (const e of [...evs].sort((x, y) => x.ts - y.ts)) stage.process(e, out);
  return out.findings;
}
const worst = (fs: Finding[]) => fs.filter((f) => f.kind === 'hijacked_pump_buy').map((f) => f.severity).sort((x, y) => ['low', 'medium', 'high', 'critical'].indexOf(y) - ['low', 'medium', 'high', 'critical'].indexOf(x))[0];

test('notices silenced in a session no history vouches for, part of the holdings sold, the sale spent on a thin stock: the scheme is high', () => {
  const run = (silenced: boolean) => {
    const a = silenced ? 'N1' : 'N2';
    const l = login(a, 0, { channel: 'web', ip: '153.137.100.145', asn: 4713, ipType: 'residential' });
    const s = l.sessionId!;
    return stage1(a, [
      l,
      ...(silenced ? [{ type: 'account_event', eventId: `${a}-n`, ts: at(2), accountId: a, action: 'notification_change', sessionId: s } as InputEvent] : []),
      // ¥300万 of the ¥720万 held, then all of it into the thin stock, a little over the market
      order(a, 4, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
      order(a, 30, { symbol: '1234', side: 'buy', quantity: 7400, price: 405, sessionId: s }),
    ]);
  };
  assert.ok(HIGH.has(worst(run(true)) ?? ''), worst(run(true)));
  assert.ok(!HIGH.has(worst(run(false)) ?? 'none'), 'the same trading without the change is a customer rotating');
});

/** no login history: the sell-off and a large thin buy well above the market complete the scheme's shape */
function shape(a: string, before: InputEvent[] = []): InputEvent[] {
  const l = login(a, 5 * 24 * 60, { deviceId: 'other-pc', channel: 'web', ip: '203.0.113.5', asn: 64600, ipType: 'residential' });
  const s = l.sessionId!;
  const m = 5 * 24 * 60;
  return [
    ...before, l,
    order(a, m + 3, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, m + 4, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, m + 5, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: s }),
    order(a, m + 9, { symbol: '1234', side: 'buy', quantity: 15000, price: 460, sessionId: s }),
  ];
}

test('an active trader\'s sell-off and small-cap buy are its habit: without access that contradicts it, the shape alone stays medium', () => {
  assert.ok(HIGH.has(worst(stage1('T1', shape('T1'), { activeTraderSymbols: 3 })) ?? ''), 'a customer with no trading history');
  // days of buying three symbols from its own phone
  const trading = history('T2', 5).map((e) => (e.type === 'order' ? { ...e, symbol: ['7203', '6758', '9984'][Math.abs(Math.round(e.ts / 86_400_000)) % 3] } : e));
  assert.equal(worst(stage1('T2', shape('T2', trading), { activeTraderSymbols: 3 })), 'medium');
});

test('an active trader\'s other terminal resuming a session on a home line is how it trades; the same session from a datacenter abroad is not', () => {
  const run = (a: string, where: Partial<InputEvent & { type: 'login' }>) => {
    const trading = history(a, 5).map((e) => (e.type === 'order' ? { ...e, symbol: ['7203', '6758', '9984'][Math.abs(Math.round(e.ts / 86_400_000)) % 3] } : e));
    const evs = shape(a, trading);
    const l = evs.find((e) => e.type === 'login' && e.deviceId === 'other-pc') as InputEvent & { type: 'login' };
    Object.assign(l, { authMethod: 'session_resume', ...where });
    return worst(stage1(a, evs, { activeTraderSymbols: 3 }));
  };
  // a session its login never showed, from a device the account never used: strong against history
  assert.equal(run('T3', {}), 'medium', 'the trader\'s office PC on a home line');
  assert.ok(HIGH.has(run('T4', { country: 'SG', ipType: 'hosting', ip: '203.0.113.77' }) ?? ''), 'a datacenter abroad');
});

test('a thin stock bought and sold back within the incident is a trader\'s round trip: the scheme\'s shape after it stays medium', () => {
  const a = 'U1';
  const evs = shape(a);
  const s = (evs.find((e) => e.type === 'login') as { sessionId: string }).sessionId;
  const m = 5 * 24 * 60;
  // a small thin buy sold again at once, before the sell-off and the large buy
  const trip = [order(a, m + 1, { symbol: '1234', side: 'buy', quantity: 100, price: 400, sessionId: s }), order(a, m + 2, { symbol: '1234', side: 'sell', quantity: 100, price: 401, sessionId: s })];
  assert.ok(HIGH.has(worst(stage1(a, evs)) ?? ''));
  assert.equal(worst(stage1(a, [...evs, ...trip])), 'medium');
});

test('a new bank account and a withdrawal from a new PC on a new line are a customer\'s cash-out; with the e-mail changed too the owner is cut off: high', () => {
  const run = (a: string, actions: string[]) => {
    const l = login(a, 0, { deviceId: 'work-pc', channel: 'web', ip: '203.0.113.9', asn: 64601, ipType: 'residential' });
    const changes = actions.map((action, i) => ({ type: 'account_event', eventId: `${a}-c${i}`, ts: at(3 + i), accountId: a, action, sessionId: l.sessionId }) as InputEvent);
    return stage1(a, [...history(a, 5), l, ...changes]).filter((f) => f.kind === 'account_takeover').map((f) => f.severity);
  };
  const bank = run('K1', ['bank_account_change', 'withdrawal_request']);
  assert.ok(bank.length > 0 && !bank.some((s) => HIGH.has(s)), String(bank));
  const cutOff = run('K2', ['email_change', 'bank_account_change', 'withdrawal_request']);
  assert.ok(cutOff.some((s) => HIGH.has(s)), String(cutOff));
});

test('a campaign\'s price reason says which way the price went: no "price move" above a fall', () => {
  const print = (minute: number, price: number) => tradeSignal('MKT', minute, { status: 'filled', price, fillQuantity: 100, valueJpy: 100 * price, accountRisk: 0 });
  const buyers = [trade('A', 10, { accountRisk: 0.7 }), trade('B', 20, { accountRisk: 0.7 }), trade('C', 30, { accountRisk: 0.7 })];
  // the price printed before the third buyer, whose buy forms the campaign
  const priced = (p: number) => campaign([print(-60, 400), print(-30, 400), buyers[0], buyers[1], print(25, p), buyers[2]])!.reasons;
  const fell = priced(398).find((r) => r.code.startsWith('price_'));
  assert.equal(fell?.code, 'price_unmoved');
  assert.match(fell!.detail, /\(-0\.5%\): not yet the/);
  assert.equal(priced(480).find((r) => r.code.startsWith('price_'))?.code, 'price_move');
});

test('notices silenced after a login unlike the account (new device and line, at night), the holdings sold and most of it put into a thin stock: the scheme is high though the buy barely moves the stock', () => {
  const run = (silenced: boolean) => {
    const a = silenced ? 'Q1' : 'Q2';
    const l = login(a, 17 * 60, { channel: 'web', deviceId: `${a}-pc`, ip: '114.147.132.63', asn: 2527, ipType: 'residential' });
    const s = l.sessionId!;
    return stage1(a, [
      ...history(a),
      l,
      ...(silenced ? [{ type: 'account_event', eventId: `${a}-n`, ts: at(17 * 60 + 10), accountId: a, action: 'notification_change', sessionId: s } as InputEvent] : []),
      order(a, 17 * 60 + 12, { symbol: '7203', side: 'sell', quantity: 100, orderType: 'market', price: null, sessionId: s }),
      // 80 % of the sale, 1.2 % of the stock's daily value: below the bar of a buy that moves it
      order(a, 17 * 60 + 40, { symbol: '1234', side: 'buy', quantity: 600, orderType: 'market', price: null, sessionId: s }),
    ], {}, [{ symbol: '7203', quantity: 100 }]);
  };
  assert.ok(HIGH.has(worst(run(true)) ?? ''), worst(run(true)));
  assert.ok(!HIGH.has(worst(run(false)) ?? 'none'), 'without the silenced notices a new PC at night and a small-cap buy are a customer\'s');
});

test('a victim with little to lose is as hijacked as a rich one: the evidence sets the severity, the sum at stake only the score', () => {
  const run = (a: string, shares: number) => {
    // a new PC on a new line at night, then a new e-mail address
    const l = login(a, 17 * 60, { channel: 'web', deviceId: `${a}-pc`, ip: '114.147.132.63', asn: 2527, ipType: 'residential' });
    return stage1(a, [
      ...history(a, 12),
      l,
      { type: 'account_event', eventId: `${a}-e`, ts: at(17 * 60 + 10), accountId: a, action: 'email_change', sessionId: l.sessionId } as InputEvent,
    ], {}, [{ symbol: '7203', quantity: shares }]).filter((f) => f.kind === 'account_takeover').at(-1);
  };
  // ¥60,000 and ¥3,000,000 held: under the impact floor the small one could not reach high
  const poor = run('L1', 20), rich = run('L2', 1000);
  assert.ok(rich && HIGH.has(rich.severity), `${rich?.severity} ${rich?.score}`);
  assert.ok(poor && poor.severity === rich.severity, `${poor?.severity} ${poor?.score}`);
  assert.ok(poor.score < resolveDetectionConfig().severityHighScore && poor.score < rich.score, `its score ${poor.score} ranks it below the richer account's ${rich.score}`);
});

test('the phone changed and the notices silenced in a session no history vouches for: the owner is cut off from what follows, a takeover at high before any trade', () => {
  const run = (a: string, actions: ('notification_change' | 'phone_change')[]) => {
    // a password-only login, the account's first in the stream
    const l = login(a, 0, { channel: 'web', ip: '133.129.226.53', asn: 2519, ipType: 'residential', authMethod: 'legacy_password_only' });
    return stage1(a, [l, ...actions.map((action, i) => ({ type: 'account_event', eventId: `${a}-${i}`, ts: at(2 + i), accountId: a, action, sessionId: l.sessionId }) as InputEvent)])
      .filter((f) => f.kind === 'account_takeover');
  };
  const both = run('S1', ['notification_change', 'phone_change']).at(-1);
  assert.ok(both && HIGH.has(both.severity), `${both?.severity} ${both?.score}`);
  // either alone is housekeeping: a new number, fewer mails
  for (const [a, one] of [['S2', 'phone_change'], ['S3', 'notification_change']] as const) {
    assert.ok(run(a, [one]).every((f) => !HIGH.has(f.severity)), one);
  }
});

test('with nothing sold, the trade notices silenced after access unlike the account and then a thin buy that pays up are the scheme: high; at the market price, or without the silence, medium', () => {
  const scheme = (a: string, silence: boolean, price: number) => {
    // no login history: an API login with a password from a datacenter abroad, the account's first
    const l = login(a, 0, { authMethod: 'password', channel: 'api', ip: '47.140.126.33', country: 'HK', asn: 45102, ipType: 'hosting', deviceId: `api-${a}` });
    const events: InputEvent[] = [
      l,
      ...(silence ? [{ type: 'account_event' as const, eventId: `ae-${a}`, ts: at(18), accountId: a, action: 'notification_change' as const, sessionId: l.sessionId }] : []),
      order(a, 40, { symbol: '1234', side: 'buy', quantity: 1500, price, sessionId: l.sessionId }),
    ];
    return runEngine(events, [a]).findings.filter((f) => f.kind === 'hijacked_pump_buy').at(-1);
  };
  const paysUp = scheme('CP1', true, 480);
  assert.ok(paysUp && HIGH.has(paysUp.severity), paysUp?.severity);
  assert.equal(scheme('CP2', true, 400)?.severity, 'medium', 'a limit at the last close: a customer waits for a fill');
  assert.equal(scheme('CP3', false, 480)?.severity, 'medium', 'an office gateway abroad buying a small cap, nothing silenced');
});

test('the trade notices silenced after a login unlike the account, then half the holdings or more sold: the owner is not told of the sale, high; the same sale with the notices on, medium', () => {
  const sellOff = (a: string, silence: boolean) => {
    // a PC and a line the account never used: novelty, not a contradiction of the account
    const l = login(a, 0, { deviceId: `${a}-pc`, channel: 'web', ip: '133.184.121.48', asn: 2519, ipType: 'residential' });
    const events: InputEvent[] = [
      ...history(a), l,
      ...(silence ? [{ type: 'account_event' as const, eventId: `ae-${a}`, ts: at(5), accountId: a, action: 'notification_change' as const, sessionId: l.sessionId }] : []),
      ...['7203', '6758', '9984'].map((symbol, i) => order(a, 10 + i, { symbol, side: 'sell', quantity: [1000, 200, 300][i], orderType: 'market', price: null, sessionId: l.sessionId })),
    ];
    return runEngine(events, [a]).findings.filter((f) => f.kind === 'takeover_liquidation').at(-1);
  };
  const silenced = sellOff('SN1', true);
  assert.ok(silenced && HIGH.has(silenced.severity), silenced?.severity);
  assert.equal(sellOff('SN2', false)?.severity, 'medium');
});

test('after the phone changed and the notices were silenced in an unvouched session, a thin stock the account never bought is the next step however small, and the buy is at least as sure as the takeover it follows', () => {
  const run = (a: string, actions: ('notification_change' | 'phone_change')[]) => {
    // an OTP-relayed login (its code was passed on), the account's first in the stream: nothing in it speaks
    const l = login(a, 0, { channel: 'web', ip: '133.129.226.53', asn: 2519, ipType: 'residential', authMethod: 'password_otp_sms' });
    return stage1(a, [
      l,
      ...actions.map((action, i) => ({ type: 'account_event', eventId: `${a}-${i}`, ts: at(2 + i), accountId: a, action, sessionId: l.sessionId }) as InputEvent),
      // ¥12,000 of a thin stock: a low-balance victim's cash moves no stock
      order(a, 30, { symbol: '1234', side: 'buy', quantity: 30, price: 400, sessionId: l.sessionId }),
    ]);
  };
  const cutOff = run('CO1', ['notification_change', 'phone_change']);
  const takeover = cutOff.filter((f) => f.kind === 'account_takeover').at(-1);
  const pump = cutOff.filter((f) => f.kind === 'hijacked_pump_buy').at(-1);
  assert.ok(takeover && pump, cutOff.map((f) => `${f.kind} ${f.severity}`).join(', '));
  const stray = pump.reasons.find((r) => r.code === 'new_thin_symbol');
  assert.match(stray?.detail ?? '', /bought in a session that had changed the account's e-mail or phone and silenced its trade notices/);
  assert.ok((pump.threat ?? 0) >= (takeover.threat ?? 0), `the buy's threat ${pump.threat} below the takeover's ${takeover.threat}`);
  assert.ok(HIGH.has(pump.severity), pump.severity);
  // the notices alone silenced: no one is cut off, and the small buy counts for nothing
  assert.ok(!run('CO2', ['notification_change']).some((f) => f.reasons.some((r) => r.code === 'new_thin_symbol')));
});

test('the trade notices silenced after a login suspicious enough to open an incident (a new device), then a third of the holdings sold and spent on a thin stock: the scheme is high though most was kept; without the silence, medium', () => {
  const run = (silenced: boolean) => {
    const a = silenced ? 'P1' : 'P2';
    const l = login(a, 60, { channel: 'web', deviceId: `${a}-pc` });
    const s = l.sessionId!;
    return stage1(a, [
      ...history(a),
      l,
      ...(silenced ? [{ type: 'account_event', eventId: `${a}-n`, ts: at(62), accountId: a, action: 'notification_change', sessionId: s } as InputEvent] : []),
      // ¥300万 of the ¥780万 held (38 %), then all of it into the thin stock
      order(a, 64, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
      order(a, 90, { symbol: '1234', side: 'buy', quantity: 7400, price: 405, sessionId: s }),
    ]);
  };
  const muted = run(true).filter((f) => f.kind === 'hijacked_pump_buy').at(-1);
  assert.ok(muted && HIGH.has(muted.severity), JSON.stringify(muted));
  assert.deepEqual(muted.reasons.map((r) => r.code).slice(0, 2), ['new_device', 'notification_change'], 'a new device alone, below the 0.45 a silence needed before');
  assert.ok(!HIGH.has(worst(run(false)) ?? 'none'), 'a new PC, a partial sale and a small-cap buy are a customer\'s');
});

test('after access that contradicts the account (a datacenter abroad) on an account with no history, a third of the holdings sold and spent on a thin stock is the scheme: high; from a new PC at home, medium', () => {
  const run = (abroad: boolean) => {
    const a = abroad ? 'D1' : 'D2';
    const l = abroad
      ? login(a, 60, { channel: 'web', deviceId: `${a}-vps`, ip: '54.201.3.4', asn: 16509, ipType: 'hosting', country: 'US' })
      : login(a, 60, { channel: 'web', deviceId: `${a}-pc`, ip: '153.137.100.145', asn: 4713, ipType: 'residential' });
    const s = l.sessionId!;
    return stage1(a, [
      l,
      // ¥300万 of the ¥780万 held (38 %), then all of it into the thin stock
      order(a, 64, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
      order(a, 90, { symbol: '1234', side: 'buy', quantity: 7400, price: 405, sessionId: s }),
    ]);
  };
  const abroad = run(true).filter((f) => f.kind === 'hijacked_pump_buy').at(-1);
  assert.ok(abroad && HIGH.has(abroad.severity), JSON.stringify(abroad));
  assert.ok(abroad.reasons.some((r) => r.code === 'datacenter_abroad'));
  assert.ok(!HIGH.has(worst(run(false)) ?? 'none'), 'a new PC at home, a partial sale and a small-cap buy are a customer\'s');
});

test('the owner\'s phone, quiet in its session of the day before, buying after the PC sold: not that sell-off\'s second step; the same buy from the PC is', () => {
  const run = (buyOnPhone: boolean) => {
    const a = buyOnPhone ? 'OT1' : 'OT2';
    const phone = login(a, 0, { deviceId: `${a}-phone` });
    const m = 24 * 60;
    const pc = login(a, m, { deviceId: `${a}-office-pc`, channel: 'web', ip: '203.0.113.5', asn: 64600, ipType: 'residential' });
    const resumed = login(a, m + 6, { deviceId: `${a}-phone`, authMethod: 'session_resume', sessionId: phone.sessionId });
    return stage1(a, [
      phone, pc, resumed,
      order(a, m + 3, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: pc.sessionId }),
      order(a, m + 4, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: pc.sessionId }),
      order(a, m + 5, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: pc.sessionId }),
      order(a, m + 9, { symbol: '1234', side: 'buy', quantity: 15000, price: 460, sessionId: buyOnPhone ? phone.sessionId : pc.sessionId }),
    ]);
  };
  assert.ok(HIGH.has(worst(run(false)) ?? ''), 'sold and bought in the PC\'s session');
  const phone = run(true);
  assert.equal(worst(phone), undefined, phone.map((f) => `${f.kind} ${f.severity}`).join(', '));
});

test('a stolen session replayed from another device at a datacenter, then a third of the holdings sold at market: the attacker cashing in, high; the same sale at limit prices, no finding of its own', () => {
  const sale = (a: string, orderType: 'market' | 'limit') => {
    const owner = login(a, 0, { channel: 'web', deviceId: `${a}-pc` });
    const replay = login(a, 120, { authMethod: 'session_resume', channel: 'web', sessionId: owner.sessionId, deviceId: `${a}-stealer`, ip: '52.26.10.84', asn: 16509, ipType: 'hosting' });
    const events: InputEvent[] = [
      ...history(a, 5, { channel: 'web', deviceId: `${a}-pc` }), owner, replay,
      // 7203 x 1000 at 3,000 = 38 % of the ¥780万 held: under the 0.3 strength a liquidation alone needs
      order(a, 125, { symbol: '7203', side: 'sell', quantity: 1000, orderType, ...(orderType === 'market' ? { price: null } : {}), sessionId: owner.sessionId }),
    ];
    return runEngine(events, [a]).findings.filter((f) => f.kind === 'takeover_liquidation').at(-1);
  };
  const hasty = sale('HS1', 'market');
  assert.ok(hasty && HIGH.has(hasty.severity), hasty?.severity);
  assert.ok(hasty.reasons.some((r) => r.code === 'session_resume_foreign_device'));
  assert.equal(sale('HS2', 'limit'), undefined);
});
