/**
 * Issue 11's safety bar: every benign cohort of every simulator family, tuning and held-out,
 * through detection and the hold policy, and not one hold on a good customer. A hold stops a
 * customer from trading; it is the worst error the product can make.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFamilyBacktest } from '@kanshi/backtest';
import { FAMILY_NAMES } from '@kanshi/simulator';
import { detectFiles } from './lab.js';

test('no hold on any benign account of any family (each benign cohort included)', { timeout: 600_000 }, async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'kanshi-benign-holds-'));
  try {
    const rows = await runFamilyBacktest({ families: [...FAMILY_NAMES], seeds: [2], accounts: 20_000, days: 10, out, quiet: true, detector: detectFiles });
    assert.equal(rows.length, FAMILY_NAMES.length);
    for (const r of rows) {
      assert.ok(r.hijacked > 0, `${r.family}: the world has takeovers to hold`);
      const held = r.benignByCohort.filter((c) => c.held > 0).map((c) => `${c.cohort} ${c.held}`);
      assert.equal(r.holdsOnBenign, 0, `${r.family}: holds on benign accounts (${held.join(', ') || 'ordinary customers'})`);
    }
    assert.ok(rows.some((r) => r.incidents.some((i) => i.hijacked > 0)), 'incidents were simulated');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
