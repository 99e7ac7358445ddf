import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { once } from 'node:events';

/** Consecutive non-blank lines of a file and their 1-based line numbers. */
export interface LineBatch {
  lines: string[];
  ns: number[];
}

/**
 * Lines of a text file in batches of about `maxLines`, transparently gunzipped when it ends in
 * .gz; blank lines skipped but counted. Line breaks are readline's (\n, \r\n, or a lone \r),
 * split here without readline's per-line events: reading is part of every detector's floor.
 */
export async function* readLineBatches(file: string, maxLines = 4096): AsyncGenerator<LineBatch> {
  if (!existsSync(file)) throw new InputFileMissing(file);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const decoder = new StringDecoder('utf8');
  let batch: LineBatch = { lines: [], ns: [] };
  let n = 0;
  const take = (line: string) => {
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    for (const part of line.includes('\r') ? line.split('\r') : [line]) {
      n++;
      if (part.trim().length > 0) {
        batch.lines.push(part);
        batch.ns.push(n);
      }
    }
  };
  let rest = '';
  // how much of `rest` is known to hold no \r but its last character
  let crFree = 0;
  for await (const chunk of input) {
    const text = rest + decoder.write(chunk as Buffer);
    let start = 0;
    // `rest` has no \n: the search starts where the new text does
    for (let i = text.indexOf('\n', rest.length); i !== -1; i = text.indexOf('\n', start)) {
      take(text.slice(start, i));
      start = i + 1;
    }
    if (start > 0) crFree = 0;
    rest = text.slice(start);
    // a file broken by lone \r alone never shows a \n: hand on what is complete now and then,
    // looking only at text not looked at before (one long line must not be rescanned per chunk)
    if (rest.length > 1 << 20) {
      let cr = -1;
      for (let i = rest.indexOf('\r', crFree); i !== -1 && i < rest.length - 1; i = rest.indexOf('\r', i + 1)) cr = i;
      if (cr !== -1) {
        take(rest.slice(0, cr + 1));
        rest = rest.slice(cr + 1);
      }
      crFree = rest.length - 1;
    }
    if (batch.lines.length >= maxLines) {
      yield batch;
      batch = { lines: [], ns: [] };
    }
  }
  rest += decoder.end();
  if (rest.length) take(rest);
  if (batch.lines.length) yield batch;
}

/** Lines of a text file one by one, as {@link readLineBatches} reads them. */
export async function* readLines(file: string): AsyncGenerator<{ line: string; n: number }> {
  for await (const b of readLineBatches(file)) {
    for (let i = 0; i < b.lines.length; i++) yield { line: b.lines[i], n: b.ns[i] };
  }
}

export class InputFileMissing extends Error {
  override readonly name = 'InputFileMissing';
  constructor(readonly file: string) {
    super(`cannot read ${file}: no such file`);
  }
}

/** Buffered NDJSON writer that respects backpressure. */
export class NdjsonWriter {
  private readonly out: WriteStream;
  private buf: string[] = [];
  count = 0;

  constructor(file: string) {
    this.out = createWriteStream(file);
  }

  async write(record: unknown): Promise<void> {
    this.buf.push(JSON.stringify(record));
    this.count++;
    if (this.buf.length >= 512) await this.flushBuffer();
  }

  private async flushBuffer(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = this.buf.join('\n') + '\n';
    this.buf = [];
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    await this.flushBuffer();
    this.out.end();
    await once(this.out, 'finish');
  }
}

/** Epoch-ms fields rendered as ISO-8601 for files people read. */
export function withIsoTimes<T extends object>(r: T, fields: string[]): T {
  const o = { ...r } as Record<string, unknown>;
  for (const f of fields) if (typeof o[f] === 'number') o[f] = new Date(o[f] as number).toISOString();
  return o as T;
}
