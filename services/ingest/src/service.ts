/**
 * The ingest service: raw brokerage topics in; normalised events (keyed by accountId), the
 * archive, and rejections (dead-letter topic and ClickHouse) out. A batch's offsets are
 * committed by the bus only after all of that is stored, so a crash replays it: the archive
 * merges re-deliveries by eventId and the detector drops duplicate eventIds.
 */
import { deliverySource, INPUT_TOPIC, TOPIC, type Bus, type Delivery, type Subscription } from '@kanshi/bus';
import type { EventType, InputEvent, Rejection } from '@kanshi/contract';
import type { ArchivedEvent, Store } from '@kanshi/store';
import { Ingestor, type IngestStats } from './ingest.js';

export interface IngestLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface IngestServiceOptions {
  bus: Bus;
  /** null: no archive and no rejected table (dead-letter topic only) */
  store: Store | null;
  log: IngestLog;
  /** consumer groups are `<groupId>.<topic>`: one group per raw topic */
  groupId?: string;
  /** a new group starts at the oldest message (default), or only at new ones */
  fromBeginning?: boolean;
  clock?: () => number;
}

export interface RunningIngest {
  readonly stats: IngestStats;
  /** resolves once every raw topic's consumer has joined its group */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** A dead-letter record: the rejection, and where to find the original bytes. */
export interface DeadLetter extends Rejection {
  topic: string;
  at: number;
}

export async function startIngest(opts: IngestServiceOptions): Promise<RunningIngest> {
  const ingestor = new Ingestor();
  const clock = opts.clock ?? Date.now;
  const group = opts.groupId ?? 'kanshi-ingest';
  const subs: Subscription[] = [];

  const handle = (type: EventType) => async (batch: Delivery[]) => {
    const accepted: ArchivedEvent[] = [];
    const rejected: DeadLetter[] = [];
    const at = clock();
    for (const d of batch) {
      if (d.value === null) continue;
      const decision = ingestor.accept({ source: deliverySource(d), type, value: d.value });
      if (decision.kind === 'accepted') accepted.push({ event: decision.event, source: decision.source });
      else if (decision.kind === 'rejected') rejected.push({ ...decision.rejection, topic: d.topic, at });
    }
    // stored before the offsets move: nothing is lost if the process dies here
    if (opts.store) {
      await opts.store.archiveEvents(accepted);
      await opts.store.writeRejections(rejected, at);
    }
    await opts.bus.publish<DeadLetter>(TOPIC.deadLetter, rejected.map((r) => ({ key: r.source, value: r })));
    await opts.bus.publish<InputEvent>(TOPIC.events, accepted.map((a) => ({ key: a.event.accountId, value: a.event })));
    if (rejected.length) opts.log.warn({ rejected: rejected.length, first: rejected[0].reason, source: rejected[0].source }, 'rejected input');
  };

  for (const [type, topic] of Object.entries(INPUT_TOPIC) as [EventType, string][]) {
    subs.push(await opts.bus.subscribe(topic, { groupId: `${group}.${topic}`, fromBeginning: opts.fromBeginning ?? true }, handle(type)));
  }
  opts.log.info({ topics: Object.values(INPUT_TOPIC), group }, 'ingest subscribed');
  return {
    stats: ingestor.stats,
    ready: Promise.all(subs.map((s) => s.ready)).then(() => undefined),
    async stop() {
      await Promise.all(subs.map((s) => s.stop()));
      opts.log.info({ ...ingestor.stats }, 'ingest stopped');
    },
  };
}
