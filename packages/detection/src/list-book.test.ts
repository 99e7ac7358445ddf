/**
 * The block and allow lists in the account stage: a listed device names its entry in the
 * finding, in event time; an allowed exit or device drops the novelty it would have counted and
 * says so; a block hit alone holds nobody, but corroborates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, InputEvent, ListEntry } from '@kanshi/contract';
import { AccountStage } from './account-stage.js';
import { resolveDetectionConfig } from './config.js';
import { SnapshotCodec } from './snapshot.js';
import { DetectionEngine } from './engine.js';
import { DEFAULT_HOLD_POLICY, HoldPolicy } from './hold-policy.js';
import { ListBook } from './list-book.js';
import { assessLogin } from './login.js';
import { AccountProfile, HourHistograms, originOf } from './profile.js';
import { at, DAY, history, login, order, reference } from './test-fixtures.js';

const entry = (o: Partial<ListEntry>): ListEntry => ({
  entryId: 'L1', list: 'block', target: 'device', value: 'attacker-laptop', accountId: null, author: 'analyst7',
  reason: 'device of the confirmed takeover in case f-123', createdAt: at(-10), expiresAt: at(10 * DAY), removedAt: null, findingId: null, ...o,
});

function run(events: InputEvent[], accounts: string[], entries: ListEntry[] = []): Finding[] {
  const ref = reference(accounts);
  ref.lists = new ListBook(entries);
  const engine = new DetectionEngine(ref);
  const out = { findings: [] as Finding[], holds: [] };
  for (const e of [...events].sort((a, b) => a.ts - b.ts || a.eventId.localeCompare(b.eventId))) engine.process(e, out);
  engine.flush(out);
  return out.findings;
}

const fromAttacker = (a: string, minute: number) => login(a, minute, { deviceId: 'attacker-laptop' });

test('the next login from a block-listed device is a takeover finding naming the entry, its reason and author', () => {
  const a = 'B1';
  const evs = [...history(a), fromAttacker(a, 0)];
  assert.equal(run(evs, [a]).length, 0, 'a new device alone is no finding');
  const fs = run(evs, [a], [entry({})]);
  const f = fs.find((x) => x.kind === 'account_takeover');
  assert.ok(f, `a finding (${fs.map((x) => x.kind)})`);
  const r = f.reasons.find((x) => x.code === 'listed_block_device');
  assert.ok(r, 'the block list is the reason');
  assert.match(r.detail, /device of the confirmed takeover in case f-123/);
  assert.match(r.detail, /analyst7/);
});

test('event time: an entry applies from createdAt until expiresAt or removedAt, whenever it was read', () => {
  const a = 'B2';
  const evs = [...history(a), fromAttacker(a, 0)];
  const listed = (e: ListEntry) => run(evs, [a], [e]).some((f) => f.reasons.some((r) => r.code === 'listed_block_device'));
  assert.equal(listed(entry({ createdAt: at(5) })), false, 'made after the login');
  assert.equal(listed(entry({ createdAt: at(-DAY), expiresAt: at(-1) })), false, 'expired before it');
  assert.equal(listed(entry({ removedAt: at(-1) })), false, 'withdrawn before it');
  assert.equal(listed(entry({ removedAt: at(1) })), true, 'withdrawn after it');
});

test('a block-listed address, prefix (v4 and v6) and ASN each give their own reason', () => {
  const a = 'B3';
  const codes = (e: ListEntry, ip = '198.51.100.7') => new Set(run([...history(a), login(a, 0, { deviceId: 'x', ip, asn: 64500, ipType: 'residential' })], [a], [e]).flatMap((f) => f.reasons.map((r) => r.code)));
  assert.ok(codes(entry({ target: 'ip', value: '198.51.100.7' })).has('listed_block_ip'));
  assert.ok(codes(entry({ target: 'prefix', value: '198.51.100.0/24' })).has('listed_block_prefix'));
  assert.ok(codes(entry({ target: 'prefix', value: '2001:db8:77::/48' }), '2001:db8:77:1::9').has('listed_block_prefix'));
  assert.ok(!codes(entry({ target: 'prefix', value: '198.51.101.0/24' })).has('listed_block_prefix'), 'outside the prefix');
  assert.ok(codes(entry({ target: 'prefix', value: '198.51.0.0/16' })).has('listed_block_prefix'));
  assert.ok(codes(entry({ target: 'prefix', value: '198.51.100.7/32' })).has('listed_block_prefix'));
  assert.ok(!codes(entry({ target: 'prefix', value: '198.51.100.6/32' })).has('listed_block_prefix'));
  assert.ok(codes(entry({ target: 'ip', value: '2001:db8::9' }), '2001:0db8:0::9').has('listed_block_ip'), 'one v6 address, two spellings');
});

test('lists read in any order give the same findings', () => {
  const a = 'B4';
  const evs = [...history(a), fromAttacker(a, 0)];
  const e1 = entry({ entryId: 'L1', createdAt: at(-5) });
  const e2 = entry({ entryId: 'L2', createdAt: at(-9), reason: 'older entry' });
  assert.deepEqual(run(evs, [a], [e1, e2]), run(evs, [a], [e2, e1]));
  assert.match(run(evs, [a], [e1, e2])[0].reasons.find((r) => r.code === 'listed_block_device')!.detail, /older entry/);
});

test('an allow-listed exit is not a new, foreign or hosting network for any account, and the finding says so', () => {
  const cfg = resolveDetectionConfig();
  const profile = new AccountProfile(new HourHistograms());
  const known = history('C1').filter((e) => e.type === 'login');
  for (const l of known) if (l.type === 'login') profile.learnLogin(originOf(l), l, cfg);
  const proxy = login('C1', 0, { ip: '203.0.113.10', country: 'SG', asn: 64501, ipType: 'hosting' });
  const codes = (book: ListBook) => assessLogin(proxy, originOf(proxy), profile, undefined, cfg, book.judgeLogin(proxy)).signals.map((s) => s.code);
  const without = codes(new ListBook());
  for (const c of ['new_network', 'foreign_login', 'hosting_ip']) assert.ok(without.includes(c), `${c} without the list (${without})`);
  const withExit = codes(new ListBook([entry({ list: 'allow', target: 'asn', value: '64501', reason: 'Acme Corp egress' })]));
  for (const c of ['new_network', 'foreign_login', 'hosting_ip', 'datacenter_abroad']) assert.ok(!withExit.includes(c), `${c} dropped (${withExit})`);
  assert.ok(withExit.includes('allow_listed_exit'));
});

test('an allow-listed device is known for its account only', () => {
  const cfg = resolveDetectionConfig();
  const book = new ListBook([entry({ list: 'allow', value: 'new-phone', accountId: 'D1', reason: 'customer called: new phone' })]);
  const codes = (a: string) => {
    const profile = new AccountProfile(new HourHistograms());
    for (const l of history(a)) if (l.type === 'login') profile.learnLogin(originOf(l), l, cfg);
    const l = login(a, 0, { deviceId: 'new-phone' });
    const r = assessLogin(l, originOf(l), profile, undefined, cfg, book.judgeLogin(l));
    return r.signals.map((s) => s.code);
  };
  assert.ok(!codes('D1').includes('new_device') && codes('D1').includes('allow_listed_device'));
  assert.ok(codes('D2').includes('new_device'), 'another account\'s new device is still new');
});

const held = (reasons: string[]) => new HoldPolicy({ ...DEFAULT_HOLD_POLICY, mode: 'enforce' }).evaluate({
  findingId: 'f1', kind: 'takeover_liquidation', severity: 'critical', score: 0.99, accountIds: ['H1'], symbols: [], detectedAt: at(0),
  evidence: ['e1'], reasons: reasons.map((code) => ({ code, detail: code })), revision: 1,
}).holds.length;

test('holds: a block-list hit alone holds nobody, however high; with a liquidation and a thin buy it corroborates a hold', () => {
  assert.equal(held(['listed_block_device']), 0);
  assert.equal(held(['listed_block_device', 'liquidation', 'thin_stock_buy']), 1);
  assert.equal(held(['new_device', 'liquidation', 'thin_stock_buy']), 0, 'novelty alone does not');
  assert.equal(held(['listed_block_asn', 'liquidation', 'thin_stock_buy']), 0, 'a listed ASN is shared with customers: novelty only');
  assert.equal(held(['allow_listed_exit', 'new_device', 'liquidation', 'thin_stock_buy']), 0);
});

test('an empty book changes nothing: a scheme is found alike with and without it', () => {
  const a = 'E1';
  const l = login(a, 0, { deviceId: 'x', ip: '203.0.113.5', country: 'SG', asn: 64502, ipType: 'hosting' });
  const evs = [...history(a), l, order(a, 2, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: l.sessionId })];
  assert.deepEqual(run(evs, [a], []), run(evs, [a]));
  assert.ok(run(evs, [a]).length > 0);
});

test('a session opened before its device was listed: its next order counts once the entry is in force', () => {
  const a = 'O1';
  const l = fromAttacker(a, 0);
  const evs = [...history(a), l, order(a, 20, { symbol: '7203', side: 'buy', quantity: 10, sessionId: l.sessionId })];
  const listedOrder = (createdAt: number) => run(evs, [a], [entry({ createdAt })]).find((f) => f.reasons.some((r) => r.code === 'listed_block_device'));
  const f = listedOrder(at(10));
  assert.ok(f, 'the order after the entry names it');
  assert.match(f.reasons.find((r) => r.code === 'listed_block_device')!.detail, /An order in session/);
  assert.ok(f.evidence.includes(evs.at(-1)!.eventId));
  assert.equal(listedOrder(at(30)), undefined, 'an entry made after the order does not reach back');
});

test('snapshots: the book is reference data, named not copied; a restored stage consults the book it is given', () => {
  const a = 'S1';
  const ref = reference([a]);
  const cfg = resolveDetectionConfig();
  const stage = new AccountStage(ref, cfg);
  const out = { findings: [] as Finding[], trades: [] };
  for (const e of history(a)) stage.process(e, out);
  const bytes = new SnapshotCodec({ externals: { ref, cfg } }).encode(stage);
  // an entry read after the snapshot was taken applies to the restored stage too
  ref.lists = new ListBook([entry({})]);
  const back = new SnapshotCodec({ externals: { ref, cfg } }).decode<AccountStage>(bytes);
  assert.ok(back.ok, back.ok ? '' : back.reason);
  back.state.process(fromAttacker(a, 0), out);
  assert.ok(out.findings.some((f) => f.reasons.some((r) => r.code === 'listed_block_device')));
});
