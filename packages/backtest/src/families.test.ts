import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { familyTableText, parseFamilies, rowMisses, runFamilyBacktest, useOf, type FamilyRow } from './families.js';
import { oracleDetector } from './oracle-detector.js';

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

test('one row per family x seed, scored against the labels: what a detector flags lands in its incident, cohort and variant rows', async () => {
  const out = path.join(root, 'run');
  const detector = oracleDetector({ benignFlaggedPerCohort: 1 });
  const progress: string[] = [];
  const rows = await runFamilyBacktest({
    families: ['tuning-b', 'regional-night'], seeds: [3], accounts: 2000, days: 4, out, quiet: true, detector,
    progress: (label) => ({ update() {}, done: () => void progress.push(label) }),
  });
  assert.equal(detector.runs, 2);
  assert.deepEqual(progress, ['tuning-b seed 3: simulate', 'regional-night seed 3: simulate']);
  assert.deepEqual(rows.map((r) => [r.family, r.seed, r.use]), [['tuning-b', 3, 'TUNING'], ['regional-night', 3, 'HELD-OUT']]);
  for (const r of rows) {
    assert.equal(r.tradingDays, 4);
    assert.ok(r.hijacked > 0 && r.events > 1000);
    // the oracle flags every hijacked account a minute after its takeover, and every campaign and beneficiary
    assert.equal(r.flaggedRate, 1);
    assert.equal(r.flaggedBeforePumpBuyRate, 1);
    assert.equal(r.campaignSymbolRecall, 1);
    assert.equal(r.beneficiaryRecall, 1);
    const cohorts = r.benignByCohort.filter((c) => c.cohort !== 'ordinary');
    assert.ok(cohorts.some((c) => c.cohort === 'corporate-nat'));
    // one account flagged and held per cohort (more where cohorts share accounts), none outside them
    for (const c of cohorts) if (c.accounts) assert.ok(c.flagged >= 1 && c.held === c.flagged && c.kinds.account_takeover === c.flagged, c.cohort);
    const ordinary = r.benignByCohort.find((c) => c.cohort === 'ordinary')!;
    assert.ok(ordinary.accounts > 0, 'the benign accounts in no cohort are counted');
    assert.deepEqual([ordinary.flagged, ordinary.held], [0, 0]);
    assert.ok(r.benignFlagged >= 1 && r.benignFlagged <= cohorts.filter((c) => c.accounts).length);
    assert.equal(r.holdsOnBenign, r.benignFlagged);
    assert.ok(rowMisses(r).includes(`${r.holdsOnBenign} holds on benign accounts`));
    const access = r.variants.filter((v) => ['relay-home-proxy', 'cookie-resume', 'cookie-silent', 'relay-foreign', 'stuffing', 'api-key'].includes(v.variant));
    assert.equal(access.reduce((s, v) => s + v.hijacked, 0), r.hijacked, 'each hijacked account has one access variant');
    assert.ok(r.variants.every((v) => v.flagged === v.hijacked));
    assert.ok(r.variants.some((v) => v.variant.startsWith('incident:')));
    assert.ok(!existsSync(path.join(out, `${r.family}-3`, 'events.ndjson')), 'events removed after the run');
  }
  const json = JSON.parse(readFileSync(path.join(out, 'backtest-families.json'), 'utf8')) as { tuningFamilies: string[]; rows: FamilyRow[] };
  assert.deepEqual(json.tuningFamilies, ['classic', 'tuning-b', 'tuning-c']);
  assert.equal(json.rows.length, 2);
  const text = familyTableText(rows, 'x.json');
  assert.match(text, /\| tuning-b \| 3 \| TUNING \| 100\.0% \| 100\.0% \| 100\.0% \| 100\.0% \| [\d.]+ \| [1-9]\d* \|/);
  assert.match(text, /\| regional-night \| 3 \| HELD-OUT \|/);
  assert.match(text, /missed targets:\n {2}tuning-b 3 \(TUNING\): .*holds on benign accounts/);
  assert.match(text, /\ntuning-b 3: .*; benign high\+ by cohort: .*corporate-nat/);
  assert.match(text, /\nregional-night 3: [^\n]*; HELD-OUT: its cohorts and variants are in the JSON only\n/);
  assert.doesNotMatch(text, /regional-night 3: [^\n]*by cohort/, 'a held-out run\'s cohorts are not printed');
});

test('a missed account counts against recall and its variants', async () => {
  const rows = await runFamilyBacktest({ families: ['classic'], seeds: [1], accounts: 2000, days: 5, out: path.join(root, 'miss'), quiet: true, detector: oracleDetector({ missOnePerIncident: true }) });
  const [r] = rows;
  const missed = r.incidents.length;
  assert.ok(missed > 0);
  assert.equal(r.incidents.reduce((s, i) => s + i.hijacked - i.flagged, 0), missed, 'one unflagged per incident');
  assert.equal(r.flaggedRate, (r.hijacked - missed) / r.hijacked);
  assert.equal(r.holdsOnBenign, 0);
  assert.equal(r.benignFlagged, 0);
  assert.equal(r.variants.filter((v) => v.variant.startsWith('incident:')).reduce((s, v) => s + v.hijacked - v.flagged, 0), missed);
});

test('held-out rows are judged against the held-out bar, tuning rows against the classic targets', () => {
  const row = { use: 'HELD-OUT', flaggedRate: 0.96, flaggedBeforePumpBuyRate: 0.85, campaignSymbolRecall: 0.96, beneficiaryRecall: 0.9, falsePositivesPer10k: 1.2, holdsOnBenign: 0 } as FamilyRow;
  assert.deepEqual(rowMisses(row), []);
  assert.deepEqual(rowMisses({ ...row, use: 'TUNING' }), ['campaign symbols 96.0% < 100%', 'benign high+ 1.20 per 10k > 1']);
  assert.deepEqual(rowMisses({ ...row, holdsOnBenign: 1, flaggedBeforePumpBuyRate: 0.5 }), ['before first pump buy 50.0% < 80%', '1 holds on benign accounts']);
});
