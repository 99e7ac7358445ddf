import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readLineBatches, readLines } from './ndjson.js';

async function all(file: string, maxLines?: number) {
  const out: { line: string; n: number }[] = [];
  let batches = 0;
  for await (const b of readLineBatches(file, maxLines)) {
    batches++;
    b.lines.forEach((line, i) => out.push({ line, n: b.ns[i] }));
  }
  return { out, batches };
}

test("lines split as readline splits them, blank ones counted but skipped, numbers 1-based", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-lines-'));
  const file = path.join(dir, 'a.ndjson');
  writeFileSync(file, 'a\r\nb\n\n  \nc\rd\r\n\ne');
  const want = [{ line: 'a', n: 1 }, { line: 'b', n: 2 }, { line: 'c', n: 5 }, { line: 'd', n: 6 }, { line: 'e', n: 8 }];
  assert.deepEqual((await all(file)).out, want);
  const lines: { line: string; n: number }[] = [];
  for await (const l of readLines(file)) lines.push(l);
  assert.deepEqual(lines, want);
  writeFileSync(`${file}.gz`, gzipSync('x\ny\n'));
  assert.deepEqual((await all(`${file}.gz`)).out, [{ line: 'x', n: 1 }, { line: 'y', n: 2 }]);
});

test('characters split across read chunks stay whole; batches stay near their size', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-lines-'));
  const file = path.join(dir, 'big.ndjson');
  // 3-byte characters and 1 MiB chunks: many characters straddle a chunk's end
  const line = JSON.stringify({ name: '監視'.repeat(200) });
  const n = 6000;
  writeFileSync(file, `${line}\n`.repeat(n));
  const { out, batches } = await all(file, 1000);
  assert.equal(out.length, n);
  assert.ok(out.every((l, i) => l.line === line && l.n === i + 1));
  assert.ok(batches >= 3, `${batches} batches`);
});

test('a file broken by lone \\r only is streamed, not held whole', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-lines-'));
  const file = path.join(dir, 'cr.ndjson');
  const line = `{"pad":"${'x'.repeat(200)}"}`;
  const n = 20_000;
  writeFileSync(file, `${line}\r\r`.repeat(n));
  const { out, batches } = await all(file, 1000);
  assert.equal(out.length, n);
  assert.ok(out.every((l, i) => l.line === line && l.n === 2 * i + 1), 'blank lines between are counted');
  assert.ok(batches >= 3, `${batches} batches`);
});
