import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  RejectedEvent, truncateRaw, validateAccount, validateEvent, validateInstrument,
  type AccountSnapshot, type Finding, type Hold, type Instrument, type Rejection,
} from '@kanshi/contract';
import { DetectionEngine, ReferenceData, type EngineOptions, type EngineStats } from '@kanshi/detection';
import { NdjsonWriter, readLines, withIsoTimes } from './ndjson.js';
import { Progress } from './progress.js';

export interface DetectOptions {
  events: string;
  instruments: string;
  accounts: string;
  out: string;
  engine?: EngineOptions;
  quiet?: boolean;
}

export interface DetectSummary {
  lines: number;
  valid: number;
  rejected: number;
  rejectsByReason: Record<string, number>;
  referenceRejected: number;
  stats: EngineStats;
  /** latest revision of each finding, in order of first detection */
  findings: Finding[];
  /** every revision as emitted: when each finding first reached each severity */
  emitted: Finding[];
  holds: Hold[];
  seconds: number;
  eventsPerSec: number;
}

/** Load a reference file; bad lines go to the rejects with their reason. */
async function loadReference<T>(file: string, parse: (o: unknown) => T | RejectedEvent, rejects: NdjsonWriter): Promise<T[]> {
  const out: T[] = [];
  for await (const { line, n } of readLines(file)) {
    let r: T | RejectedEvent;
    try {
      r = parse(JSON.parse(line));
    } catch (e) {
      r = new RejectedEvent(`invalid JSON: ${(e as Error).message}`);
    }
    if (r instanceof RejectedEvent) await rejects.write(rejection(`${path.basename(file)}:${n}`, r, line));
    else out.push(r);
  }
  return out;
}

function rejection(source: string, r: RejectedEvent, raw: string): Rejection {
  return { source, eventId: r.eventId, field: r.field, reason: r.reason, raw: truncateRaw(raw) };
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
  const referenceRejected = rejects.count;
  const ref = new ReferenceData(instruments, accounts);
  const engine = new DetectionEngine(ref, { maxLatenessMs: 5 * 60_000, ...opts.engine });
  const knownSymbol = (s: string) => ref.hasInstrument(s);

  const latest = new Map<string, Finding>();
  const emitted: Finding[] = [];
  const order: string[] = [];
  const holds: Hold[] = [];
  const out = { findings: [] as Finding[], holds: [] as Hold[] };
  const collect = () => {
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
  } catch { /* readLines reports the missing file */ }
  const progress = new Progress('detect');
  const byReason: Record<string, number> = {};
  let lines = 0, valid = 0, rejected = 0, bytes = 0;
  for await (const { line, n } of readLines(opts.events)) {
    lines++;
    bytes += line.length + 1;
    let ev;
    try {
      ev = validateEvent(JSON.parse(line), { knownSymbol });
    } catch (e) {
      ev = new RejectedEvent(`invalid JSON: ${(e as Error).message}`);
    }
    if (ev instanceof RejectedEvent) {
      rejected++;
      const key = ev.field ? `${ev.field}: ${ev.reason.replace(/, got .*$/, '').replace(/unknown symbol .*/, 'unknown symbol')}` : ev.reason.replace(/:.*$/, '');
      byReason[key] = (byReason[key] ?? 0) + 1;
      await rejects.write(rejection(`${path.basename(opts.events)}:${n}`, ev, line));
      continue;
    }
    valid++;
    engine.process(ev, out);
    if (out.findings.length || out.holds.length) collect();
    if (!opts.quiet && (lines & 4095) === 0) progress.update(opts.events.endsWith('.gz') ? lines : bytes, opts.events.endsWith('.gz') ? undefined : size, opts.events.endsWith('.gz') ? ' lines' : ' B');
  }
  engine.flush(out);
  collect();
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
    lines, valid, rejected, rejectsByReason: byReason, referenceRejected,
    stats: engine.stats(), findings, emitted, holds, seconds, eventsPerSec: Math.round(lines / Math.max(seconds, 1e-3)),
  };
}
