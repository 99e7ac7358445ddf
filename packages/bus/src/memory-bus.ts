import { BusError } from './errors.js';
import type { BatchHandler, Bus, BusMessage, Delivery, SubscribeOptions, Subscription } from './bus.js';

export interface InMemoryBusOptions {
  /** largest batch handed to a handler at once; default 500 */
  maxBatch?: number;
  /**
   * Messages kept per topic once every group has consumed them, so a group subscribing
   * later can still replay a tail; default 10000. Embedded runs push millions of events
   * through, so the log cannot simply grow.
   */
  retainMessages?: number;
}

interface TopicLog {
  /** offset of messages[0] */
  base: number;
  messages: Delivery[];
  /** next offset to deliver, per consumer group (the committed offset, in Kafka terms) */
  groups: Map<string, number>;
  active: Map<string, MemorySubscription>;
}

/**
 * A single-process bus for embedded mode and unit tests: one ordered log per topic (one
 * partition), consumer groups with committed offsets, no serialization (values are passed by
 * reference; treat them as immutable). `publish` only appends; handlers run asynchronously,
 * batching whatever arrived while the previous batch ran. Await {@link InMemoryBus.idle} to
 * know the pipeline has settled; it rejects with the first handler error.
 */
export class InMemoryBus implements Bus {
  private readonly topics = new Map<string, TopicLog>();
  private readonly maxBatch: number;
  private readonly retainMessages: number;
  private failure: unknown = null;
  private closed = false;

  constructor(opts: InMemoryBusOptions = {}) {
    this.maxBatch = opts.maxBatch ?? 500;
    this.retainMessages = opts.retainMessages ?? 10_000;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) {
      throw new BusError('invalid_config', `maxBatch must be a positive integer, got ${opts.maxBatch}`);
    }
    if (!Number.isInteger(this.retainMessages) || this.retainMessages < 0) {
      throw new BusError('invalid_config', `retainMessages must be a non-negative integer, got ${opts.retainMessages}`);
    }
  }

  async publish<V>(topic: string, messages: readonly BusMessage<V>[]): Promise<void> {
    if (this.closed) throw new BusError('invalid_config', 'publish on a closed bus');
    const log = this.log(topic);
    const timestamp = Date.now();
    for (const m of messages) {
      const offset = log.base + log.messages.length;
      log.messages.push({ topic, partition: 0, offset: String(offset), key: m.key, value: m.value, timestamp });
    }
    for (const sub of log.active.values()) sub.wake();
  }

  async subscribe<V>(topic: string, options: SubscribeOptions, handler: BatchHandler<V>): Promise<Subscription> {
    if (this.closed) throw new BusError('invalid_config', 'subscribe on a closed bus');
    const log = this.log(topic);
    if (log.active.has(options.groupId)) {
      throw new BusError(
        'invalid_config',
        `group ${options.groupId} already consumes ${topic}; the in-memory bus has one partition, which a group cannot share`,
      );
    }
    if (!log.groups.has(options.groupId)) {
      const end = log.base + log.messages.length;
      log.groups.set(options.groupId, options.fromBeginning === false ? end : log.base);
    }
    const sub = new MemorySubscription(this, log, options.groupId, handler as BatchHandler);
    log.active.set(options.groupId, sub);
    // one partition, held by the group's one subscriber
    options.onAssigned?.([0]);
    sub.wake();
    return sub;
  }

  /** Resolves when no handler has work left; rejects with the first handler error. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      const busy = [...this.topics.values()].flatMap((log) => [...log.active.values()]).filter((s) => s.busy());
      if (busy.length === 0) return;
      await Promise.all(busy.map((s) => s.settled()));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const subs = [...this.topics.values()].flatMap((log) => [...log.active.values()]);
    await Promise.all(subs.map((s) => s.stop()));
  }

  /** @internal a handler failed: the subscription stops and idle() reports it */
  fail(error: unknown): void {
    this.failure ??= error;
  }

  /** @internal drop what every group has consumed, beyond the retained tail */
  trim(log: TopicLog): void {
    const excess = log.messages.length - this.retainMessages;
    if (excess <= 0 || log.groups.size === 0) return;
    const consumedByAll = Math.min(...log.groups.values()) - log.base;
    const drop = Math.min(excess, consumedByAll);
    if (drop <= 0) return;
    log.messages.splice(0, drop);
    log.base += drop;
  }

  get batchLimit(): number {
    return this.maxBatch;
  }

  private log(topic: string): TopicLog {
    let log = this.topics.get(topic);
    if (!log) {
      log = { base: 0, messages: [], groups: new Map(), active: new Map() };
      this.topics.set(topic, log);
    }
    return log;
  }
}

class MemorySubscription implements Subscription {
  readonly ready = Promise.resolve();
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly bus: InMemoryBus,
    private readonly log: TopicLog,
    private readonly groupId: string,
    private readonly handler: BatchHandler,
  ) {}

  busy(): boolean {
    return this.running !== null;
  }

  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  wake(): void {
    if (this.running || this.stopped || !this.hasPending()) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      // Messages published after the drain loop's last check would otherwise wait for the next publish.
      this.wake();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
    if (this.log.active.get(this.groupId) === this) this.log.active.delete(this.groupId);
  }

  private hasPending(): boolean {
    return this.next() < this.log.base + this.log.messages.length;
  }

  private next(): number {
    return this.log.groups.get(this.groupId) ?? this.log.base;
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.hasPending()) {
      const from = this.next() - this.log.base;
      const batch = this.log.messages.slice(from, from + this.bus.batchLimit);
      let seekTo: string | undefined;
      try {
        seekTo = (await this.handler(batch))?.seekTo;
      } catch (e) {
        this.stopped = true;
        this.bus.fail(e);
        return;
      }
      this.log.groups.set(this.groupId, seekTo === undefined ? this.next() + batch.length : Math.max(this.log.base, Number(seekTo)));
      this.bus.trim(this.log);
    }
  }
}
