/**
 * What ingest decides for one raw record, without Kafka or ClickHouse: accept it (valid and
 * first seen), drop it as a duplicate, or reject it with the field and the reason. Pure: the
 * caller brings the decoded value and the reference data.
 */
import { RejectedEvent, rejectionKey, truncateRaw, validateEvent, type EventType, type InputEvent, type Rejection } from '@kanshi/contract';
import { fromAvro } from '@kanshi/bus';
import { EventIdDeduper } from '@kanshi/detection';

export interface RawRecord {
  /** where it came from: topic/partition@offset */
  source: string;
  /** the stream, from the topic */
  type: EventType;
  /** the decoded value, or why the bytes did not decode */
  value: unknown;
}

export type IngestDecision =
  | { kind: 'accepted'; event: InputEvent; source: string }
  | { kind: 'duplicate'; eventId: string; source: string }
  | { kind: 'rejected'; rejection: Rejection };

export interface IngestStats {
  accepted: number;
  duplicates: number;
  rejected: number;
  rejectsByReason: Record<string, number>;
}

export interface IngestorOptions {
  /** orders of symbols the instrument reference does not know are rejected, once it is loaded */
  knownSymbol?: (symbol: string) => boolean;
  /** how long eventIds are remembered, in event time */
  dedupeWindowMs?: number;
}

export class Ingestor {
  private readonly deduper: EventIdDeduper;
  readonly stats: IngestStats = { accepted: 0, duplicates: 0, rejected: 0, rejectsByReason: {} };

  constructor(private readonly opts: IngestorOptions = {}) {
    this.deduper = new EventIdDeduper(opts.dedupeWindowMs ?? 24 * 3600_000);
  }

  accept(r: RawRecord): IngestDecision {
    const checked = this.check(r);
    if (checked instanceof RejectedEvent) {
      this.stats.rejected++;
      // counted by code, never by value: each key is a metric series
      const key = rejectionKey(checked);
      this.stats.rejectsByReason[key] = (this.stats.rejectsByReason[key] ?? 0) + 1;
      return {
        kind: 'rejected',
        rejection: { source: r.source, eventId: checked.eventId, field: checked.field, reason: checked.reason, code: checked.code, raw: truncateRaw(rawText(r.value)) },
      };
    }
    // the window runs per raw partition: the three topics are read days apart in event time
    const at = r.source.lastIndexOf('@');
    if (!this.deduper.firstSighting(checked.eventId, checked.ts, at < 0 ? r.type : r.source.slice(0, at))) {
      this.stats.duplicates++;
      return { kind: 'duplicate', eventId: checked.eventId, source: r.source };
    }
    this.stats.accepted++;
    return { kind: 'accepted', event: checked, source: r.source };
  }

  // Nothing a record holds may throw out of here: an exception would leave the batch's offsets
  // uncommitted and the consumer reading the same record for ever, the partition's watermark
  // frozen and stage 2 waiting on it. What cannot be read is rejected, dead-lettered, passed.
  private check(r: RawRecord): InputEvent | RejectedEvent {
    if (r.value instanceof RejectedEvent) return r.value;
    try {
      const value = fromAvro(r.value);
      return value instanceof RejectedEvent ? value : validateEvent(value, { type: r.type, knownSymbol: this.opts.knownSymbol });
    } catch (e) {
      return new RejectedEvent(`could not be read: ${e instanceof Error ? e.name : typeof e}`, { code: 'unreadable' });
    }
  }
}

function rawText(v: unknown): string {
  // undecodable bytes are not kept here: the source names the Kafka message that holds them
  if (v instanceof RejectedEvent) return '';
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  } catch {
    return String(v);
  }
}
