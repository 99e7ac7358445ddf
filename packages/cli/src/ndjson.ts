import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { once } from 'node:events';
import { RejectedEvent } from '@kanshi/contract';

/**
 * The longest line read, in characters (UTF-16 code units: bytes, for ASCII). A longer line is
 * rejected unread and skipped to its end, so one line without a break (a corrupt or hostile
 * file) costs at most this much memory, plus a read chunk, instead of the whole file.
 */
export const MAX_LINE_CHARS = 1 << 20;

/** A line longer than the cap: where it was, how long, and its start (for the rejection's raw). */
export interface OverlongLine {
  n: number;
  chars: number;
  head: string;
}

/** Consecutive non-blank lines of a file and their 1-based line numbers. */
export interface LineBatch {
  lines: string[];
  ns: number[];
  /** lines among these that were over the cap, not in `lines` */
  overlong: OverlongLine[];
}

/** Why an over-long line is refused, as every reader of NDJSON reports it. */
export function overlongRejection(o: OverlongLine, maxLineChars = MAX_LINE_CHARS): RejectedEvent {
  return new RejectedEvent(`line is ${o.chars} characters, more than ${maxLineChars}`, { code: 'line_too_long' });
}

const HEAD_KEPT = 2048;

/**
 * Lines of a text file in batches of about `maxLines`, transparently gunzipped when it ends in
 * .gz; blank lines skipped but counted. Line breaks are readline's (\n, \r\n, or a lone \r),
 * split here without readline's per-line events: reading is part of every detector's floor.
 * Lines over `maxLineChars` come back in `overlong`, their text dropped as it is read.
 */
export async function* readLineBatches(file: string, maxLines = 4096, maxLineChars = MAX_LINE_CHARS): AsyncGenerator<LineBatch> {
  if (!existsSync(file)) throw new InputFileMissing(file);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const decoder = new StringDecoder('utf8');
  let batch: LineBatch = { lines: [], ns: [], overlong: [] };
  let n = 0;
  const tooLong = (text: string, chars = text.length): OverlongLine => ({ n: ++n, chars, head: text.slice(0, HEAD_KEPT) });
  const take = (line: string) => {
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    for (const part of line.includes('\r') ? line.split('\r') : [line]) {
      if (part.length > maxLineChars) batch.overlong.push(tooLong(part));
      else {
        n++;
        if (part.trim().length > 0) {
          batch.lines.push(part);
          batch.ns.push(n);
        }
      }
    }
  };
  let rest = '';
  // how much of `rest` is known to hold no \r but its last character
  let crFree = 0;
  // an over-long line being skipped to its end, and whether a \n just after its closing \r is still to drop
  let skipping: OverlongLine | null = null;
  let afterCr = false;
  for await (const chunk of input) {
    let text = rest + decoder.write(chunk as Buffer);
    let from = rest.length;
    if (afterCr) {
      afterCr = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    if (skipping) {
      const end = firstBreak(text);
      if (end === -1) {
        skipping.chars += text.length;
        rest = '';
        continue;
      }
      skipping.chars += end;
      let after = end + 1;
      if (text.charCodeAt(end) === 13) {
        if (after === text.length) afterCr = true;
        else if (text.charCodeAt(after) === 10) after++;
      }
      batch.overlong.push(skipping);
      skipping = null;
      text = text.slice(after);
      from = 0;
      crFree = 0;
    }
    let start = 0;
    // `rest` has no \n: the search starts where the new text does
    for (let i = text.indexOf('\n', from); i !== -1; i = text.indexOf('\n', start)) {
      take(text.slice(start, i));
      start = i + 1;
    }
    if (start > 0) crFree = 0;
    rest = text.slice(start);
    // a file broken by lone \r alone never shows a \n: hand on what is complete now and then,
    // looking only at text not looked at before (one long line must not be rescanned per chunk)
    if (rest.length > maxLineChars) {
      let cr = -1;
      for (let i = rest.indexOf('\r', crFree); i !== -1 && i < rest.length - 1; i = rest.indexOf('\r', i + 1)) cr = i;
      if (cr !== -1) {
        take(rest.slice(0, cr + 1));
        rest = rest.slice(cr + 1);
      }
      crFree = rest.length - 1;
    }
    // still no break in sight: the line is over the cap, and the rest of it is not kept
    if (rest.length > maxLineChars) {
      if (rest.charCodeAt(rest.length - 1) === 13) {
        batch.overlong.push(tooLong(rest, rest.length - 1));
        afterCr = true;
      } else skipping = tooLong(rest);
      rest = '';
      crFree = 0;
    }
    if (batch.lines.length + batch.overlong.length >= maxLines) {
      yield batch;
      batch = { lines: [], ns: [], overlong: [] };
    }
  }
  rest += decoder.end();
  if (skipping) {
    const end = firstBreak(rest);
    skipping.chars += end === -1 ? rest.length : end;
    batch.overlong.push(skipping);
    rest = end === -1 ? '' : rest.slice(end + 1);
  }
  if (afterCr && rest.charCodeAt(0) === 10) rest = rest.slice(1);
  if (rest.length) take(rest);
  if (batch.lines.length || batch.overlong.length) yield batch;
}

function firstBreak(text: string): number {
  const lf = text.indexOf('\n');
  const cr = text.indexOf('\r');
  return lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
}

/**
 * Lines of a text file one by one, as {@link readLineBatches} reads them; each over-long line
 * is handed to `onOverlong` (in line order with the rest) instead.
 */
export async function* readLines(file: string, onOverlong?: (o: OverlongLine) => Promise<void> | void): AsyncGenerator<{ line: string; n: number }> {
  for await (const b of readLineBatches(file)) {
    let j = 0;
    for (let i = 0; i < b.lines.length; i++) {
      for (; j < b.overlong.length && b.overlong[j].n < b.ns[i]; j++) await onOverlong?.(b.overlong[j]);
      yield { line: b.lines[i], n: b.ns[i] };
    }
    for (; j < b.overlong.length; j++) await onOverlong?.(b.overlong[j]);
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
    const chunk = `${this.buf.join('\n')}\n`;
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
