/**
 * @kanshi/bus: how Kanshi services move records. The topic table, a validated kafkajs
 * factory, the registry-backed Avro serde, and one small Bus interface with a Kafka and an
 * in-memory implementation.
 */
export { BusError, busErrorCodes, type BusErrorCode } from './errors.js';
export {
  TOPIC,
  TOPICS,
  INPUT_TOPIC,
  topicSpec,
  topicNames,
  topicTable,
  ensureTopics,
  checkTopics,
  type TopicsCheckReport,
  type TopicNames,
  type TopicName,
  type TopicSpec,
  type TopicAdmin,
  type EnsureTopicsOptions,
  type EnsureTopicsReport,
} from './topics.js';
export {
  createKafka,
  createProducer,
  parseBrokerList,
  validateKafkaConfig,
  KAFKA_LOG_LEVELS,
  type KafkaClientConfig,
  type KafkaLogLevel,
} from './kafka.js';
export { registerCompressionCodecs, snappyDecompress } from './codecs.js';
export {
  KAFKA_SASL_MECHANISMS,
  KAFKA_SECURITY_PROTOCOLS,
  kafkajsSecurity,
  validateKafkaSecurity,
  type KafkaSaslMechanism,
  type KafkaSecurity,
  type KafkaSecurityProtocol,
  type KafkaTls,
} from './kafka-security.js';
export { AvroSerde, fromAvro, type AvroSerdeOptions, type SerdeTopic } from './serde.js';
export {
  deadLetterOf,
  deliverySource,
  type Bus,
  type DeadLetter,
  type BusMessage,
  type Delivery,
  type BatchHandler,
  type BatchResult,
  type SubscribeOptions,
  type Subscription,
} from './bus.js';
export { InMemoryBus, type InMemoryBusOptions } from './memory-bus.js';
export { KafkaBus, type KafkaBusOptions } from './kafka-bus.js';
export { consumerProblem, type ConsumerHealth, type ConsumerCrash, type ConsumerState } from './consumer-health.js';
export type { EventsMessage } from './internal.js';
export { untilDone, isRetriable, type RetryOptions, type RetryLog } from './retry.js';
export { kafkaAdminHelpers, requireTopics, type EndOffsets } from './kafka-admin.js';
