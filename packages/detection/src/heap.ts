/** A min-heap by (event time, id): the order detection processes records in, ties included. */
export class EventTimeHeap<T> {
  private h: T[] = [];

  constructor(private readonly tsOf: (x: T) => number, private readonly idOf: (x: T) => string) {}

  get size(): number {
    return this.h.length;
  }

  push(x: T): void {
    const h = this.h;
    h.push(x);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  /** Removes and hands over, in order, every record at or before `ts`. */
  releaseUpTo(ts: number, each: (x: T) => void): void {
    while (this.h.length && this.tsOf(this.h[0]) <= ts) each(this.pop());
  }

  private before(a: T, b: T): boolean {
    const ta = this.tsOf(a), tb = this.tsOf(b);
    return ta < tb || (ta === tb && this.idOf(a) < this.idOf(b));
  }

  private pop(): T {
    const h = this.h;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l], h[m])) m = l;
        if (r < h.length && this.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
