import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { BusError } from './errors.js';
import { isPacked, packRuns, unpack, type OutRecord } from './pack.js';
import { createProducer } from './kafka.js';
import { ConsumerWatch, type ConsumerCrash, type ConsumerHealth } from './consumer-health.js';
import { crashIsBrokerSide, RestartBackoff } from './consumer-restart.js';
import type { AvroSerde } from './serde.js';
import type { BatchHandler, BatchResult, Bus, BusMessage, Delivery, SubscribeOptions, Subscription } from './bus.js';

/** Well under the broker's default message.max.bytes (1 MiB) for one record batch. */
const MAX_SEND_BYTES = 512 * 1024;
const sizeOf = (m: { key: string | null; value: Buffer | null }) => (m.value?.length ?? 0) + (m.key?.length ?? 0) + 64;

export interface KafkaBusOptions {
  kafka: Kafka;
  /** encodes and decodes every topic the bus publishes to or subscribes to */
  serde: AvroSerde;
  /** consumer session timeout, ms; a consumer silent this long loses its partitions (default 30000) */
  sessionTimeoutMs?: number;
  /** how long subscribe() waits for the group join before `ready` rejects, ms (default 60000) */
  joinTimeoutMs?: number;
  /** told of every consumer crash (kafkajs restarts some by itself, and gives up on others) */
  onConsumerCrash?: (crash: ConsumerCrash) => void;
  /** how long subscribe() waits out a broker that does not answer (a service started during an outage), ms (default 300000) */
  subscribeWaitMs?: number;
}

/** the first wait between subscribe attempts on a broker that does not answer, doubled up to 5 s */
const SUBSCRIBE_RETRY_MS = 500;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** kafkajs's names for "there is no such topic", at any depth of its error's causes */
function isUnknownTopic(e: unknown): boolean {
  for (let c = e as { type?: unknown; cause?: unknown } | undefined, i = 0; c && i < 5; c = c.cause as typeof c, i++) {
    if (c.type === 'UNKNOWN_TOPIC_OR_PARTITION' || c.type === 'UNKNOWN_TOPIC_ID') return true;
  }
  return false;
}

/**
 * The {@link Bus} over Kafka: values go through the {@link AvroSerde}, publishing waits for
 * all in-sync replicas, and a subscription commits a batch's offsets only after its handler
 * resolved (at-least-once). One consumer per subscription, so each has its own group.
 */
export class KafkaBus implements Bus {
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private crashCount = 0;

  constructor(private readonly opts: KafkaBusOptions) {}

  async publish<V>(topic: string, messages: readonly BusMessage<V>[]): Promise<void> {
    if (messages.length === 0) return;
    const encoded: OutRecord[] = this.opts.serde.packable(topic)
      ? packRuns(messages)
      : await Promise.all(
        messages.map(async (m) => ({ key: m.key, value: await this.opts.serde.encode(topic, m.value), ...(m.partition !== undefined ? { partition: m.partition } : {}) })),
      );
    const producer = await this.connectedProducer();
    // A consumer's fetch can be megabytes, and a produce request must stay under the broker's
    // message.max.bytes (1 MB by default): send in bounded slices, in order.
    let from = 0;
    while (from < encoded.length) {
      let bytes = 0;
      let to = from;
      while (to < encoded.length && (to === from || bytes + sizeOf(encoded[to]) <= MAX_SEND_BYTES)) bytes += sizeOf(encoded[to++]);
      try {
        await producer.send({ topic, acks: -1, messages: encoded.slice(from, to) as Parameters<Producer['send']>[0]['messages'] });
      } catch (e) {
        // kafkajs gave up on its own retries: the broker is away. A fresh producer on the next
        // call, and a retriable error for the caller, who waits the outage out.
        if (this.producer === producer) {
          this.producer = null;
          this.connecting = null;
          void producer.disconnect().catch(() => undefined);
        }
        throw new BusError('broker_unreachable', `could not publish to ${topic}: ${(e as Error).message}`, { cause: e, retriable: true });
      }
      from = to;
    }
  }

  async subscribe<V>(topic: string, options: SubscribeOptions, handler: BatchHandler<V>): Promise<Subscription> {
    const consumer = this.opts.kafka.consumer({
      groupId: options.groupId,
      // a topic made by accident has the broker's defaults, not the table's partitions and policy
      allowAutoTopicCreation: false,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(1_000, Math.floor((this.opts.sessionTimeoutMs ?? 30_000) / 10)),
    });
    const watch: ConsumerWatch = new ConsumerWatch(consumer, topic, options.groupId, (c) => {
      this.crashCount++;
      this.opts.onConsumerCrash?.(c);
    }, (error): number | null => sub.restartLater(error));
    const sub: KafkaSubscription = new KafkaSubscription(consumer, watch, this.opts.joinTimeoutMs ?? 60_000, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    // A broker away at this moment (a service started during an outage, or a broker restarting
    // while the service subscribes) is waited for, as the store is at start-up; a topic that
    // does not exist, or a refusal, is an answer and is not.
    const deadline = Date.now() + (this.opts.subscribeWaitMs ?? 300_000);
    for (let wait = SUBSCRIBE_RETRY_MS; ; wait = Math.min(wait * 2, 5_000)) {
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
        break;
      } catch (e) {
        if (!sub.stopped && !isUnknownTopic(e) && crashIsBrokerSide(e) && Date.now() + wait < deadline) {
          await sleep(wait);
          continue;
        }
        await sub.stop();
        if (isUnknownTopic(e)) {
          throw new BusError('topic_missing', `topic ${topic} does not exist (create the deployment's topics with \`kanshi topics create\`)`, { cause: e });
        }
        throw new BusError('broker_unreachable', `could not subscribe to ${topic}: ${(e as Error).message}`, { cause: e });
      }
    }
    // One handler call per partition at a time: after a broker outage kafkajs restarts the
    // consumer and can deliver a batch again while the first delivery still waits out its
    // writes; the second must not publish or commit past what the first has not written.
    const lanes = new Map<number, Promise<void>>();
    // Kafka commits name the next offset to read. Explicit, because with autoCommit off
    // kafkajs's commitOffsetsIfNecessary() commits nothing.
    const commitPast = (partition: number, last: string) =>
      consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
    // A fetch of nothing but transaction markers or aborted records never reaches eachBatch;
    // committed past anyway, or a transactional producer's last marker would leave a lag of
    // one that never drains (and ingest would never call the partition caught up).
    consumer.on(consumer.events.END_BATCH_PROCESS, (ev) => {
      const { partition, batchSize, lastOffset } = ev.payload;
      if (batchSize !== 0 || lastOffset === undefined || ev.payload.topic !== topic) return;
      options.onReadPast?.(partition, String(lastOffset));
      if (options.commit === false) return;
      const lane = (lanes.get(partition) ?? Promise.resolve()).then(() => commitPast(partition, String(lastOffset)));
      lanes.set(partition, lane.catch(() => undefined));
    });
    if (options.onAssigned) {
      const told = options.onAssigned;
      consumer.on(consumer.events.GROUP_JOIN, (ev) => told([...(ev.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)));
    }
    await sub.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const deliveries: Delivery<V>[] = [];
        // only where the bus packs: a header on a brokerage's raw record must not skip its decoding
        const packable = this.opts.serde.packable(batch.topic);
        for (const m of batch.messages) {
          if (packable && isPacked(m)) unpack<V>(batch.topic, batch.partition, m, deliveries);
          else deliveries.push(await this.toDelivery<V>(batch.topic, batch.partition, m));
        }
        // A handler waiting out an outage downstream keeps its partitions: heartbeats go on.
        const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
        const handled = (lanes.get(batch.partition) ?? Promise.resolve()).then(() => handler(deliveries));
        lanes.set(batch.partition, handled.then(() => undefined, () => undefined));
        let result: void | BatchResult;
        try {
          result = await handled;
        } finally {
          clearInterval(beat);
        }
        if (result?.seekTo !== undefined) {
          // without autoCommit kafkajs only moves its fetch position: nothing is committed
          consumer.seek({ topic: batch.topic, partition: batch.partition, offset: result.seekTo });
          await heartbeat();
          return;
        }
        // the fetch's last offset, which may be a transaction marker after the last record
        const last = batch.lastOffset();
        resolveOffset(last);
        if (last !== batch.messages[batch.messages.length - 1].offset) options.onReadPast?.(batch.partition, last);
        if (options.commit === false) {
          await heartbeat();
          return;
        }
        await commitPast(batch.partition, last);
        await heartbeat();
      },
    });
    return sub;
  }

  /** Each live subscription's consumer, as its events tell it. */
  consumerHealth(): ConsumerHealth[] {
    return [...this.subscriptions].map((s) => s.watch.health());
  }

  /** Consumer crashes since the bus was made, restarted or not. */
  get consumerCrashes(): number {
    return this.crashCount;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    const producer = this.producer;
    this.producer = null;
    this.connecting = null;
    await producer?.disconnect();
  }

  private async toDelivery<V>(topic: string, partition: number, m: KafkaMessage): Promise<Delivery<V>> {
    return {
      topic,
      partition,
      offset: m.offset,
      key: m.key ? m.key.toString('utf8') : null,
      value: (await this.opts.serde.decode(topic, m.value)) as Delivery<V>['value'],
      timestamp: Number(m.timestamp),
    };
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    this.connecting ??= (async () => {
      const p = createProducer(this.opts.kafka, { idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
      await p.connect();
      this.producer = p;
      return p;
    })();
    try {
      return await this.connecting;
    } catch (e) {
      this.connecting = null;
      throw new BusError('broker_unreachable', `could not connect the producer: ${(e as Error).message}`, { cause: e });
    }
  }
}

type RunConfig = Parameters<Consumer['run']>[0];

class KafkaSubscription implements Subscription {
  readonly ready: Promise<void>;
  private stopping: Promise<void> | null = null;
  private runConfig: RunConfig | null = null;
  private readonly backoff = new RestartBackoff();
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly consumer: Consumer,
    readonly watch: ConsumerWatch,
    joinTimeoutMs: number,
    private readonly onStop: () => void,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BusError('broker_unreachable', `consumer did not join its group within ${joinTimeoutMs} ms`)),
        joinTimeoutMs,
      );
      timer.unref();
      consumer.on(consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    // Nobody may await `ready`; an unobserved rejection must not crash the process.
    this.ready.catch(() => undefined);
    consumer.on(consumer.events.FETCH, () => this.backoff.fetched());
  }

  /** stop() was called (by the service, or by close()) */
  get stopped(): boolean {
    return this.stopping !== null;
  }

  run(config: RunConfig): Promise<void> {
    this.runConfig = config;
    return this.consumer.run(config);
  }

  /**
   * kafkajs will not restart the consumer after `error`: start it again later when the error is
   * the broker's (crashIsBrokerSide) and the restarts in a row are under the limit. Returns the
   * wait in ms, or null when the crash stands.
   */
  restartLater(error: Error): number | null {
    if (this.stopped || !this.runConfig || this.restartTimer || !crashIsBrokerSide(error)) return null;
    const ms = this.backoff.next();
    if (ms === null) return null;
    const config = this.runConfig;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      // a join that fails again is another crash event, and comes back here
      this.consumer.run(config).catch(() => undefined);
    }, ms);
    this.restartTimer.unref();
    return ms;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.restartTimer) clearTimeout(this.restartTimer);
      this.restartTimer = null;
      this.watch.stopping();
      this.onStop();
      // disconnect() waits for the running eachBatch, whose commit therefore lands first.
      await this.consumer.disconnect();
    })();
    return this.stopping;
  }
}
