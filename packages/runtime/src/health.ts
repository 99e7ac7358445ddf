/**
 * Whether a running service is doing its work, for `/readyz` and for its supervisor. Ready means
 * every consumer has joined, has not crashed since and still fetches, and nothing unexpected
 * was thrown; otherwise the reasons say what is wrong. A service that stays unready for
 * `exitAfterMs` exits 1, so systemd, Kubernetes or compose restarts it instead of leaving it
 * up, quiet and stalled (nothing is lost: offsets move only after the writes).
 */
import { consumerProblem, type ConsumerCrash, type ConsumerHealth } from '@kanshi/bus';

export interface HealthLog {
  error(obj: object, msg?: string): void;
}

export interface ServiceHealthOptions {
  log: HealthLog;
  /** a consumer that has not fetched (or joined) for this long is stalled */
  stallMs: number;
  /** unready for this long (not counting a requested stop): exit 1 */
  exitAfterMs: number;
  exit?: (code: number) => void;
  clock?: () => number;
}

export interface Readiness {
  ok: boolean;
  detail: { reasons: string[]; consumers: number; pid: number };
}

export class ServiceHealth {
  private consumers: () => ConsumerHealth[] = () => [];
  private readonly faults: string[] = [];
  private unreadySince: number | null = null;
  private stopping = false;
  private readonly said = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly clock: () => number;
  private readonly startedAt: number;

  constructor(private readonly o: ServiceHealthOptions) {
    this.clock = o.clock ?? Date.now;
    this.startedAt = this.clock();
  }

  /** Where the consumers' states come from (the service's bus), once it is built. */
  watchConsumers(source: () => ConsumerHealth[]): void {
    this.consumers = source;
  }

  /** A consumer crash, logged as an error with its cause: kafkajs itself says little. */
  consumerCrashed(c: ConsumerCrash): void {
    const cause = (c.error as { cause?: { message?: string } }).cause?.message;
    this.o.log.error({ topic: c.topic, groupId: c.groupId, err: { name: c.error.name, message: c.error.message, ...(cause ? { cause } : {}) }, restarting: c.restart,
      ...(c.busRestartMs !== undefined ? { restartInMs: c.busRestartMs } : {}) },
      !c.restart ? 'consumer crashed and will not restart'
        : c.busRestartMs !== undefined ? 'consumer crashed and kafkajs gave up on it; the bus starts it again' : 'consumer crashed; kafkajs restarts it');
  }

  /** Something no code path expected (an unhandled rejection): unready from now on, until restarted. */
  fault(reason: string): void {
    if (this.faults.length < 10) this.faults.push(reason);
  }

  /** A stop was asked for: unready, and no exit for being unready. */
  stop(): void {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
  }

  readiness(): Readiness {
    const now = this.clock();
    const reasons = this.stopping ? ['stopping'] : [
      ...this.faults,
      ...this.consumers().map((c) => consumerProblem(c, now, this.o.stallMs, this.startedAt)).filter((r): r is string => r !== null),
    ];
    return { ok: reasons.length === 0, detail: { reasons, consumers: this.consumers().length, pid: process.pid } };
  }

  /** Checks readiness every second: logs each new reason once, exits 1 after exitAfterMs unready. */
  startWatchdog(intervalMs = 1_000): void {
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  /** One watchdog round (tests call it with their own clock). */
  check(): void {
    if (this.stopping) return;
    const r = this.readiness();
    const now = this.clock();
    if (r.ok) {
      this.unreadySince = null;
      this.said.clear();
      return;
    }
    this.unreadySince ??= now;
    for (const reason of r.detail.reasons) {
      // stall reasons carry a growing duration: one line per kind of reason, not per second
      const key = reason.replace(/\d+ ms/g, '');
      if (!this.said.has(key)) {
        this.said.add(key);
        this.o.log.error({ reason }, 'not ready');
      }
    }
    if (now - this.unreadySince >= this.o.exitAfterMs) {
      this.o.log.error({ reasons: r.detail.reasons, unreadyMs: now - this.unreadySince },
        'not ready for too long; exiting 1 so that a supervisor restarts the service');
      this.stop();
      (this.o.exit ?? ((code: number) => process.exit(code)))(1);
    }
  }

  /**
   * An unhandled rejection is logged with its stack and makes the service unready (then the
   * watchdog restarts it); an uncaught exception leaves the process in an unknown state, so it
   * is logged and the process exits 1 at once.
   */
  installProcessHandlers(): void {
    process.on('unhandledRejection', (reason) => {
      const e = reason instanceof Error ? reason : new Error(String(reason));
      this.o.log.error({ err: { name: e.name, message: e.message, stack: e.stack } }, 'unhandled promise rejection');
      this.fault(`unhandled rejection: ${e.name}: ${e.message}`.slice(0, 300));
    });
    process.on('uncaughtException', (e) => {
      this.o.log.error({ err: { name: e.name, message: e.message, stack: e.stack } }, 'uncaught exception; exiting 1');
      (this.o.exit ?? ((code: number) => process.exit(code)))(1);
    });
  }
}
