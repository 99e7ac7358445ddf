import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BusError } from './errors.js';
import { isRetriable, retryBriefly, untilDone } from './retry.js';

const quiet = { warn: () => undefined };
const noWait = async () => undefined;

test('an outage is waited out: retriable failures are retried with growing waits until the step succeeds', async () => {
  const waits: number[] = [];
  let calls = 0;
  const r = await untilDone('write', async () => {
    if (++calls < 6) throw new BusError('broker_unreachable', 'down');
    return 'done';
  }, { log: quiet, initialDelayMs: 100, maxDelayMs: 800, sleep: async (ms) => void waits.push(ms) });
  assert.equal(r, 'done');
  assert.deepEqual(waits, [100, 200, 400, 800, 800]);
});

test('a failure retrying cannot cure is thrown at once, and so is any once the service stops', async () => {
  let calls = 0;
  await assert.rejects(untilDone('write', async () => {
    calls++;
    throw new Error('a bug');
  }, { log: quiet, sleep: noWait }), /a bug/);
  assert.equal(calls, 1);
  let stopping = false;
  await assert.rejects(untilDone('write', async () => {
    stopping = true;
    throw Object.assign(new Error('ClickHouse away'), { retriable: true });
  }, { log: quiet, sleep: noWait, abandon: () => stopping }), /ClickHouse away/);
});

test('kafkajs connection failures count as retriable; a bad config does not', () => {
  assert.ok(isRetriable(Object.assign(new Error('x'), { name: 'KafkaJSNumberOfRetriesExceeded' })));
  assert.ok(isRetriable(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' })));
  assert.ok(!isRetriable(new BusError('invalid_config', 'x')));
  assert.ok(!isRetriable('a string'));
});

test('a briefly unavailable answer is asked again a bounded number of times, and only when retrying can help', async () => {
  const waits: number[] = [];
  let calls = 0;
  const notCoordinator = () => Object.assign(new Error('This is not the correct coordinator for this group'), { retriable: true });
  const r = await retryBriefly(async () => {
    if (++calls < 3) throw notCoordinator();
    return 'offsets';
  }, { initialDelayMs: 100, sleep: async (ms) => void waits.push(ms) });
  assert.equal(r, 'offsets');
  assert.deepEqual(waits, [100, 200]);
  calls = 0;
  await assert.rejects(retryBriefly(async () => {
    calls++;
    throw notCoordinator();
  }, { attempts: 4, sleep: noWait }), /not the correct coordinator/);
  assert.equal(calls, 4, 'gives up after its attempts');
  calls = 0;
  await assert.rejects(retryBriefly(async () => {
    calls++;
    throw new Error('a bug');
  }, { sleep: noWait }), /a bug/);
  assert.equal(calls, 1, 'a failure retrying cannot cure is thrown at once');
});
