/**
 * Reference data from the compacted topics: read to the end before detection starts, then kept
 * up to date. Each instance reads every partition (its own throwaway group), because every
 * symbol may be needed by whichever partitions it is given. The detector itself takes accounts
 * per partition (accounts.ts, `accounts: false` here); other callers still get them all.
 */
import { randomBytes } from 'node:crypto';
import { RejectedEvent, validateAccount, validateInstrument } from '@kanshi/contract';
import { ReferenceData } from '@kanshi/detection';
import { fromAvro, type Bus, type EndOffsets, type Subscription, type TopicNames } from '@kanshi/bus';

// the type lives with the admin helpers that make one; re-exported for the detector's users
export type { EndOffsets };

export interface LoadedReference {
  ref: ReferenceData;
  rejected: number;
  stop(): Promise<void>;
}

export async function loadReference(bus: Bus, topics: TopicNames, endOffsets: EndOffsets, timeoutMs = 120_000, o: { accounts?: boolean } = {}): Promise<LoadedReference> {
  const ref = new ReferenceData();
  let rejected = 0;
  const subs: Subscription[] = [];
  const caughtUp: Promise<void>[] = [];
  const group = `kanshi-reference-${randomBytes(6).toString('hex')}`;
  for (const [topic, put] of [
    [topics.instruments, (v: unknown) => { const i = validateInstrument(v); if (i instanceof RejectedEvent) rejected++; else ref.putInstrument(i); }],
    [topics.accounts, (v: unknown) => { const a = validateAccount(v); if (a instanceof RejectedEvent) rejected++; else ref.putAccount(a); }],
  ] as const) {
    if (topic === topics.accounts && o.accounts === false) continue;
    const ends = await endOffsets(topic);
    const remaining = new Map([...ends].filter(([, end]) => end > 0n));
    let done!: () => void;
    caughtUp.push(new Promise<void>((resolve) => { done = resolve; }));
    if (remaining.size === 0) done();
    const reached = (partition: number, offset: string) => {
      const end = remaining.get(partition);
      if (end !== undefined && BigInt(offset) + 1n >= end) remaining.delete(partition);
    };
    // a transactional producer's marker can be a partition's last offset: no message reaches it
    const onReadPast = (partition: number, offset: string) => {
      reached(partition, offset);
      if (remaining.size === 0) done();
    };
    subs.push(await bus.subscribe(topic, { groupId: `${group}-${topic}`, fromBeginning: true, commit: false, onReadPast }, (batch) => {
      for (const d of batch) {
        if (d.value !== null && !(d.value instanceof RejectedEvent)) put(fromAvro(d.value));
        reached(d.partition, d.offset);
      }
      if (remaining.size === 0) done();
    }));
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(caughtUp),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`reference topics not read to the end within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  return { ref, get rejected() { return rejected; }, stop: async () => { await Promise.all(subs.map((s) => s.stop())); } };
}
