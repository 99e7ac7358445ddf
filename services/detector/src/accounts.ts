/**
 * Account reference data bounded per instance: a detector holds the account snapshots of the
 * stage-1 partitions it owns, not every account of the brokerage (10M snapshots would not fit
 * in every instance). Instruments stay global (reference.ts): every partition may trade any.
 *
 * kanshi.accounts is co-partitioned with the raw topics (the topic table: keyed by accountId,
 * as many partitions), so the snapshot of an account whose events are on kanshi.events
 * partition p is on kanshi.accounts partition p: no hash of ours has to agree with the
 * brokerage's partitioner. A topic of another partition count cannot be matched that way: all
 * of it is held, with a warning.
 *
 * Partitions handed to the instance are loaded together by one pass: a subscription that reads
 * kanshi.accounts from the start to its end at that moment, keeping the records of its
 * partitions, then goes on following them. Passes hold disjoint partitions, so no two write one
 * account. Stage 1 leases a partition for each batch; a partition taken away is kept for
 * `keepMs` in case it comes back, then let go (its accounts forgotten) once no batch of it runs.
 */
import { randomBytes } from 'node:crypto';
import { RejectedEvent, validateAccount } from '@kanshi/contract';
import type { ReferenceData } from '@kanshi/detection';
import { BusError, fromAvro, type Bus, type EndOffsets, type RetryLog, type Subscription } from '@kanshi/bus';

export interface AccountsOptions {
  bus: Bus;
  /** kanshi.accounts */
  topic: string;
  endOffsets: EndOffsets;
  /** where the accounts go; the detector's stages read it */
  ref: ReferenceData;
  /** partitions of kanshi.events */
  partitions: number;
  log: RetryLog & { info(obj: object, msg?: string): void };
  /** how long a batch waits for its partition's accounts before it is tried again, ms (default 120000) */
  timeoutMs?: number;
  /**
   * How long the accounts of a partition taken away are kept in case it comes back, ms (default
   * 60000). The group's assignor hands partitions round at every join, so a rolling restart takes
   * a partition away and back again within seconds; each let-go would cost a read of the topic.
   */
  keepMs?: number;
}

/** One read of kanshi.accounts for a set of partitions: to the end, then following. */
interface Pass {
  readonly partitions: Set<number>;
  readonly loaded: Promise<void>;
  sub: Subscription | null;
}

export class PartitionedAccounts {
  private readonly passes = new Map<number, Pass>();
  /** the accounts held, by partition, to let go of them together */
  private readonly held = new Map<number, Set<string>>();
  private readonly leases = new Map<number, number>();
  /** partitions the group gave this instance (null: not told yet, everything claimed is kept) */
  private assigned: Set<number> | null = null;
  private queued = new Set<number>();
  private starting: Promise<void> | null = null;
  private stopped = false;
  private readonly keeping = new Set<NodeJS.Timeout>();
  rejected = 0;
  passesRun = 0;

  private constructor(private readonly o: AccountsOptions, readonly whole: boolean) {}

  static async open(o: AccountsOptions): Promise<PartitionedAccounts> {
    const count = (await o.endOffsets(o.topic)).size;
    const whole = count !== o.partitions;
    const accounts = new PartitionedAccounts(o, whole);
    if (whole) {
      o.log.warn({ topic: o.topic, partitions: count, events: o.partitions }, 'accounts topic not partitioned like kanshi.events: every account is held');
      await accounts.claim(0).then((release) => release());
    }
    return accounts;
  }

  /** Accounts held now, over the partitions loaded. */
  get count(): number {
    let n = 0;
    for (const ids of this.held.values()) n += ids.size;
    return n;
  }

  /** Partitions whose accounts are held, those kept after being taken away included. */
  get partitions(): number[] {
    return [...this.passes.keys()].sort((a, b) => a - b);
  }

  /** The partitions held that the group gives this instance now, and their accounts. */
  owned(): { partitions: number[]; accounts: number } {
    const partitions = this.partitions.filter((p) => this.whole || !this.assigned || this.assigned.has(p));
    return { partitions, accounts: partitions.reduce((n, p) => n + (this.held.get(p)?.size ?? 0), 0) };
  }

  /** The group's assignment: loads what is new at once, lets go of what was taken away. */
  assign(partitions: readonly number[]): void {
    if (this.whole) return;
    this.assigned = new Set(partitions);
    for (const p of this.passes.keys()) if (!this.assigned.has(p)) this.letGoIfIdle(p);
    const fresh = partitions.filter((p) => !this.passes.has(p));
    if (fresh.length) void this.load(fresh).catch(() => undefined);
  }

  /**
   * Waits until partition `p`'s accounts are held and keeps them held until the returned
   * release is called. Throws a retryable BusError when they are not read in time.
   */
  async claim(p: number): Promise<() => void> {
    const key = this.whole ? 0 : p;
    this.leases.set(key, (this.leases.get(key) ?? 0) + 1);
    const release = () => {
      const n = (this.leases.get(key) ?? 1) - 1;
      if (n > 0) this.leases.set(key, n);
      else this.leases.delete(key);
      if (this.assigned && !this.assigned.has(key)) this.letGoIfIdle(key);
    };
    try {
      if (!this.passes.has(key)) await this.load([key]);
      const pass = this.passes.get(key)!;
      await bounded(pass.loaded, this.o.timeoutMs ?? 120_000, `accounts of partition ${key} not read to the end of ${this.o.topic} in time`);
      return release;
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Partitions asked for in the same turn share one pass. */
  private async load(partitions: number[]): Promise<void> {
    for (const p of partitions) if (!this.passes.has(p)) this.queued.add(p);
    this.starting ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const mine = this.queued;
      this.queued = new Set();
      this.starting = null;
      if (mine.size) await this.startPass(mine);
    });
    await this.starting;
  }

  private async startPass(partitions: Set<number>): Promise<void> {
    try {
      await this.runPass(partitions);
    } catch (e) {
      // the next claim of these partitions starts another pass
      for (const p of partitions) this.passes.delete(p);
      this.o.log.warn({ partitions: [...partitions], error: (e as Error).message }, 'account reference data not read: tried again with the next batch');
      throw e;
    }
  }

  private async runPass(partitions: Set<number>): Promise<void> {
    let done!: () => void;
    const pass: Pass = { partitions, loaded: new Promise<void>((r) => { done = r; }), sub: null };
    for (const p of partitions) this.passes.set(p, pass);
    this.passesRun++;
    const started = Date.now();
    const ends = await this.o.endOffsets(this.o.topic);
    const remaining = new Map([...ends].filter(([p, end]) => end > 0n && (this.whole || partitions.has(p))));
    const check = () => {
      if (remaining.size) return;
      done();
      this.o.log.info({ partitions: [...partitions], accounts: this.count, ms: Date.now() - started }, 'account reference data loaded for partitions');
    };
    const reached = (partition: number, offset: string) => {
      const end = remaining.get(partition);
      if (end !== undefined && BigInt(offset) + 1n >= end) remaining.delete(partition);
    };
    check();
    pass.sub = await this.o.bus.subscribe(this.o.topic, {
      groupId: `kanshi-accounts-${randomBytes(6).toString('hex')}`, fromBeginning: true, commit: false,
      // a transactional producer's marker can be a partition's last offset: no message reaches it
      onReadPast: (p, off) => { reached(p, off); check(); },
    }, (batch) => {
      for (const d of batch) {
        reached(d.partition, d.offset);
        const p = this.whole ? 0 : d.partition;
        if (!pass.partitions.has(p) || d.value === null || d.value instanceof RejectedEvent) continue;
        const a = validateAccount(fromAvro(d.value));
        if (a instanceof RejectedEvent) {
          this.rejected++;
          continue;
        }
        this.o.ref.putAccount(a);
        const ids = this.held.get(p) ?? new Set<string>();
        this.held.set(p, ids);
        ids.add(a.accountId);
      }
      check();
    });
    // stopped or let go while it joined
    if (this.stopped || pass.partitions.size === 0) await pass.sub.stop();
  }

  private letGoIfIdle(p: number): void {
    const keepMs = this.o.keepMs ?? 60_000;
    if (keepMs <= 0) {
      this.letGo(p);
      return;
    }
    const timer = setTimeout(() => {
      this.keeping.delete(timer);
      if (this.assigned && !this.assigned.has(p)) this.letGo(p);
    }, keepMs);
    timer.unref();
    this.keeping.add(timer);
  }

  private letGo(p: number): void {
    if (this.leases.has(p) || this.whole) return;
    const pass = this.passes.get(p);
    if (!pass) return;
    this.passes.delete(p);
    pass.partitions.delete(p);
    for (const id of this.held.get(p) ?? []) this.o.ref.removeAccount(id);
    const n = this.held.get(p)?.size ?? 0;
    this.held.delete(p);
    this.o.log.info({ partition: p, accounts: n }, 'partition given away: its account reference data let go');
    if (pass.partitions.size === 0) void pass.sub?.stop().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.keeping) clearTimeout(t);
    await this.starting?.catch(() => undefined);
    const subs = new Set([...this.passes.values()].map((p) => p.sub));
    await Promise.all([...subs].map((s) => s?.stop()));
  }
}

function bounded(p: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new BusError('broker_unreachable', what)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
