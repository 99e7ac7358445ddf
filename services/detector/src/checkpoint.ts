/**
 * Snapshots of the detector's partition tasks on the compacted kanshi.detector-changelog.
 *
 * A snapshot can be tens of megabytes and a record must stay under the broker's message size,
 * so one is written as chunks and then a manifest naming them. Two slots per task (`a`, `b`)
 * take turns: a write that dies half-way (SIGKILL, broker gone) overwrites the chunks of one
 * slot only, and the other slot's complete snapshot stays the one restored. Keys:
 * `<stage>/<partition>#<slot>` for the manifest, `<stage>/<partition>#<slot>.<n>` for chunks;
 * compaction keeps the latest of each. A task's records all go to one changelog partition.
 *
 * Every instance reads the whole changelog at start (its own throwaway group) and keeps
 * following it, so a partition that moves here after a rebalance finds the snapshot its
 * previous owner wrote.
 */
import { randomBytes } from 'node:crypto';
import { RejectedEvent } from '@kanshi/contract';
import type { Bus, BusMessage, EndOffsets, Subscription } from '@kanshi/bus';

/** raw bytes per chunk: base64 in JSON stays well under the 1 MiB a record may have */
const CHUNK_BYTES = 384 * 1024;

type Slot = 'a' | 'b';
/** `offset`: the last input offset the snapshot covers; among two slots the furthest is restored */
interface Manifest { kind: 'manifest'; id: string; seq: number; offset: string; chunks: number; bytes: number; at: number }
interface Chunk { kind: 'chunk'; id: string; index: number; data: string }
type ChangelogValue = Manifest | Chunk;

/** A complete snapshot found on the changelog, newest first among a task's two slots. */
export interface StoredSnapshot {
  slot: Slot;
  seq: number;
  offset: bigint;
  at: number;
  bytes: Buffer;
}

export interface CheckpointStoreOptions {
  bus: Bus;
  topic: string;
  endOffsets: EndOffsets;
  /** changelog partitions: a task's records go to partition (its partition mod this) */
  partitions: number;
  timeoutMs?: number;
  /**
   * start reading the changelog only this long after opening, or sooner when a restore or a
   * write needs it (a restart restoring from local copies: the read would compete with their
   * restores for the event loop); unset, at once
   */
  followAfterMs?: number;
}

export class CheckpointStore {
  /** the latest value of every key read so far, as compaction would leave it */
  private readonly latest = new Map<string, ChangelogValue>();
  private sub: Subscription | null = null;
  /** resolves once the changelog as it was at start has been read; rejects after the timeout */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  writes = 0;
  writtenBytes = 0;
  /** what reading the changelog to where it ended at start took: records, snapshot bytes (base64) and ms */
  readAtStart = { records: 0, chunkChars: 0, ms: 0 };
  /** the changelog's end offsets at start, by partition: what local snapshot files are checked against */
  endsAtStart: ReadonlyMap<number, bigint> = new Map();

  private constructor(private readonly o: CheckpointStoreOptions) {
    this.ready = new Promise<void>((resolve) => { this.markReady = resolve; });
  }

  get topic(): string {
    return this.o.topic;
  }

  private following: Promise<void> | null = null;
  private followTimer: NodeJS.Timeout | undefined;

  static async open(o: CheckpointStoreOptions): Promise<CheckpointStore> {
    const store = new CheckpointStore(o);
    store.endsAtStart = await o.endOffsets(o.topic);
    if (o.followAfterMs === undefined) await store.startFollowing();
    else store.followTimer = setTimeout(() => void store.startFollowing().catch(() => undefined), o.followAfterMs);
    return store;
  }

  /** Whether the changelog is being read (or was): not yet, when every restore so far was local and nothing was written. */
  get reading(): boolean {
    return this.following !== null;
  }

  /** Subscribes to the changelog once; a failed subscription is tried again by the next caller. */
  private startFollowing(): Promise<void> {
    clearTimeout(this.followTimer);
    this.following ??= this.follow().catch((e: unknown) => {
      this.following = null;
      throw e;
    });
    return this.following;
  }

  private async follow(): Promise<void> {
    const started = Date.now();
    const ends = this.endsAtStart;
    const remaining = new Map([...ends].filter(([, end]) => end > 0n));
    let reading = true;
    const check = () => {
      if (remaining.size || !reading) return;
      reading = false;
      this.readAtStart.ms = Date.now() - started;
      this.markReady();
    };
    const reached = (partition: number, offset: string) => {
      const end = remaining.get(partition);
      if (end !== undefined && BigInt(offset) + 1n >= end) remaining.delete(partition);
    };
    check();
    this.sub = await this.o.bus.subscribe<ChangelogValue>(this.o.topic, {
      groupId: `kanshi-checkpoints-${randomBytes(6).toString('hex')}`, fromBeginning: true, commit: false,
      onReadPast: (p, off) => { reached(p, off); check(); },
    }, (batch) => {
      for (const d of batch) {
        reached(d.partition, d.offset);
        if (reading) {
          this.readAtStart.records++;
          if (d.value && !(d.value instanceof RejectedEvent) && d.value.kind === 'chunk') this.readAtStart.chunkChars += d.value.data.length;
        }
        if (d.key === null || d.value instanceof RejectedEvent) continue;
        if (d.value === null) this.latest.delete(d.key);
        else this.latest.set(d.key, d.value);
      }
      check();
    });
  }

  /** Waits (bounded) for the changelog to be read to where it ended at start; false on time-out. */
  async caughtUp(timeoutMs = this.o.timeoutMs ?? 60_000): Promise<boolean> {
    try {
      await this.startFollowing();
    } catch {
      return false;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    try {
      return await Promise.race([this.ready.then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The manifest id of the task's newest snapshot as far as the changelog has been read (by seq). */
  newestId(task: string): string | undefined {
    let best: Manifest | undefined;
    for (const slot of ['a', 'b'] as const) {
      const m = this.latest.get(`${task}#${slot}`);
      if (m?.kind === 'manifest' && (!best || m.seq > best.seq)) best = m;
    }
    return best?.id;
  }

  /** The changelog's end offset of a partition now. */
  async endOf(partition: number): Promise<bigint | undefined> {
    return (await this.o.endOffsets(this.o.topic)).get(partition);
  }

  /** The changelog partition a task's records go to. */
  partitionOf(partition: number): number {
    return partition % this.o.partitions;
  }

  /** The complete snapshots of a task, newest first (none, one or two), and why others are not. */
  snapshots(task: string): { found: StoredSnapshot[]; incomplete: string[] } {
    const found: StoredSnapshot[] = [];
    const incomplete: string[] = [];
    for (const slot of ['a', 'b'] as const) {
      const m = this.latest.get(`${task}#${slot}`);
      if (!m || m.kind !== 'manifest') continue;
      const parts: Buffer[] = [];
      for (let i = 0; i < m.chunks; i++) {
        const c = this.latest.get(`${task}#${slot}.${i}`);
        if (!c || c.kind !== 'chunk' || c.id !== m.id || c.index !== i) break;
        parts.push(Buffer.from(c.data, 'base64'));
      }
      const bytes = Buffer.concat(parts);
      if (parts.length !== m.chunks || bytes.length !== m.bytes) {
        incomplete.push(`slot ${slot} (seq ${m.seq}): ${parts.length} of ${m.chunks} chunks, ${bytes.length} of ${m.bytes} bytes`);
        continue;
      }
      found.push({ slot, seq: m.seq, offset: BigInt(m.offset ?? -1), at: m.at, bytes });
    }
    // the furthest state first: two instances briefly owning a partition across a rebalance may
    // both write it, and the one behind must not win by writing last
    found.sort((x, y) => (x.offset === y.offset ? y.seq - x.seq : x.offset < y.offset ? 1 : -1));
    return { found, incomplete };
  }

  /**
   * Writes a task's snapshot into the slot not holding its newest one: chunks, then the
   * manifest, then tombstones for chunks a longer snapshot left in that slot. Not before the
   * changelog has been read to where it ended at start (a restore from a local file does not
   * wait for it): the slot to write is the one not holding the newest snapshot there. Returns
   * the manifest's id.
   */
  async write(task: string, partition: number, offset: string, bytes: Buffer, now: number): Promise<string> {
    if (!(await this.caughtUp())) throw new Error('the changelog is not read yet: the slot to write is not known');
    const manifests = (['a', 'b'] as const).map((slot) => ({ slot, m: this.latest.get(`${task}#${slot}`) }));
    const seqOf = (m: ChangelogValue | undefined) => (m?.kind === 'manifest' ? m.seq : 0);
    const newest = manifests.reduce((x, y) => (seqOf(y.m) > seqOf(x.m) ? y : x));
    const slot: Slot = seqOf(newest.m) === 0 ? 'a' : newest.slot === 'a' ? 'b' : 'a';
    const old = this.latest.get(`${task}#${slot}`);
    const seq = Math.max(seqOf(manifests[0].m), seqOf(manifests[1].m)) + 1;
    const id = `${seq}-${randomBytes(4).toString('hex')}`;
    const chunks = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
    const p = this.partitionOf(partition);
    const msgs: BusMessage<ChangelogValue>[] = [];
    for (let i = 0; i < chunks; i++) {
      msgs.push({ key: `${task}#${slot}.${i}`, partition: p, value: { kind: 'chunk', id, index: i, data: bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).toString('base64') } });
    }
    const manifest: Manifest = { kind: 'manifest', id, seq, offset, chunks, bytes: bytes.length, at: now };
    // chunks first: a manifest is only ever read with all its chunks there before it
    await this.o.bus.publish(this.o.topic, msgs);
    await this.o.bus.publish(this.o.topic, [{ key: `${task}#${slot}`, partition: p, value: manifest }]);
    const stale = old?.kind === 'manifest' ? old.chunks : 0;
    const tombstones: BusMessage<ChangelogValue>[] = [];
    for (let i = chunks; i < stale; i++) tombstones.push({ key: `${task}#${slot}.${i}`, partition: p, value: null });
    if (tombstones.length) await this.o.bus.publish(this.o.topic, tombstones);
    // what was written counts at once, not when the follower reads it back
    for (const m of msgs) this.latest.set(m.key!, m.value!);
    this.latest.set(`${task}#${slot}`, manifest);
    for (const t of tombstones) this.latest.delete(t.key!);
    this.writes++;
    this.writtenBytes += bytes.length;
    return id;
  }

  async stop(): Promise<void> {
    clearTimeout(this.followTimer);
    await this.following?.catch(() => undefined);
    await this.sub?.stop();
  }
}
