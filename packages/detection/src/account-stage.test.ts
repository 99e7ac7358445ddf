import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, Hold, InputEvent } from '@kanshi/contract';
import { DetectionEngine } from './engine.js';
import { history, login, order, reference, type LoginInput } from './test-fixtures.js';

function run(events: InputEvent[], accounts: string[]) {
  const engine = new DetectionEngine(reference(accounts));
  const out = { findings: [] as Finding[], holds: [] as Hold[] };
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) engine.process(e, out);
  engine.flush(out);
  return out;
}

const high = (fs: Finding[]) => fs.filter((f) => f.severity === 'high' || f.severity === 'critical');

/** A stolen session cookie used from abroad, holdings sold, a thin stock bought high. */
function cookieTheft(a: string): InputEvent[] {
  const h = history(a);
  const owner = login(a, 0);
  const hijack = login(a, 60, { authMethod: 'session_resume', sessionId: owner.sessionId, deviceId: 'attacker-pc', ip: '45.76.1.2', country: 'SG', asn: 20473, ipType: 'hosting' });
  const s = owner.sessionId!;
  return [
    ...h, owner, hijack,
    { type: 'account_event', eventId: `ae-${a}`, ts: hijack.ts + 60_000, accountId: a, action: 'notification_change', sessionId: s },
    order(a, 62, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, 63, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, 64, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: s }),
    order(a, 70, { symbol: '1234', side: 'buy', quantity: 15000, price: 520, sessionId: s }),
  ];
}

test('stolen cookie, liquidation and thin buy: flagged critical on the buy order, before any fill', () => {
  const evs = cookieTheft('A1');
  const { findings, holds } = run(evs, ['A1']);
  const kinds = new Set(findings.map((f) => f.kind));
  assert.ok(kinds.has('account_takeover'), 'takeover reported');
  assert.ok(kinds.has('takeover_liquidation'), 'liquidation reported');
  const pump = findings.filter((f) => f.kind === 'hijacked_pump_buy').at(-1)!;
  assert.equal(pump.severity, 'critical');
  assert.deepEqual(pump.symbols, ['1234']);
  assert.equal(pump.detectedAt, evs.at(-1)!.ts, 'detected at the new-order event');
  assert.ok(pump.reasons.some((r) => r.code === 'session_resume_foreign_device'));
  assert.ok(pump.reasons.some((r) => r.code === 'liquidation'));
  assert.ok(pump.evidence.includes(evs.at(-1)!.eventId));
  assert.ok(pump.threat! > 0.8 && pump.vulnerability === 1 && pump.impact! > 0);
  assert.equal(holds.length, 1);
  assert.equal(holds[0].mode, 'dry_run');
  assert.equal(holds[0].accountId, 'A1');
});

test('the same input gives the same findings, byte for byte, and ids are deterministic', () => {
  const evs = cookieTheft('A2');
  assert.equal(JSON.stringify(run(evs, ['A2'])), JSON.stringify(run(evs, ['A2'])));
});

test('duplicate eventIds are dropped, not double counted', () => {
  const evs = cookieTheft('A3');
  const once = run(evs, ['A3']);
  const twice = run([...evs, ...evs.map((e) => ({ ...e }))], ['A3']);
  assert.equal(JSON.stringify(twice), JSON.stringify(once));
});

test('phishing relay from a new device on a new network, settings changed, thin buy: high or critical', () => {
  const a = 'P1';
  const evs = [...history(a),
    login(a, 0, { deviceId: 'phisher', ip: '60.1.2.3', asn: 2516, ipType: 'residential' }),
  ];
  const s = (evs.at(-1) as LoginInput).sessionId!;
  evs.push(
    { type: 'account_event', eventId: 'p1-bank', ts: evs.at(-1)!.ts + 120_000, accountId: a, action: 'bank_account_change', sessionId: s },
    order(a, 5, { symbol: '8888.HK', side: 'buy', quantity: 60000, price: 1.4, currency: 'HKD', sessionId: s }),
  );
  const { findings } = run(evs, [a]);
  assert.ok(high(findings).some((f) => f.kind === 'hijacked_pump_buy'), JSON.stringify(findings.map((f) => [f.kind, f.severity, f.score])));
});

test('hard negative: a customer selling everything from their usual device stays quiet', () => {
  const a = 'N1';
  const evs = [...history(a), login(a, 0)];
  const s = (evs.at(-1) as LoginInput).sessionId!;
  for (const [sym, q] of [['7203', 1000], ['6758', 200], ['9984', 300]] as const) {
    evs.push(order(a, 5, { symbol: sym, side: 'sell', quantity: q, orderType: 'market', price: null, sessionId: s }));
  }
  assert.deepEqual(run(evs, [a]).findings, []);
});

test('hard negative: a traveller abroad on their own phone, trading normally, stays quiet', () => {
  const a = 'N2';
  const evs = [...history(a), login(a, 0, { country: 'US', ip: '172.56.1.1', asn: 21928, ipType: 'mobile' })];
  evs.push(order(a, 3, { symbol: '7203', side: 'buy', quantity: 100, sessionId: (evs.at(-1) as LoginInput).sessionId }));
  const { findings, holds } = run(evs, [a]);
  assert.equal(high(findings).length, 0);
  assert.equal(holds.length, 0);
});

test('hard negative: a new phone on the home network, then a normal trade and a small-cap buy, is never high', () => {
  const a = 'N3';
  const evs = [...history(a), login(a, 0, { deviceId: 'new-phone' })];
  const s = (evs.at(-1) as LoginInput).sessionId!;
  evs.push(order(a, 3, { symbol: '7203', side: 'buy', quantity: 100, sessionId: s }));
  evs.push(order(a, 4, { symbol: '1234', side: 'buy', quantity: 2000, price: 410, sessionId: s }));
  const { findings, holds } = run(evs, [a]);
  assert.equal(high(findings).length, 0, JSON.stringify(findings));
  assert.equal(holds.length, 0);
});

test('hard negative: a customer who always uses a VPN stays quiet', () => {
  const a = 'N4';
  const vpn = { ip: '185.2.3.4', asn: 9009, ipType: 'vpn' as const, country: 'NL' };
  const evs = [...history(a, 5, vpn), login(a, 0, vpn)];
  evs.push(order(a, 2, { symbol: '7203', side: 'sell', quantity: 500, sessionId: (evs.at(-1) as LoginInput).sessionId }));
  assert.deepEqual(run(evs, [a]).findings, []);
});

test('hard negative: a dormant customer returning on their old phone and trading normally stays quiet', () => {
  const a = 'N5';
  const evs = [...history(a, 3).map((e) => ({ ...e, ts: e.ts - 200 * 86_400_000 })), login(a, 0)];
  evs.push(order(a, 2, { symbol: '6758', side: 'buy', quantity: 10, sessionId: (evs.at(-1) as LoginInput).sessionId }));
  assert.deepEqual(run(evs, [a]).findings, []);
});

test('a session resumed from the device that created it is normal', () => {
  const a = 'N6';
  const first = login(a, 0);
  const evs = [...history(a), first, login(a, 120, { authMethod: 'session_resume', sessionId: first.sessionId, ip: '126.10.99.1' })];
  assert.deepEqual(run(evs, [a]).findings, []);
});

test('credential stuffing: failures then success from an unknown device opens a takeover', () => {
  const a = 'C1';
  const evs: InputEvent[] = [...history(a)];
  for (let i = 0; i < 5; i++) evs.push(login(a, i, { result: 'failure', deviceId: 'bot', ip: '5.6.7.8', asn: 60068, ipType: 'hosting', country: 'NL' }));
  evs.push(login(a, 6, { deviceId: 'bot', ip: '5.6.7.8', asn: 60068, ipType: 'hosting', country: 'NL', authMethod: 'legacy_password_only' }));
  const f = run(evs, [a]).findings.find((x) => x.kind === 'account_takeover');
  assert.ok(f, 'takeover reported');
  assert.ok(f.reasons.some((r) => r.code === 'failures_then_success'));
  assert.ok(f.reasons.some((r) => r.code === 'legacy_password_only'));
});

test('a new laptop on the home network that sells a lot and buys a small cap stays below high: novelty is not a contradiction', () => {
  const a = 'N1';
  const l = login(a, 0, { deviceId: 'new-laptop', channel: 'web', ip: '126.10.20.99', asn: 17676, ipType: 'residential' });
  const s = l.sessionId!;
  const evs = [
    ...history(a), l,
    order(a, 5, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, 6, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, 20, { symbol: '1234', side: 'buy', quantity: 5000, price: 410, sessionId: s }),
  ];
  const { findings, holds } = run(evs, [a]);
  assert.deepEqual(high(findings), []);
  assert.equal(holds.length, 0);
});

test('the attacker\'s session resumed at night carries the daytime incident: the night buy is the incident\'s', () => {
  const a = 'C1';
  const hijack = login(a, 0, { authMethod: 'password_otp_sms', deviceId: 'relay-pc', channel: 'web', ip: '47.74.1.2', country: 'HK', asn: 45102, ipType: 'hosting' });
  const s = hijack.sessionId!;
  const night = login(a, 13 * 60, { authMethod: 'session_resume', sessionId: s, deviceId: 'relay-pc', channel: 'web', ip: '47.74.1.3', country: 'HK', asn: 45102, ipType: 'hosting' });
  const evs = [
    ...history(a), hijack,
    order(a, 5, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, 6, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, 7, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: s }),
    night,
    order(a, 13 * 60 + 3, { symbol: '8888.HK', side: 'buy', quantity: 400_000, price: 1.4, currency: 'HKD', sessionId: s }),
  ];
  const { findings } = run(evs, [a]);
  const pump = findings.filter((f) => f.kind === 'hijacked_pump_buy').at(-1);
  assert.ok(pump, 'the night buy is reported');
  assert.ok(['high', 'critical'].includes(pump.severity), pump.severity);
  assert.ok(pump.evidence.includes(evs.at(-1)!.eventId));
  assert.ok(pump.reasons.some((r) => r.code === 'liquidate_then_buy_thin'), 'the daytime sale and the night buy are one pattern');
});

test('without history, a datacenter abroad and a sell-off stay medium (a cloud web proxy looks the same); the thin buy that completes the scheme goes high', () => {
  const a = 'D1';
  const l = login(a, 0, { authMethod: 'password', deviceId: 'x', channel: 'web', ip: '45.76.1.2', country: 'US', asn: 63949, ipType: 'hosting' });
  const s = l.sessionId!;
  const evs = [
    l,
    order(a, 5, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, 6, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, 7, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: s }),
  ];
  const liq = run(evs, [a]).findings.filter((f) => f.kind === 'takeover_liquidation').at(-1);
  assert.equal(liq?.severity, 'medium');
  assert.ok(liq.reasons.some((r) => r.code === 'datacenter_abroad'));
  const pump = run([...evs, order(a, 20, { symbol: '1234', side: 'buy', quantity: 15000, price: 440, sessionId: s })], [a]).findings.filter((f) => f.kind === 'hijacked_pump_buy').at(-1);
  assert.ok(pump && ['high', 'critical'].includes(pump.severity), pump?.severity);
});

test('a liquidation finding is told by its sales: what the buy assessment said (a limit above the close, a symbol new to the account) stays with the pump finding', () => {
  const a = 'LQ1';
  const own = login(a, 0);
  const s = own.sessionId!;
  const replay = login(a, 10, { authMethod: 'session_resume', sessionId: s, deviceId: `${a}-other`, channel: 'web', ip: '45.195.156.145', asn: 20473, ipType: 'hosting' });
  const out = run([
    ...history(a), own, replay,
    order(a, 12, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, 20, { symbol: '1234', side: 'buy', quantity: 200, price: 480, sessionId: s }),
    order(a, 25, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, 26, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: s }),
  ], [a]);
  const codes = (kind: string) => out.findings.filter((f) => f.kind === kind).at(-1)?.reasons.map((r) => r.code) ?? [];
  assert.ok(codes('hijacked_pump_buy').includes('aggressive_limit'), codes('hijacked_pump_buy').join(','));
  const liquidation = codes('takeover_liquidation');
  assert.ok(liquidation.includes('liquidation'), liquidation.join(','));
  for (const c of ['thin_stock_buy', 'aggressive_limit', 'new_thin_symbol']) assert.ok(!liquidation.includes(c), `${c} in ${liquidation}`);
});
