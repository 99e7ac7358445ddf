import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parseEventLine, RejectedEvent, type InputEvent } from '@kanshi/contract';
import { ExchangeCalendar, usDaylight } from './calendar.js';
import { FAMILIES, FAMILY_NAMES, TUNING_FAMILIES } from './families.js';
import type { Labels } from './scenario.js';
import { simulateToDir } from './simulate.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'kanshi-fam-'));
after(() => rmSync(root, { recursive: true, force: true }));
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

export interface World {
  labels: Labels;
  events: InputEvent[];
  byAccount: Map<string, InputEvent[]>;
  dir: string;
}

const cache = new Map<string, Promise<World>>();
const jstDate = (t: number) => new Date(t + 9 * 3_600_000).toISOString().slice(0, 10);

/** One small world of a family, read back as the detector would; shared by the tests of that family. */
export function world(family: string, seed = 5, accounts = 3000): Promise<World> {
  const key = `${family}-${seed}-${accounts}`;
  if (!cache.has(key)) {
    cache.set(key, (async () => {
      const dir = path.join(root, key);
      await simulateToDir(dir, { accounts, days: 10, seed, family });
      const labels = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as Labels;
      const events: InputEvent[] = [];
      const seen = new Set<string>();
      for (const line of readFileSync(path.join(dir, 'events.ndjson'), 'utf8').trim().split('\n')) {
        const e = parseEventLine(line);
        if (!(e instanceof RejectedEvent) && !seen.has(e.eventId)) {
          seen.add(e.eventId);
          events.push(e);
        }
      }
      events.sort((a, b) => a.ts - b.ts);
      const byAccount = new Map<string, InputEvent[]>();
      for (const e of events) byAccount.set(e.accountId, [...(byAccount.get(e.accountId) ?? []), e]);
      return { labels, events, byAccount, dir };
    })());
  }
  return cache.get(key)!;
}

test('classic writes the same bytes as before families existed', async () => {
  const dir = path.join(root, 'classic-golden');
  await simulateToDir(dir, { accounts: 1500, days: 5, seed: 11, incidents: 2 });
  // recorded from the simulator before families existed: the README's numbers rest on these bytes
  const golden: Record<string, string> = {
    'events.ndjson': 'efec14c5e41843a970abb3178adb0e6f2f75114308efdc12e2c32baec4025e5e',
    'accounts.ndjson': '62daeae4c56f4a1d57d39010e2e9420fb84f8d8801647fd203c3dc513caf6791',
    'instruments.ndjson': '10d1dc5a1ac1b12b2edf3b22fa17c205a02399b04db197acafdd739441a22717',
    'labels.json': '50ccb9149fbebec7cfe153567a32282187ef0147c68c7cd9ebc5d98361a07960',
  };
  for (const [f, h] of Object.entries(golden)) assert.equal(sha(path.join(dir, f)), h, f);
});

test('there are three tuning families and at least two held out; classic is one of the tuning families', () => {
  assert.deepEqual([...TUNING_FAMILIES], ['classic', 'tuning-b', 'tuning-c']);
  assert.ok(TUNING_FAMILIES.every((f) => FAMILY_NAMES.includes(f)), `families: ${FAMILY_NAMES}`);
  assert.ok(FAMILY_NAMES.filter((f) => !TUNING_FAMILIES.includes(f)).length >= 2, `held-out families: ${FAMILY_NAMES}`);
  for (const f of Object.values(FAMILIES)) assert.ok(f.attacks.length >= 3 && f.character.length > 20, f.name);
});

test('the exchange calendar: Tokyo shut on Culture Day, Hong Kong on Chung Yeung, New York an hour later after daylight saving ends', () => {
  const start = FAMILIES['tuning-b'].start;
  const cal = new ExchangeCalendar(start);
  const day = (iso: string) => Math.round((Date.parse(`${iso}T00:00:00+09:00`) - start) / 86_400_000);
  assert.equal(cal.isTradingDay(day('2025-11-03')), false);
  assert.equal(cal.isTradingDay(day('2025-11-03'), 'XNAS'), true, 'New York trades on the Tokyo holiday');
  assert.equal(cal.isTradingDay(day('2025-10-29'), 'XHKG'), false);
  assert.equal(cal.isTradingDay(day('2025-10-29')), true);
  const jstHour = (t: number) => new Date(t + 9 * 3_600_000).getUTCHours() + new Date(t).getUTCMinutes() / 60;
  assert.equal(jstHour(cal.sessions('XNAS', day('2025-10-30')).at(-1)![0]), 22.5);
  assert.equal(jstHour(cal.sessions('XNAS', day('2025-11-04')).at(-1)![0]), 23.5);
  assert.equal(usDaylight(Date.UTC(2025, 10, 1)), true);
  assert.equal(usDaylight(Date.UTC(2025, 10, 2)), false);
  assert.deepEqual(cal.sessions('XNAS', day('2025-11-01')).length, 1, 'Saturday JST holds only the tail of Friday in New York');
  assert.deepEqual(cal.sessions('XTKS', day('2025-11-01')), []);
});

for (const family of Object.keys(FAMILIES)) {
  test(`${family}: the same seed gives the same bytes, another seed and another family do not`, async () => {
    const a = await world(family);
    const again = path.join(root, `${family}-again`);
    await simulateToDir(again, { accounts: 3000, days: 10, seed: 5, family });
    for (const f of ['events.ndjson', 'accounts.ndjson', 'labels.json']) assert.equal(sha(path.join(again, f)), sha(path.join(a.dir, f)), f);
    const other = path.join(root, `${family}-other`);
    await simulateToDir(other, { accounts: 3000, days: 2, seed: 6, family });
    assert.notEqual(sha(path.join(other, 'events.ndjson')), sha(path.join(a.dir, 'events.ndjson')));
    assert.equal(a.labels.family, family);
    assert.equal(a.labels.tuning, TUNING_FAMILIES.includes(family));
  });

  test(`${family}: on each home holiday customers log in but nothing fills in Tokyo`, async () => {
    const w = await world(family);
    assert.ok(w.labels.homeHolidays!.length >= 1, 'the window holds a home holiday');
    for (const h of w.labels.homeHolidays!) {
      const day = w.events.filter((e) => jstDate(e.ts) === h);
      assert.ok(day.filter((e) => e.type === 'login').length > 100, `logins on ${h}`);
      assert.equal(day.filter((e) => e.type === 'order' && e.symbol.endsWith('.T') && (e.status === 'filled' || e.status === 'partially_filled')).length, 0, `no Tokyo fills on ${h}`);
    }
  });

  test(`${family}: labels agree with the events`, async () => {
    const { labels, byAccount } = await world(family);
    const incidents = labels.scenarios.filter((s) => s.kind === 'incident');
    assert.ok(incidents.length >= 3);
    for (const s of incidents) {
      assert.ok(s.hijackedAccounts.length >= 4, `${s.name} has victims`);
      for (const a of s.hijackedAccounts) {
        const mine = byAccount.get(a) ?? [];
        const at = s.takeoverAt[a];
        assert.ok(mine.some((e) => e.ts === at), `${s.name} ${a}: an event at the takeover`);
        assert.ok(s.accountVariants?.[a]?.length, `${a} has variant tags`);
        const pump = s.firstPumpBuyAt[a];
        if (pump === undefined) continue;
        const buys = mine.filter((e) => e.type === 'order' && e.side === 'buy' && e.status === 'new' && s.campaignSymbols.includes(e.symbol) && e.ts >= at);
        assert.equal(Math.min(...buys.map((b) => b.ts)), pump, `${a}: first pump buy`);
      }
      for (const b of s.beneficiaryAccounts) {
        assert.ok((byAccount.get(b) ?? []).some((e) => e.type === 'order' && e.side === 'sell' && s.campaignSymbols.includes(e.symbol)), `${b} sells into ${s.name}`);
      }
    }
    const roles = new Map<string, string>();
    for (const s of incidents) for (const a of s.involvedAccounts) {
      assert.ok(!roles.has(a), `${a} is in ${roles.get(a)} and ${s.name}`);
      roles.set(a, s.name);
    }
  });
}

const cohort = (l: Labels, name: string) => l.scenarios.find((s) => s.name === name)?.involvedAccounts ?? [];
const incident = (l: Labels, name: string) => l.scenarios.find((s) => s.kind === 'incident' && s.name === name)!;
const tagged = (l: Labels, tag: string) => l.scenarios.flatMap((s) => Object.entries(s.accountVariants ?? {}).filter(([, t]) => t.includes(tag)).map(([a]) => ({ a, s })));
const logins = (w: World, a: string) => (w.byAccount.get(a) ?? []).filter((e): e is Extract<InputEvent, { type: 'login' }> => e.type === 'login');

test('tuning-b: on Culture Day customers log in but nothing fills in Tokyo, while New York fills at night', async () => {
  const w = await world('tuning-b');
  assert.deepEqual(w.labels.homeHolidays, ['2025-11-03']);
  const day = w.events.filter((e) => jstDate(e.ts) === '2025-11-03');
  assert.ok(day.filter((e) => e.type === 'login').length > 500, 'logins on the holiday');
  const fills = day.filter((e) => e.type === 'order' && (e.status === 'filled' || e.status === 'partially_filled'));
  assert.equal(fills.filter((e) => e.type === 'order' && e.symbol.endsWith('.T')).length, 0, 'no Tokyo fills');
  assert.ok(fills.length > 0, 'New York fills in the evening');
});

test('tuning-b: an office exit is shared by many unrelated accounts on many days; cloud proxies exit abroad on hosting', async () => {
  const w = await world('tuning-b');
  const users = new Map<string, { accounts: Set<string>; days: Set<string> }>();
  for (const a of cohort(w.labels, 'corporate-nat')) {
    for (const l of logins(w, a)) {
      const p = l.ip.split('.').slice(0, 3).join('.');
      const u = users.get(p) ?? { accounts: new Set(), days: new Set() };
      u.accounts.add(a);
      u.days.add(jstDate(l.ts));
      users.set(p, u);
    }
  }
  const biggest = [...users.values()].sort((x, y) => y.accounts.size - x.accounts.size)[0];
  assert.ok(biggest.accounts.size >= 10 && biggest.days.size >= 5, `largest office: ${biggest.accounts.size} accounts on ${biggest.days.size} days`);
  const abroad = cohort(w.labels, 'cloud-proxy-abroad').flatMap((a) => logins(w, a)).filter((l) => l.ipType === 'hosting' && l.country !== 'JP');
  assert.ok(abroad.length > 20, `${abroad.length} cloud-proxy logins abroad`);
});

test('tuning-b: IPv6 home lines keep their /64, carriers rotate addresses', async () => {
  const w = await world('tuning-b');
  const v6 = cohort(w.labels, 'ipv6-home').flatMap((a) => logins(w, a)).filter((l) => l.ip.includes(':') && l.ipType === 'residential');
  assert.ok(v6.length > 100);
  const mobile = w.events.filter((e) => e.type === 'login' && e.ipType === 'mobile');
  const byAccount = new Map<string, Set<string>>();
  for (const l of mobile) if (l.type === 'login') byAccount.set(l.accountId, (byAccount.get(l.accountId) ?? new Set()).add(l.ip));
  assert.ok([...byAccount.values()].some((ips) => ips.size >= 3), 'a phone seen from several carrier addresses');
});

test('tuning-b: the slow campaign buys on three or more trading days, mostly from partial liquidations', async () => {
  const w = await world('tuning-b');
  const s = incident(w.labels, 'slow-and-low');
  const days = new Set(Object.values(s.firstPumpBuyAt).map(jstDate));
  const buyDays = new Set(s.hijackedAccounts.flatMap((a) => (w.byAccount.get(a) ?? []).filter((e) => e.type === 'order' && e.side === 'buy' && s.campaignSymbols.includes(e.symbol)).map((e) => jstDate(e.ts))));
  assert.ok(buyDays.size >= 3, `pump buys on ${[...buyDays]} (first buys on ${[...days]})`);
  assert.ok(tagged(w.labels, 'partial-liquidation').some(({ s: x }) => x.name === 'slow-and-low'));
});

test('tuning-b: home-proxy relays log in from a Japanese residential address with the victim\'s own user agent on a new fingerprint', async () => {
  const w = await world('tuning-b');
  let copied = 0;
  const relays = tagged(w.labels, 'relay-home-proxy');
  assert.ok(relays.length >= 4);
  for (const { a, s } of relays) {
    const mine = logins(w, a);
    const t = mine.find((l) => l.ts === s.takeoverAt[a] && l.result === 'success')!;
    assert.equal(t.country, 'JP');
    assert.equal(t.ipType, 'residential');
    if (mine.some((l) => l.deviceId !== t.deviceId && l.userAgent === t.userAgent)) copied++;
  }
  assert.ok(copied >= 1, 'the user agent matches the owner\'s own logins');
});

test('tuning-b: no-history victims have nothing in the stream before the takeover; silent cookies place orders without a login', async () => {
  const w = await world('tuning-b');
  const none = tagged(w.labels, 'no-history');
  assert.ok(none.length >= 1);
  for (const { a, s } of none) assert.equal((w.byAccount.get(a) ?? []).filter((e) => e.ts < s.takeoverAt[a]).length, 0, a);
  const silent = tagged(w.labels, 'cookie-silent');
  assert.ok(silent.length >= 1);
  for (const { a, s } of silent) {
    const first = (w.byAccount.get(a) ?? []).find((e) => e.ts === s.takeoverAt[a])!;
    assert.notEqual(first.type, 'login');
  }
});

test('tuning-b: contact-only takeovers withdraw and never trade; API-key attackers order on the API channel; the holiday pump is at night', async () => {
  const w = await world('tuning-b');
  const c = incident(w.labels, 'contact-withdraw');
  for (const a of c.hijackedAccounts) {
    const after = (w.byAccount.get(a) ?? []).filter((e) => e.ts >= c.takeoverAt[a] && e.ts <= c.end + 3 * 3_600_000);
    assert.ok(after.some((e) => e.type === 'account_event' && e.action === 'withdrawal_request'), a);
    assert.ok(after.some((e) => e.type === 'account_event' && e.action === 'bank_account_change'), a);
  }
  const n = incident(w.labels, 'holiday-night-us');
  for (const t of Object.values(n.firstPumpBuyAt)) {
    const h = new Date(t + 9 * 3_600_000).getUTCHours();
    assert.ok(h >= 22 || h < 7, `night buy at ${new Date(t).toISOString()}`);
    assert.ok(['2025-11-03', '2025-11-04'].includes(jstDate(t)));
  }
  const api = tagged(w.labels, 'api-key').filter(({ a, s }) => !s.accountVariants![a].includes('no-buy'));
  assert.ok(api.length >= 1);
  for (const { a } of api) assert.ok((w.byAccount.get(a) ?? []).some((e) => e.type === 'order' && e.channel === 'api'), a);
});

test('tuning-b: accounts opened in the window start empty; weekly checkers come on few days', async () => {
  const w = await world('tuning-b');
  const accounts = readFileSync(path.join(w.dir, 'accounts.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { accountId: string; openedAt: number; positions: unknown[] });
  const opened = new Map(accounts.map((a) => [a.accountId, a]));
  const fresh = cohort(w.labels, 'new-accounts');
  assert.ok(fresh.length >= 10);
  for (const a of fresh) {
    const acc = opened.get(a)!;
    assert.ok(acc.openedAt > w.labels.start && acc.positions.length === 0, a);
    assert.equal((w.byAccount.get(a) ?? []).filter((e) => e.ts < acc.openedAt).length, 0);
  }
  const weekly = cohort(w.labels, 'weekly-checkers').map((a) => new Set(logins(w, a).map((l) => jstDate(l.ts))).size);
  assert.ok(weekly.filter((d) => d <= 3).length / weekly.length > 0.8, 'weekly checkers log in on three days or fewer');
});

test('metro-retail: a small pool of home proxies serves several victims; API keys order on the API channel; the drip spans three or more days', async () => {
  const w = await world('metro-retail');
  const s = incident(w.labels, 'staggered-proxy-waves');
  const exits = new Map<string, Set<string>>();
  for (const a of s.hijackedAccounts) {
    const t = logins(w, a).find((l) => l.ts === s.takeoverAt[a] && l.result === 'success');
    if (t && t.ipType === 'residential') exits.set(t.ip.split('.').slice(0, 3).join('.'), (exits.get(t.ip.split('.').slice(0, 3).join('.')) ?? new Set()).add(a));
  }
  assert.ok([...exits.values()].some((v) => v.size >= 2), 'two victims through one proxy exit');
  for (const { a } of tagged(w.labels, 'api-key').filter(({ a: x, s: i }) => !i.accountVariants![x].includes('no-buy'))) assert.ok((w.byAccount.get(a) ?? []).some((e) => e.type === 'order' && e.channel === 'api'), a);
  const drip = incident(w.labels, 'holiday-drip');
  const days = new Set(drip.hijackedAccounts.flatMap((a) => (w.byAccount.get(a) ?? []).filter((e) => e.type === 'order' && e.side === 'buy' && drip.campaignSymbols.includes(e.symbol)).map((e) => jstDate(e.ts))));
  assert.ok(days.size >= 3, `drip buys on ${[...days]}`);
  const night = incident(w.labels, 'holiday-night-relay');
  assert.ok(Object.values(night.accountVariants!).every((t) => t.includes('home-holiday') && t.includes('night')));
});

test('regional-night: stuffed passwords fail before they work; night owls trade New York on the new-year holiday; year-end cash-outs withdraw', async () => {
  const w = await world('regional-night');
  const stuffed = tagged(w.labels, 'stuffing');
  assert.ok(stuffed.length >= 1);
  for (const { a, s } of stuffed) assert.ok(logins(w, a).filter((l) => l.result === 'failure' && l.ts < s.takeoverAt[a]).length >= 3, a);
  const owls = new Set(cohort(w.labels, 'night-owls'));
  const holidayNight = w.events.filter((e) => owls.has(e.accountId) && e.type === 'order' && e.status === 'new' && w.labels.homeHolidays!.includes(jstDate(e.ts)));
  assert.ok(holidayNight.length > 0, 'night owls order on a home holiday');
  const cash = cohort(w.labels, 'year-end-cash-outs');
  assert.ok(cash.length >= 3);
  for (const a of cash) assert.ok((w.byAccount.get(a) ?? []).some((e) => e.type === 'account_event' && e.action === 'withdrawal_request'), a);
  const cw = incident(w.labels, 'year-end-contact-withdraw');
  for (const a of cw.hijackedAccounts) assert.ok(!(w.byAccount.get(a) ?? []).some((e) => e.type === 'order' && e.ts >= cw.takeoverAt[a] && e.ts <= cw.end), `${a} never trades`);
});
