/**
 * The ingest service: raw brokerage topics in; normalised events (keyed by accountId), the
 * archive, and rejections (dead-letter topic and ClickHouse) out. A batch's offsets are
 * committed by the bus only after all of that is stored, so a crash replays it: the archive
 * merges re-deliveries by eventId and the detector drops duplicate eventIds.
 */
import { deliverySource, fromAvro, topicNames, untilDone, type Bus, type BusMessage, type DeadLetter, type Delivery, type EventsMessage, type Subscription, type TopicNames } from '@kanshi/bus';
import { RejectedEvent, validateAccount, type AccountSnapshot, type EventType } from '@kanshi/contract';
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
  /** the deployment's topic names (default: the topic table's, unprefixed) */
  topics?: TopicNames;
  /**
   * Partitions of a raw topic that the group has read and committed to the end (or that are
   * empty): they hold nothing back. Asked when idle, so a restarted instance that has nothing
   * left to read still releases the merge.
   */
  caughtUpPartitions?: (topic: string, groupId: string) => Promise<number[]>;
  /**
   * The raw topics' log ends (next offsets), read before a stream is asked whether it is caught
   * up: its report then vouches only for the other streams' events before them (`covers`).
   * Without, a report vouches for everything, and a stream read faster than a caught-up one can
   * overtake an event the slower reader has not reached.
   */
  endOffsets?: (topic: string) => Promise<Map<number, bigint>>;
  /** quiet time (default 200 ms) after which a raw topic is asked whether it is caught up */
  idleMs?: number;
  /** the instrument reference: orders for symbols it does not know are rejected, as `kanshi detect` does */
  knownSymbol?: (symbol: string) => boolean;
}

export interface RunningIngest {
  readonly stats: IngestStats;
  /** resolves once every raw topic's consumer has joined its group */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export type { DeadLetter } from '@kanshi/bus';

export async function startIngest(opts: IngestServiceOptions): Promise<RunningIngest> {
  const ingestor = new Ingestor({ knownSymbol: opts.knownSymbol });
  const clock = opts.clock ?? Date.now;
  const group = opts.groupId ?? 'kanshi-ingest';
  const subs: Subscription[] = [];
  const t = opts.topics ?? topicNames();
  let stopping = false;
  // an outage is waited out here, after the batch was judged: judging again would call it duplicates
  const retrying = (what: string, step: () => Promise<void>) => untilDone(what, step, { log: opts.log, abandon: () => stopping });
  const inputs: [EventType, string][] = [['login', t.logins], ['order', t.orders], ['account_event', t.accountEvents]];

  // per raw topic and partition: the newest event time published, when a batch last ended (or
  // the start), batches begun (to tell one that began while the broker was asked), batches in
  // hand, and the partitions reported caught up since their last batch, with the other streams'
  // log ends each report covered, and the last raw offset passed on
  type Progress = {
    marks: Map<number, number>; lastBatch: Map<number, number>; begun: Map<number, number>; busy: Set<number>; caughtUp: Set<number>; asking: boolean; lastAsked: number;
    covers: Map<number, Map<EventType, bigint>>; passedOn: Map<number, bigint>;
  };
  const started = clock();
  const progress = new Map<EventType, Progress>();
  for (const [type] of inputs) progress.set(type, { marks: new Map(), lastBatch: new Map(), begun: new Map(), busy: new Set(), caughtUp: new Set(), asking: false, lastAsked: 0, covers: new Map(), passedOn: new Map() });
  /** a report of partition p of stream `of` that stream `type`'s events have passed (the detector holds them back from it) */
  const outrun = (of: EventType, p: number, type: EventType, passed: bigint) => {
    const end = progress.get(of)?.covers.get(p)?.get(type);
    return end !== undefined && passed >= end;
  };

  const handle = (type: EventType) => async (batch: Delivery[]) => {
    if (batch.length === 0) return;
    const at = clock();
    const p = batch[0].partition;
    const prog = progress.get(type)!;
    prog.begun.set(p, (prog.begun.get(p) ?? 0) + 1);
    prog.caughtUp.delete(p);
    // the bus runs one call per partition at a time
    prog.busy.add(p);
    try {
      await judgeAndWrite(type, batch, at, p, prog);
    } finally {
      prog.busy.delete(p);
      prog.lastBatch.set(p, clock());
    }
  };

  const judgeAndWrite = async (type: EventType, batch: Delivery[], at: number, p: number, prog: Progress) => {
    const accepted: (ArchivedEvent & { offset: string })[] = [];
    const rejected: DeadLetter[] = [];
    let mark = prog.marks.get(p) ?? Number.NEGATIVE_INFINITY;
    for (const d of batch) {
      if (d.value === null) continue;
      const decision = ingestor.accept({ source: deliverySource(d), type, value: d.value });
      if (decision.kind === 'accepted') {
        accepted.push({ event: decision.event, source: decision.source, offset: d.offset });
        mark = Math.max(mark, decision.event.ts);
      } else if (decision.kind === 'rejected') rejected.push({ ...decision.rejection, topic: d.topic, at });
    }
    // stored before the offsets move: nothing is lost if the process dies here
    const store = opts.store;
    if (store) {
      await retrying('archive events', () => store.archiveEvents(accepted));
      await retrying('record rejections', () => store.writeRejections(rejected, at));
    }
    await retrying('publish dead letters', () => opts.bus.publish<DeadLetter>(t.deadLetter, rejected.map((r) => ({ key: r.source, value: r }))));
    // the raw partition's number is kept: raw topics and kanshi.events share the account partitioning
    const out: BusMessage<EventsMessage>[] = accepted.map((a) => ({ key: a.event.accountId, partition: p, value: { kind: 'event', event: a.event, rawOffset: a.offset } }));
    if (Number.isFinite(mark)) out.push({ key: null, partition: p, value: { kind: 'watermark', source: type, ts: mark } });
    await retrying('publish events', () => opts.bus.publish<EventsMessage>(t.events, out));
    // only now: a mark must never run ahead of events still waiting to be published
    prog.marks.set(p, Math.max(prog.marks.get(p) ?? Number.NEGATIVE_INFINITY, mark));
    // past another stream's report: the detector now holds these events back from that stream, which is asked again
    const passed = BigInt(batch[batch.length - 1].offset);
    prog.passedOn.set(p, passed);
    for (const [other] of inputs) if (other !== type && progress.get(other)!.caughtUp.has(p) && outrun(other, p, type, passed)) progress.get(other)!.caughtUp.delete(p);
    if (rejected.length) opts.log.warn({ rejected: rejected.length, first: rejected[0].reason, source: rejected[0].source }, 'rejected input');
  };

  // A partition the group has read and committed to its end holds nothing back: once it has been
  // quiet for idleMs with no batch in hand, it is reported caught up (ts null). Quiet alone is
  // not enough: a batch waiting out a ClickHouse outage is quiet too. Per partition, because a
  // sparse stream (account events) has some partition busy most of the time while each one
  // holds its share of every other stream back until reported.
  const idleMs = opts.idleMs ?? 200;
  const quiet = (prog: Progress, p: number) => !prog.busy.has(p) && clock() - (prog.lastBatch.get(p) ?? started) >= idleMs;
  const idleTimer = setInterval(() => {
    for (const [type, topic] of inputs) {
      const prog = progress.get(type)!;
      if (prog.asking) continue;
      // ask when a partition seen or reported before is quiet and unreported (again, once the
      // other streams passed its report), and now and then for the partitions never seen (empty,
      // or read to their end before this instance started)
      const due = [...new Set([...prog.lastBatch.keys(), ...prog.covers.keys()])].some((p) => !prog.caughtUp.has(p) && quiet(prog, p)) || clock() - prog.lastAsked >= 5 * idleMs;
      if (!due) continue;
      prog.asking = true;
      prog.lastAsked = clock();
      const begun = new Map(prog.begun);
      const others = inputs.filter(([o]) => o !== type);
      void (async () => {
        // the others' ends first: whatever they had then was written before this stream was found caught up
        const endOffsets = opts.endOffsets;
        const otherEnds = endOffsets ? await Promise.all(others.map(([, tp]) => endOffsets(tp))) : null;
        const ends = opts.caughtUpPartitions ? await opts.caughtUpPartitions(topic, `${group}.${topic}`) : [...prog.marks.keys()];
        // a batch that began while the broker was asked may have moved a partition on
        const fresh = ends.filter((p) => !prog.caughtUp.has(p) && quiet(prog, p) && prog.begun.get(p) === begun.get(p));
        if (fresh.length === 0) return;
        const covers = new Map(fresh.map((p) => [p, new Map(others.map(([o], i) => [o, otherEnds?.[i].get(p) ?? 0n]))]));
        await opts.bus.publish<EventsMessage>(t.events, fresh.map((p) => ({
          key: null, partition: p,
          value: { kind: 'watermark', source: type, ts: null, ...(otherEnds ? { covers: Object.fromEntries([...covers.get(p)!].map(([o, end]) => [o, String(end)])) } : {}) },
        })));
        // one that began during the publish follows the mark with its own: it stays unreported;
        // one the other streams passed on past meanwhile is held back from at once: asked again
        for (const p of fresh) {
          if (prog.begun.get(p) !== begun.get(p)) continue;
          if (otherEnds) {
            prog.covers.set(p, covers.get(p)!);
            if (others.some(([o]) => outrun(type, p, o, progress.get(o)!.passedOn.get(p) ?? -1n))) continue;
          }
          prog.caughtUp.add(p);
        }
      })().catch((e: unknown) => {
        opts.log.warn({ err: (e as Error).message, topic }, 'could not publish the caught-up watermark; retrying');
      }).finally(() => {
        prog.asking = false;
      });
    }
  }, Math.max(25, Math.min(250, idleMs / 2)));
  idleTimer.unref();

  for (const [type, topic] of inputs) {
    subs.push(await opts.bus.subscribe(topic, { groupId: `${group}.${topic}`, fromBeginning: opts.fromBeginning ?? true }, handle(type)));
  }
  // the desk's holdings chart reads each account's snapshot from ClickHouse: the compacted topic's
  // records are archived as they come, committed after the write (the newest row is the
  // snapshot, so a replay after a crash writes the same again)
  const store = opts.store;
  if (store) {
    const desk = store.desk();
    subs.push(await opts.bus.subscribe(t.accounts, { groupId: `${group}.${t.accounts}`, fromBeginning: true }, async (batch) => {
      const snapshots: AccountSnapshot[] = [];
      let bad = 0;
      for (const d of batch) {
        if (d.value === null) continue;
        const a = d.value instanceof RejectedEvent ? d.value : validateAccount(fromAvro(d.value));
        if (a instanceof RejectedEvent) bad++;
        else snapshots.push(a);
      }
      if (snapshots.length) await retrying('archive account snapshots', () => desk.writeAccountSnapshots(snapshots, clock()));
      if (bad) opts.log.warn({ rejected: bad, topic: t.accounts }, 'account snapshots rejected: not archived for the desk');
    }));
  }
  opts.log.info({ topics: [...inputs.map(([, topic]) => topic), ...(store ? [t.accounts] : [])], group }, 'ingest subscribed');
  return {
    stats: ingestor.stats,
    ready: Promise.all(subs.map((s) => s.ready)).then(() => undefined),
    async stop() {
      stopping = true;
      clearInterval(idleTimer);
      await Promise.all(subs.map((s) => s.stop()));
      opts.log.info({ ...ingestor.stats }, 'ingest stopped');
    },
  };
}
