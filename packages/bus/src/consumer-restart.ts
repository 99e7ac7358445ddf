/**
 * When kafkajs gives up on a consumer, the bus may start it again. kafkajs restarts a crashed
 * consumer only when the deepest cause of the crash is retriable, and right after a broker
 * restart a join can end in one it calls final: "Failed to find group coordinator"
 * (KafkaJSGroupCoordinatorNotFound) when no broker answered the lookup yet, seen on a local
 * broker outage where ingest's consumer of one topic stopped for good. Left stopped, the service turns unready and exits for a supervisor that an
 * embedded or hand-started service does not have. A fault that restarting cannot cure (a codec
 * this build lacks, a topic that is gone, a handler's own error) stays a crash, and the
 * watchdog's exit is its remedy.
 */
import { isRetriable } from './retry.js';

/** First wait before the bus starts a consumer again, doubled per restart without a fetch between. */
export const BUS_RESTART_FIRST_MS = 1_000;
/** Restarts in a row without a fetch answered in between; after that the crash stands. */
export const BUS_RESTART_LIMIT = 6;

interface ErrorLink {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

function chain(e: unknown): ErrorLink[] {
  const out: ErrorLink[] = [];
  for (let c = e as ErrorLink | undefined; c && typeof c === 'object' && out.length < 6; c = c.cause as ErrorLink | undefined) out.push(c);
  return out;
}

/** kafkajs's errors that mean the cluster did not answer as it should (yet), whatever they call retriable */
const BROKER_SIDE = new Set(['KafkaJSGroupCoordinatorNotFound', 'KafkaJSProtocolError', 'KafkaJSNoBrokerAvailableError']);

/** The crash says the broker or the network failed, not the data, the build or the topic. */
export function crashIsBrokerSide(e: unknown): boolean {
  const links = chain(e);
  if (links.some((c) => c.name === 'KafkaJSNotImplemented' || c.type === 'UNKNOWN_TOPIC_OR_PARTITION' || c.type === 'UNKNOWN_TOPIC_ID')) return false;
  return links.some((c) => isRetriable(c) || (typeof c.name === 'string' && BROKER_SIDE.has(c.name)));
}

/** Waits between the bus's restarts of one consumer: doubling, reset by a fetch answered. */
export class RestartBackoff {
  private inARow = 0;

  /** ms to wait before the next restart, or null once the limit is reached */
  next(): number | null {
    if (this.inARow >= BUS_RESTART_LIMIT) return null;
    return BUS_RESTART_FIRST_MS * 2 ** this.inARow++;
  }

  fetched(): void {
    this.inARow = 0;
  }
}
