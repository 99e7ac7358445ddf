import { EventTimeHeap } from './heap.js';

/**
 * Releases records in event-time order once no earlier record can still arrive within the
 * allowed lateness: the detector then sees the same order whatever the transport did.
 * Ties break on a key (eventId), so equal timestamps are deterministic too.
 */
export class EventTimeReorderBuffer<T> {
  private readonly heap: EventTimeHeap<T>;
  private maxTs = Number.NEGATIVE_INFINITY;
  /** records that arrived later than the lateness allows, released at once */
  late = 0;

  constructor(
    private readonly latenessMs: number,
    private readonly tsOf: (r: T) => number,
    keyOf: (r: T) => string,
  ) {
    this.heap = new EventTimeHeap(tsOf, keyOf);
  }

  get size(): number {
    return this.heap.size;
  }

  /** Every record before this event time has been released; anything later arriving before it is late. */
  get watermark(): number {
    return this.maxTs - this.latenessMs;
  }

  /** Add a record; those now safe to process go to `each`, oldest first. */
  push(r: T, each: (x: T) => void): void {
    const ts = this.tsOf(r);
    if (ts < this.maxTs - this.latenessMs) {
      this.late++;
      each(r);
      return;
    }
    this.heap.push(r);
    if (ts > this.maxTs) this.maxTs = ts;
    this.heap.releaseBefore(this.maxTs - this.latenessMs, each);
  }

  /** Everything still held, oldest first (end of input, or idle). */
  drain(each: (x: T) => void): void {
    this.heap.releaseBefore(Number.POSITIVE_INFINITY, each);
  }
}
