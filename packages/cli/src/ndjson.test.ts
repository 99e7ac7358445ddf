import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MAX_LINE_CHARS, overlongRejection, readLineBatches, readLines, type OverlongLine } from './ndjson.js';

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

test('a line over the cap is reported in its place, not kept; the lines around it are read, whatever ends them', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-lines-'));
  const file = path.join(dir, 'long.ndjson');
  writeFileSync(file, `a\n${'x'.repeat(1000)}\nb\r\n${'y'.repeat(500)}\rc\n${'w'.repeat(700)}\r\nd\n${'z'.repeat(300)}`);
  const lines: { line: string; n: number }[] = [];
  const overlong: OverlongLine[] = [];
  for await (const b of readLineBatches(file, 4096, 100)) {
    b.lines.forEach((line, i) => lines.push({ line, n: b.ns[i] }));
    overlong.push(...b.overlong);
  }
  assert.deepEqual(lines, [{ line: 'a', n: 1 }, { line: 'b', n: 3 }, { line: 'c', n: 5 }, { line: 'd', n: 7 }]);
  assert.deepEqual(overlong.map((o) => [o.n, o.chars, o.head.length]), [[2, 1000, 1000], [4, 500, 500], [6, 700, 700], [8, 300, 300]]);
  assert.match(overlongRejection(overlong[0], 100).reason, /line is 1000 characters, more than 100/);
  assert.equal(overlongRejection(overlong[0]).code, 'line_too_long');
});

test('one line far over the cap, across many read chunks, is skipped without holding it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-lines-'));
  const file = path.join(dir, 'huge.ndjson');
  const huge = 64 << 20;
  writeFileSync(file, `{"a":1}\n{"pad":"${'x'.repeat(huge)}"}\n{"b":2}\n`);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  // the reader awaits each chunk: a timer between them sees what it holds live
  const sampler = setInterval(() => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed - base);
  }, 2);
  const got: { line: string; n: number }[] = [];
  const over: OverlongLine[] = [];
  for await (const l of readLines(file, (o) => void over.push(o))) got.push(l);
  clearInterval(sampler);
  assert.deepEqual(got, [{ line: '{"a":1}', n: 1 }, { line: '{"b":2}', n: 3 }]);
  assert.deepEqual(over.map((o) => [o.n, o.chars]), [[2, huge + 10]]);
  assert.ok(over[0].head.length <= 2048);
  assert.ok(peak < 24 << 20, `peak heap ${Math.round(peak / 1048576)} MiB above the start while reading a ${huge >> 20} MiB line (cap ${MAX_LINE_CHARS >> 20} MiB)`);
});
