/**
 * A consumer kafkajs gives up on after a broker restart runs again; one it gives up on for a
 * fault restarting cannot cure stays crashed (and the watchdog exits for the supervisor).
 * kafkajs's own error classes, a stand-in consumer that records each run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import kafkajs, { type Kafka } from 'kafkajs';
import { BUS_RESTART_FIRST_MS, BUS_RESTART_LIMIT, crashIsBrokerSide, RestartBackoff } from './consumer-restart.js';
import type { ConsumerCrash } from './consumer-health.js';
import { KafkaBus } from './kafka-bus.js';
import type { AvroSerde } from './serde.js';

const { KafkaJSNonRetriableError, KafkaJSGroupCoordinatorNotFound, KafkaJSNotImplemented, KafkaJSProtocolError, KafkaJSConnectionError } = kafkajs;
// as kafkajs's retrier wraps a failure it calls final: the outer error names nothing, the cause does
const Final = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
const final = (e: Error) => new Final(e, { cause: e });
// (its typings take no message; kafkajs's cluster passes this one)
const Coordinator = KafkaJSGroupCoordinatorNotFound as unknown as new (m: string) => Error;
const noCoordinator = () => final(new Coordinator('Failed to find group coordinator'));
const noCodec = () => new KafkaJSNonRetriableError('ZSTD compression not implemented');

test('a broker that has not found the group coordinator yet is the broker\'s side; a missing codec or topic, a handler\'s own error are not', () => {
  assert.equal(crashIsBrokerSide(noCoordinator()), true);
  assert.equal(crashIsBrokerSide(final(new KafkaJSConnectionError('connect ECONNREFUSED'))), true);
  assert.equal(crashIsBrokerSide(noCodec()), false);
  assert.equal(crashIsBrokerSide(new (KafkaJSNotImplemented as unknown as new (m: string) => Error)('LZ4 compression not implemented')), false);
  const gone = new KafkaJSProtocolError('This server does not host this topic-partition');
  Object.assign(gone, { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  assert.equal(crashIsBrokerSide(final(gone)), false);
  assert.equal(crashIsBrokerSide(new TypeError('x is undefined')), false);
});

test('the waits double, stop at the limit, and a fetch answered starts them over', () => {
  const b = new RestartBackoff();
  const waits: (number | null)[] = [];
  for (let i = 0; i <= BUS_RESTART_LIMIT; i++) waits.push(b.next());
  assert.deepEqual(waits, [...Array.from({ length: BUS_RESTART_LIMIT }, (_, i) => BUS_RESTART_FIRST_MS * 2 ** i), null]);
  b.fetched();
  assert.equal(b.next(), BUS_RESTART_FIRST_MS);
});

const EVENTS = { GROUP_JOIN: 'join', FETCH: 'fetch', START_BATCH_PROCESS: 'start', END_BATCH_PROCESS: 'end', STOP: 'stop', CRASH: 'crash' };

/**
 * A consumer that joins at once on each run and crashes when told to, as kafkajs's
 * instrumentation says it; its first `refusals` connects fail with `refusal`.
 */
function standIn(refusals = 0, refusal: () => Error = () => final(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092'))) {
  const em = new EventEmitter();
  const c = {
    events: EVENTS,
    runs: 0,
    connects: 0,
    on: (name: string, f: (ev: unknown) => void) => em.on(name, f),
    connect: async () => {
      if (c.connects++ < refusals) throw refusal();
    },
    subscribe: async () => undefined,
    disconnect: async () => undefined,
    run: async () => {
      c.runs++;
      em.emit(EVENTS.GROUP_JOIN, { payload: { memberAssignment: {} } });
    },
    /** kafkajs's onCrash: it stops the consumer, then says whether it restarts it */
    crash: (error: Error, restart: boolean) => {
      em.emit(EVENTS.STOP, {});
      em.emit(EVENTS.CRASH, { payload: { error, groupId: 'g', restart } });
    },
  };
  return c;
}

function busOver(c: ReturnType<typeof standIn>, crashes: ConsumerCrash[] = [], subscribeWaitMs?: number) {
  return new KafkaBus({
    kafka: { consumer: () => c } as unknown as Kafka,
    serde: { packable: () => false } as unknown as AvroSerde,
    onConsumerCrash: (x) => crashes.push(x),
    ...(subscribeWaitMs !== undefined ? { subscribeWaitMs } : {}),
  });
}

async function subscribed() {
  const c = standIn();
  const crashes: ConsumerCrash[] = [];
  const bus = busOver(c, crashes);
  const sub = await bus.subscribe('t', { groupId: 'g' }, async () => undefined);
  return { c, bus, sub, crashes };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kafkajs gives up on a consumer that found no group coordinator after a broker restart: the bus runs it again and it is healthy', async () => {
  const { c, bus, crashes } = await subscribed();
  assert.equal(c.runs, 1);
  c.crash(noCoordinator(), false);
  assert.equal(crashes[0].restart, true, 'told as a crash that will run again');
  assert.equal(crashes[0].busRestartMs, BUS_RESTART_FIRST_MS);
  assert.equal(bus.consumerHealth()[0].state, 'crashed');
  assert.equal(bus.consumerHealth()[0].restarting, true);
  await sleep(BUS_RESTART_FIRST_MS + 200);
  assert.equal(c.runs, 2, 'run again');
  assert.equal(bus.consumerHealth()[0].state, 'running');
  await bus.close();
});

test('a crash restarting cannot cure stays a crash; a crash during a stop the service asked for is not restarted', async () => {
  const a = await subscribed();
  a.c.crash(noCodec(), false);
  assert.equal(a.crashes[0].restart, false);
  assert.equal(a.crashes[0].busRestartMs, undefined);
  const b = await subscribed();
  const closing = b.bus.close();
  b.c.crash(noCoordinator(), false);
  await closing;
  assert.equal(b.crashes[0].restart, false);
  await sleep(BUS_RESTART_FIRST_MS + 200);
  assert.equal(a.c.runs, 1);
  assert.equal(b.c.runs, 1);
  assert.equal(a.bus.consumerHealth()[0].state, 'crashed');
  await a.bus.close();
});

test('a crash kafkajs restarts itself is left to kafkajs', async () => {
  const { c, bus, crashes } = await subscribed();
  c.crash(new kafkajs.KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('connect ECONNREFUSED'), { retryCount: 5, retryTime: 1000 }), true);
  assert.equal(crashes[0].restart, true);
  assert.equal(crashes[0].busRestartMs, undefined);
  await sleep(BUS_RESTART_FIRST_MS + 200);
  assert.equal(c.runs, 1, 'the bus did not run it a second time');
  await bus.close();
});

test('a service that subscribes while the broker is away waits for it, then runs; a missing topic is an answer at once', async () => {
  const c = standIn(2);
  const bus = busOver(c);
  await bus.subscribe('t', { groupId: 'g' }, async () => undefined);
  assert.equal(c.connects, 3, 'two refusals waited out');
  assert.equal(c.runs, 1);
  assert.equal(bus.consumerHealth()[0].state, 'running');
  await bus.close();

  const gone = new KafkaJSProtocolError('This server does not host this topic-partition');
  Object.assign(gone, { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  const m = standIn(5, () => gone);
  await assert.rejects(busOver(m).subscribe('t', { groupId: 'g' }, async () => undefined), (e: Error & { code?: string }) => e.code === 'topic_missing' && /kanshi topics create/.test(e.message));
  assert.equal(m.connects, 1, 'not retried');
});

test('a broker that stays away past the wait: subscribe fails with the cause, and nothing is left subscribed', async () => {
  const c = standIn(100);
  const bus = busOver(c, [], 1_200);
  await assert.rejects(bus.subscribe('t', { groupId: 'g' }, async () => undefined), (e: Error & { code?: string }) => e.code === 'broker_unreachable' && /ECONNREFUSED/.test(e.message));
  assert.ok(c.connects >= 2 && c.connects <= 4, `tried ${c.connects} times in 1.2 s`);
  assert.deepEqual(bus.consumerHealth(), []);
});
