/**
 * Remembers eventIds for a window of event time, in hourly buckets, so memory stays bounded
 * on an endless stream while a redelivered or duplicated event is still recognised.
 */
export class EventIdDeduper {
  private readonly buckets = new Map<number, Set<string>>();
  private newest = Number.NEGATIVE_INFINITY;
  private static readonly BUCKET_MS = 3600_000;

  constructor(private readonly windowMs: number) {}

  /** True the first time an id is seen within the window. */
  firstSighting(eventId: string, ts: number): boolean {
    for (const s of this.buckets.values()) if (s.has(eventId)) return false;
    const b = Math.floor(ts / EventIdDeduper.BUCKET_MS);
    let set = this.buckets.get(b);
    if (!set) {
      set = new Set();
      this.buckets.set(b, set);
    }
    set.add(eventId);
    if (ts > this.newest) {
      this.newest = ts;
      const oldest = Math.floor((ts - this.windowMs) / EventIdDeduper.BUCKET_MS);
      for (const k of this.buckets.keys()) if (k < oldest) this.buckets.delete(k);
    }
    return true;
  }
}
