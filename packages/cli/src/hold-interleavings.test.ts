/**
 * The alerter reads kanshi.findings from six partitions (keyed by findingId), so it sees a
 * finding's revisions in order but different findings in any interleaving. Its holds must be
 * `kanshi detect`'s for every one of them: the integration tests' world (800 accounts, seed 5)
 * through detect, then through the alerter's desk in many interleavings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AlertDesk } from '@kanshi/alerter';
import type { Finding, Hold } from '@kanshi/contract';
import { DEFAULT_HOLD_POLICY } from '@kanshi/detection';
import { simulateToDir } from '@kanshi/simulator';
import { runDetect } from './detect.js';

/** a seeded generator: a failing interleaving is the same one on the next run */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** One interleaving of the findings that keeps each finding's revisions in their order. */
function interleave(emitted: readonly Finding[], rnd: () => number): Finding[] {
  const streams = new Map<string, Finding[]>();
  for (const f of emitted) streams.set(f.findingId, [...(streams.get(f.findingId) ?? []), f]);
  const live = [...streams.values()];
  const out: Finding[] = [];
  while (live.length) {
    const i = Math.floor(rnd() * live.length);
    const f = live[i].shift();
    if (f) out.push(f);
    if (!live[i].length) live.splice(i, 1);
  }
  return out;
}

const holdLines = (hs: readonly Hold[]) => hs.map((h) => `${h.holdId} ${h.accountId} ${h.at} ${h.reason}`).sort();

test('the alerter desk gives detect\'s holds, reasons included, for any interleaving of the findings\' partitions', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kanshi-interleave-'));
  try {
    await simulateToDir(dir, { accounts: 800, days: 4, seed: 5, incidents: 1 });
    const files = { events: path.join(dir, 'events.ndjson'), instruments: path.join(dir, 'instruments.ndjson'), accounts: path.join(dir, 'accounts.ndjson') };
    const detect = await runDetect({ ...files, out: path.join(dir, 'out'), quiet: true });
    const want = holdLines(detect.holds);
    assert.ok(want.some((h) => /named by campaign f_/.test(h)), 'the world has a hold a campaign completes (account 524-4462385 in CI)');
    const last = Math.max(...detect.emitted.map((f) => f.detectedAt));
    const rnd = lcg(5);
    let differed = 0;
    let first = '';
    for (let run = 0; run < 1000; run++) {
      const desk = new AlertDesk(DEFAULT_HOLD_POLICY, { wallClock: () => last });
      const got = holdLines(interleave(detect.emitted, rnd).flatMap((f) => desk.decide(f).holds));
      if (got.join('\n') !== want.join('\n')) {
        differed++;
        first ||= got.filter((h) => !want.includes(h)).join('; ');
      }
    }
    assert.equal(differed, 0, `interleavings whose holds differ from detect's, of 1000 (first: ${first})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
