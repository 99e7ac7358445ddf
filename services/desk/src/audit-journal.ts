/**
 * The desk's audit journal: a write-ahead log in the desk's state directory, so a page waits for
 * a local durable append (one write and one fdatasync, ~1 ms here) instead of a ClickHouse INSERT
 * (a new MergeTree part a statement, 19-25 ms on 18.16 here, 2-3x the page's own reads), and
 * every action and view still reaches the append-only audit_log, nothing lost:
 *
 * - an entry is one JSON line (with its auditId) in the active segment, fdatasync'ed before the
 *   caller's promise resolves; appends that arrive together share one write and one sync. A
 *   failed write is cut back off the file and rejects (the page fails, as a failed INSERT did).
 * - the flusher seals the active segment (a new one takes the appends) every `flushMs` or after
 *   `flushEntries` entries, INSERTs each sealed segment's entries and deletes the segment only
 *   after ClickHouse took them. A start finds the segments a crash or a failed flush left and
 *   flushes them first.
 * - a crash between an INSERT and the delete replays entries ClickHouse already has: audit_log is
 *   a ReplacingMergeTree ordered by audit_id and every desk read of it says FINAL (desk-audit.ts),
 *   so a replayed entry shows once, on 18.16 and on chdb alike (no check-before-insert round).
 * - the journal is bounded (`maxBytes` over all segments): with ClickHouse away for long it fills,
 *   then appends, and so the pages that need one, fail with journal_full naming the remedy.
 */
import { mkdir, open, readdir, readFile, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AuditEntry, DeskStore } from '@kanshi/store';

export const JOURNAL_ERROR_CODES = ['journal_full', 'journal_write_failed', 'journal_locked'] as const;

/** An audit entry the journal could not take: the page that needed it must not be shown. */
export class AuditJournalError extends Error {
  override readonly name = 'AuditJournalError';
  constructor(readonly code: (typeof JOURNAL_ERROR_CODES)[number], readonly retriable: boolean, message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** Where flushed entries go: the store's audit INSERT. */
export interface AuditSink {
  audit(entries: AuditEntry[]): Promise<void>;
}

export interface AuditJournalOptions {
  dir: string;
  sink: AuditSink;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** all segments together at most this many bytes; default 64 MiB (~250,000 entries) */
  maxBytes?: number;
  /** how often the flusher runs; default 500 ms */
  flushMs?: number;
  /** a flush starts early after this many entries; default 1000 */
  flushEntries?: number;
  clock?: () => number;
  /** the durable step of an append: fdatasync by default (tests: a failing disk) */
  sync?: (file: FileHandle) => Promise<void>;
}

const SEGMENT = /^audit-(\d{12})\.ndjson$/;
const segmentName = (seq: number) => `audit-${String(seq).padStart(12, '0')}.ndjson`;
/** entries an INSERT at most: a long outage's backlog goes in as several statements */
const INSERT_CHUNK = 5000;

interface Waiting { buf: Buffer; entries: number; resolve: () => void; reject: (e: Error) => void }
interface Sealed { seq: number; bytes: number }

export class AuditJournal {
  private active!: FileHandle;
  private activeSeq = 0;
  private activeBytes = 0;
  private activeEntries = 0;
  private readonly sealed: Sealed[] = [];
  private sealedBytes = 0;
  private queue: Waiting[] = [];
  private queuedBytes = 0;
  /** appends and seals one at a time: a seal never lands in the middle of a write */
  private serial: Promise<void> = Promise.resolve();
  private flushing: Promise<void> = Promise.resolve();
  private broken: Error | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastFlushed: number;
  private readonly maxBytes: number;
  private readonly flushEntries: number;
  private readonly clock: () => number;
  private readonly sync: (file: FileHandle) => Promise<void>;

  private constructor(private readonly o: AuditJournalOptions) {
    this.maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
    this.flushEntries = o.flushEntries ?? 1000;
    this.clock = o.clock ?? Date.now;
    this.sync = o.sync ?? ((f) => f.datasync());
    this.lastFlushed = this.clock();
  }

  /** The journal in `o.dir`: what an earlier run left there is sealed, to be flushed first (`flush`). */
  static async open(o: AuditJournalOptions): Promise<AuditJournal> {
    const j = new AuditJournal(o);
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
    await lockDir(o.dir);
    let last = 0;
    for (const name of (await readdir(o.dir)).sort()) {
      const seq = Number(SEGMENT.exec(name)?.[1] ?? Number.NaN);
      if (!Number.isInteger(seq)) continue;
      last = Math.max(last, seq);
      const { size } = await stat(path.join(o.dir, name));
      if (size === 0) await unlink(path.join(o.dir, name));
      else {
        j.sealed.push({ seq, bytes: size });
        j.sealedBytes += size;
      }
    }
    if (j.sealed.length) o.log.info({ segments: j.sealed.length, bytes: j.sealedBytes, dir: o.dir }, 'audit journal: entries of an earlier run to replay');
    await j.startSegment(last + 1);
    return j;
  }

  /** Where it is. */
  get dir(): string {
    return this.o.dir;
  }

  /** Entries the journal holds that ClickHouse may not have yet, in bytes. */
  get pendingBytes(): number {
    return this.sealedBytes + this.activeBytes + this.queuedBytes;
  }

  /** Resolves once the entries are on disk (fdatasync); rejects with an AuditJournalError, the entries not kept. */
  append(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    if (this.broken) return Promise.reject(this.broken);
    const buf = Buffer.from(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    if (this.pendingBytes + buf.length > this.maxBytes) {
      const since = new Date(this.lastFlushed).toISOString();
      this.o.log.error({ dir: this.o.dir, bytes: this.pendingBytes, maxBytes: this.maxBytes, lastFlushed: since }, 'audit journal full: views and actions refused');
      return Promise.reject(new AuditJournalError('journal_full', true, `the audit journal is full (${this.maxBytes} bytes): ClickHouse has taken no audit entries since ${since}. ` +
        'Nothing was shown or changed. Bring ClickHouse back (the desk flushes the journal by itself, then pages work again) or raise KANSHI_DESK_AUDIT_JOURNAL_MAX_BYTES.'));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ buf, entries: entries.length, resolve, reject });
      this.queuedBytes += buf.length;
      void this.inTurn(() => this.writeQueued());
    });
  }

  /** Everything appended before this call is in ClickHouse when it resolves (the audit page reads after one). */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(() => this.flushSealed());
    return this.flushing;
  }

  /** The flusher: every `flushMs`, a failure logged and retried at the next tick (the journal keeps the entries). */
  start(): void {
    const every = this.o.flushMs ?? 500;
    // after a failure, the next tries back off (doubling, at most 30 s): an outage is not a
    // reread of the whole backlog twice a second; the audit page's own flush still tries at once
    let failures = 0;
    let retryAt = 0;
    let busy = false; // a flush that hangs (ClickHouse slow to refuse) is not queued behind again each tick
    this.timer ??= setInterval(() => {
      if (busy || this.clock() < retryAt) return;
      busy = true;
      this.flush().then(() => {
        failures = 0;
        retryAt = 0;
      }, () => {
        failures++;
        retryAt = this.clock() + Math.min(30_000, every * 2 ** failures);
      }).finally(() => {
        busy = false;
      });
    }, every);
    this.timer.unref();
  }

  /** Graceful stop: the last flush, then the file closed (a failed flush leaves the entries for the next start). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      await this.flush();
    } finally {
      await this.inTurn(() => this.active.close());
      await unlink(path.join(this.o.dir, LOCK)).catch(() => undefined);
    }
  }

  private inTurn(task: () => Promise<void>): Promise<void> {
    const run = this.serial.then(task);
    this.serial = run.catch(() => undefined);
    return run;
  }

  /** Group commit: every append queued so far, one write, one sync. */
  private async writeQueued(): Promise<void> {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const buf = Buffer.concat(batch.map((w) => w.buf));
    this.queuedBytes -= buf.length;
    const before = this.activeBytes;
    try {
      await this.active.write(buf, 0, buf.length, before);
      await this.sync(this.active);
    } catch (e) {
      // cut the batch back off: a rejected page's entries must not reach the audit later
      const cut = await this.active.truncate(before).then(() => this.sync(this.active)).then(() => true, () => false);
      const err = new AuditJournalError('journal_write_failed', cut, `the audit journal could not record this (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): nothing was shown or changed${cut ? '; try again' : '; the desk needs a restart (see its log)'}`, e);
      this.o.log.error({ dir: this.o.dir, err: { name: (e as Error).name, message: (e as Error).message }, cutBack: cut }, 'audit journal append failed');
      if (!cut) this.broken = err;
      for (const w of batch) w.reject(err);
      return;
    }
    this.activeBytes += buf.length;
    this.activeEntries += batch.reduce((n, w) => n + w.entries, 0);
    for (const w of batch) w.resolve();
    if (this.activeEntries >= this.flushEntries) void this.flush().catch(() => undefined);
  }

  private async startSegment(seq: number): Promise<void> {
    this.active = await open(path.join(this.o.dir, segmentName(seq)), 'w', 0o600);
    this.activeSeq = seq;
    this.activeBytes = 0;
    this.activeEntries = 0;
    // the new file's name durable before an entry in it is acknowledged
    await syncDir(this.o.dir);
  }

  /** The active segment becomes sealed and a new one takes the appends (none when it is empty). */
  private seal(): Promise<void> {
    return this.inTurn(async () => {
      if (this.activeBytes === 0 || this.broken) return;
      await this.active.close();
      this.sealed.push({ seq: this.activeSeq, bytes: this.activeBytes });
      this.sealedBytes += this.activeBytes;
      await this.startSegment(this.activeSeq + 1);
    });
  }

  private async flushSealed(): Promise<void> {
    await this.seal();
    while (this.sealed.length) {
      const seg = this.sealed[0];
      const file = path.join(this.o.dir, segmentName(seg.seq));
      const entries = parseSegment(await readFile(file, 'utf8'), (line, why) => this.o.log.error({ file, line, why }, 'audit journal: a line left out'));
      try {
        for (let i = 0; i < entries.length; i += INSERT_CHUNK) await this.o.sink.audit(entries.slice(i, i + INSERT_CHUNK));
      } catch (e) {
        this.o.log.warn({ err: { name: (e as Error).name, message: (e as Error).message }, pendingBytes: this.pendingBytes }, 'audit journal: flush to ClickHouse failed, kept for the next try');
        throw e;
      }
      // a crash here replays this segment: the same audit ids, collapsed by FINAL on every read
      await unlink(file);
      this.sealed.shift();
      this.sealedBytes -= seg.bytes;
    }
    this.lastFlushed = this.clock();
  }
}

/**
 * A segment's entries. A last line without its newline is a write a crash cut short: its append
 * never resolved, its page was never sent, so it is left out; so is any line not an entry.
 */
export function parseSegment(text: string, leftOut: (line: number, why: string) => void): AuditEntry[] {
  const lines = text.split('\n');
  const torn = lines.pop();
  if (torn) leftOut(lines.length + 1, 'cut short by a crash (no newline)');
  const out: AuditEntry[] = [];
  lines.forEach((line, i) => {
    try {
      const e = JSON.parse(line) as Record<string, unknown>;
      const ok = typeof e.auditId === 'string' && e.auditId !== '' && typeof e.at === 'number' && ['actor', 'action', 'subject', 'detail', 'policyVersion'].every((k) => typeof e[k] === 'string');
      if (ok) out.push(e as unknown as AuditEntry);
      else leftOut(i + 1, 'not an audit entry');
    } catch {
      leftOut(i + 1, 'not JSON');
    }
  });
  return out;
}

const LOCK = 'desk.pid';

/**
 * One desk a journal: two appending to one directory would flush each other's segments (and into
 * whichever database each has). A lock whose process is gone (a crash) is taken over.
 */
async function lockDir(dir: string): Promise<void> {
  const file = path.join(dir, LOCK);
  for (let tries = 0; tries < 2; tries++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(await readFile(file, 'utf8').catch(() => ''));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new AuditJournalError('journal_locked', false, `the audit journal ${dir} is in use by process ${pid}: give this desk its own KANSHI_DESK_AUDIT_JOURNAL`);
    }
    await unlink(file).catch(() => undefined);
  }
  throw new AuditJournalError('journal_locked', false, `could not lock the audit journal ${dir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

type AuditSide = Pick<DeskStore, 'audit' | 'auditLog' | 'auditCount' | 'auditEntries'>;

/**
 * The desk's backend with its audit entries through the journal: `audit` appends (the page waits
 * for the disk, not for ClickHouse), and the audit log's reads flush first, so the audit page and
 * the CSV export show every entry made before them. Everything else goes straight to `desk`.
 */
export function journaled<T extends AuditSide>(desk: T, journal: AuditJournal): T {
  const side: AuditSide = {
    audit: (entries) => journal.append(entries),
    auditLog: async (q) => {
      await journal.flush();
      return desk.auditLog(q);
    },
    auditCount: async (q) => {
      await journal.flush();
      return desk.auditCount(q);
    },
    auditEntries: async function* (q) {
      await journal.flush();
      yield* desk.auditEntries(q);
    },
  };
  return new Proxy(desk, {
    get(target, prop) {
      if (Object.hasOwn(side, prop)) return side[prop as keyof AuditSide];
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
