/**
 * A copy of each task's newest snapshot on local disk, beside the changelog (the durable copy):
 * a restart on the same machine restores from it without waiting to read the changelog, which
 * holds both slots of every task and what compaction has not yet removed.
 *
 * A file is trusted only when the changelog proves nothing was written after it: the index
 * records, per task, the end offset of the task's changelog partition right after the
 * snapshot (or, at a graceful stop, after every final one) reached it. At start the partition
 * must end there still. Anything else (another instance wrote the task or its partition's
 * neighbours, a write died before its index entry, a file that does not decode) falls back to
 * the changelog, so a moved partition, a SIGKILL or a lost disk cost time, not findings.
 * Files are written whole to a temporary name and renamed: a kill leaves the old or the new.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** what the index holds per task: the snapshot's manifest id, its changelog partition, the partition's end after it */
interface Entry { id: string; partition: number; end: string }

export class LocalSnapshots {
  private index: Record<string, Entry> = {};
  /** once: stage 1 and stage 2 save side by side, and a second read of the index would lose an entry */
  private loaded: Promise<void> | null = null;
  /** index writes one after another: two at once would share the temporary file */
  private flushing: Promise<void> = Promise.resolve();
  private readonly dir: string;

  /** `dir`: the detector's state directory; one subdirectory per changelog topic */
  constructor(root: string, topic: string) {
    this.dir = path.join(root, topic.replace(/[^A-Za-z0-9._-]/g, '_'));
  }

  private file(task: string): string {
    return path.join(this.dir, `${task.replace(/[^A-Za-z0-9._-]/g, '-')}.snap`);
  }

  private load(): Promise<void> {
    this.loaded ??= this.read();
    return this.loaded;
  }

  private async read(): Promise<void> {
    try {
      const raw = JSON.parse(await readFile(path.join(this.dir, 'index.json'), 'utf8')) as unknown;
      if (raw && typeof raw === 'object') this.index = raw as Record<string, Entry>;
    } catch {
      // no index (a first start, a new machine) or a torn one: every task goes to the changelog
      this.index = {};
    }
  }

  /**
   * The task's file when the changelog ends where the index says it did after the file was
   * written (`ends`: the changelog's end offsets at start), else why not.
   */
  async find(task: string, ends: ReadonlyMap<number, bigint>): Promise<{ bytes: Buffer; id: string } | string> {
    await this.load();
    const e = this.index[task];
    if (!e || typeof e.end !== 'string' || typeof e.partition !== 'number') return 'no local snapshot';
    const end = ends.get(e.partition);
    if (end === undefined || String(end) !== e.end) return `changelog partition ${e.partition} ends at ${String(end)}, the local snapshot was written at ${e.end}`;
    try {
      return { bytes: await readFile(this.file(task)), id: e.id };
    } catch (err) {
      return `local snapshot not readable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
  }

  /** After a snapshot reached the changelog: the bytes to disk, the entry once they are there. */
  async save(task: string, id: string, partition: number, bytes: Buffer, end: bigint): Promise<void> {
    await this.load();
    await this.replace(this.file(task), bytes);
    this.index[task] = { id, partition, end: String(end) };
    await this.flush();
  }

  /** Tasks whose newest snapshot is still the one on disk: their entries move to the partitions' ends `ends`. */
  async confirm(tasks: readonly string[], ends: ReadonlyMap<number, bigint>): Promise<void> {
    await this.load();
    for (const t of tasks) {
      const e = this.index[t];
      const end = e && ends.get(e.partition);
      if (e && end !== undefined) e.end = String(end);
    }
    await this.flush();
  }

  /** The manifest id of the task's file, if the index has one. */
  async idOf(task: string): Promise<string | undefined> {
    await this.load();
    return this.index[task]?.id;
  }

  /** Forgets a task's entry (its file is no longer its newest snapshot). */
  async drop(task: string): Promise<void> {
    await this.load();
    if (!(task in this.index)) return;
    delete this.index[task];
    await this.flush();
  }

  /** A file's new content whole or not at all: written beside it, then renamed over it. */
  private async replace(f: string, data: Buffer | string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(`${f}.tmp`, data);
    await rename(`${f}.tmp`, f);
  }

  private flush(): Promise<void> {
    // each write takes the index as it is when its turn comes, so the last one holds every entry
    const next = this.flushing.catch(() => undefined).then(() => this.replace(path.join(this.dir, 'index.json'), JSON.stringify(this.index)));
    this.flushing = next;
    return next;
  }
}
