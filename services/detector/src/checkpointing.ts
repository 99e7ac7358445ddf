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
  /** the state layout version and its migrations; default detection's (tests give others) */
  state?: { version: number; migrations: readonly SnapshotMigration[] };
}

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
  restored = 0;
  refused = 0;
  /** bytes of the snapshots restored, by stage (`accounts`, `symbols`) */
  readonly restoredBytes: Record<string, number> = {};

  private constructor(private readonly store: CheckpointStore, private readonly o: CheckpointOptions, ref: ReferenceData, cfg: DetectionConfig, private readonly config: string, private readonly log: Log) {
    this.codec = new SnapshotCodec({ classes: TASK_CLASSES, externals: { ref, cfg }, ...o.state });
  }

  static async open(bus: Bus, topic: string, ref: ReferenceData, cfg: DetectionConfig, settings: object, o: CheckpointOptions, log: Log): Promise<Checkpointer> {
    const store = await CheckpointStore.open({ bus, topic, endOffsets: o.endOffsets, partitions: o.partitions, timeoutMs: o.readTimeoutMs });
    const config = createHash('sha256').update(JSON.stringify({ cfg, settings })).digest('hex').slice(0, 16);
    return new Checkpointer(store, o, ref, cfg, config, log);
  }

  get stats() {
    return { writes: this.store.writes, writtenBytes: this.store.writtenBytes, restored: this.restored, refused: this.refused, restoredBytes: { ...this.restoredBytes } };
  }

  /** The newest usable snapshot of `task`, revived, or null (with a warning when one was refused). */
  async restore<T>(task: string, is: (x: unknown) => x is T): Promise<{ state: T; meta: CheckpointMeta; bytes: number } | null> {
    const started = Date.now();
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
      const r = this.codec.decode<unknown>(s.bytes);
      let why = '';
      if (!r.ok) why = r.reason;
      else if ((r.header.meta as Partial<CheckpointMeta>).config !== this.config) why = 'written under another detection config, lateness or partition count';
      else if ((r.header.meta as Partial<CheckpointMeta>).task !== task) why = `written for ${String(r.header.meta.task)}`;
      else if (!is(r.state)) why = 'holds another kind of state';
      if (r.ok && !why) {
        this.restored++;
        const stage = task.split('/')[0];
        this.restoredBytes[stage] = (this.restoredBytes[stage] ?? 0) + s.bytes.length;
        const meta = r.header.meta as CheckpointMeta;
        if (reasons.length) this.log.warn({ task, refused: reasons }, 'newer checkpoint unusable: restored an older one');
        if (r.migrated.length) this.log.info({ task, migrated: r.migrated }, 'checkpoint of an older state layout migrated, not rebuilt');
        this.log.info({ task, offset: meta.offset, slot: s.slot, bytes: s.bytes.length, ms: Date.now() - started }, 'partition state restored from checkpoint');
        this.since.set(task, { messages: 0, at: Date.now() });
        return { state: r.state as T, meta, bytes: s.bytes.length };
      }
      reasons.push(`slot ${s.slot} (seq ${s.seq}): ${why}`);
    }
    if (reasons.length) {
      this.refused++;
      this.log.warn({ task, refused: reasons }, 'checkpoint refused: rebuilding the partition from the log');
    }
    return null;
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
    try {
      await this.store.write(task, partition, meta.offset, bytes, now);
      s.messages = 0;
      s.at = now;
      this.log.info({ task, offset: meta.offset, bytes: bytes.length, ms: Date.now() - started }, 'checkpoint written');
    } catch (e) {
      this.log.warn({ task, error: (e as Error).message }, 'checkpoint not written: tried again after the next batch');
    }
  }

  async stop(): Promise<void> {
    await this.store.stop();
  }
}
