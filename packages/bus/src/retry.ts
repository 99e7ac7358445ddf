/**
 * Outages are waited out where the work is: a service that has decided what a batch means
 * retries only the writing of it, so a decision is never taken twice (an ingest deduper or an
 * alert desk would take a re-run for a duplicate and drop it).
 */

/** True for failures that trying again can cure: a broker, registry or database not answering. */
export function isRetriable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { retriable?: unknown; name?: unknown };
  if (err.retriable === true) return true;
  if (typeof err.name === 'string' && /^KafkaJS(NumberOfRetriesExceeded|ConnectionError|ConnectionClosedError|RequestTimeoutError|BrokerNotFound|LockTimeout|Timeout)$/.test(err.name)) return true;
  return false;
}

export interface RetryLog {
  warn(obj: object, msg?: string): void;
}

export interface RetryOptions {
  log: RetryLog;
  /** first wait, doubled up to `maxDelayMs` */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** gives up (rethrows the last error) once this returns true, e.g. when the service stops */
  abandon?: () => boolean;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `step` until it succeeds. Retriable failures are logged (the first, then every tenth) and
 * retried with capped exponential back-off, for as long as the outage lasts: the consumer
 * upstream stops reading meanwhile, so the broker's log is the buffer. Other failures are thrown.
 */
export async function untilDone<T>(what: string, step: () => Promise<T>, o: RetryOptions): Promise<T> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let delay = o.initialDelayMs ?? 250;
  const since = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await step();
      if (attempt > 1) o.log.warn({ what, attempts: attempt, outageMs: Date.now() - since }, 'recovered');
      return r;
    } catch (e) {
      if (!isRetriable(e) || o.abandon?.()) throw e;
      if (attempt === 1 || attempt % 10 === 0) o.log.warn({ what, attempt, err: (e as Error).message }, 'not reachable; retrying');
      await sleep(delay);
      delay = Math.min(delay * 2, o.maxDelayMs ?? 5_000);
    }
  }
}

/**
 * Runs `step`, retrying a retriable failure at most `attempts` times in all (waits doubling from
 * `initialDelayMs`), then throws it: for questions whose answer is briefly unavailable, such as a
 * group's offsets while its coordinator moves or loads after a broker restart, which kafkajs'
 * admin client reports instead of retrying. Not for waiting out an outage: see `untilDone`.
 */
export async function retryBriefly<T>(step: () => Promise<T>, o: { attempts?: number; initialDelayMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<T> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = o.attempts ?? 6;
  let delay = o.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (e) {
      if (!isRetriable(e) || attempt >= attempts) throw e;
      await sleep(delay);
      delay *= 2;
    }
  }
}
