import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseEventLine, RejectedEvent, validateAccount, validateInstrument, type InputEvent, type Instrument } from '@kanshi/contract';
import { simulateToDir, InvalidSimulation, type SimulationSummary } from './simulate.js';
import { UnknownScenario } from './plan.js';
import type { Labels } from './scenario.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'kanshi-sim-'));
after(() => rmSync(root, { recursive: true, force: true }));

const OPTS = { accounts: 1500, days: 5, seed: 11, incidents: 2 };
let dir = '';
let summary: SimulationSummary;
const events: InputEvent[] = [];
let labels: Labels;
let instruments: Map<string, Instrument>;

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

before(async () => {
  dir = path.join(root, 'a');
  summary = await simulateToDir(dir, OPTS);
  labels = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as Labels;
  instruments = new Map();
  for (const l of lines(path.join(dir, 'instruments.ndjson'))) {
    const i = validateInstrument(JSON.parse(l));
    assert.ok(!(i instanceof RejectedEvent), String(i));
    instruments.set(i.symbol, i);
  }
  const seen = new Set<string>();
  for (const line of lines(path.join(dir, 'events.ndjson'))) {
    const r = parseEventLine(line);
    if (!(r instanceof RejectedEvent) && !seen.has(r.eventId)) {
      seen.add(r.eventId);
      events.push(r);
    }
  }
});

test('the same seed writes the same bytes; another seed does not', async () => {
  const again = path.join(root, 'b');
  await simulateToDir(again, OPTS);
  for (const f of ['events.ndjson', 'accounts.ndjson', 'instruments.ndjson', 'labels.json']) {
    assert.equal(sha(path.join(again, f)), sha(path.join(dir, f)), f);
  }
  const other = path.join(root, 'c');
  await simulateToDir(other, { ...OPTS, seed: 12 });
  assert.notEqual(sha(path.join(other, 'events.ndjson')), sha(path.join(dir, 'events.ndjson')));
});

test('every line is valid except the feed breakages it counts; reference data validates', () => {
  const all = lines(path.join(dir, 'events.ndjson'));
  assert.equal(all.length, summary.lines);
  const rejected = all.filter((l) => parseEventLine(l) instanceof RejectedEvent).length;
  assert.equal(rejected, summary.messy.malformed);
  assert.equal(all.length, summary.events + summary.messy.duplicates + summary.messy.malformed);
  const accounts = lines(path.join(dir, 'accounts.ndjson')).map((l) => validateAccount(JSON.parse(l)));
  assert.equal(accounts.length, OPTS.accounts);
  for (const a of accounts) if (a instanceof RejectedEvent) assert.fail(`account rejected: ${a.message}`);
  assert.equal(new Set(accounts.map((a) => (a as { accountId: string }).accountId)).size, OPTS.accounts, 'account ids are unique');
  for (const e of events) if (e.type === 'order') assert.ok(instruments.has(e.symbol), `order symbol ${e.symbol} is in the reference`);
});

test('lines are in event-time order except the late ones, which are at most two minutes late', () => {
  let max = 0;
  let late = 0;
  for (const e of events) {
    if (e.ts < max) {
      late++;
      assert.ok(max - e.ts <= 300_000, `an event ${max - e.ts} ms out of order`);
    }
    max = Math.max(max, e.ts);
  }
  assert.ok(late <= summary.messy.late + summary.messy.duplicates + 5, `${late} out-of-order lines`);
});

test('labels agree with the events: takeovers, first pump buys, thin campaign symbols, beneficiaries selling into them', () => {
  const incidents = labels.scenarios.filter((s) => s.kind === 'incident');
  assert.equal(incidents.length, 2);
  const byAccount = new Map<string, InputEvent[]>();
  for (const e of events) byAccount.set(e.accountId, [...(byAccount.get(e.accountId) ?? []), e]);
  for (const s of incidents) {
    assert.ok(s.hijackedAccounts.length >= 5, `${s.name} has victims`);
    for (const sym of s.campaignSymbols) {
      const i = instruments.get(sym)!;
      assert.ok(i.adv20Jpy <= 1e9 || i.marketCapJpy <= 5e10, `${sym} is thin`);
    }
    for (const a of s.hijackedAccounts) {
      const mine = byAccount.get(a) ?? [];
      const at = s.takeoverAt[a];
      assert.ok(mine.some((e) => e.type === 'login' && e.result === 'success' && e.ts === at), `${a}: the takeover login is in the events`);
      const pump = s.firstPumpBuyAt[a];
      if (pump === undefined) continue;
      const buys = mine.filter((e) => e.type === 'order' && e.side === 'buy' && e.status === 'new' && s.campaignSymbols.includes(e.symbol));
      assert.ok(buys.length > 0 && Math.min(...buys.map((b) => b.ts)) === pump, `${a}: first pump buy matches`);
      assert.ok(pump > at, `${a}: bought after the takeover`);
    }
    for (const b of s.beneficiaryAccounts) {
      const sells = (byAccount.get(b) ?? []).filter((e) => e.type === 'order' && e.side === 'sell' && s.campaignSymbols.includes(e.symbol));
      assert.ok(sells.length > 0, `${b} sells into ${s.name}`);
    }
  }
  const hard = labels.scenarios.filter((s) => s.kind === 'hard_negative').map((s) => s.name);
  for (const name of ['travellers', 'new-phones', 'vpn-users', 'dormant-returns', 'sell-everything']) assert.ok(hard.includes(name), name);
  assert.ok(hard.some((n) => n.startsWith('meme-rush-')));
});

test('bad options and unknown scenarios are refused with the reason', async () => {
  await assert.rejects(simulateToDir(path.join(root, 'd'), { ...OPTS, accounts: 3 }), InvalidSimulation);
  await assert.rejects(simulateToDir(path.join(root, 'e'), { ...OPTS, scenarios: ['no-such-thing'] }), (e: unknown) => e instanceof UnknownScenario && /known: /.test((e as Error).message));
});
