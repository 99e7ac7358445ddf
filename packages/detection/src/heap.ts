/**
 * A min-heap by (event time, id): the order detection processes records in, ties included.
 * Times sit in an array beside the records, so the comparisons that order the heap stay in one
 * dense array instead of reaching into each record (a cache miss apiece on a large heap).
 */
export class EventTimeHeap<T> {
  private h: T[] = [];
  private ts: number[] = [];

  constructor(private readonly tsOf: (x: T) => number, private readonly idOf: (x: T) => string) {}

  get size(): number {
    return this.h.length;
  }

  push(x: T): void {
    const h = this.h, ts = this.ts;
    const t = this.tsOf(x);
    // sift the hole up, writing each record once, instead of swapping pairs
    let i = h.length;
    h.push(x);
    ts.push(t);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(t, x, ts[p], h[p])) break;
      h[i] = h[p];
      ts[i] = ts[p];
      i = p;
    }
    h[i] = x;
    ts[i] = t;
  }

  /**
   * Removes and hands over, in order, every record before `ts`. Strictly before: a record at `ts`
   * itself may still be joined by one with the same time and a smaller id, and ties must come out
   * in id order whatever order they arrived in.
   */
  releaseBefore(ts: number, each: (x: T) => void): void {
    while (this.h.length && this.ts[0] < ts) each(this.pop());
  }

  private before(ta: number, a: T, tb: number, b: T): boolean {
    return ta < tb || (ta === tb && this.idOf(a) < this.idOf(b));
  }

  private pop(): T {
    const h = this.h, ts = this.ts;
    const top = h[0];
    const last = h.pop()!;
    const lastTs = ts.pop()!;
    const n = h.length;
    if (n) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && this.before(ts[l + 1], h[l + 1], ts[l], h[l]) ? l + 1 : l;
        if (!this.before(ts[c], h[c], lastTs, last)) break;
        h[i] = h[c];
        ts[i] = ts[c];
        i = c;
      }
      h[i] = last;
      ts[i] = lastTs;
    }
    return top;
  }
}

/**
 * Records from several sources, each with a watermark that only rises (a lower one, as a
 * rebuilt source reports from its start again, changes nothing), released in one event-time
 * order before the lowest watermark: the order one source over everything would give, however
 * the sources raced. A source not heard from yet holds everything back. A source reported idle
 * (caught up: it holds nothing) is left out of the lowest until it reports again; it is never
 * taken as ended, because a source that ended for good could not come back, and a quiet
 * partition of a live feed always can.
 */
export class WatermarkMerge<T> {
  private readonly heap: EventTimeHeap<T>;
  private readonly marks: number[];
  private readonly idle: boolean[];

  constructor(sources: number, tsOf: (x: T) => number, idOf: (x: T) => string) {
    this.heap = new EventTimeHeap(tsOf, idOf);
    this.marks = Array.from({ length: sources }, () => Number.NEGATIVE_INFINITY);
    this.idle = Array.from({ length: sources }, () => false);
  }

  get sources(): number {
    return this.marks.length;
  }

  get size(): number {
    return this.heap.size;
  }

  push(x: T): void {
    this.heap.push(x);
  }

  /** Source `source` has handed over everything before `watermark`. */
  mark(source: number, watermark: number): void {
    if (watermark > this.marks[source]) this.marks[source] = watermark;
  }

  /** Source `source` holds nothing back for now (idle), or holds back again from its watermark. */
  setIdle(source: number, idle: boolean): void {
    this.idle[source] = idle;
  }

  /** Hands over, in order, every record before the lowest watermark of the sources not idle. */
  release(each: (x: T) => void): void {
    let low = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.marks.length; i++) if (!this.idle[i] && this.marks[i] < low) low = this.marks[i];
    this.heap.releaseBefore(low, each);
  }

  /** Every source has ended: what is left, in order. */
  finish(each: (x: T) => void): void {
    this.marks.fill(Number.POSITIVE_INFINITY);
    this.heap.releaseBefore(Number.POSITIVE_INFINITY, each);
  }
}

/**
 * The keys of a heap of events or trade signals, as shared functions: a snapshot names them
 * instead of copying a closure (see snapshot.ts).
 */
export const byTs = (x: { ts: number }): number => x.ts;
export const byEventId = (x: { eventId: string }): string => x.eventId;
