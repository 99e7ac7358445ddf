import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { once } from 'node:events';

/** Lines of a text file, transparently gunzipped when it ends in .gz; blank lines skipped. */
export async function* readLines(file: string): AsyncGenerator<{ line: string; n: number }> {
  if (!existsSync(file)) throw new InputFileMissing(file);
  const raw = createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim().length > 0) yield { line, n };
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
