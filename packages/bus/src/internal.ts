import type { EventType, InputEvent } from '@kanshi/contract';

/**
 * A record of kanshi.events. Ingest merges three raw streams into it, each at its own pace, so
 * besides the events it says how far each stream has got: the detector releases events in
 * event-time order up to the slowest stream, whatever order the streams were read in.
 */
export type EventsMessage =
  /**
   * rawOffset: the event's offset in its raw topic's partition (same number as this one). A
   * restarted ingest publishes again what it had not committed; the offset tells the detector
   * that copy from a new event, however far apart in event time (no window).
   */
  | { kind: 'event'; event: InputEvent; rawOffset?: string }
  /**
   * ts null: that stream's partition is caught up and holds nothing back. `covers`: the other
   * streams' raw log ends (next offsets, decimal) when it was found so; it vouches only for
   * their events before those offsets, since what they got after may follow an event of this
   * stream that ingest has not yet read. Without it (an older ingest) it vouches for all.
   */
  | { kind: 'watermark'; source: EventType; ts: number | null; covers?: Partial<Record<EventType, string>> };
