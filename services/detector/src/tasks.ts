/**
 * The detector's two stages as per-partition tasks, pure: events or signals in, findings and
 * signals out. Kafka, offsets and timers live in service.ts.
 */
import type { EventsMessage } from '@kanshi/bus';
import type { EventType, Finding, InputEvent } from '@kanshi/contract';
import {
  AccountStage, EventIdDeduper, EventTimeHeap, SymbolStage, WatermarkMerge,
  type DetectionConfig, type ReferenceData, type StageOutput, type TradeSignal,
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
  private readonly heap = new EventTimeHeap<InputEvent>((e) => e.ts, (e) => e.eventId);
  private readonly marks = new Map<EventType, number>(SOURCES.map((s) => [s, Number.NEGATIVE_INFINITY]));
  /** per stream: the highest raw offset taken, and the copies of taken ones dropped */
  private readonly rawSeen = new Map<EventType, bigint>();
  republished = 0;
  /** every event before this event time has been processed */
  watermark = Number.NEGATIVE_INFINITY;
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
      }
      if (this.dedupe.firstSighting(m.event.eventId, m.event.ts, type)) this.heap.push(m.event);
    } else {
      this.marks.set(m.source, m.ts === null ? Number.POSITIVE_INFINITY : m.ts);
    }
    const low = Math.min(...this.marks.values());
    const upTo = low === Number.POSITIVE_INFINITY ? low : low - this.latenessMs;
    this.heap.releaseBefore(upTo, (e) => this.stage.process(e, out));
    if (upTo > this.watermark) this.watermark = upTo;
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
export type SymbolMessage =
  | TradeMessage
  /** ts null: the partition is caught up and holds nothing back */
  | { kind: 'watermark'; from: number; ts: number | null };

/**
 * Stage 2 over one partition of kanshi.symbol-signals. Signals from the stage-1 partitions
 * arrive interleaved as each partition's consumer progresses; they are held and released in
 * event-time order before the lowest watermark among the stage-1 partitions, so the campaign
 * logic sees the order `kanshi detect` sees, however the partitions raced.
 */
export class SymbolTask {
  private readonly stage: SymbolStage;
  /** per stage-1 partition: the numbering its trades came in, and the next trade not yet seen */
  private readonly next: { base: string; seq: number }[];
  private readonly merge: WatermarkMerge<TradeSignal>;
  /** trades a rebuilt stage-1 partition emitted again, dropped */
  repeated = 0;

  constructor(ref: ReferenceData, cfg: DetectionConfig, sources: number) {
    this.stage = new SymbolStage(ref, cfg);
    this.merge = new WatermarkMerge<TradeSignal>(sources, (t) => t.ts, (t) => t.eventId);
    this.next = Array.from({ length: sources }, () => ({ base: '', seq: 0 }));
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
      this.next[m.from] = { base: m.base, seq: m.seq + 1 };
      this.merge.push(m.signal);
    } else {
      // a rebuilt partition reports from the start again; what it reported before still holds
      this.merge.mark(m.from, m.ts === null ? Number.POSITIVE_INFINITY : m.ts);
    }
    this.merge.release((t) => this.stage.process(t, out));
  }

  get pending(): number {
    return this.merge.size;
  }
}
