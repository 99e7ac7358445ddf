/**
 * The account stage's signals for worlds the simulator did not draw: accounts without history,
 * session tokens used without a login, devices and networks that come back, one spelling of an
 * IPv6 network, and reasons whose numbers agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, InputEvent } from '@kanshi/contract';
import { Incident, liquidationDetail } from './incident.js';
import { resolveDetectionConfig } from './config.js';
import { signal } from './scoring.js';
import { networkPrefix } from './profile.js';
import { account, DAY, history, INSTRUMENTS, login, order, runEngine, type LoginInput } from './test-fixtures.js';
import { AccountStage, type StageOutput } from './account-stage.js';
import { ReferenceData } from './reference.js';
import { DetectionEngine } from './engine.js';

const run = runEngine;

const HIGH = new Set(['high', 'critical']);
const last = (fs: Finding[], kind: string) => fs.filter((f) => f.kind === kind).at(-1);

/** An account with no login in the stream before: a Japanese residential address, as its owner's would be. */
function noHistorySellOff(a: string, buyPrice: number): InputEvent[] {
  const l = login(a, 0, { deviceId: `${a}-pc`, channel: 'web', ip: '126.33.4.5', asn: 17676, ipType: 'residential' });
  const s = l.sessionId!;
  return [
    l,
    order(a, 3, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, 4, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, 5, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: s }),
    order(a, 9, { symbol: '1234', side: 'buy', quantity: 15000, price: buyPrice, sessionId: s }),
  ];
}

test('no history: a sell-off then a thin buy at a price well above the market is high, with a takeover prior instead of "no anomaly"', () => {
  const pump = last(run(noHistorySellOff('P1', 460), ['P1']).findings, 'hijacked_pump_buy');
  assert.ok(pump && HIGH.has(pump.severity), pump?.severity);
  const prior = pump.reasons.find((r) => r.code === 'takeover_prior');
  assert.ok(prior, 'the prior is a reason');
  assert.match(prior.detail, /MFA sms/);
  assert.ok(!pump.reasons.some((r) => r.code === 'no_login_anomaly_seen'));
});

test('no history: the same sell-off and thin buy at the market price stays medium (a customer rotating into a small cap)', () => {
  const pump = last(run(noHistorySellOff('P2', 400), ['P2']).findings, 'hijacked_pump_buy');
  assert.equal(pump?.severity, 'medium');
});

test('a liquidation found by trading alone says how many orders and symbols it was, never "0 symbols", and never "101 % of the holdings"', () => {
  const pump = last(run(noHistorySellOff('P3', 460), ['P3']).findings, 'hijacked_pump_buy')!;
  const liq = pump.reasons.find((r) => r.code === 'liquidation')!;
  assert.match(liq.detail, /3 sell orders in 3 symbols, 3 at market/);
  assert.match(liquidationDetail(1.01, 1_010_000, 1_000_000, 1, 1, 0), /more than the ¥100万 held/);
  assert.doesNotMatch(liquidationDetail(1.01, 1_010_000, 1_000_000, 1, 1, 0), /101%/);
});

test('a session token used through another channel than its login is a takeover, and what it does is the incident\'s', () => {
  const a = 'S1';
  const owner = login(a, 0, { channel: 'app' });
  const s = owner.sessionId!;
  const trades = (channel: 'app' | 'web') => [
    ...history(a), owner,
    order(a, 30, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s, channel }),
    order(a, 31, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s, channel }),
    order(a, 40, { symbol: '1234', side: 'buy', quantity: 15000, price: 440, sessionId: s, channel }),
  ];
  const stolen = run(trades('web'), [a]).findings;
  const pump = last(stolen, 'hijacked_pump_buy');
  assert.ok(pump && HIGH.has(pump.severity), pump?.severity);
  assert.ok(pump.reasons.some((r) => r.code === 'session_channel_switch'));
  assert.deepEqual(run(trades('app'), [a]).findings.filter((f) => HIGH.has(f.severity)), [], 'the owner in their own app session');
});

test('an account change in a known session from another device, with no login of its own, is a stolen session token', () => {
  const a = 'S2';
  const owner = login(a, 0);
  const change = (deviceId: string): InputEvent => ({ type: 'account_event', eventId: `ae-${a}-${deviceId}`, ts: owner.ts + 3600_000, accountId: a, action: 'email_change', sessionId: owner.sessionId, deviceId });
  const stolen = run([...history(a), owner, change('thief-pc')], [a]).findings;
  const f = last(stolen, 'account_takeover');
  assert.ok(f, 'takeover reported');
  assert.ok(f.reasons.some((r) => r.code === 'session_used_foreign_device'));
  assert.ok(f.reasons.some((r) => r.code === 'email_change'));
  assert.deepEqual(run([...history(a), owner, change(`${a}-phone`)], [a]).findings, [], 'the device that logged in');
});

test('a new device and network that come back a day after a login that led nowhere are learned: the work PC is not new forever', () => {
  const a = 'W1';
  const work = { deviceId: 'work-pc', channel: 'web' as const, ip: '203.0.113.7', asn: 64500, ipType: 'residential' as const };
  const first = login(a, 0, work);
  const back = login(a, DAY + 60, work);
  const s = back.sessionId!;
  const evs = [
    ...history(a), first, back,
    order(a, DAY + 62, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, DAY + 63, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
  ];
  const { findings } = run(evs, [a]);
  assert.ok(findings.filter((f) => f.accountIds[0] === a).every((f) => f.detectedAt < back.ts), 'nothing from the returning device');
  // the same sale on the first sighting is watched
  const sameDay = [...history(a), first,
    order(a, 2, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: first.sessionId }),
    order(a, 3, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: first.sessionId })];
  assert.ok(run(sameDay, [a]).findings.some((f) => f.kind === 'takeover_liquidation'));
});

test('an IPv6 network has one spelling: compressed zeros, leading zeros and case do not make a new range', () => {
  assert.equal(networkPrefix('2400:4050::1'), networkPrefix('2400:4050:0:0:0:0:0:9'));
  assert.equal(networkPrefix('2400:4050:00AB::1'), networkPrefix('2400:4050:ab:1::2'));
  assert.notEqual(networkPrefix('2400:4050:ab::1'), networkPrefix('2400:4050:ac::1'));
  assert.equal(networkPrefix('::ffff:126.10.20.30'), networkPrefix('126.10.20.99'));
  assert.equal(networkPrefix('126.10.20.30'), '126.10.20');
});

test('a password-only customer on their own device is familiar: the legacy login is a weakness, not a sign of someone else', () => {
  const a = 'L1';
  const legacy = { authMethod: 'legacy_password_only' as const };
  const l = login(a, 0, legacy) as LoginInput;
  const s = l.sessionId!;
  const evs = [...history(a, 5, legacy), l,
    order(a, 3, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, 4, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, 5, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: s }),
    order(a, 9, { symbol: '1234', side: 'buy', quantity: 15000, price: 460, sessionId: s })];
  assert.deepEqual(run(evs, [a]).findings, [], 'their own rotation into a small cap, however it looks');
});

test('the customer\'s own phone on a network new to the account is still familiar: one weak sign (weight 0.1, the familiar limit) leaves its rotation into a small cap unjudged', () => {
  const a = 'F1';
  const l = login(a, 0, { ip: '60.32.1.2', asn: 2516, ipType: 'residential' }) as LoginInput;
  const s = l.sessionId!;
  const evs = [...history(a, 5), l,
    order(a, 3, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, 4, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, 5, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: s }),
    order(a, 9, { symbol: '1234', side: 'buy', quantity: 15000, price: 460, sessionId: s })];
  assert.deepEqual(run(evs, [a]).findings, []);
});

test('a takeover that changes who controls the account and withdraws is high without any trade; the change alone stays medium', () => {
  const a = 'CW1';
  const l = login(a, 0, { deviceId: 'new-pc', channel: 'web', ip: '153.100.1.2', asn: 4713, ipType: 'residential' });
  const change = (minute: number, action: 'email_change' | 'bank_account_change' | 'withdrawal_request'): InputEvent =>
    ({ type: 'account_event', eventId: `ae-${a}-${action}`, ts: l.ts + minute * 60_000, accountId: a, action, sessionId: l.sessionId });
  const takeover = (evs: InputEvent[]) => last(run(evs, [a]).findings, 'account_takeover');
  const withdrawn = takeover([...history(a), l, change(2, 'email_change'), change(3, 'bank_account_change'), change(5, 'withdrawal_request')]);
  assert.ok(withdrawn && HIGH.has(withdrawn.severity), withdrawn?.severity);
  assert.equal(takeover([...history(a), l, change(2, 'email_change'), change(3, 'bank_account_change')])?.severity, 'medium');
});

test('a new phone, its MFA re-registered and a small-cap buy is not high (moving phones); with the e-mail changed too it is', () => {
  const a = 'MF1';
  const l = login(a, 0, { deviceId: 'new-phone', ip: '153.100.1.2', asn: 4713, ipType: 'residential' });
  const change = (minute: number, action: 'mfa_change' | 'email_change'): InputEvent =>
    ({ type: 'account_event', eventId: `ae-${a}-${action}`, ts: l.ts + minute * 60_000, accountId: a, action, sessionId: l.sessionId });
  const buy = order(a, 10, { symbol: '1234', side: 'buy', quantity: 3000, price: 410, sessionId: l.sessionId });
  const worst = (evs: InputEvent[]) => run(evs, [a]).findings.filter((f) => f.accountIds.includes(a)).reduce((w, f) => (HIGH.has(f.severity) ? 'high+' : w), 'below high');
  assert.equal(worst([...history(a), l, change(2, 'mfa_change'), buy]), 'below high');
  assert.equal(worst([...history(a), l, change(2, 'mfa_change'), change(3, 'email_change'), buy]), 'high+');
});

test('a session resumed on the account\'s own network by a device not yet learned is a household device, not a stolen cookie', () => {
  const a = 'HN1';
  const home = { channel: 'web' as const, ip: '2400:4050:c2e3:2fb4::10', asn: 4713, ipType: 'residential' as const, deviceId: `${a}-pc` };
  const resume = (ip: string, asn: number) => login(a, 10, { authMethod: 'session_resume', deviceId: `${a}-tablet`, channel: 'app', ip, asn, ipType: 'residential' });
  // the resumed session sells everything: enough for a finding to say how it got in
  const sale = (l: LoginInput) => ['7203', '6758', '9984'].map((symbol, i) => order(a, 12 + i, { symbol, side: 'sell', quantity: [1000, 200, 300][i], orderType: 'market', price: null, sessionId: l.sessionId }));
  const codes = (l: LoginInput) => run([...history(a, 5, home), l, ...sale(l)], [a]).findings.flatMap((f) => f.reasons.map((r) => r.code));
  assert.ok(!codes(resume('2400:4050:c2e3:2fb4::77', 4713)).includes('session_resume_unknown_device'), 'at home');
  assert.ok(codes(resume('2404:7a80:9:1::5', 2527)).includes('session_resume_unknown_device'), 'anywhere else it still is');
});

test('a corporate secure web gateway abroad says where the proxy is, not the customer: no datacenter abroad; a cloud server abroad still is one', () => {
  const a = 'GW1';
  const via = (asn: number) => login(a, 0, { deviceId: `${a}-work-pc`, channel: 'web', ip: '165.225.72.9', country: 'DE', asn, ipType: 'hosting' });
  const sale = (l: LoginInput) => ['7203', '6758', '9984'].map((symbol, i) => order(a, 2 + i, { symbol, side: 'sell', quantity: [1000, 200, 300][i], orderType: 'market', price: null, sessionId: l.sessionId }));
  const codes = (asn: number) => { const l = via(asn); return new Set(run([...history(a), l, ...sale(l)], [a]).findings.flatMap((f) => f.reasons.map((r) => r.code))); };
  const zscaler = codes(62044);
  assert.ok(zscaler.has('secure_web_gateway'));
  for (const c of ['datacenter_abroad', 'hosting_ip', 'foreign_login']) assert.ok(!zscaler.has(c), c);
  const aws = codes(16509);
  for (const c of ['datacenter_abroad', 'hosting_ip', 'foreign_login']) assert.ok(aws.has(c), c);
});

test('an MFA re-registration after a login from a datacenter abroad is no phone move: with the sell-off it is high, even without history', () => {
  const a = 'MF2';
  const l = login(a, 0, { deviceId: 'vps-browser', channel: 'web', ip: '128.154.222.208', country: 'SG', asn: 16509, ipType: 'hosting' });
  const mfa: InputEvent = { type: 'account_event', eventId: `ae-${a}-mfa`, ts: l.ts + 60_000, accountId: a, action: 'mfa_change', sessionId: l.sessionId };
  const sale = ['7203', '6758', '9984'].map((symbol, i) => order(a, 3 + i, { symbol, side: 'sell', quantity: [1000, 200, 300][i], orderType: 'market', price: null, sessionId: l.sessionId }));
  const { findings } = run([l, mfa, ...sale], [a]);
  assert.ok(findings.some((f) => HIGH.has(f.severity)), JSON.stringify(findings.map((f) => [f.kind, f.severity])));
});

test('the phone-move exemption looks at every login of the incident, in any order: a VPN login after the MFA change still hands the account over', () => {
  const cfg = resolveDetectionConfig();
  const inc = new Incident('k', 0, 0, undefined, cfg);
  inc.addLogin(0.5, [signal('new_device', 0.35, ''), signal('new_network', 0.2, '')], 'e1', 'password_otp_sms', null, false, cfg);
  inc.addControl(signal('mfa_change', 0.45, ''), 'e2');
  assert.equal(inc.strongAccess, false, 'a new phone and its MFA re-registered');
  inc.addLogin(0.3, [signal('vpn_ip', 0.2, '')], 'e3', 'password', null, false, cfg);
  assert.equal(inc.strongAccess, true, 'a VPN login in the same incident: not a phone move');
});

test('a session whose login first taught the account its device is not the owner\'s familiar session: its sell-off and thin buy are judged', () => {
  const a = 'F1';
  // two logins of history: the third, from a new phone on another carrier, is learned (nothing to contradict)
  const taught = login(a, 0, { deviceId: `${a}-new`, channel: 'web', ip: '114.230.21.199', asn: 2527, ipType: 'residential' });
  const s = taught.sessionId!;
  const events = [
    ...history(a, 2), taught,
    order(a, 3, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, 4, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, 5, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: s }),
    order(a, 9, { symbol: '1234', side: 'buy', quantity: 15000, orderType: 'market', price: null, sessionId: s }),
  ];
  const pump = last(run(events, [a]).findings, 'hijacked_pump_buy');
  assert.ok(pump, 'the trading is judged');
  assert.ok(pump.reasons.some((r) => r.code === 'liquidate_then_buy_thin'), pump.reasons.map((r) => r.code).join(','));
  // the same trading in a session from the phone the history knew stays the owner's
  const own = login(a, 0, { deviceId: `${a}-phone` });
  const mine = [...history(a, 2), own, ...events.slice(-4).map((e) => ({ ...e, accountId: a, sessionId: own.sessionId }))];
  assert.equal(last(run(mine, [a]).findings, 'hijacked_pump_buy'), undefined);
});

test('a new device that changes the bank account and the e-mail, then withdraws, is a takeover however quiet its login', () => {
  const cashOut = (a: string, deviceId: string, actions: Array<'email_change' | 'phone_change' | 'bank_account_change'>) => {
    // two logins of history, the account's own carrier and an SMS code: the login has nothing to contradict
    const l = login(a, 0, { deviceId });
    const change = (action: InputEvent & { type: 'account_event' } extends infer E ? E extends { action: infer X } ? X : never : never, minute: number): InputEvent =>
      ({ type: 'account_event', eventId: `ae-${a}-${action}`, ts: l.ts + minute * 60_000, accountId: a, action, sessionId: l.sessionId });
    return run([...history(a, 2), l, ...actions.map((x, i) => change(x, 10 + i)), change('withdrawal_request', 90)], [a]).findings.filter((f) => f.kind === 'account_takeover');
  };
  const cut = cashOut('W1', 'W1-new', ['email_change', 'bank_account_change']).at(-1);
  assert.ok(cut && HIGH.has(cut.severity), cut?.severity);
  assert.deepEqual(cut.reasons.map((r) => r.code), ['takeover_prior', 'email_change', 'bank_account_change', 'withdrawal_request']);
  assert.match(cut.reasons[0].detail, /2 earlier logins in the stream/);
  // one change alone is housekeeping: a new bank and a withdrawal stay below high
  const bank = cashOut('W2', 'W2-new', ['bank_account_change']).at(-1);
  assert.ok(!bank || !HIGH.has(bank.severity), bank?.severity);
  // the owner's own phone opens nothing
  assert.equal(cashOut('W3', 'W3-phone', ['email_change', 'bank_account_change']).length, 0);
});

test('a small account that sells out and spends it all on a thin stock is a campaign member, though the stock hardly notices the buy', () => {
  const cfg = resolveDetectionConfig({});
  const buyRisk = (a: string, sellFirst: boolean) => {
    // ¥12万 of holdings; the buy of ¥9.6万 is under the thin-buy floor of the stock's daily value
    const stage = new AccountStage(new ReferenceData(INSTRUMENTS, [account(a, 'sms', [{ symbol: '7203', quantity: 40 }])]), cfg);
    const l = login(a, 0, { channel: 'web', ip: '153.81.180.38', asn: 4713, ipType: 'residential' });
    const evs = [l, ...(sellFirst ? [order(a, 3, { symbol: '7203', side: 'sell', quantity: 40, orderType: 'market', price: null, sessionId: l.sessionId })] : []),
      order(a, 40, { symbol: '1234', side: 'buy', quantity: 240, orderType: 'market', price: null, sessionId: l.sessionId })];
    const out: StageOutput = { findings: [], trades: [] };
    for (const e of evs) stage.process(e, out);
    return out.trades.find((t) => t.symbol === '1234')!.accountRisk;
  };
  assert.ok(buyRisk('A1', true) >= cfg.campaignMemberRisk, String(buyRisk('A1', true)));
  assert.equal(buyRisk('A2', false), 0, 'the same buy without the sell-off is a customer\'s small-cap buy');
});

test('notices silenced in a session with no history to vouch for it make the thin buy that follows a suspect\'s, even without a sell-off', () => {
  const cfg = resolveDetectionConfig({});
  const buyRisk = (a: string, silence: boolean) => {
    const stage = new AccountStage(new ReferenceData(INSTRUMENTS, [account(a)]), cfg);
    const l = login(a, 0, { channel: 'web', ip: '133.184.121.48', asn: 2519, ipType: 'residential' });
    const evs: InputEvent[] = [l, ...(silence ? [{ type: 'account_event' as const, eventId: `ae-${a}`, ts: l.ts + 7 * 60_000, accountId: a, action: 'notification_change' as const, sessionId: l.sessionId }] : []),
      order(a, 40, { symbol: '1234', side: 'buy', quantity: 2000, sessionId: l.sessionId })];
    const out: StageOutput = { findings: [], trades: [] };
    for (const e of evs) stage.process(e, out);
    return out.trades.find((t) => t.symbol === '1234')!.accountRisk;
  };
  assert.ok(buyRisk('N1', true) >= cfg.campaignSuspectRisk, String(buyRisk('N1', true)));
  assert.equal(buyRisk('N2', false), 0);
});

/**
 * A session with no history to vouch for it changes `action`, sells `sells` (symbol, quantity) at
 * market and buys `buy` shares of the thin stock: its latest pump-buy finding.
 */
function unvouchedScheme(a: string, action: 'phone_change' | 'notification_change', sells: [string, number][], buy: number): Finding | undefined {
  const l = login(a, 0, { channel: 'web', ip: '133.184.121.48', asn: 2519, ipType: 'residential' });
  const s = l.sessionId!;
  return last(run([l,
    { type: 'account_event', eventId: `ae-${a}`, ts: l.ts + 5 * 60_000, accountId: a, action, sessionId: s },
    ...sells.map(([symbol, quantity], i) => order(a, 10 + i, { symbol, side: 'sell', quantity, orderType: 'market', price: null, sessionId: s })),
    order(a, 30, { symbol: '1234', side: 'buy', quantity: buy, orderType: 'market', price: null, sessionId: s }),
  ], [a]).findings, 'hijacked_pump_buy');
}

test('the phone changed in a session with no history to vouch for it, then the sell-off and the thin buy: the whole scheme is high', () => {
  const all: [string, number][] = [['7203', 1000], ['6758', 200], ['9984', 300]];
  const phone = unvouchedScheme('C1', 'phone_change', all, 15000);
  assert.ok(phone && HIGH.has(phone.severity), phone?.severity);
  assert.ok(phone.reasons.some((r) => r.code === 'phone_change'));
  // silenced notices hide the trades from the owner as a new phone does: the same scheme
  const silenced = unvouchedScheme('C2', 'notification_change', all, 15000);
  assert.ok(silenced && HIGH.has(silenced.severity), silenced?.severity);
});

test('after the phone changed in an unvouched session, a partial sell-off (a slow campaign sells in part) and the thin buy are the scheme too', () => {
  // ¥300万 of the ¥780万 held: 38 %, under the half a full sell-off needs
  const phone = unvouchedScheme('P5', 'phone_change', [['7203', 1000]], 6000);
  assert.ok(phone && HIGH.has(phone.severity), phone?.severity);
  const silenced = unvouchedScheme('P6', 'notification_change', [['7203', 1000]], 6000);
  assert.ok(silenced && HIGH.has(silenced.severity), silenced?.severity);
});

test('while another session\'s incident is open, a thin buy from the owner\'s own familiar session carries none of its risk', () => {
  const cfg = resolveDetectionConfig({});
  const buyRisk = (a: string, fromOwnSession: boolean) => {
    const stage = new AccountStage(new ReferenceData(INSTRUMENTS, [account(a)]), cfg);
    const own = history(a, 5);
    // a desktop on a new line in another ASN: enough to open an incident, not the owner's phone
    const other = login(a, 0, { deviceId: `${a}-pc`, channel: 'web', ip: '61.48.251.109', asn: 17506, ipType: 'residential' });
    const mine = login(a, 10);
    const evs: InputEvent[] = [...own, other, mine,
      order(a, 20, { symbol: '1234', side: 'buy', quantity: 2000, sessionId: fromOwnSession ? mine.sessionId : other.sessionId })];
    const out: StageOutput = { findings: [], trades: [] };
    for (const e of evs) stage.process(e, out);
    return out.trades.find((t) => t.symbol === '1234')!.accountRisk;
  };
  assert.ok(buyRisk('O1', false) >= cfg.campaignMemberRisk, `the other session's buy: ${buyRisk('O1', false)}`);
  assert.equal(buyRisk('O2', true), 0, 'a day trader\'s phone buying while their new PC\'s session is judged is the owner\'s order');
});

test('a session nothing used for a night (8 h), then trading with no login or resume of its own, is a stored token replayed: high with the scheme, but no hold on that alone', () => {
  const a = 'I1';
  const owner = login(a, 0, { channel: 'web' });
  const s = owner.sessionId!;
  const scheme = (from: number, resumed: boolean): InputEvent[] => [
    ...history(a), owner,
    ...(resumed ? [login(a, from - 5, { channel: 'web', authMethod: 'session_resume', sessionId: s })] : []),
    order(a, from, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s, channel: 'web' }),
    order(a, from + 1, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s, channel: 'web' }),
    order(a, from + 10, { symbol: '1234', side: 'buy', quantity: 15000, price: 440, sessionId: s, channel: 'web' }),
  ];
  // the owner's login at 09:00, the token's orders at 19:00 the same day
  const replayed = run(scheme(10 * 60, false), [a]);
  const pump = last(replayed.findings, 'hijacked_pump_buy');
  assert.ok(pump && HIGH.has(pump.severity), pump?.severity);
  assert.match(pump.reasons.find((r) => r.code === 'idle_session_reuse')?.detail ?? '', /^An order in session \S+ 10 h after anything last used it, with no login or resume of its own/);
  assert.deepEqual(replayed.holds, [], 'an open tab over a weekend is possible: not access that contradicts the account');
  assert.deepEqual(run(scheme(10 * 60, true), [a]).findings.filter((f) => HIGH.has(f.severity)), [], 'the owner resumed the session first');
  assert.deepEqual(run(scheme(6 * 60, false), [a]).findings.filter((f) => HIGH.has(f.severity)), [], 'idle for a working day\'s part, under 8 h');
  // a trading program's API key lives for weeks with no login: its orders are not replayed tokens
  const bot = login('I2', 0, { channel: 'api' });
  const botOrders = [order('I2', 30 * 60, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: bot.sessionId, channel: 'api' }),
    order('I2', 30 * 60 + 1, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: bot.sessionId, channel: 'api' })];
  assert.ok(!run([...history('I2', 5, { channel: 'api' }), bot, ...botOrders], ['I2']).findings.some((f) => f.reasons.some((r) => r.code === 'idle_session_reuse')), 'an API key');
});

test('no history and nothing sold: a thin buy at well above the last close opens a trading-only incident whose buyer a confirmed campaign takes in; at the market, or with history, it does not', () => {
  const cfg = resolveDetectionConfig({});
  const buyRisk = (a: string, price: number, days: number) => {
    const stage = new AccountStage(new ReferenceData(INSTRUMENTS, [account(a)]), cfg);
    const l = login(a, 0, { authMethod: 'session_resume', channel: 'web' });
    const evs: InputEvent[] = [...history(a, days), l, order(a, 30, { symbol: '1234', side: 'buy', quantity: 15000, price, sessionId: l.sessionId, channel: 'web' })];
    const out: StageOutput = { findings: [], trades: [] };
    for (const e of evs) stage.process(e, out);
    assert.ok(out.findings.every((f) => f.severity !== 'high' && f.severity !== 'critical'), 'never high alone');
    return out.trades.find((t) => t.symbol === '1234')!.accountRisk;
  };
  assert.ok(buyRisk('C1', 460, 0) > 0, 'paid 15% over the close with no history');
  assert.equal(buyRisk('C2', 405, 0), 0, 'at the market');
  assert.equal(buyRisk('C3', 460, 5), 0, 'an established account\'s own session');
});

test('a customer who lives abroad logging in from the brokerage\'s own country is not abroad: no foreign_login from JP for a CN account; from a third country it still is', () => {
  const a = 'CN1';
  const snapshot = { ...account(a), homeCountry: 'CN' };
  const home = { channel: 'app' as const, ip: '223.104.3.9', country: 'CN', asn: 9808, ipType: 'mobile' as const };
  const codes = (country: string, ip: string, asn: number) => {
    const engine = new DetectionEngine(new ReferenceData(INSTRUMENTS, [snapshot]));
    const out = { findings: [] as Finding[], holds: [] };
    const l = login(a, 0, { deviceId: `${a}-new-pc`, channel: 'web', ip, country, asn, ipType: 'residential' });
    const sale = ['7203', '6758', '9984'].map((symbol, i) => order(a, 2 + i, { symbol, side: 'sell', quantity: [1000, 200, 300][i], orderType: 'market', price: null, sessionId: l.sessionId }));
    for (const e of [...history(a, 5, home), l, ...sale].sort((x, y) => x.ts - y.ts)) engine.process(e, out);
    engine.flush(out);
    return new Set(out.findings.flatMap((f) => f.reasons.map((r) => r.code)));
  };
  const japan = codes('JP', '126.33.4.5', 17676);
  assert.ok(japan.has('new_device'), `a finding says how it got in (${[...japan]})`);
  assert.ok(!japan.has('foreign_login'), [...japan].join(','));
  assert.ok(codes('US', '73.12.4.5', 7922).has('foreign_login'));
});

test('after a stolen session, a buy of a thin stock the account never bought counts at any size; after a login strong only by its network it does not', () => {
  const small = (a: string, minute: number, sessionId: string) => order(a, minute, { symbol: '1234', side: 'buy', quantity: 200, price: 400, sessionId });
  // 200 x ¥400 = ¥8万, 0.4 % of the stock's ¥2,000万 daily value: a low-balance victim's cash
  const a = 'ST1';
  const own = login(a, 0);
  const replay = login(a, 10, { authMethod: 'session_resume', sessionId: own.sessionId, deviceId: `${a}-other`, channel: 'web', ip: '45.195.156.145', asn: 20473, ipType: 'hosting' });
  const stolen = last(run([...history(a), own, replay, small(a, 40, own.sessionId!)], [a]).findings, 'hijacked_pump_buy');
  assert.ok(stolen && HIGH.has(stolen.severity), stolen?.severity);
  assert.ok(stolen.reasons.some((r) => r.code === 'new_thin_symbol'), stolen.reasons.map((r) => r.code).join(','));
  const b = 'ST2';
  const office = login(b, 10, { deviceId: `${b}-work-pc`, channel: 'web', ip: '45.195.156.145', asn: 20473, ipType: 'hosting' });
  const pump = last(run([...history(b), office, small(b, 40, office.sessionId!)], [b]).findings, 'hijacked_pump_buy');
  assert.ok(!pump || !HIGH.has(pump.severity), pump?.severity);
});

test('a reason never calls a device or country first seen when the account showed it before in a suspicious login: "not in its history"', () => {
  const a = 'H1';
  const abroad = (minute: number) => login(a, minute, { deviceId: `${a}-laptop`, channel: 'web', ip: '8.158.242.87', country: 'HK', asn: 45102, ipType: 'hosting' });
  const fs = run([...history(a, 5), abroad(0), abroad(DAY + 60), abroad(2 * DAY + 60)], [a]).findings.filter((f) => f.kind === 'account_takeover');
  assert.ok(fs.length >= 2, `${fs.length} takeover findings`);
  for (const f of fs) {
    for (const r of f.reasons) assert.doesNotMatch(r.detail, /never seen|first login/i, `${r.code}: ${r.detail}`);
  }
  const last = fs.at(-1)!;
  assert.match(last.reasons.find((r) => r.code === 'foreign_login')?.detail ?? '', /^Login from HK, abroad for a JP account and not in its history/);
  assert.match(last.reasons.find((r) => r.code === 'new_device')?.detail ?? '', /^Device H1-laptop is in none of the \d+ logins of this account's history/);
});
