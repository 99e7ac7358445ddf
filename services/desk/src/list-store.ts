/**
 * Where the desk's list entries live: on the compacted lists topic when the desk runs against
 * Kafka (the detectors follow it), in an NDJSON file of the embedded desk's data directory
 * otherwise (what `kanshi detect --lists FILE` reads). Either way the latest record of an
 * entryId is the entry, as compaction keeps it.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { fromAvro, type Bus, type Subscription } from '@kanshi/bus';
import { parseJsonBounded, RejectedEvent, validateListEntry, type ListEntry } from '@kanshi/contract';

export interface ListStore {
  /** where entries go, for the page: the topic or the file */
  readonly where: string;
  /** every entry known, newest first */
  entries(): ListEntry[];
  get(entryId: string): ListEntry | undefined;
  put(e: ListEntry): Promise<void>;
  close(): Promise<void>;
}

/** The desk shows at most this many entries; the book the detectors keep has its own bound. */
const MAX_SHOWN = 10_000;

class Entries {
  private readonly byId = new Map<string, ListEntry>();
  set(e: ListEntry): void {
    this.byId.delete(e.entryId);
    this.byId.set(e.entryId, e);
    if (this.byId.size > MAX_SHOWN) this.byId.delete(this.byId.keys().next().value as string);
  }
  delete(entryId: string): void {
    this.byId.delete(entryId);
  }
  get(entryId: string): ListEntry | undefined {
    return this.byId.get(entryId);
  }
  newestFirst(): ListEntry[] {
    return [...this.byId.values()].sort((a, b) => b.createdAt - a.createdAt || (a.entryId < b.entryId ? -1 : 1));
  }
}

/** The embedded desk's file: read at start (bad lines skipped, as `kanshi detect --lists` would reject them), appended to. */
export function fileListStore(file: string): ListStore {
  const known = new Entries();
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const json = parseJsonBounded(line);
      const e = json instanceof RejectedEvent ? json : validateListEntry(json);
      if (!(e instanceof RejectedEvent)) known.set(e);
    }
  }
  return {
    where: file,
    entries: () => known.newestFirst(),
    get: (id) => known.get(id),
    async put(e) {
      appendFileSync(file, `${JSON.stringify(e)}\n`, { mode: 0o600 });
      known.set(e);
    },
    async close() {},
  };
}

/** The lists topic: followed from its start for the page, written keyed by entryId. */
export async function topicListStore(bus: Bus, topic: string, groupId: string): Promise<ListStore> {
  const known = new Entries();
  const sub: Subscription = await bus.subscribe(topic, { groupId, fromBeginning: true, commit: false }, (batch) => {
    for (const d of batch) {
      if (d.value === null) {
        if (d.key !== null) known.delete(d.key);
        continue;
      }
      const e = d.value instanceof RejectedEvent ? d.value : validateListEntry(fromAvro(d.value));
      if (!(e instanceof RejectedEvent)) known.set(e);
    }
  });
  return {
    where: `topic ${topic}`,
    entries: () => known.newestFirst(),
    get: (id) => known.get(id),
    async put(e) {
      await bus.publish<ListEntry>(topic, [{ key: e.entryId, value: e }]);
      known.set(e);
    },
    close: () => sub.stop(),
  };
}
