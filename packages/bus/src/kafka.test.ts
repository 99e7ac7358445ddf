import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, parseBrokerList, validateKafkaConfig } from './kafka.js';
import { BusError } from './errors.js';

const invalid = (pattern: RegExp) => (e: unknown) => e instanceof BusError && e.code === 'invalid_config' && pattern.test(e.message);

test('broker lists in KAFKA_BROKERS form are split and trimmed', () => {
  assert.deepEqual(parseBrokerList(' 127.0.0.1:9092, kafka-2:9092 ,,'), ['127.0.0.1:9092', 'kafka-2:9092']);
});

test('defaults are applied to a valid config', () => {
  const c = validateKafkaConfig({ brokers: ['127.0.0.1:9092'], clientId: 'kanshi-detector' });
  assert.equal(c.logLevel, 'warn');
  assert.equal(c.connectionTimeoutMs, 3000);
  assert.equal(c.retries, 5);
  assert.ok(createKafka(c));
});

test('invalid options are refused at start-up, naming the option', () => {
  assert.throws(() => validateKafkaConfig({ brokers: [], clientId: 'x' }), invalid(/^brokers/));
  assert.throws(() => validateKafkaConfig({ brokers: ['127.0.0.1'], clientId: 'x' }), invalid(/not host:port/));
  assert.throws(() => validateKafkaConfig({ brokers: ['h:99999'], clientId: 'x' }), invalid(/not host:port/));
  assert.throws(() => validateKafkaConfig({ brokers: ['h:1'], clientId: 'has space' }), invalid(/^clientId/));
  assert.throws(() => validateKafkaConfig({ brokers: ['h:1'], clientId: 'x', logLevel: 'loud' as never }), invalid(/^logLevel/));
  assert.throws(() => validateKafkaConfig({ brokers: ['h:1'], clientId: 'x', retries: -1 }), invalid(/^retries/));
});
