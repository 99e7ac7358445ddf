import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { familyTableText, parseFamilies, rowMisses, runFamilyBacktest, useOf, type FamilyRow } from './backtest-families.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'kanshi-btf-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('family names: all, a list, and unknown ones refused with the known ones', () => {
  assert.deepEqual(parseFamilies('all').slice(0, 2), ['classic', 'tuning-b']);
  assert.ok(parseFamilies('all').length >= 4);
  assert.deepEqual(parseFamilies('tuning-b, classic'), ['tuning-b', 'classic']);
  assert.throws(() => parseFamilies('nope'), /unknown family 'nope'; known: classic, tuning-b/);
  assert.equal(useOf('classic'), 'TUNING');
  assert.equal(useOf('metro-retail'), 'HELD-OUT');
});

test('one row per family x seed, with the benign false positives by cohort and the recall per attack variant', async () => {
  const out = path.join(root, 'run');
  const rows = await runFamilyBacktest({ families: ['tuning-b', 'regional-night'], seeds: [3], accounts: 2000, days: 4, out, quiet: true });
  assert.deepEqual(rows.map((r) => [r.family, r.seed, r.use]), [['tuning-b', 3, 'TUNING'], ['regional-night', 3, 'HELD-OUT']]);
  for (const r of rows) {
    assert.equal(r.tradingDays, 4);
    assert.ok(r.hijacked > 0 && r.events > 1000);
    assert.ok(r.flaggedRate >= 0 && r.flaggedRate <= 1);
    const ordinary = r.benignByCohort.find((c) => c.cohort === 'ordinary')!;
    assert.ok(ordinary.accounts > 0, 'the benign accounts in no cohort are counted');
    assert.ok(r.benignByCohort.some((c) => c.cohort === 'corporate-nat'));
    const flaggedInCohorts = r.benignByCohort.reduce((s, c) => s + c.flagged, 0);
    assert.ok(flaggedInCohorts >= r.benignFlagged, 'every benign high+ account is in a cohort row');
    const access = r.variants.filter((v) => ['relay-home-proxy', 'cookie-resume', 'cookie-silent', 'relay-foreign', 'stuffing', 'api-key'].includes(v.variant));
    assert.equal(access.reduce((s, v) => s + v.hijacked, 0), r.hijacked, 'each hijacked account has one access variant');
    assert.ok(r.variants.some((v) => v.variant.startsWith('incident:')));
    assert.ok(!existsSync(path.join(out, `${r.family}-3`, 'events.ndjson')), 'events removed after the run');
  }
  const json = JSON.parse(readFileSync(path.join(out, 'backtest-families.json'), 'utf8')) as { tuningFamilies: string[]; rows: FamilyRow[] };
  assert.deepEqual(json.tuningFamilies, ['classic', 'tuning-b']);
  assert.equal(json.rows.length, 2);
  const text = familyTableText(rows, 'x.json');
  assert.match(text, /\| tuning-b \| 3 \| TUNING \|/);
  assert.match(text, /\| regional-night \| 3 \| HELD-OUT \|/);
});

test('held-out rows are judged against the held-out bar, tuning rows against the classic targets', () => {
  const row = { use: 'HELD-OUT', flaggedRate: 0.96, flaggedBeforePumpBuyRate: 0.85, campaignSymbolRecall: 0.96, beneficiaryRecall: 0.9, falsePositivesPer10k: 1.2, holdsOnBenign: 0 } as FamilyRow;
  assert.deepEqual(rowMisses(row), []);
  assert.deepEqual(rowMisses({ ...row, use: 'TUNING' }), ['campaign symbols 96.0% < 100%', 'benign high+ 1.20 per 10k > 1']);
  assert.deepEqual(rowMisses({ ...row, holdsOnBenign: 1, flaggedBeforePumpBuyRate: 0.5 }), ['before first pump buy 50.0% < 80%', '1 holds on benign accounts']);
});
