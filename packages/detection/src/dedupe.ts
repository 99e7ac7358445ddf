/**
 * Remembers eventIds for a window of event time, in hourly buckets, so memory stays bounded
 * on an endless stream while a redelivered or duplicated event is still recognised. One map
 * answers "seen?" in a single lookup; the buckets only say what to forget.
 */
export class EventIdDeduper {
  private readonly seen = new Map<string, number>();
  private readonly buckets = new Map<number, string[]>();
  private newest = Number.NEGATIVE_INFINITY;
  private static readonly BUCKET_MS = 3600_000;

  constructor(private readonly windowMs: number) {}

  /** True the first time an id is seen within the window. */
  firstSighting(eventId: string, ts: number): boolean {
    if (this.seen.has(eventId)) return false;
    const b = Math.floor(ts / EventIdDeduper.BUCKET_MS);
    this.seen.set(eventId, b);
    let ids = this.buckets.get(b);
    if (!ids) {
      ids = [];
      this.buckets.set(b, ids);
    }
    ids.push(eventId);
    if (ts > this.newest) {
      this.newest = ts;
      const oldest = Math.floor((ts - this.windowMs) / EventIdDeduper.BUCKET_MS);
      for (const [k, old] of this.buckets) {
        if (k >= oldest) continue;
        for (const id of old) if (this.seen.get(id) === k) this.seen.delete(id);
        this.buckets.delete(k);
      }
    }
    return true;
  }
}
