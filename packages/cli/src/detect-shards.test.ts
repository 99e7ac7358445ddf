import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReferenceData, shardOf } from '@kanshi/detection';
import { simulateToDir } from '@kanshi/simulator';
import { detectInShards } from './detect-shards.js';
import { runDetect } from './detect.js';
import { shardOfLine } from './event-lines.js';

test('detect over worker threads finds, holds and rejects exactly what one thread does', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-shards-'));
  const data = path.join(dir, 'data');
  // messy: duplicates, reordered and malformed lines, as a real feed has
  await simulateToDir(data, { accounts: 600, days: 3, seed: 11, incidents: 3 });
  const events = path.join(data, 'events.ndjson');
  const lines = readFileSync(events, 'utf8').trim().split('\n');
  const first = JSON.parse(lines.find((l) => l.includes('"type":"login"'))!) as Record<string, unknown>;
  const owner = String(first.accountId);
  const other = Array.from({ length: 50 }, (_, i) => `decoy-${i}`).find((a) => shardOf(a, 3) !== shardOf(owner, 3))!;
  // the key spelled with an escape, and a decoy account id where a naive scan would look: it
  // must reach the owner's worker, in time (early in the file, so a detour would make it late)
  const at = 600;
  const tricky = JSON.stringify({ ...first, eventId: 'escaped-key', ts: JSON.parse(lines[at]).ts, accountId: undefined, note: { accountId: other } })
    .replace('{', `{"account\\u0049d":${JSON.stringify(owner)},`);
  assert.equal(JSON.parse(tricky).accountId, owner);
  assert.equal(shardOfLine(tricky, 3), shardOf(owner, 3));
  // bad lines of many accounts, so rejections come back from every worker and must be put in line order
  const bad = lines.slice(0, 40).map((l, i) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return i % 3 === 0 ? '{not json' : JSON.stringify({ ...o, eventId: `bad-${i}`, ts: i % 3 === 1 ? 'yesterday' : -5 });
  });
  writeFileSync(events, `${[...lines.slice(0, 500), ...bad, '', ...lines.slice(500, at), tricky, ...lines.slice(at)].join('\n')}\n`);

  const files = { events, instruments: path.join(data, 'instruments.ndjson'), accounts: path.join(data, 'accounts.ndjson') };
  const one = await runDetect({ ...files, out: path.join(dir, 'one'), quiet: true, workers: 1 });
  const three = await runDetect({ ...files, out: path.join(dir, 'three'), quiet: true, workers: 3 });
  assert.ok(one.findings.length > 0 && one.holds.length > 0 && one.rejected > 0, 'the data set exercises findings, holds and rejections');
  assert.equal(one.stats.late, 0, 'equal results are promised for events within the lateness allowance');
  assert.deepEqual(three.emitted, one.emitted);
  assert.deepEqual(three.holds, one.holds);
  assert.deepEqual(three.stats, one.stats);
  assert.deepEqual(three.rejectsByReason, one.rejectsByReason);
  assert.deepEqual([three.lines, three.valid, three.rejected], [one.lines, one.valid, one.rejected]);
  assert.equal(one.valid + one.rejected, one.lines, 'every line is valid or rejected');
  for (const f of ['findings.ndjson', 'holds.ndjson', 'rejects.ndjson']) {
    assert.equal(readFileSync(path.join(dir, 'three', f), 'utf8'), readFileSync(path.join(dir, 'one', f), 'utf8'), f);
  }
});

test('a raw line goes to the shard of the account id JSON.parse sees', () => {
  const id = 'ACC-0001';
  for (const line of [
    `{"type":"login","accountId":"${id}","ts":1}`,
    `{"type":"login", "accountId" : "${id}"}`,
    `{"accountId":"x","accountId":"${id}"}`,
    '{"accountId":"ACC-\\u00301"}',
    `{"userAgent":"say \\"accountId\\":\\"y\\"","accountId":"${id}"}`,
    `{"accountId" : "x", "accountId":"${id}"}`,
    `{"accountId":"x", "accountId" : "${id}"}`,
    `{"note":{"accountId":"x"},"account\\u0049d":"${id}"}`,
  ]) assert.equal(shardOfLine(line, 4), shardOf(JSON.parse(line).accountId, 4), line);
  assert.equal(shardOfLine('{not json', 4), 0);
  assert.equal(shardOfLine('{"accountId":7}', 4), 0);
  assert.equal(shardOfLine(`{"accountId":"${id}"}`, 1), 0);
});

test('a worker that cannot start fails the run with its reason instead of hanging', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-shards-'));
  const events = path.join(dir, 'events.ndjson');
  writeFileSync(events, '{"type":"login"}\n');
  const ref = new ReferenceData([], []);
  const sink = { reject: async () => undefined, found: () => undefined, progress: () => undefined };
  await assert.rejects(
    detectInShards(2, { events, instruments: path.join(dir, 'missing.ndjson'), accounts: path.join(dir, 'missing.ndjson') }, ref, {}, sink),
    /detect worker \d failed: cannot read .*missing\.ndjson/,
  );
});
