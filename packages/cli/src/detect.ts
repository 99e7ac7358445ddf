import { mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import {
  parseEventLine, parseJsonBounded, RejectedEvent, rejectionKey, truncateRaw, validateAccount, validateInstrument, validateListEntry,
  type AccountSnapshot, type Finding, type Hold, type Instrument, type ListEntry, type Rejection,
} from '@kanshi/contract';
import { DetectionEngine, ListBook, MAX_LIST_ENTRIES, ReferenceData, type EngineOptions, type EngineOutput, type EngineStats } from '@kanshi/detection';
import { detectInShards, type DetectRun, type DetectSink } from './detect-shards.js';
import { NdjsonWriter, overlongRejection, readLineBatches, readLines, withIsoTimes } from './ndjson.js';
import { Progress } from './progress.js';

export interface DetectOptions {
  events: string;
  instruments: string;
  accounts: string;
  /** block and allow list entries (NDJSON), applied in event time (packages/detection/src/list-book.ts) */
  lists?: string;
  out: string;
  engine?: EngineOptions;
  /** threads to split the accounts over (default: one for files under 32 MB, else one per core, at most 8) */
  workers?: number;
  quiet?: boolean;
}

export interface DetectSummary {
  lines: number;
  valid: number;
  rejected: number;
  rejectsByReason: Record<string, number>;
  referenceRejected: number;
  /** list entries in force for the run (after a later line of one entryId replaced an earlier) */
  listEntries: number;
  stats: EngineStats;
  /** latest revision of each finding, in order of first detection */
  findings: Finding[];
  /** every revision as emitted: when each finding first reached each severity */
  emitted: Finding[];
  holds: Hold[];
  seconds: number;
  eventsPerSec: number;
}

/** A reference file's valid records; each bad line is handed to `onReject` with its reason. */
export async function readReference<T>(
  file: string, parse: (o: unknown) => T | RejectedEvent, onReject: (n: number, r: RejectedEvent, line: string) => Promise<void>,
): Promise<T[]> {
  const out: T[] = [];
  for await (const { line, n } of readLines(file, (o) => onReject(o.n, overlongRejection(o), o.head))) {
    const json = parseJsonBounded(line);
    const r = json instanceof RejectedEvent ? json : parse(json);
    if (r instanceof RejectedEvent) await onReject(n, r, line);
    else out.push(r);
  }
  return out;
}

/** Load a reference file; bad lines go to the rejects with their reason. */
function loadReference<T>(file: string, parse: (o: unknown) => T | RejectedEvent, rejects: NdjsonWriter): Promise<T[]> {
  return readReference(file, parse, (n, r, line) => rejects.write(rejection(`${path.basename(file)}:${n}`, r, line)));
}

/**
 * The list file's entries, one per entryId (a later line replaces an earlier, as compaction keeps
 * the latest on the topic); a bad line, or an entry past the book's bound, is a rejection.
 */
async function loadLists(file: string, rejects: NdjsonWriter): Promise<ListEntry[]> {
  const byId = new Map<string, ListEntry>();
  for (const e of await loadReference(file, validateListEntry, rejects)) {
    if (byId.size >= MAX_LIST_ENTRIES && !byId.has(e.entryId)) {
      await rejects.write(rejection(`${path.basename(file)}:entry ${e.entryId}`, new RejectedEvent(`more than ${MAX_LIST_ENTRIES} entries`, { eventId: e.entryId, code: 'out_of_range' }), ''));
      continue;
    }
    byId.set(e.entryId, e);
  }
  return [...byId.values()];
}

function rejection(source: string, r: RejectedEvent, raw: string): Rejection {
  return { source, eventId: r.eventId, field: r.field, reason: r.reason, code: r.code, raw: truncateRaw(raw) };
}

/** Threads for a file of this many bytes: one for small files, where starting workers costs more than it saves. */
export function defaultWorkers(bytes: number): number {
  return bytes < 32 * 1024 * 1024 ? 1 : Math.max(1, Math.min(8, availableParallelism()));
}

/** Detection in this thread: the reference for the sharded run, and what small files get. */
async function detectInProcess(events: string, ref: ReferenceData, engineOptions: EngineOptions, sink: DetectSink): Promise<DetectRun> {
  const engine = new DetectionEngine(ref, engineOptions);
  const knownSymbol = (s: string) => ref.hasInstrument(s);
  const out: EngineOutput = { findings: [], holds: [] };
  let lines = 0, valid = 0, bytes = 0;
  for await (const b of readLineBatches(events)) {
    // over-long lines are rejected in line order with the rest
    let j = 0;
    for (let i = 0; i < b.lines.length; i++) {
      for (; j < b.overlong.length && b.overlong[j].n < b.ns[i]; j++) await sink.reject(b.overlong[j].n, overlongRejection(b.overlong[j]), b.overlong[j].head);
      const line = b.lines[i];
      bytes += line.length + 1;
      const ev = parseEventLine(line, { knownSymbol });
      if (ev instanceof RejectedEvent) {
        await sink.reject(b.ns[i], ev, line);
        continue;
      }
      valid++;
      engine.process(ev, out);
      if (out.findings.length || out.holds.length) sink.found(out);
    }
    for (; j < b.overlong.length; j++) await sink.reject(b.overlong[j].n, overlongRejection(b.overlong[j]), b.overlong[j].head);
    lines += b.lines.length + b.overlong.length;
    for (const o of b.overlong) bytes += o.chars + 1;
    sink.progress(lines, bytes);
  }
  engine.flush(out);
  sink.found(out);
  return { lines, valid, stats: engine.stats() };
}

/**
 * `kanshi detect`: NDJSON (or .gz) in, findings, holds and rejects out. Every line is either
 * detected on or rejected with its reason; the run succeeds whenever the input could be read.
 */
export async function runDetect(opts: DetectOptions): Promise<DetectSummary> {
  const started = Date.now();
  mkdirSync(opts.out, { recursive: true });
  const rejects = new NdjsonWriter(path.join(opts.out, 'rejects.ndjson'));
  const instruments = await loadReference<Instrument>(opts.instruments, validateInstrument, rejects);
  const accounts = await loadReference<AccountSnapshot>(opts.accounts, validateAccount, rejects);
  const entries = opts.lists ? await loadLists(opts.lists, rejects) : [];
  const referenceRejected = rejects.count;
  const ref = new ReferenceData(instruments, accounts);
  ref.lists = new ListBook(entries);
  const engineOptions: EngineOptions = { maxLatenessMs: 5 * 60_000, ...opts.engine };

  const latest = new Map<string, Finding>();
  const emitted: Finding[] = [];
  const order: string[] = [];
  const holds: Hold[] = [];
  const collect = (out: EngineOutput) => {
    for (const f of out.findings) {
      emitted.push(f);
      if (!latest.has(f.findingId)) order.push(f.findingId);
      const prev = latest.get(f.findingId);
      if (!prev || f.revision >= prev.revision) latest.set(f.findingId, f);
    }
    holds.push(...out.holds);
    out.findings.length = 0;
    out.holds.length = 0;
  };

  let size = 0;
  try {
    size = statSync(opts.events).size;
  } catch { /* the reader reports the missing file */ }
  const gz = opts.events.endsWith('.gz');
  const progress = new Progress('detect');
  const byReason: Record<string, number> = {};
  let rejected = 0;
  const sink: DetectSink = {
    async reject(n, r, line) {
      rejected++;
      const key = rejectionKey(r);
      byReason[key] = (byReason[key] ?? 0) + 1;
      await rejects.write(rejection(`${path.basename(opts.events)}:${n}`, r, line));
    },
    found: collect,
    progress(lines, bytes) {
      if (!opts.quiet) progress.update(gz ? lines : bytes, gz ? undefined : size, gz ? ' lines' : ' B');
    },
  };
  const workers = opts.workers ?? defaultWorkers(gz ? size * 8 : size);
  const files = { events: opts.events, instruments: opts.instruments, accounts: opts.accounts, lists: entries };
  const run = workers > 1 ? await detectInShards(workers, files, ref, engineOptions, sink) : await detectInProcess(opts.events, ref, engineOptions, sink);
  progress.done();

  const findings = order.map((id) => latest.get(id)!);
  const fw = new NdjsonWriter(path.join(opts.out, 'findings.ndjson'));
  for (const f of findings) await fw.write(withIsoTimes(f, ['detectedAt']));
  await fw.close();
  const hw = new NdjsonWriter(path.join(opts.out, 'holds.ndjson'));
  for (const h of holds) await hw.write(withIsoTimes(h, ['at']));
  await hw.close();
  await rejects.close();

  const seconds = (Date.now() - started) / 1000;
  return {
    lines: run.lines, valid: run.valid, rejected, rejectsByReason: byReason, referenceRejected, listEntries: ref.lists.size,
    stats: run.stats, findings, emitted, holds, seconds, eventsPerSec: Math.round(run.lines / Math.max(seconds, 1e-3)),
  };
}
