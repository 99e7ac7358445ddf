/**
 * Remembers eventIds for a window of event time, in hourly buckets, so memory stays bounded
 * on an endless stream while a redelivered or duplicated event is still recognised. One map
 * answers "seen?" in a single lookup; the buckets only say what to forget.
 *
 * The window runs per lane (a stream, or a stream's partition): streams merged at different
 * paces are days apart in event time, and a window on the newest of them all would forget a
 * slow stream's ids before its duplicates arrive.
 */
export class EventIdDeduper {
  /** each id, and the bucket that will forget it */
  private readonly seen = new Map<string, string[]>();
  private readonly lanes = new Map<string, { newest: number; kept: number; buckets: Map<number, string[]> }>();
  private static readonly BUCKET_MS = 3600_000;

  constructor(private readonly windowMs: number) {}

  /** True the first time an id is seen within its lane's window. */
  firstSighting(eventId: string, ts: number, lane = ''): boolean {
    if (this.seen.has(eventId)) return false;
    let l = this.lanes.get(lane);
    if (!l) {
      l = { newest: Number.NEGATIVE_INFINITY, kept: Number.NEGATIVE_INFINITY, buckets: new Map() };
      this.lanes.set(lane, l);
    }
    const b = Math.floor(ts / EventIdDeduper.BUCKET_MS);
    let ids = l.buckets.get(b);
    if (!ids) {
      ids = [];
      l.buckets.set(b, ids);
    }
    ids.push(eventId);
    this.seen.set(eventId, ids);
    if (ts > l.newest) {
      l.newest = ts;
      const oldest = Math.floor((ts - this.windowMs) / EventIdDeduper.BUCKET_MS);
      // the buckets are looked over only when the window's first hour moves, not per event
      if (oldest <= l.kept) return true;
      l.kept = oldest;
      for (const [k, old] of l.buckets) {
        if (k >= oldest) continue;
        for (const id of old) if (this.seen.get(id) === old) this.seen.delete(id);
        l.buckets.delete(k);
      }
    }
    return true;
  }
}
