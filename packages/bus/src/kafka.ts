import kafkajs from 'kafkajs';
import type { Kafka, Producer, ProducerConfig } from 'kafkajs';
import { BusError } from './errors.js';
import { registerCompressionCodecs } from './codecs.js';
import { kafkajsSecurity, validateKafkaSecurity, type KafkaSecurity } from './kafka-security.js';

/** kafkajs log levels by name, as configuration spells them. */
export const KAFKA_LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;
export type KafkaLogLevel = (typeof KAFKA_LOG_LEVELS)[number];

/** What a service needs to reach Kafka. Validated by {@link createKafka}. */
export interface KafkaClientConfig {
  /** `host:port` bootstrap servers, e.g. `['127.0.0.1:9092']` */
  brokers: string[];
  /** shows up in broker logs and quotas; name the service, e.g. `kanshi-detector` */
  clientId: string;
  /** kafkajs's own logging; default `warn` */
  logLevel?: KafkaLogLevel;
  /** TCP connect timeout per broker, milliseconds; default 3000 */
  connectionTimeoutMs?: number;
  /** how long one request may wait for its response, milliseconds; default 30000 */
  requestTimeoutMs?: number;
  /** retries of a failed request before the error reaches the caller; default 5 */
  retries?: number;
  /** TLS and SASL; default PLAINTEXT */
  security?: KafkaSecurity;
}

const CLIENT_ID = /^[A-Za-z0-9._-]{1,249}$/;

/** Splits a comma-separated broker list (the `KAFKA_BROKERS` form) into `host:port` entries. */
export function parseBrokerList(list: string): string[] {
  return list
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new BusError('invalid_config', `${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

/** The config with defaults applied; throws `BusError('invalid_config')` naming the bad option. */
export function validateKafkaConfig(config: KafkaClientConfig): Required<KafkaClientConfig> {
  if (!Array.isArray(config.brokers) || config.brokers.length === 0) {
    throw new BusError('invalid_config', 'brokers must list at least one host:port (e.g. KAFKA_BROKERS=127.0.0.1:9092)');
  }
  for (const broker of config.brokers) {
    const m = /^([^:\s/]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(broker);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new BusError('invalid_config', `brokers: ${JSON.stringify(broker)} is not host:port`);
    }
  }
  if (typeof config.clientId !== 'string' || !CLIENT_ID.test(config.clientId)) {
    throw new BusError('invalid_config', `clientId must be 1-249 of [A-Za-z0-9._-], got ${JSON.stringify(config.clientId)}`);
  }
  const logLevel = config.logLevel ?? 'warn';
  if (!KAFKA_LOG_LEVELS.includes(logLevel)) {
    throw new BusError('invalid_config', `logLevel must be one of ${KAFKA_LOG_LEVELS.join('|')}, got ${JSON.stringify(logLevel)}`);
  }
  return {
    brokers: [...config.brokers],
    clientId: config.clientId,
    logLevel,
    connectionTimeoutMs: positiveInt('connectionTimeoutMs', config.connectionTimeoutMs, 3_000),
    requestTimeoutMs: positiveInt('requestTimeoutMs', config.requestTimeoutMs, 30_000),
    retries: positiveInt('retries', config.retries, 5),
    security: validateKafkaSecurity(config.security),
  };
}

const LEVELS: Record<KafkaLogLevel, number> = {
  nothing: kafkajs.logLevel.NOTHING,
  error: kafkajs.logLevel.ERROR,
  warn: kafkajs.logLevel.WARN,
  info: kafkajs.logLevel.INFO,
  debug: kafkajs.logLevel.DEBUG,
};

/** A kafkajs client for the validated config. Cheap; connections open on first use. */
export function createKafka(config: KafkaClientConfig): Kafka {
  const c = validateKafkaConfig(config);
  // snappy, lz4 and zstd batches from other producers are read like gzip ones
  registerCompressionCodecs();
  return new kafkajs.Kafka({
    clientId: c.clientId,
    brokers: c.brokers,
    logLevel: LEVELS[c.logLevel],
    connectionTimeout: c.connectionTimeoutMs,
    requestTimeout: c.requestTimeoutMs,
    retry: { retries: c.retries },
    ...kafkajsSecurity(c.security),
  });
}

/**
 * A producer that partitions like the Java client (murmur2 of the key), so events a
 * brokerage's own Java exporter wrote for an account and events Kanshi writes for it land on
 * the same partition number. Stating it also silences kafkajs's v2 partitioner warning.
 */
export function createProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner, ...config });
}
