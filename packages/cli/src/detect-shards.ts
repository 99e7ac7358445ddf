/**
 * `kanshi detect --workers N`: the accounts split over N worker threads by a hash of their id,
 * as the detector service splits them over partitions. This thread reads the file and routes
 * the raw lines; each worker parses, validates and runs stage 1 for its accounts; stage 2 and
 * the hold policy run here over the workers' records in event-time order, so the findings and
 * holds are those of one thread (events later than the lateness allowance aside).
 */
import { Worker } from 'node:worker_threads';
import { RejectedEvent, type ListEntry, type RejectCode } from '@kanshi/contract';
import {
  ShardMerge, resolveEngineOptions,
  type EngineOptions, type EngineOutput, type EngineStats, type ReferenceData, type StepRecord,
} from '@kanshi/detection';
import { shardOfLine } from './event-lines.js';
import { overlongRejection, readLineBatches, type OverlongLine } from './ndjson.js';

export interface ShardInit {
  shard: number;
  shards: number;
  instruments: string;
  accounts: string;
  /** the validated list entries: the main thread read (and rejected) them once */
  lists: ListEntry[];
  engine: EngineOptions;
}

export type ShardRequest = { kind: 'lines'; lines: string[] } | { kind: 'end' };

export interface ShardStats {
  valid: number;
  events: number;
  duplicates: number;
  late: number;
  accounts: number;
}

export type ShardReply =
  | { kind: 'ready' }
  /** `i`: the index of a line in the request */
  | { kind: 'lines'; records: StepRecord[]; watermark: number; rejects: { i: number; reason: string; field: string | null; eventId: string | null; code: RejectCode }[] }
  | { kind: 'drained'; records: StepRecord[]; watermark: number; stats: ShardStats };

/** Where detection's results go, whichever way it runs. */
export interface DetectSink {
  reject(n: number, r: RejectedEvent, line: string): Promise<void>;
  found(out: EngineOutput): void;
  progress(lines: number, bytes: number): void;
}

export interface DetectRun {
  lines: number;
  valid: number;
  stats: EngineStats;
}

/** A worker thread answering requests in the order they were sent. */
class ShardWorker {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (r: ShardReply) => void; reject: (e: Error) => void }[] = [];
  private failed: Error | null = null;
  readonly ready: Promise<ShardReply>;

  constructor(init: ShardInit) {
    this.worker = new Worker(new URL('./detect-worker.js', import.meta.url), { workerData: init });
    this.ready = new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.worker.on('message', (m: ShardReply) => this.waiting.shift()?.resolve(m));
    this.worker.on('error', (e) => this.fail(new Error(`detect worker ${init.shard} failed: ${e.message}`)));
    this.worker.on('exit', (code) => this.fail(new Error(`detect worker ${init.shard} exited (${code}) with work in hand`)));
  }

  request(r: ShardRequest): Promise<ShardReply> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(r);
    });
  }

  async close(): Promise<void> {
    this.waiting.length = 0;
    await this.worker.terminate();
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const w of this.waiting.splice(0)) w.reject(this.failed);
  }
}

type Chunk = { lines: string[][]; ns: number[][]; overlong: OverlongLine[]; replies: Promise<ShardReply[]> };

/** Run detection over `events` with `shards` worker threads; results go to `sink`. */
export async function detectInShards(
  shards: number, files: { events: string; instruments: string; accounts: string; lists?: ListEntry[] }, ref: ReferenceData, engine: EngineOptions, sink: DetectSink,
): Promise<DetectRun> {
  const workers = Array.from({ length: shards }, (_, shard) => new ShardWorker({ shard, shards, instruments: files.instruments, accounts: files.accounts, lists: files.lists ?? [], engine }));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const o = resolveEngineOptions(engine);
    const merge = new ShardMerge(ref, o.detection, o.holdPolicy, shards);
    const out: EngineOutput = { findings: [], holds: [] };
    const take = (shard: number, r: { records: StepRecord[]; watermark: number }) => {
      merge.accept(shard, r.records, r.watermark, out);
      if (out.findings.length || out.holds.length) sink.found(out);
    };
    const send = (lines: string[][], ns: number[][], overlong: OverlongLine[]): Chunk => {
      const replies = Promise.all(workers.map((w, i) => w.request({ kind: 'lines', lines: lines[i] })));
      // a failed worker fails every chunk in flight; the first one awaited reports it
      replies.catch(() => undefined);
      return { lines, ns, overlong, replies };
    };
    // replies are taken in the order sent: rejections in line order, records by shard
    const handle = async (chunk: Chunk) => {
      const replies = await chunk.replies;
      const rejected: { n: number; line: string; r: RejectedEvent }[] = chunk.overlong.map((o) => ({ n: o.n, line: o.head, r: overlongRejection(o) }));
      for (let s = 0; s < shards; s++) {
        const reply = replies[s];
        if (reply.kind !== 'lines') throw new Error(`detect worker ${s} answered ${reply.kind} to lines`);
        for (const x of reply.rejects) rejected.push({ n: chunk.ns[s][x.i], line: chunk.lines[s][x.i], r: new RejectedEvent(x.reason, x) });
        take(s, reply);
      }
      rejected.sort((a, b) => a.n - b.n);
      for (const x of rejected) await sink.reject(x.n, x.r, x.line);
    };

    const inFlight: Chunk[] = [];
    let lines = 0, bytes = 0;
    for await (const b of readLineBatches(files.events, 8192)) {
      const split = workers.map((): string[] => []), ns = workers.map((): number[] => []);
      for (let i = 0; i < b.lines.length; i++) {
        const line = b.lines[i];
        const s = shardOfLine(line, shards);
        split[s].push(line);
        ns[s].push(b.ns[i]);
        bytes += line.length + 1;
      }
      lines += b.lines.length + b.overlong.length;
      for (const o of b.overlong) bytes += o.chars + 1;
      inFlight.push(send(split, ns, b.overlong));
      // two chunks queued per worker while this thread reads the next
      while (inFlight.length > 2) await handle(inFlight.shift()!);
      sink.progress(lines, bytes);
    }
    while (inFlight.length) await handle(inFlight.shift()!);

    const drained = await Promise.all(workers.map((w) => w.request({ kind: 'end' })));
    const stats: EngineStats = { events: 0, duplicates: 0, late: 0, accounts: 0, thinSymbolsWatched: 0, findings: 0, holds: 0 };
    let valid = 0;
    drained.forEach((d, s) => {
      if (d.kind !== 'drained') throw new Error(`detect worker ${s} answered ${d.kind} to end`);
      take(s, d);
      valid += d.stats.valid;
      stats.events += d.stats.events;
      stats.duplicates += d.stats.duplicates;
      stats.late += d.stats.late;
      stats.accounts += d.stats.accounts;
    });
    merge.finish(out);
    sink.found(out);
    return { lines, valid, stats: { ...stats, thinSymbolsWatched: merge.symbolCount, findings: merge.findingCount, holds: merge.holdCount } };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}
