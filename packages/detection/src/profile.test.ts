import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveDetectionConfig } from './config.js';
import { hash32 } from './ids.js';
import { AccountProfile, HourHistograms, type SessionRecord } from './profile.js';

const cfg = resolveDetectionConfig({ maxSessionsPerAccount: 3 });
const rec = (id: string, at: number): SessionRecord => ({ key: hash32(id), device: at + 1, network: at + 2, asn: at + 3, risk: at / 1000, at, channel: at % 4, novelDevice: at % 2 === 0, novelExit: at % 3 === 0 });

test('a profile keeps the newest sessions, each once, and finds them by id', () => {
  const p = new AccountProfile(new HourHistograms());
  assert.equal(p.latestSession(), undefined);
  for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) p.rememberSession(rec(id, 1_740_000_000_000 + i), cfg);
  assert.equal(p.session('a'), undefined, 'the oldest is forgotten beyond the limit');
  assert.deepEqual(p.session('b'), rec('b', 1_740_000_000_001));
  p.rememberSession(rec('b', 1_740_000_000_009), cfg);
  assert.deepEqual(p.latestSession(), rec('b', 1_740_000_000_009), 'remembered again: now the latest, with its new record');
  p.rememberSession(rec('e', 1_740_000_000_010), cfg);
  assert.equal(p.session('c'), undefined);
  assert.deepEqual(['d', 'b', 'e'].map((id) => p.session(id)?.at), [1_740_000_000_003, 1_740_000_000_009, 1_740_000_000_010]);
});

test('hour histograms of many accounts share slabs without touching each other', () => {
  const h = new HourHistograms();
  const slots = Array.from({ length: 5000 }, () => h.allocate());
  assert.equal(h.share(slots[4999], 3), null, 'nothing counted yet');
  h.count(slots[4999], 3);
  h.count(slots[4999], 3);
  h.count(slots[4999], 4);
  h.count(slots[0], 3);
  assert.equal(h.share(slots[4999], 3), 2 / 3);
  assert.equal(h.share(slots[0], 3), 1);
  assert.equal(h.share(slots[4998], 3), null);
});
