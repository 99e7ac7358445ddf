import type { RejectedEvent, Rejection } from '@kanshi/contract';

/** A message to publish: the key picks the partition (the same key, the same partition, in order). */
export interface BusMessage<V = unknown> {
  key: string | null;
  /** null publishes a tombstone, which only compacted topics accept */
  value: V | null;
  /** a partition chosen by the caller instead of by key (watermarks go to every partition) */
  partition?: number;
}

/** A message as a subscriber receives it. */
export interface Delivery<V = unknown> {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit, so they stay strings */
  offset: string;
  key: string | null;
  /**
   * The decoded value; a RejectedEvent when the bytes were not a valid record (route it to the
   * dead-letter topic, do not stop); null for a tombstone on a compacted topic.
   */
  value: V | RejectedEvent | null;
  /** broker (or in-memory publish) time, epoch ms; not event time */
  timestamp: number;
}

/**
 * Called with the messages of one partition fetch, in offset order, never while a call for the
 * same partition is still running. Offsets are committed only after the returned promise
 * resolves, so a crash replays the batch (at-least-once). A throw never skips the batch: Kafka
 * redelivers it after a back-off; the in-memory bus stops the subscription and reports the
 * error from `idle()`.
 */
export type BatchHandler<V = unknown> = (batch: Delivery<V>[]) => Promise<void | BatchResult> | void | BatchResult;

/**
 * What a handler may ask of the bus after a batch: `seekTo`, read the partition on from this
 * offset instead of after the batch (a consumer that restored its state from a checkpoint skips
 * what the checkpoint covers instead of fetching it). Nothing is committed for a seeking batch.
 */
export interface BatchResult {
  seekTo?: string;
}

export interface SubscribeOptions {
  /** consumer group; subscriptions sharing one split the partitions between them */
  groupId: string;
  /** a group with no committed offsets starts at the oldest message (default) or the newest */
  fromBeginning?: boolean;
  /**
   * Commit offsets after each batch (default). False for consumers that rebuild their state by
   * re-reading the log on every start: they must never skip what they have not folded in.
   */
  commit?: boolean;
  /**
   * Told how far a partition has been read when that is past its last delivered message: a
   * fetch of only transaction markers or aborted records, or a marker after a batch's last
   * record. What waits to reach a partition's end offset needs it (Kafka only).
   */
  onReadPast?: (partition: number, lastOffset: string) => void;
  /**
   * Told the partitions this subscription holds each time its group hands them out (a join or
   * a rebalance), before any batch of them: what a consumer keeps per partition can be loaded
   * for all of them at once, and let go for those it lost. The in-memory bus tells [0] once.
   */
  onAssigned?: (partitions: number[]) => void;
}

export interface Subscription {
  /** resolves once the subscription receives messages (joined its group, for Kafka) */
  readonly ready: Promise<void>;
  /** stops delivery; resolves after the in-flight batch has been handled and committed */
  stop(): Promise<void>;
}

/**
 * The minimal produce/subscribe surface services are written against: Kafka in the deployed
 * services, an in-memory log in embedded mode and unit tests.
 */
export interface Bus {
  /** Resolves once every message is stored (acknowledged by all in-sync replicas, for Kafka). */
  publish<V>(topic: string, messages: readonly BusMessage<V>[]): Promise<void>;
  subscribe<V>(topic: string, options: SubscribeOptions, handler: BatchHandler<V>): Promise<Subscription>;
  /** stops every subscription and releases connections */
  close(): Promise<void>;
}

/** `topic/partition@offset`, the form a `Rejection.source` names a Kafka message by. */
export function deliverySource(d: Pick<Delivery, 'topic' | 'partition' | 'offset'>): string {
  return `${d.topic}/${d.partition}@${d.offset}`;
}

/** A record of kanshi.dead-letter: the rejection, and where to find the original bytes. */
export interface DeadLetter extends Rejection {
  topic: string;
  at: number;
}

/**
 * The dead letter of a delivery that could not be read. `raw` stays empty: the source names
 * the Kafka message that holds the bytes, and bytes that did not decode have no text to keep.
 */
export function deadLetterOf(d: Pick<Delivery, 'topic' | 'partition' | 'offset'>, r: RejectedEvent, at: number): DeadLetter {
  return { source: deliverySource(d), eventId: r.eventId, field: r.field, reason: r.reason, code: r.code, raw: '', topic: d.topic, at };
}
