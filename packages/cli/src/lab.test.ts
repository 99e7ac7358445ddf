import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { simulateToDir } from '@kanshi/simulator';
import { runBacktest } from './backtest.js';
import { missedTargets } from './metrics.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'kanshi-lab-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a small simulated brokerage: the incident is caught, the benign are left alone, the report draws it', async () => {
  const data = path.join(root, 'data');
  await simulateToDir(data, { accounts: 3000, days: 4, seed: 7, incidents: 1 });
  const r = await runBacktest({ data, quiet: true });
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
