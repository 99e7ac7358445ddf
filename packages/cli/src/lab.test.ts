/**
 * `kanshi backtest` end to end: the command's own detection (`kanshi detect`'s) scored by
 * @kanshi/backtest. The scoring's own tests, on a detector that reads the labels, are in
 * packages/backtest.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { familyTableText, missedTargets, runBacktest, runFamilyBacktest } from '@kanshi/backtest';
import { simulateToDir } from '@kanshi/simulator';
import { detectFiles } from './lab.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'kanshi-lab-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a small simulated brokerage: the incident is caught, the benign are left alone, the report draws it', async () => {
  const data = path.join(root, 'data');
  await simulateToDir(data, { accounts: 3000, days: 4, seed: 7, incidents: 1 });
  const r = await runBacktest({ data, quiet: true, detector: detectFiles });
  const [incident] = r.score.incidents;
  assert.equal(incident.campaignSymbolsFlagged, incident.campaignSymbols, 'every campaign symbol flagged');
  assert.ok(incident.flagged / incident.hijacked >= 0.8, `hijacked flagged ${incident.flagged}/${incident.hijacked}`);
  assert.equal(r.score.totals.holdsOnBenign, 0);
  assert.equal(r.score.totals.benignSymbolsFlaggedAsCampaigns, 0);
  assert.ok(r.score.totals.falsePositivesPer10k <= 10, `${r.score.totals.falsePositivesPer10k} per 10k`);
  const html = readFileSync(r.reportFile, 'utf8');
  assert.match(html, /<svg/);
  assert.ok(html.includes(incident.name));
  assert.ok(existsSync(path.join(r.outDir, 'findings.ndjson')));
  assert.ok(Array.isArray(missedTargets(r.score)));
  const ids = new Set(readFileSync(path.join(data, 'events.ndjson'), 'utf8').split('\n').map((l) => /"eventId":"([^"]*)"/.exec(l)?.[1]));
  for (const f of r.detect.emitted) for (const e of f.evidence) assert.ok(ids.has(e), `${f.kind} evidence ${e} is an input eventId`);
});

test('one row per family x seed, with the benign false positives by cohort and the recall per attack variant', async () => {
  const out = path.join(root, 'run');
  const rows = await runFamilyBacktest({ families: ['tuning-b', 'regional-night'], seeds: [3], accounts: 2000, days: 4, out, quiet: true, detector: detectFiles });
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
    assert.ok(existsSync(path.join(out, `${r.family}-3`, 'kanshi-out', 'findings.ndjson')), 'detection wrote its findings');
  }
  const text = familyTableText(rows, 'x.json');
  assert.match(text, /\| tuning-b \| 3 \| TUNING \|/);
  assert.match(text, /\| regional-night \| 3 \| HELD-OUT \|/);
});
