/**
 * The detector service: stage 1 on kanshi.events (partitioned by account), stage 2 on
 * kanshi.symbol-signals (partitioned by symbol), both plain consumer groups, so instances and
 * partitions scale it. Both stages release records in event-time order up to watermarks, so the
 * result does not depend on how the partitions raced: it is what `kanshi detect` finds.
 *
 * State: a deterministic fold of the input log. The groups never commit offsets. A task is
 * snapshotted to kanshi.detector-changelog as it goes (checkpointing.ts); a partition's first
 * batch restores the newest snapshot and the bus seeks past what it covers, or, without a usable
 * one, the task is rebuilt by re-reading the partition from the oldest retained message. A task
 * this instance still holds, given back after a rebalance, goes on from where it was. Outputs
 * keep deterministic ids (findingId + revision), so what is produced again is the same record,
 * merged by ClickHouse and dropped by the alerter: nothing lost, nothing doubled.
 */
import { deadLetterOf, topicNames, untilDone, type BatchResult, type Bus, type BusMessage, type DeadLetter, type Delivery, type EventsMessage, type Subscription, type TopicNames } from '@kanshi/bus';
import { RejectedEvent, type Finding } from '@kanshi/contract';
import { resolveDetectionConfig, type DetectionConfig, type DetectionOverrides, type ReferenceData, type StageOutput } from '@kanshi/detection';
import { readEventsMessage, readSymbolMessage } from './envelope.js';
import { Checkpointer, type CheckpointOptions } from './checkpointing.js';
import { AccountTask, SymbolTask, type SymbolMessage } from './tasks.js';

export interface DetectorLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface DetectorOptions {
  bus: Bus;
  ref: ReferenceData;
  log: DetectorLog;
  topics?: TopicNames;
  groupId?: string;
  detection?: DetectionOverrides;
  maxLatenessMs?: number;
  /** partitions of kanshi.events and of kanshi.symbol-signals */
  accountPartitions: number;
  symbolPartitions: number;
  /** snapshots of the tasks on kanshi.detector-changelog; without, every start rebuilds from the logs */
  checkpoints?: CheckpointOptions;
  /**
   * Account reference data per stage-1 partition (accounts.ts), loaded into `ref` as the group
   * hands partitions out; without, `ref` holds every account already.
   */
  accounts?: AccountSource;
}

/** Where stage 1's partitions get their accounts: told the assignment, leased per batch. */
export interface AccountSource {
  assign(partitions: number[]): void;
  claim(partition: number): Promise<() => void>;
}

export interface RunningDetector {
  readonly ready: Promise<void>;
  stats(): { events: number; findings: number; pendingEvents: number; pendingSignals: number; findingsByKind: Record<string, number>; checkpoints?: Checkpointer['stats'] };
  /** the next offset each partition task will read: lag is the log end minus this */
  positions(): { topic: string; partition: number; next: bigint }[];
  stop(): Promise<void>;
}

export async function startDetector(o: DetectorOptions): Promise<RunningDetector> {
  const cfg = resolveDetectionConfig(o.detection);
  const t = o.topics ?? topicNames();
  const group = o.groupId ?? 'kanshi-detector';
  const lateness = o.maxLatenessMs ?? 5 * 60_000;
  const accountTasks = new Map<number, AccountTask>();
  const symbolTasks = new Map<number, SymbolEntry>();
  const cp = o.checkpoints
    ? await Checkpointer.open(o.bus, t.detectorChangelog, o.ref, cfg, { lateness, accountPartitions: o.accountPartitions, symbolPartitions: o.symbolPartitions }, o.checkpoints, o.log)
    : null;
  let events = 0, findings = 0;
  const byKind: Record<string, number> = {};
  let stopping = false;
  // stage state has already moved past a batch: its outputs are retried, never recomputed
  const retrying = (what: string, step: () => Promise<void>) => untilDone(what, step, { log: o.log, abandon: () => stopping });
  // A message the tasks cannot read is dead-lettered and passed over. The groups never commit,
  // so a rebuild reads it again and dead-letters it again, under the same source.
  const deadLetters = async (dead: DeadLetter[]) => {
    if (dead.length === 0) return;
    await retrying('publish dead letters', () => o.bus.publish<DeadLetter>(t.deadLetter, dead.map((r) => ({ key: r.source, value: r }))));
    o.log.warn({ rejected: dead.length, first: dead[0].reason, source: dead[0].source }, 'unreadable internal messages dead-lettered');
  };
  const count = (fs: Finding[]) => {
    findings += fs.length;
    for (const f of fs) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  };

  // a partition's accounts are held while a batch of it runs, however the group moves it meanwhile
  const onEvents = async (all: Delivery<EventsMessage>[]): Promise<BatchResult | void> => {
    if (all.length === 0 || !o.accounts) return stage1(all);
    const release = await o.accounts.claim(all[0].partition);
    try {
      return await stage1(all);
    } finally {
      release();
    }
  };
  const stage1 = async (all: Delivery<EventsMessage>[]): Promise<BatchResult | void> => {
    if (all.length === 0) return;
    const p = all[0].partition;
    let task = accountTasks.get(p);
    if (!task) {
      task = (await cp?.restore(`accounts/${p}`, (x): x is AccountTask => x instanceof AccountTask))?.state;
      if (!task) {
        task = new AccountTask(o.ref, cfg, lateness, all[0].offset);
        o.log.info({ partition: p, from: all[0].offset }, 'stage 1: building partition state');
      }
      accountTasks.set(p, task);
    }
    // a partition read again from the start (a restart after a restore, or given back after a
    // rebalance): what the task holds already is passed over, and the bus seeks past it
    const batch = uncovered(all, task.lastOffset, 'stage 1');
    if (batch.length === 0) return { seekTo: String(task.lastOffset + 1n) };
    const out: StageOutput = { findings: [], trades: [] };
    const before = task.watermark, flipsBefore = task.flips;
    const dead: DeadLetter[] = [];
    for (const d of batch) {
      task.lastOffset = BigInt(d.offset);
      if (d.value === null) continue;
      const m = d.value instanceof RejectedEvent ? d.value : readEventsMessage(d.value);
      if (m instanceof RejectedEvent) {
        dead.push(deadLetterOf(d, m, Date.now()));
        continue;
      }
      if (m.kind === 'event') events++;
      task.accept(m, out);
    }
    await deadLetters(dead);
    const signals: BusMessage<SymbolMessage>[] = task.numbered(p, out.trades).map((m) => ({ key: m.signal.symbol, value: m }));
    if (task.watermark > before || task.flips !== flipsBefore) {
      // every stage-2 partition hears how far this one has got, after its trades
      const report = task.report(p);
      for (let sp = 0; sp < o.symbolPartitions; sp++) signals.push({ key: null, partition: sp, value: report });
    }
    await retrying('publish findings', () => o.bus.publish<Finding>(t.findings, out.findings.map((f) => ({ key: f.findingId, value: f }))));
    await retrying('publish symbol signals', () => o.bus.publish<SymbolMessage>(t.symbolSignals, signals));
    count(out.findings);
    await cp?.afterBatch(`accounts/${p}`, p, task, batch.length, accountMeta(task));
  };
  const accountMeta = (task: AccountTask) => ({ offset: String(task.lastOffset), watermark: task.watermark, base: task.base, flips: task.flips });

  /** The deliveries after `last`; a gap before them (retention deleted what the state lacks) is told. */
  const uncovered = <V>(batch: Delivery<V>[], last: bigint, stage: string): Delivery<V>[] => {
    const rest = BigInt(batch[0].offset) > last ? batch : batch.filter((d) => BigInt(d.offset) > last);
    if (rest.length && last >= 0n && BigInt(rest[0].offset) > last + 1n) {
      o.log.warn({ partition: rest[0].partition, last: String(last), next: rest[0].offset }, `${stage}: offsets missing after the state (deleted by retention): the state lacks them`);
    }
    return rest;
  };

  const onSignals = async (all: Delivery<SymbolMessage>[]): Promise<BatchResult | void> => {
    if (all.length === 0) return;
    const p = all[0].partition;
    let entry = symbolTasks.get(p);
    if (!entry) {
      entry = (await cp?.restore(`symbols/${p}`, isSymbolEntry))?.state;
      if (!entry) {
        entry = { task: new SymbolTask(o.ref, cfg, o.accountPartitions), lastOffset: -1n };
        o.log.info({ partition: p, from: all[0].offset }, 'stage 2: building partition state');
      }
      symbolTasks.set(p, entry);
    }
    const batch = uncovered(all, entry.lastOffset, 'stage 2');
    if (batch.length === 0) return { seekTo: String(entry.lastOffset + 1n) };
    const out: Finding[] = [];
    const dead: DeadLetter[] = [];
    for (const d of batch) {
      entry.lastOffset = BigInt(d.offset);
      if (d.value === null) continue;
      const m = d.value instanceof RejectedEvent ? d.value : readSymbolMessage(d.value);
      if (m instanceof RejectedEvent) dead.push(deadLetterOf(d, m, Date.now()));
      else entry.task.accept(m, out);
    }
    await deadLetters(dead);
    count(out);
    await retrying('publish findings', () => o.bus.publish<Finding>(t.findings, out.map((f) => ({ key: f.findingId, value: f }))));
    await cp?.afterBatch(`symbols/${p}`, p, entry, batch.length, { offset: String(entry.lastOffset) });
  };

  const subs: Subscription[] = [
    await o.bus.subscribe<EventsMessage>(t.events, { groupId: `${group}.accounts`, fromBeginning: true, commit: false, onAssigned: o.accounts && ((ps) => o.accounts!.assign(ps)) }, onEvents),
    await o.bus.subscribe<SymbolMessage>(t.symbolSignals, { groupId: `${group}.symbols`, fromBeginning: true, commit: false }, onSignals),
  ];
  o.log.info({ group, topics: [t.events, t.symbolSignals], maxLatenessMs: lateness }, 'detector subscribed');
  return {
    ready: Promise.all(subs.map((s) => s.ready)).then(() => undefined),
    stats: () => ({
      events, findings,
      pendingEvents: [...accountTasks.values()].reduce((n, a) => n + a.pending, 0),
      pendingSignals: [...symbolTasks.values()].reduce((n, s) => n + s.task.pending, 0),
      findingsByKind: { ...byKind },
      ...(cp ? { checkpoints: cp.stats } : {}),
    }),
    positions: () => [
      ...[...accountTasks].map(([partition, a]) => ({ topic: t.events, partition, next: a.lastOffset + 1n })),
      ...[...symbolTasks].map(([partition, s]) => ({ topic: t.symbolSignals, partition, next: s.lastOffset + 1n })),
    ],
    async stop() {
      stopping = true;
      await Promise.all(subs.map((s) => s.stop()));
      if (cp) {
        // no batch runs now: a last snapshot of what came since each task's previous one
        for (const [p, task] of accountTasks) await cp.afterBatch(`accounts/${p}`, p, task, 0, accountMeta(task), true);
        for (const [p, entry] of symbolTasks) await cp.afterBatch(`symbols/${p}`, p, entry, 0, { offset: String(entry.lastOffset) }, true);
        await cp.stop([...[...accountTasks.keys()].map((p) => `accounts/${p}`), ...[...symbolTasks.keys()].map((p) => `symbols/${p}`)]);
      }
    },
  };
}

/** A stage-2 partition's state: its task and the last offset of kanshi.symbol-signals it took. */
type SymbolEntry = { task: SymbolTask; lastOffset: bigint };

function isSymbolEntry(x: unknown): x is SymbolEntry {
  return typeof x === 'object' && x !== null && (x as SymbolEntry).task instanceof SymbolTask && typeof (x as SymbolEntry).lastOffset === 'bigint';
}
