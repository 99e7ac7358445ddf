/**
 * The block and allow lists on the compacted kanshi.lists topic: read to the end before detection
 * starts, like the reference data, then followed for as long as the detector runs, so an entry a
 * desk publishes applies from the next event processed after it arrives. Which events it applies
 * to is decided in event time by the book (packages/detection/src/list-book.ts): an event at or
 * after the entry's createdAt, before its expiry; a live feed's next event is past createdAt. A
 * null value (tombstone) forgets the entry. The book is reference data: not in any snapshot.
 */
import { randomBytes } from 'node:crypto';
import { RejectedEvent, validateListEntry } from '@kanshi/contract';
import type { ListBook } from '@kanshi/detection';
import { fromAvro, type Bus, type Delivery, type EndOffsets, type TopicNames } from '@kanshi/bus';

export interface FollowedLists {
  /** entries refused (not an entry, or past the book's bound): counted and logged, never applied */
  readonly rejected: number;
  /** entries put or forgotten since the start */
  readonly changes: number;
  stop(): Promise<void>;
}

export interface ListsLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Fills `book` from the lists topic and keeps it current; resolves once the topic was read to its end. */
export async function followLists(bus: Bus, topics: TopicNames, endOffsets: EndOffsets, book: ListBook, log: ListsLog, timeoutMs = 120_000): Promise<FollowedLists> {
  let rejected = 0, changes = 0, live = false;
  const apply = (d: Delivery) => {
    if (d.value === null) {
      if (d.key !== null) book.remove(d.key);
      changes++;
      if (live) log.info({ entryId: d.key }, 'list entry deleted');
      return;
    }
    const e = d.value instanceof RejectedEvent ? d.value : validateListEntry(fromAvro(d.value));
    if (e instanceof RejectedEvent) {
      rejected++;
      log.warn({ source: `${d.topic}/${d.partition}@${d.offset}`, field: e.field, reason: e.reason }, 'list entry rejected');
    } else if (!book.put(e)) {
      rejected++;
      log.warn({ source: `${d.topic}/${d.partition}@${d.offset}`, entryId: e.entryId }, 'list entry rejected: the book is full');
    } else {
      changes++;
      // what changed while running, one line each (a start reads the whole topic quietly)
      if (live) log.info({ entryId: e.entryId, list: e.list, target: e.target, createdAt: e.createdAt, expiresAt: e.expiresAt, removedAt: e.removedAt }, 'list entry applied');
    }
  };
  // the partitions still short of the end offsets taken at the start
  const behind = new Map([...(await endOffsets(topics.lists))].filter(([, end]) => end > 0n));
  let caughtUp!: () => void;
  const done = new Promise<void>((resolve) => { caughtUp = resolve; });
  const passed = (partition: number, offset: string) => {
    const end = behind.get(partition);
    if (end !== undefined && BigInt(offset) + 1n >= end) behind.delete(partition);
    if (behind.size === 0) caughtUp();
  };
  if (behind.size === 0) caughtUp();
  const sub = await bus.subscribe(topics.lists, {
    groupId: `kanshi-lists-${randomBytes(6).toString('hex')}`, fromBeginning: true, commit: false,
    // a transactional producer's marker can be a partition's last offset: no message reaches it
    onReadPast: passed,
  }, (batch) => {
    for (const d of batch) {
      apply(d);
      passed(d.partition, d.offset);
    }
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([done, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${topics.lists} not read to the end within ${timeoutMs} ms`)), timeoutMs);
    })]);
  } catch (e) {
    await sub.stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  live = true;
  return { get rejected() { return rejected; }, get changes() { return changes; }, stop: () => sub.stop() };
}
