import type { EventType, InputEvent } from '@kanshi/contract';

/**
 * A record of kanshi.events. Ingest merges three raw streams into it, each at its own pace, so
 * besides the events it says how far each stream has got: the detector releases events in
 * event-time order up to the slowest stream, whatever order the streams were read in.
 */
export type EventsMessage =
  | { kind: 'event'; event: InputEvent }
  /** ts null: that stream's partition is caught up and holds nothing back */
  | { kind: 'watermark'; source: EventType; ts: number | null };
