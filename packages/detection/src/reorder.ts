/**
 * Releases records in event-time order once no earlier record can still arrive within the
 * allowed lateness: the detector then sees the same order whatever the transport did.
 * Ties break on a key (eventId), so equal timestamps are deterministic too.
 */
export class EventTimeReorderBuffer<T> {
  private heap: T[] = [];
  private maxTs = Number.NEGATIVE_INFINITY;
  /** records that arrived later than the lateness allows, released at once */
  late = 0;

  constructor(
    private readonly latenessMs: number,
    private readonly tsOf: (r: T) => number,
    private readonly keyOf: (r: T) => string,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Add a record; returns those now safe to process, oldest first. */
  push(r: T, released: T[] = []): T[] {
    const ts = this.tsOf(r);
    if (ts < this.maxTs - this.latenessMs) {
      this.late++;
      released.push(r);
      return released;
    }
    this.insert(r);
    if (ts > this.maxTs) this.maxTs = ts;
    const watermark = this.maxTs - this.latenessMs;
    while (this.heap.length && this.tsOf(this.heap[0]) <= watermark) released.push(this.pop());
    return released;
  }

  /** Everything still held, oldest first (end of input, or idle). */
  drain(released: T[] = []): T[] {
    while (this.heap.length) released.push(this.pop());
    return released;
  }

  private less(a: T, b: T): boolean {
    const d = this.tsOf(a) - this.tsOf(b);
    return d < 0 || (d === 0 && this.keyOf(a) < this.keyOf(b));
  }

  private insert(r: T): void {
    const h = this.heap;
    h.push(r);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): T {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
