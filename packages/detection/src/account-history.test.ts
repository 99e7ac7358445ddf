/**
 * How much an account's own history can say: a history of a few hours knows few of the owner's
 * devices, and a second device that keeps coming home is the owner's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, InputEvent, LoginEvent } from '@kanshi/contract';
import { at, DAY, history, login, order, reference, runEngine, type LoginInput } from './test-fixtures.js';
import { AccountStage, type StageOutput } from './account-stage.js';
import { DEFAULT_DETECTION_CONFIG } from './config.js';

const HOME = { ip: '221.16.132.97', asn: 64511, ipType: 'residential' as const };
const MOBILE = { ip: '126.10.20.30', asn: 17676, ipType: 'mobile' as const };

const weightOf = (fs: Finding[], code: string) => {
  const r = fs.flatMap((f) => f.reasons).find((x) => x.code === code) as { weight?: number; detail: string } | undefined;
  return r;
};

function sellOff(a: string, minute: number, sessionId: string | null | undefined): InputEvent[] {
  return [
    order(a, minute, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: sessionId ?? undefined }),
    order(a, minute + 1, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: sessionId ?? undefined }),
  ];
}

test('a history of a few hours counts a new device and network half: the stream\'s first day is not an established history', () => {
  const run = (a: string, before: InputEvent[], o = {}) => {
    const pc = login(a, 90, { deviceId: 'mac', channel: 'web', ...HOME, ...o });
    return runEngine([...before, pc, ...sellOff(a, 92, pc.sessionId)], [a]).findings.filter((f) => f.kind === 'takeover_liquidation');
  };
  const hours = (a: string) => [login(a, 0, MOBILE), login(a, 30, MOBILE), login(a, 60, MOBILE)];
  const old = run('Y1', history('Y1', 5, MOBILE));
  assert.ok(old.length > 0, 'after days of history a new device and line then a sell-off are watched');
  assert.match(weightOf(old, 'new_device')!.detail, /in none of the 5 logins of this account's history\.$/);
  // the same after three logins within the hour: novelty alone opens nothing
  assert.deepEqual(run('Y2', hours('Y2')), []);
  // with a password-only login beside it, it is watched, its span named
  const legacy = run('Y3', hours('Y3'), { authMethod: 'legacy_password_only' });
  assert.ok(legacy.length > 0);
  assert.match(weightOf(legacy, 'new_device')!.detail, /in none of the 3 logins of this account's history, all within 1 h\./);
});

test('a second device seen in an incident that traded but stayed medium is learned when it comes back home on a later day', () => {
  const a = 'H1';
  // the owner's phone on the carrier for days; the home line is new to the account
  const pc = login(a, 0, { deviceId: 'mac', channel: 'web', ...HOME });
  const phoneAtHome = login(a, 200, { ...HOME });
  const back = login(a, DAY + 60, { deviceId: 'mac', channel: 'web', ...HOME });
  const evs = [
    ...history(a, 5, MOBILE), pc, ...sellOff(a, 2, pc.sessionId), phoneAtHome,
    back, ...sellOff(a, DAY + 62, back.sessionId),
  ];
  const { findings } = runEngine(evs, [a]);
  const mine = findings.filter((f) => f.accountIds.includes(a));
  assert.ok(mine.some((f) => f.detectedAt < back.ts), 'the first sighting is watched');
  assert.ok(mine.every((f) => f.severity === 'medium' || f.severity === 'low'), 'the first incident stayed medium');
  assert.ok(mine.every((f) => f.detectedAt < back.ts), 'nothing from the device come home');
  // back from somewhere else than the account's own lines, it is still new
  const away = login(a, DAY + 60, { deviceId: 'mac', channel: 'web', ip: '60.70.80.90', asn: 64999, ipType: 'residential' });
  const elsewhere = runEngine([...history(a, 5, MOBILE), pc, ...sellOff(a, 2, pc.sessionId), phoneAtHome, away, ...sellOff(a, DAY + 62, away.sessionId)], [a]);
  assert.ok(elsewhere.findings.some((f) => f.accountIds.includes(a) && f.detectedAt >= away.ts), 'a return from a line the account never used is judged');
});

test('a session resumed by the device that made it, now on a home-country mobile carrier, is a phone leaving the Wi-Fi, not a stolen cookie', () => {
  const a = 'R1';
  const office: Partial<LoginEvent> = { deviceId: 'new-phone', channel: 'app', ip: '202.41.106.9', asn: 64520, ipType: 'residential' };
  const made = login(a, 0, office);
  const resumeFrom = (net: Partial<LoginEvent>) => {
    const stage = new AccountStage(reference([a]), DEFAULT_DETECTION_CONFIG);
    const out: StageOutput = { findings: [], trades: [] };
    for (const e of [...history(a, 5, HOME), made, login(a, 40, { ...office, ...net, authMethod: 'session_resume', sessionId: made.sessionId })]) stage.process(e, out);
    // the incident's own verdict on the access: whether it contradicts what the account knows
    return (stage as unknown as { accounts: Map<string, { incident: { strongAccess: boolean } }> }).accounts.get(a)!.incident;
  };
  const carrier = resumeFrom({ ip: '240b:c0:1c41:b566::8e0b', asn: 17676, ipType: 'mobile' });
  assert.equal(carrier.strongAccess, false);
  // the same cookie replayed from someone else's home line, or from a carrier abroad, contradicts the session
  for (const net of [{ ip: '61.7.8.9', asn: 64530, ipType: 'residential' as const }, { ip: '100.64.1.2', asn: 64540, ipType: 'mobile' as const, country: 'VN' }]) {
    assert.equal(resumeFrom(net).strongAccess, true, net.ip);
  }
});

test('a new phone seen in an incident that stayed medium, back on a home-country carrier on a later day, is the owner\'s: a phone is on the carrier as often as on the home line', () => {
  const a = 'H3';
  const run = (back: ReturnType<typeof login>) => {
    const phone = login(a, 0, { deviceId: 'pixel', ...MOBILE });
    const evs = [...history(a, 5, { deviceId: 'mac', channel: 'web', ...HOME }), phone, ...sellOff(a, 2, phone.sessionId), back, ...sellOff(a, DAY + 62, back.sessionId)];
    return runEngine(evs, [a]).findings.filter((f) => f.accountIds.includes(a));
  };
  const carrier = run(login(a, DAY + 60, { deviceId: 'pixel', ip: '126.99.1.2', asn: 17676, ipType: 'mobile' }));
  assert.ok(carrier.length > 0 && carrier.every((f) => f.severity === 'medium' || f.severity === 'low'), 'the first sighting is watched, and stayed medium');
  assert.ok(carrier.every((f) => f.detectedAt < at(DAY + 60)), 'nothing from the phone come back on its carrier');
  // on a carrier abroad it is not the phone leaving the Wi-Fi at home
  const abroad = run(login(a, DAY + 60, { deviceId: 'pixel', ip: '113.160.1.2', asn: 45899, ipType: 'mobile', country: 'VN' }));
  assert.ok(abroad.some((f) => f.detectedAt >= at(DAY + 60)), 'a return through a foreign carrier is judged');
});

test('an office PC behind an employer\'s cloud proxy, strong only by its exit, is learned when it comes back through that exit after a first visit that did nothing', () => {
  const a = 'W1';
  const proxy: Partial<LoginEvent> = { deviceId: 'work-pc', channel: 'web', ip: '136.251.213.157', asn: 13335, ipType: 'hosting' };
  const run = (first: InputEvent[], back: ReturnType<typeof login>) =>
    runEngine([...history(a, 5, HOME), ...first, back, ...sellOff(a, 7 * DAY + 2, back.sessionId)], [a]).findings.filter((f) => f.accountIds.includes(a) && f.detectedAt >= back.ts);
  const visit = login(a, 0, proxy);
  assert.equal(run([visit], login(a, 7 * DAY, { ...proxy, ip: '136.251.213.171' })).length, 0, 'the second visit is the owner\'s office');
  // a first visit that sold was an incident that did something: its device stays new
  assert.ok(run([visit, ...sellOff(a, 2, visit.sessionId)], login(a, 7 * DAY, { ...proxy, ip: '136.251.213.171' })).length > 0, 'after a sale it is judged');
  // a datacenter abroad is where stolen passwords are tried first and used days later: never watched
  const abroad: Partial<LoginEvent> = { ...proxy, ip: '172.243.227.156', asn: 63949, country: 'US' };
  assert.ok(run([login(a, 0, abroad)], login(a, 7 * DAY, { ...abroad, ip: '172.243.227.132' })).length > 0, 'a return from a datacenter abroad is judged');
  // a cookie replayed from another device is a contradiction whatever exit it comes through
  const own = login(a, -60, HOME);
  const replay = login(a, 0, { ...proxy, authMethod: 'session_resume', sessionId: own.sessionId });
  assert.ok(run([own, replay], login(a, 7 * DAY, { ...proxy, authMethod: 'session_resume', sessionId: own.sessionId })).length > 0, 'a stolen cookie is never learned');
});

test('a privacy relay that keeps the user\'s country (WARP, iCloud Private Relay) exiting at home is no hosting address; the same relay abroad still is one', () => {
  const a = 'RL1';
  const via = (country: string) => login(a, 0, { deviceId: `${a}-iphone`, channel: 'web', ip: '104.28.50.7', country, asn: 13335, ipType: 'hosting' });
  const sale = (l: LoginInput) => ['7203', '6758', '9984'].map((symbol, i) => order(a, 2 + i, { symbol, side: 'sell', quantity: [1000, 200, 300][i], orderType: 'market', price: null, sessionId: l.sessionId }));
  const codes = (country: string) => { const l = via(country); return new Set(runEngine([...history(a), l, ...sale(l)], [a]).findings.flatMap((f) => f.reasons.map((r) => r.code))); };
  const home = codes('JP');
  assert.ok(home.has('new_device'), `a finding says how it got in (${[...home]})`);
  assert.ok(!home.has('hosting_ip'), [...home].join(','));
  const abroad = codes('US');
  for (const c of ['hosting_ip', 'foreign_login', 'datacenter_abroad']) assert.ok(abroad.has(c), `${c} (${[...abroad]})`);
});

test('on an account with little history, what the session\'s own login showed adds to the takeover prior: a VPN login that muted the notices and sold everything is reported, and says so', () => {
  const a = 'TH1';
  const l = login(a, 0, { deviceId: `${a}-pc`, channel: 'web', ip: '89.97.159.48', asn: 9009, ipType: 'vpn' });
  const s = l.sessionId!;
  const events: InputEvent[] = [
    ...history(a, 2), l,
    { type: 'account_event', eventId: `ae-${a}`, ts: at(30), accountId: a, action: 'notification_change', sessionId: s },
    ...['7203', '6758', '9984'].map((symbol, i) => order(a, 40 + i, { symbol, side: 'sell', quantity: [1000, 200, 300][i], orderType: 'market', price: null, sessionId: s })),
  ];
  const f = runEngine(events, [a]).findings.filter((x) => x.kind === 'takeover_liquidation').at(-1);
  assert.ok(f, 'reported');
  const codes = f.reasons.map((r) => r.code);
  for (const c of ['takeover_prior', 'session_login_risk', 'notification_change', 'liquidation']) assert.ok(codes.includes(c), `${c} in ${codes}`);
});

test('a laptop\'s session resumed through an employer\'s secure web gateway is the laptop at the office, not a stolen cookie; resumed through another network it is one', () => {
  const run = (a: string, exit: { ip: string; asn: number; ipType: 'hosting'; country: string }) => {
    const laptop = login(a, 0, { deviceId: `${a}-laptop`, channel: 'web', ip: '203.0.113.5', asn: 64600, ipType: 'residential' });
    const resumed = login(a, 120, { deviceId: `${a}-laptop`, channel: 'web', authMethod: 'session_resume', sessionId: laptop.sessionId, ...exit });
    const fs = runEngine([...history(a, 5, MOBILE), laptop, resumed, ...sellOff(a, 125, laptop.sessionId)], [a]).findings;
    return fs.flatMap((f) => f.reasons.map((r) => r.code));
  };
  assert.ok(run('G1', { ip: '52.95.110.1', asn: 16509, ipType: 'hosting', country: 'JP' }).includes('session_resume_foreign_network'), 'a datacenter that is nobody\'s office');
  const office = run('G2', { ip: '165.162.41.56', asn: 62044, ipType: 'hosting', country: 'DE' });
  assert.ok(!office.includes('session_resume_foreign_network'), office.join(', '));
});
