/**
 * The detector's two stages as per-partition tasks, pure: events or signals in, findings and
 * signals out. Kafka, offsets and timers live in service.ts.
 */
import type { EventsMessage } from '@kanshi/bus';
import type { EventType, Finding, InputEvent } from '@kanshi/contract';
import {
  AccountStage, byEventId, byTs, DEFAULT_DETECTION_CONFIG, EventIdDeduper, EventTimeHeap, ReferenceData, SymbolStage, WatermarkMerge,
  type DetectionConfig, type SnapshotClass, type StageOutput, type TradeSignal,
} from '@kanshi/detection';

const SOURCES: readonly EventType[] = ['login', 'order', 'account_event'];

/**
 * Stage 1 over one partition of kanshi.events: what `kanshi detect` does per account. The
 * partition merges three raw streams read at different paces; events are held and released in
 * event-time order before the slowest stream's watermark, less the allowed lateness.
 */
export class AccountTask {
  private readonly stage: AccountStage;
  private readonly dedupe: EventIdDeduper;
  // shared key functions, not closures: a snapshot names them (see @kanshi/detection snapshot.ts)
  private readonly heap = new EventTimeHeap<InputEvent>(byTs, byEventId);
  private readonly marks = new Map<EventType, number>(SOURCES.map((s) => [s, Number.NEGATIVE_INFINITY]));
  /** per stream: the last finite mark, what it falls back to when an event shows it is not caught up after all */
  private readonly lastMarks = new Map<EventType, number>();
  /** per stream: the highest raw offset taken, and the copies of taken ones dropped */
  private readonly rawSeen = new Map<EventType, bigint>();
  /**
   * per stream reported caught up: the other streams' raw log ends its report vouched for. An
   * event of theirs at or past its stream's end was written after the report, perhaps after an
   * event of the caught-up stream ingest had not read yet: it waits for that stream again.
   */
  private readonly covers = new Map<EventType, Map<EventType, bigint>>();
  republished = 0;
  /** every event before this event time has been processed; only rises, and stays finite */
  watermark = Number.NEGATIVE_INFINITY;
  /**
   * Every stream is caught up: everything held was processed, and stage 2 need not wait on this
   * partition until a stream reports again. A state, not an end: a quiet partition of a live
   * feed comes back, and treating it as ended for good let stage 2 take whatever followed in
   * arrival order.
   */
  idle = false;
  /** changes of `idle` since the rebuild began: with the trades' count, where in its log a report was made */
  flips = 0;
  lastOffset = -1n;
  /** trades emitted since the rebuild began: a rebuild emits the same trades in the same order */
  private tradeSeq = 0;

  /** `base`: the offset the rebuild started from, naming the numbering its trades' `seq` belong to */
  constructor(ref: ReferenceData, cfg: DetectionConfig, private readonly latenessMs: number, readonly base = '0') {
    this.stage = new AccountStage(ref, cfg);
    this.dedupe = new EventIdDeduper(cfg.dedupeWindowMs);
  }

  accept(m: EventsMessage, out: StageOutput): void {
    if (m.kind === 'event') {
      const type = m.event.type;
      if (m.rawOffset !== undefined) {
        // a restarted ingest's second copy of what it had not committed: offsets only move on
        const raw = BigInt(m.rawOffset);
        if (raw <= (this.rawSeen.get(type) ?? -1n)) {
          this.republished++;
          return;
        }
        this.rawSeen.set(type, raw);
        this.outrunReports(type, raw);
      }
      if (this.dedupe.firstSighting(m.event.eventId, m.event.ts, type)) this.heap.push(m.event);
      // A stream reported caught up has more after all: it holds back from where it was until
      // its own mark follows its events. Taking them at once would take a batch's first events
      // before the same moment's events of the other streams.
      if (this.marks.get(type) === Number.POSITIVE_INFINITY) this.holdBack(type);
    } else if (m.ts === null) {
      const covers = m.covers ? new Map(Object.entries(m.covers).map(([x, end]) => [x as EventType, BigInt(end)])) : null;
      // a report older than an event already taken (the two were published side by side) cannot vouch for it
      if (!covers || ![...covers].some(([x, end]) => (this.rawSeen.get(x) ?? -1n) >= end)) {
        this.marks.set(m.source, Number.POSITIVE_INFINITY);
        if (covers) this.covers.set(m.source, covers);
        else this.covers.delete(m.source);
      }
    } else {
      this.marks.set(m.source, m.ts);
      this.lastMarks.set(m.source, m.ts);
      this.covers.delete(m.source);
    }
    const low = Math.min(...this.marks.values());
    const idle = low === Number.POSITIVE_INFINITY;
    const upTo = idle ? low : low - this.latenessMs;
    this.heap.releaseBefore(upTo, (e) => this.stage.process(e, out));
    if (!idle && upTo > this.watermark) this.watermark = upTo;
    if (idle !== this.idle) {
      this.idle = idle;
      this.flips++;
    }
  }

  /** A stream found not caught up after all waits from its last mark again. */
  private holdBack(type: EventType): void {
    this.marks.set(type, this.lastMarks.get(type) ?? Number.NEGATIVE_INFINITY);
    this.covers.delete(type);
  }

  /**
   * An event of `type` at raw offset `raw`: the streams whose caught-up report did not reach it
   * hold back again. Ingest reads each raw stream at its own pace, so it can pass on a login
   * written after an order it has not read yet; trusting the order stream's report for that
   * login took it hours ahead of the order (a sell-off joined by the next evening's session).
   */
  private outrunReports(type: EventType, raw: bigint): void {
    for (const [stream, covers] of this.covers) {
      const end = covers.get(type);
      if (end !== undefined && raw >= end && this.marks.get(stream) === Number.POSITIVE_INFINITY) this.holdBack(stream);
    }
  }

  /**
   * How far this partition has got, for stage 2: numbered by the trades emitted before it and
   * the idle changes, so that stage 2 can pass over a rebuild's reports of states it has left.
   */
  report(from: number): WatermarkMessage {
    const ts = Number.isFinite(this.watermark) ? this.watermark : null;
    return { kind: 'watermark', from, ts, idle: this.idle, base: this.base, seq: this.tradeSeq, flips: this.flips };
  }

  /** Numbers trades in emission order, as stage 2 needs them to tell a rebuild's re-emissions. */
  numbered(from: number, trades: readonly TradeSignal[]): TradeMessage[] {
    return trades.map((signal) => ({ kind: 'trade', from, base: this.base, seq: this.tradeSeq++, signal }));
  }

  get pending(): number {
    return this.heap.size;
  }
}

/** A trade of stage 1, numbered in its rebuild's emission order (`base`: where the rebuild began). */
export type TradeMessage = { kind: 'trade'; from: number; base: string; seq: number; signal: TradeSignal };

/** A message of kanshi.symbol-signals: a trade of stage 1, or how far a stage-1 partition has got. */
export type SymbolMessage = TradeMessage | WatermarkMessage;

/**
 * How far a stage-1 partition has got: every trade before `ts` emitted (null: none yet), and
 * whether it is idle. `base`, `seq` (trades emitted before it) and `flips` (idle changes) say
 * where in the partition's rebuild it was made. A message without them (written by a version
 * before them) with ts null is read as idle.
 */
export type WatermarkMessage = { kind: 'watermark'; from: number; ts: number | null; idle?: boolean; base?: string; seq?: number; flips?: number };

/**
 * Stage 2 over one partition of kanshi.symbol-signals. Signals from the stage-1 partitions
 * arrive interleaved as each partition's consumer progresses; they are held and released in
 * event-time order before the lowest watermark among the stage-1 partitions, so the campaign
 * logic sees the order `kanshi detect` sees, however the partitions raced.
 */
export class SymbolTask {
  private readonly stage: SymbolStage;
  /** per stage-1 partition: the numbering its trades came in, the next trade not yet seen, and the idle changes seen */
  private readonly next: { base: string; seq: number; flips: number }[];
  private readonly merge: WatermarkMerge<TradeSignal>;
  /** trades a rebuilt stage-1 partition emitted again, dropped */
  repeated = 0;

  constructor(ref: ReferenceData, cfg: DetectionConfig, sources: number) {
    this.stage = new SymbolStage(ref, cfg);
    this.merge = new WatermarkMerge<TradeSignal>(sources, byTs, byEventId);
    this.next = Array.from({ length: sources }, () => ({ base: '', seq: 0, flips: 0 }));
  }

  accept(m: SymbolMessage, out: Finding[]): void {
    if (m.from < 0 || m.from >= this.merge.sources) return;
    if (m.kind === 'trade') {
      // A restarted stage 1 re-reads its partition and emits every trade again, numbered as
      // before: taking them twice would count a pump buyer's orders twice.
      const n = this.next[m.from];
      if (n.base === m.base && m.seq < n.seq) {
        this.repeated++;
        return;
      }
      this.next[m.from] = { base: m.base, seq: m.seq + 1, flips: n.base === m.base ? n.flips : 0 };
      this.merge.push(m.signal);
    } else {
      // A rebuilt partition reports from the start again. A lower watermark changes nothing; an
      // idle change it made before (seen already) would undo a later one and let trades race.
      const n = this.next[m.from];
      if (m.base !== undefined && m.seq !== undefined) {
        const flips = m.flips ?? 0;
        if (n.base === m.base && (m.seq < n.seq || (m.seq === n.seq && flips < n.flips))) return;
        this.next[m.from] = { base: m.base, seq: n.base === m.base ? Math.max(n.seq, m.seq) : m.seq, flips };
      }
      if (m.ts !== null) this.merge.mark(m.from, m.ts);
      this.merge.setIdle(m.from, m.idle ?? m.ts === null);
    }
    this.merge.release((t) => this.stage.process(t, out));
  }

  get pending(): number {
    return this.merge.size;
  }
}

/** The tasks as snapshot classes: a snapshot is a whole task, restored as it was. */
export const TASK_CLASSES: readonly SnapshotClass[] = [
  { name: 'AccountTask', cls: AccountTask, sample: () => new AccountTask(new ReferenceData(), DEFAULT_DETECTION_CONFIG, 0) },
  { name: 'SymbolTask', cls: SymbolTask, sample: () => new SymbolTask(new ReferenceData(), DEFAULT_DETECTION_CONFIG, 1) },
];
