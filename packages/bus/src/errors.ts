/** Why a bus operation failed; callers branch on `code` and `retriable`, never on message text. */
export const busErrorCodes = [
  /** an option is missing or malformed; fix the configuration, retrying will not help */
  'invalid_config',
  /** the topic is not in the table the serde or bus was built with (a programming error) */
  'unknown_topic',
  /** a topic the deployment needs does not exist on the cluster (`kanshi topics create` makes them) */
  'topic_missing',
  /** an existing topic's partitions or cleanup policy differ from the topic table */
  'topic_mismatch',
  /** Kafka did not answer in time */
  'broker_unreachable',
  /** the schema registry did not answer, or answered with a server error */
  'registry_unreachable',
  /** the registry refused or does not hold a contract schema the serde needs */
  'schema_unavailable',
  /** a value could not be encoded with its topic's schema (the producer's bug, not bad input) */
  'encode_failed',
] as const;
export type BusErrorCode = (typeof busErrorCodes)[number];

/** A failed bus operation: `code` says what went wrong, `retriable` whether trying again can help. */
export class BusError extends Error {
  override readonly name = 'BusError';
  readonly code: BusErrorCode;
  readonly retriable: boolean;

  constructor(code: BusErrorCode, message: string, opts: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retriable = opts.retriable ?? (code === 'broker_unreachable' || code === 'registry_unreachable');
  }
}
