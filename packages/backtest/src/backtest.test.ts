import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { simulateToDir } from '@kanshi/simulator';
import { backtestText, runBacktest } from './backtest.js';
import { LabelsUnreadable } from './labels.js';
import { missedTargets, type BacktestScore } from './metrics.js';
import { oracleDetector } from './oracle-detector.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'kanshi-bt-'));
after(() => rmSync(root, { recursive: true, force: true }));
const data = path.join(root, 'data');
const simulated = simulateToDir(data, { accounts: 3000, days: 4, seed: 7, incidents: 1 });

test('a labelled data set scored: a detector that finds just the labels meets every target, and the report draws the incident', async () => {
  await simulated;
  const r = await runBacktest({ data, quiet: true, detector: oracleDetector() });
  assert.equal(r.outDir, path.join(data, 'kanshi-out'));
  const [incident] = r.score.incidents;
  assert.equal(r.score.incidents.length, 1);
  assert.deepEqual([incident.flagged, incident.flaggedBeforePumpBuy, incident.campaignSymbolsFlagged, incident.beneficiariesFlagged],
    [incident.hijacked, incident.hijacked, incident.campaignSymbols, incident.beneficiaries]);
  assert.equal(incident.detectMinutesP50, 1, 'flagged a minute after each takeover');
  assert.deepEqual(missedTargets(r.score), []);
  assert.equal(r.score.totals.benignAccounts, 3000 - incident.hijacked - incident.beneficiaries);
  assert.ok(r.score.hardNegatives.length > 0 && r.score.hardNegatives.every((n) => n.flagged === 0 && n.held === 0));
  const html = readFileSync(r.reportFile, 'utf8');
  assert.match(html, /<svg/);
  assert.match(html, /<polyline/, 'the pump has fills to draw');
  assert.ok(html.includes(incident.name));
  const json = JSON.parse(readFileSync(path.join(r.outDir, 'backtest.json'), 'utf8')) as BacktestScore;
  assert.deepEqual(json, r.score);
  assert.match(backtestText(r), new RegExp(`^${incident.name} +${incident.hijacked}/${incident.hijacked} `, 'm'));
});

test('false positives and holds on benign accounts are counted by cohort and miss the targets', async () => {
  await simulated;
  const r = await runBacktest({ data, out: path.join(root, 'fp'), quiet: true, detector: oracleDetector({ benignFlaggedPerCohort: 1 }) });
  const cohorts = r.score.hardNegatives.filter((n) => n.accounts > 0);
  assert.ok(cohorts.length > 0);
  for (const n of cohorts) assert.deepEqual([n.flagged, n.held], [1, 1], n.name);
  assert.equal(r.score.totals.holdsOnBenign, cohorts.length);
  assert.equal(r.score.totals.benignFlagged, cohorts.length);
  const misses = missedTargets(r.score);
  assert.ok(misses.includes(`${cohorts.length} holds on benign accounts`), misses.join('; '));
});

test('a data set without readable labels is refused before detection runs', async () => {
  const detector = oracleDetector();
  await assert.rejects(runBacktest({ data: path.join(root, 'nothing'), quiet: true, detector }), LabelsUnreadable);
  assert.equal(detector.runs, 0);
});

test('a beneficiary counts as flagged at medium, as the target says (medium+), and not at low', async () => {
  await simulated;
  const recall = async (beneficiarySeverity: 'low' | 'medium') => {
    const r = await runBacktest({ data, out: path.join(root, `ben-${beneficiarySeverity}`), quiet: true, detector: oracleDetector({ beneficiarySeverity }) });
    const [incident] = r.score.incidents;
    assert.ok(incident.beneficiaries > 0, 'the incident has beneficiaries');
    return incident.beneficiariesFlagged / incident.beneficiaries;
  };
  assert.equal(await recall('medium'), 1);
  assert.equal(await recall('low'), 0);
});
