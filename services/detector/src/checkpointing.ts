/**
 * When the detector's tasks are snapshotted and how one is restored: every N events or T ms of
 * a task's input, after the outputs of what it covers are published (so a restore never skips
 * an output), and on a partition's first batch, newest snapshot first. A snapshot of an older
 * state layout is migrated when the registry has every step (@kanshi/detection
 * snapshot-migrations.ts), logged as such. One that does not decode, of a layout no migration
 * reaches, or written under another detection config is refused with a warning naming the
 * reason, and the task is rebuilt from the log: exact findings come before a fast start.
 */
import { createHash } from 'node:crypto';
import type { Bus, EndOffsets, RetryLog } from '@kanshi/bus';
import { SnapshotCodec, SnapshotError, type DetectionConfig, type ReferenceData, type SnapshotMigration } from '@kanshi/detection';
import { CheckpointStore } from './checkpoint.js';
import { LocalSnapshots } from './local-state.js';
import { TASK_CLASSES } from './tasks.js';

export interface CheckpointOptions {
  /** snapshot a task after this many input messages since its last one (0: not by count) */
  everyEvents: number;
  /** snapshot a task with new input this long after its last one, ms (0: not by time) */
  intervalMs: number;
  endOffsets: EndOffsets;
  /** changelog partitions (the topic table's) */
  partitions: number;
  /** how long a restore waits for the changelog to be read, ms (default 60000) */
  readTimeoutMs?: number;
  /**
   * a directory for a copy of each task's newest snapshot (local-state.ts): a restart on this
   * machine restores from it rather than reading the changelog first; unset, none is kept
   */
  stateDir?: string;
  /** the state layout version and its migrations; default detection's (tests give others) */
  state?: { version: number; migrations: readonly SnapshotMigration[] };
}

/** with a state directory: how long after start the changelog is read if no restore or write asked for it first */
const FOLLOW_AFTER_MS = 5_000;

/** the detector's log (DetectorLog): warnings as the bus's retries take them, and info */
type Log = RetryLog & { info(obj: object, msg?: string): void };

/** What a snapshot says it covers, beside the state itself. */
export interface CheckpointMeta {
  task: string;
  /** the last input offset folded into the state */
  offset: string;
  config: string;
  [k: string]: unknown;
}

export class Checkpointer {
  private readonly codec: SnapshotCodec;
  private readonly since = new Map<string, { messages: number; at: number }>();
  private broken = false;
  private toldRead = false;
  private readonly local: LocalSnapshots | null;
  restored = 0;
  /** of them, from the local copy */
  restoredLocal = 0;
  refused = 0;
  /** bytes of the snapshots restored, by stage (`accounts`, `symbols`) */
  readonly restoredBytes: Record<string, number> = {};

  private constructor(private readonly store: CheckpointStore, private readonly o: CheckpointOptions, ref: ReferenceData, cfg: DetectionConfig, private readonly config: string, private readonly log: Log) {
    this.codec = new SnapshotCodec({ classes: TASK_CLASSES, externals: { ref, cfg }, ...o.state });
    this.local = o.stateDir ? new LocalSnapshots(o.stateDir, store.topic) : null;
  }

  static async open(bus: Bus, topic: string, ref: ReferenceData, cfg: DetectionConfig, settings: object, o: CheckpointOptions, log: Log): Promise<Checkpointer> {
    // with local copies, restores come first and the changelog is read after them (or when one needs it)
    const store = await CheckpointStore.open({ bus, topic, endOffsets: o.endOffsets, partitions: o.partitions, timeoutMs: o.readTimeoutMs, ...(o.stateDir ? { followAfterMs: FOLLOW_AFTER_MS } : {}) });
    const config = createHash('sha256').update(JSON.stringify({ cfg, settings })).digest('hex').slice(0, 16);
    return new Checkpointer(store, o, ref, cfg, config, log);
  }

  get stats() {
    return { writes: this.store.writes, writtenBytes: this.store.writtenBytes, restored: this.restored, restoredLocal: this.restoredLocal, refused: this.refused, restoredBytes: { ...this.restoredBytes } };
  }

  /** The newest usable snapshot of `task`, revived, or null (with a warning when one was refused). */
  async restore<T>(task: string, is: (x: unknown) => x is T): Promise<{ state: T; meta: CheckpointMeta; bytes: number } | null> {
    const started = Date.now();
    const local = await this.fromLocal(task, is, started);
    if (local) return local;
    if (!(await this.store.caughtUp())) {
      this.log.warn({ task }, 'checkpoint changelog not read in time: rebuilding the partition from the log');
      return null;
    }
    if (!this.toldRead) {
      this.toldRead = true;
      this.log.info({ ...this.store.readAtStart }, 'checkpoint changelog read');
    }
    const { found, incomplete } = this.store.snapshots(task);
    const reasons = [...incomplete];
    for (const s of found) {
      const r = this.revive(task, s.bytes, is);
      if (typeof r !== 'string') {
        if (reasons.length) this.log.warn({ task, refused: reasons }, 'newer checkpoint unusable: restored an older one');
        this.restoredOne(task, r, { slot: s.slot, ms: Date.now() - started });
        return r;
      }
      reasons.push(`slot ${s.slot} (seq ${s.seq}): ${r}`);
    }
    if (reasons.length) {
      this.refused++;
      this.log.warn({ task, refused: reasons }, 'checkpoint refused: rebuilding the partition from the log');
    }
    return null;
  }

  /** The local copy of the task's newest snapshot when the changelog shows it is still that, revived. */
  private async fromLocal<T>(task: string, is: (x: unknown) => x is T, started: number): Promise<{ state: T; meta: CheckpointMeta; bytes: number } | null> {
    if (!this.local) return null;
    const f = await this.local.find(task, this.store.endsAtStart);
    if (typeof f === 'string') {
      if (f !== 'no local snapshot') this.log.info({ task, reason: f }, 'local snapshot not used: restoring from the changelog');
      return null;
    }
    const r = this.revive(task, f.bytes, is);
    if (typeof r === 'string') {
      this.log.warn({ task, refused: [`local ${f.id}: ${r}`] }, 'local snapshot refused: restoring from the changelog');
      await this.local.drop(task).catch(() => undefined);
      return null;
    }
    this.restoredLocal++;
    this.restoredOne(task, r, { local: f.id, ms: Date.now() - started });
    return r;
  }

  /** Snapshot bytes to the task's state, or why they cannot be restored. */
  private revive<T>(task: string, bytes: Buffer, is: (x: unknown) => x is T): { state: T; meta: CheckpointMeta; bytes: number; migrated: string[] } | string {
    const r = this.codec.decode<unknown>(bytes);
    if (!r.ok) return r.reason;
    const meta = r.header.meta as Partial<CheckpointMeta>;
    if (meta.config !== this.config) return 'written under another detection config, lateness or partition count';
    if (meta.task !== task) return `written for ${String(meta.task)}`;
    if (!is(r.state)) return 'holds another kind of state';
    return { state: r.state, meta: meta as CheckpointMeta, bytes: bytes.length, migrated: r.migrated };
  }

  private restoredOne(task: string, r: { meta: CheckpointMeta; bytes: number; migrated: string[] }, from: object): void {
    this.restored++;
    const stage = task.split('/')[0];
    this.restoredBytes[stage] = (this.restoredBytes[stage] ?? 0) + r.bytes;
    if (r.migrated.length) this.log.info({ task, migrated: r.migrated }, 'checkpoint of an older state layout migrated, not rebuilt');
    this.log.info({ task, offset: r.meta.offset, ...from, bytes: r.bytes }, 'partition state restored from checkpoint');
    this.since.set(task, { messages: 0, at: Date.now() });
  }

  /**
   * After a batch's outputs are published: a snapshot when the task is due one. `final` (a
   * graceful stop): one of whatever came since the last, so the next start replays nothing.
   */
  async afterBatch(task: string, partition: number, state: object, messages: number, meta: Record<string, unknown> & { offset: string }, final = false): Promise<void> {
    if (this.broken || (this.o.everyEvents <= 0 && this.o.intervalMs <= 0)) return;
    const now = Date.now();
    let s = this.since.get(task);
    if (!s) {
      s = { messages: 0, at: now };
      this.since.set(task, s);
    }
    s.messages += messages;
    const due = (final && s.messages > 0) || (this.o.everyEvents > 0 && s.messages >= this.o.everyEvents) || (this.o.intervalMs > 0 && s.messages > 0 && now - s.at >= this.o.intervalMs);
    if (!due) return;
    let bytes: Buffer;
    const started = Date.now();
    try {
      bytes = this.codec.encode(state, { ...meta, task, config: this.config });
    } catch (e) {
      // a class the codec does not know: snapshots stop, detection goes on and restarts rebuild
      if (!(e instanceof SnapshotError)) throw e;
      this.broken = true;
      this.log.warn({ task, error: e.message }, 'state cannot be snapshotted: checkpoints off until the next start');
      return;
    }
    let id: string;
    try {
      id = await this.store.write(task, partition, meta.offset, bytes, now);
      s.messages = 0;
      s.at = now;
      this.log.info({ task, offset: meta.offset, bytes: bytes.length, ms: Date.now() - started }, 'checkpoint written');
    } catch (e) {
      this.log.warn({ task, error: (e as Error).message }, 'checkpoint not written: tried again after the next batch');
      return;
    }
    if (!this.local) return;
    try {
      const cp = this.store.partitionOf(partition);
      const end = await this.store.endOf(cp);
      if (end !== undefined) await this.local.save(task, id, cp, bytes, end);
    } catch (e) {
      // the changelog has it; without the local copy the next start reads it from there
      this.log.warn({ task, error: (e as Error).message }, 'local snapshot not written: the next start restores from the changelog');
    }
  }

  /**
   * `held`: the tasks this instance holds, each just given its final snapshot (or none was due).
   * Their local copies are confirmed as their newest at the changelog's ends now, so that a
   * neighbour's final snapshot written after one to the same changelog partition does not make
   * it look stale at the next start.
   */
  async stop(held: readonly string[] = []): Promise<void> {
    // not read at all (every restore local, nothing written since): the entries stand as they are,
    // good while the changelog still ends where they say
    if (this.local && held.length && this.store.reading && (await this.store.caughtUp())) {
      try {
        const ends = await this.o.endOffsets(this.store.topic);
        const mine: string[] = [];
        for (const task of held) {
          const id = await this.local.idOf(task);
          if (id !== undefined && id === this.store.newestId(task)) mine.push(task);
          else if (id !== undefined) await this.local.drop(task);
        }
        await this.local.confirm(mine, ends);
      } catch (e) {
        this.log.warn({ error: (e as Error).message }, 'local snapshots not confirmed: the next start restores from the changelog');
      }
    }
    await this.store.stop();
  }
}
