/**
 * What a kafkajs consumer is really doing, from its instrumentation events: joined, fetching,
 * inside a batch, crashed (and whether kafkajs restarts it), stopped. kafkajs crashes a consumer
 * on a batch it cannot decompress, a topic that went away or a broker that stopped answering,
 * and then restarts it, or not, without telling the application: a service must ask here
 * before it calls itself ready.
 */
import type { Consumer } from 'kafkajs';

export type ConsumerState = 'joining' | 'running' | 'crashed' | 'stopped';

export interface ConsumerHealth {
  topic: string;
  groupId: string;
  state: ConsumerState;
  /** why it is not running: the crash's error, or who stopped it */
  reason: string | null;
  /** kafkajs will start it again by itself (a retriable crash) */
  restarting: boolean;
  crashes: number;
  /** epoch ms of the last fetch answered (an idle consumer still fetches every few seconds) */
  lastFetchAt: number | null;
  /** epoch ms when the batch in hand began; null when none is */
  inBatchSince: number | null;
}

/** A consumer crash as reported to the bus's owner, for its log and its metrics. */
export interface ConsumerCrash {
  topic: string;
  groupId: string;
  error: Error;
  /** it will run again: kafkajs restarts it, or the bus does (see busRestartMs) */
  restart: boolean;
  /** kafkajs gave up on it and the bus starts it again after this many ms */
  busRestartMs?: number;
}

/** Follows one consumer's events; `health(now, stallMs)` says whether it can be called healthy. */
export class ConsumerWatch {
  private state: ConsumerState = 'joining';
  private reason: string | null = null;
  private restarting = false;
  private crashes = 0;
  private lastFetchAt: number | null = null;
  private inBatchSince: number | null = null;
  private stopRequested = false;

  constructor(
    consumer: Consumer,
    readonly topic: string,
    readonly groupId: string,
    onCrash: (c: ConsumerCrash) => void,
    /** asked when kafkajs will not restart a crash: ms until the bus does, or null (it stays crashed) */
    busRestart: (error: Error) => number | null = () => null,
    private readonly clock: () => number = Date.now,
  ) {
    const e = consumer.events;
    consumer.on(e.GROUP_JOIN, () => { this.state = 'running'; this.reason = null; this.restarting = false; });
    consumer.on(e.FETCH, () => { this.lastFetchAt = this.clock(); });
    consumer.on(e.START_BATCH_PROCESS, () => { this.inBatchSince = this.clock(); });
    consumer.on(e.END_BATCH_PROCESS, () => { this.inBatchSince = null; this.lastFetchAt = this.clock(); });
    consumer.on(e.CRASH, (ev) => {
      const error = ev.payload.error;
      this.state = 'crashed';
      this.crashes++;
      this.inBatchSince = null;
      const busRestartMs = ev.payload.restart || this.stopRequested ? null : busRestart(error);
      this.restarting = ev.payload.restart || busRestartMs !== null;
      this.reason = `${error.name}: ${error.message}`;
      onCrash({ topic, groupId, error, restart: this.restarting, ...(busRestartMs !== null ? { busRestartMs } : {}) });
    });
    consumer.on(e.STOP, () => {
      if (this.stopRequested) return;
      // kafkajs stops a consumer it will not restart after a crash; keep the crash's reason
      if (this.state !== 'crashed') { this.state = 'stopped'; this.reason = 'the consumer stopped'; }
    });
  }

  /** A stop the service asked for is not a fault. */
  stopping(): void {
    this.stopRequested = true;
    this.state = 'stopped';
    this.reason = 'stopped by the service';
  }

  health(): ConsumerHealth {
    return {
      topic: this.topic, groupId: this.groupId, state: this.state, reason: this.reason, restarting: this.restarting,
      crashes: this.crashes, lastFetchAt: this.lastFetchAt, inBatchSince: this.inBatchSince,
    };
  }
}

/**
 * Why a consumer is not healthy, or null. A consumer is healthy when it has joined, has not
 * crashed since, and has fetched within `stallMs` (a batch in hand counts as fetching: a
 * handler waiting out a database outage is working, its own retries say so). `startedAt` bounds
 * the first join the same way.
 */
export function consumerProblem(h: ConsumerHealth, now: number, stallMs: number, startedAt: number): string | null {
  const what = `consumer of ${h.topic} (group ${h.groupId})`;
  if (h.state === 'crashed') return `${what} crashed${h.restarting ? ', restarting' : ' and will not restart'}: ${h.reason}`;
  if (h.state === 'stopped') return `${what}: ${h.reason}`;
  if (h.state === 'joining') return now - startedAt > stallMs ? `${what} has not joined its group after ${now - startedAt} ms` : null;
  if (h.inBatchSince !== null) return null;
  const since = h.lastFetchAt ?? startedAt;
  return now - since > stallMs ? `${what} has not fetched for ${now - since} ms` : null;
}
