/** A min-heap by (event time, id): the order detection processes records in, ties included. */
export class EventTimeHeap<T> {
  private h: T[] = [];

  constructor(private readonly tsOf: (x: T) => number, private readonly idOf: (x: T) => string) {}

  get size(): number {
    return this.h.length;
  }

  push(x: T): void {
    const h = this.h;
    // sift the hole up, writing each record once, instead of swapping pairs
    let i = h.length;
    h.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(x, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = x;
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
    const n = h.length;
    if (n) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && this.before(h[l + 1], h[l]) ? l + 1 : l;
        if (!this.before(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
