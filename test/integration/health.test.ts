/**
 * Health that tells the truth: a batch in a codec the service cannot read, a topic deleted
 * under a running service, a broker that never answers and a deployment whose topics were never
 * made each leave the service unready with the reason (or refused at start in one line), and a
 * service that stays unready exits 1 for its supervisor. Never "healthy" and stalled.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { AvroSerde, KafkaBus, TOPICS, createKafka, ensureTopics, topicNames, topicTable } from '@kanshi/bus';
import { startIngest } from '@kanshi/ingest';
import { ServiceHealth, startOpsServer } from '@kanshi/runtime';
import { integrationEndpoints, removeTestNamespace, uniqueName, withTimeout, type IntegrationEndpoints } from './harness.js';
import { REPO, silent, until } from './pipeline-harness.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

async function namespace(ep: IntegrationEndpoints, name: string) {
  const prefix = `${uniqueName(name)}.`;
  closers.push(() => removeTestNamespace(ep, { topicPrefix: prefix, database: prefix.slice(0, -1) }));
  const kafka = createKafka({ brokers: ep.kafkaBrokers, clientId: `kanshi-it-${name}`, logLevel: 'nothing' });
  const admin = kafka.admin();
  await withTimeout(admin.connect(), 30_000, 'Kafka admin');
  await ensureTopics(admin, { topics: topicTable(prefix) });
  return { prefix, kafka, admin, topics: topicNames(prefix) };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function readyz(port: number): Promise<{ status: number; body: { ok: boolean; reasons?: string[] } } | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
    return { status: r.status, body: await r.json() as { ok: boolean; reasons?: string[] } };
  } catch {
    return null;
  }
}

/** `kanshi <cmd>` as its own process; its output (pino JSON lines and stderr) collected. */
function kanshi(cmd: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/kanshi.js'), ...cmd], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (b) => { out += b; });
  child.stderr!.on('data', (b) => { out += b; });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  closers.push(async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  return { child, output: () => out, exit };
}

test('a batch in a codec the service cannot read: unready with the reason, the crash counted and logged, then exit 1', async () => {
  const ep = await integrationEndpoints();
  const ns = await namespace(ep, 'health_codec');
  closers.push(() => ns.admin.disconnect());
  // written while the codec is there, as a brokerage's producer would
  const producer = ns.kafka.producer();
  await producer.connect();
  closers.push(() => producer.disconnect());
  const login = { eventId: 'h1', ts: Date.UTC(2025, 2, 3), accountId: 'a1', result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' };
  await producer.send({ topic: ns.topics.logins, compression: kafkajs.CompressionTypes.ZSTD, messages: [{ key: 'a1', value: JSON.stringify(login) }] });
  // and read by a build without it (the "LZ4 compression not implemented", for zstd)
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  const zstd = CompressionCodecs[CompressionTypes.ZSTD];
  CompressionCodecs[CompressionTypes.ZSTD] = () => { throw new kafkajs.KafkaJSNonRetriableError('ZSTD compression not implemented'); };
  closers.push(async () => { CompressionCodecs[CompressionTypes.ZSTD] = zstd; });

  const logged: string[] = [];
  const exits: number[] = [];
  const health = new ServiceHealth({ log: { error: (o, m) => logged.push(`${m} ${JSON.stringify(o)}`) }, stallMs: 30_000, exitAfterMs: 4_000, exit: (c) => exits.push(c) });
  const bus = new KafkaBus({ kafka: ns.kafka, serde: await AvroSerde.create({ registryUrl: ep.schemaRegistryUrl, topics: topicTable(ns.prefix) }), onConsumerCrash: (c) => health.consumerCrashed(c) });
  closers.push(() => bus.close());
  health.watchConsumers(() => bus.consumerHealth());
  const ingest = await startIngest({ bus, store: null, log: silent, topics: ns.topics, groupId: uniqueName('it_health') });
  closers.push(() => ingest.stop());
  const ops = await startOpsServer({ port: 0 }, async () => [], () => health.readiness());
  closers.push(() => ops.close());
  health.startWatchdog(250);
  closers.push(async () => health.stop());

  let last: Awaited<ReturnType<typeof readyz>> = null;
  await until('/readyz to fail naming the codec', async () => {
    last = await readyz(ops.port);
    return last?.status === 503 && (last.body.reasons ?? []).some((r) => r.includes(ns.topics.logins) && /ZSTD compression not implemented/.test(r));
  }, 60_000, async () => JSON.stringify(last));
  assert.ok(bus.consumerCrashes >= 1, 'the crash is counted');
  assert.ok(logged.some((l) => l.startsWith('consumer crashed') && l.includes('ZSTD compression not implemented')), `logged as an error with its cause: ${logged.join(' | ')}`);
  await until('the watchdog to exit 1', () => exits.length > 0, 30_000);
  assert.deepEqual(exits, [1]);
  assert.equal(ingest.stats.accepted, 0, 'nothing was read, and nothing claimed to be');
});

test('a topic deleted under a running service: /readyz fails naming it, then the process exits 1', async () => {
  const ep = await integrationEndpoints();
  const ns = await namespace(ep, 'health_deleted');
  closers.push(() => ns.admin.disconnect());
  const port = await freePort();
  const svc = kanshi(['ingest'], {
    KAFKA_BROKERS: ep.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: ep.schemaRegistryUrl, CLICKHOUSE_URL: '', KANSHI_TOPIC_PREFIX: ns.prefix,
    KANSHI_GROUP_ID: uniqueName('it_health'), KANSHI_OPS_PORT: String(port), KANSHI_STALL_MS: '20000', KANSHI_UNREADY_EXIT_MS: '8000', LOG_LEVEL: 'warn',
  });
  await until('the service to be ready', async () => (await readyz(port))?.status === 200, 90_000, async () => svc.output().slice(-1500));
  await ns.admin.deleteTopics({ topics: [ns.topics.logins], timeout: 30_000 });
  let last: Awaited<ReturnType<typeof readyz>> = null;
  await until('/readyz to fail naming the deleted topic', async () => {
    last = await readyz(port);
    return last?.status === 503 && (last.body.reasons ?? []).some((r) => r.includes(ns.topics.logins));
  }, 60_000, async () => `${JSON.stringify(last)}; ${svc.output().slice(-1000)}`);
  const code = await withTimeout(svc.exit, 90_000, 'the unready service to exit');
  assert.equal(code, 1);
  assert.match(svc.output(), /not ready for too long; exiting 1/);
});

test('a broker that never answers: the service never serves ready and exits 1 in one line', async () => {
  const ep = await integrationEndpoints();
  const unused = await freePort();
  const port = await freePort();
  const svc = kanshi(['detector'], { KAFKA_BROKERS: `127.0.0.1:${unused}`, SCHEMA_REGISTRY_URL: ep.schemaRegistryUrl, KANSHI_OPS_PORT: String(port), LOG_LEVEL: 'warn' });
  let servedReady = false;
  const poll = setInterval(() => void readyz(port).then((r) => { if (r?.status === 200) servedReady = true; }), 250);
  closers.push(async () => clearInterval(poll));
  const code = await withTimeout(svc.exit, 120_000, 'the service to give up on the broker');
  clearInterval(poll);
  assert.equal(code, 1);
  assert.equal(servedReady, false, 'never ready');
  const lines = svc.output().trim().split('\n').filter((l) => !l.startsWith('{'));
  assert.equal(lines.length, 1, `one line, no stack trace: ${svc.output().slice(-800)}`);
  assert.match(lines[0], /^kanshi detector: \[broker_unreachable\] Kafka at 127\.0\.0\.1:\d+ did not answer/);
});

test('a fresh prefix: a service says in one line that its topics are missing and how to make them; `kanshi topics create` does, `check` agrees', async () => {
  const ep = await integrationEndpoints();
  const prefix = `${uniqueName('health_fresh')}.`;
  closers.push(() => removeTestNamespace(ep, { topicPrefix: prefix, database: prefix.slice(0, -1) }));
  const env = { KAFKA_BROKERS: ep.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: ep.schemaRegistryUrl, KANSHI_TOPIC_PREFIX: prefix, CLICKHOUSE_URL: '', KANSHI_OPS_PORT: '0' };
  const n = TOPICS.length;
  const refused = kanshi(['alerter'], env);
  assert.equal(await withTimeout(refused.exit, 60_000, 'the alerter to refuse'), 1);
  const lines = refused.output().trim().split('\n').filter((l) => !l.startsWith('{'));
  assert.equal(lines.length, 1, refused.output());
  assert.match(lines[0], new RegExp(`^kanshi alerter: \\[topic_missing\\] ${n} topics of this deployment do not exist .*\`kanshi topics create\``));

  const before = kanshi(['topics', 'check'], env);
  assert.equal(await withTimeout(before.exit, 60_000, 'topics check'), 1, 'check fails while topics are missing');
  assert.match(before.output(), new RegExp(`${n} missing`));
  const create = kanshi(['topics', 'create'], env);
  assert.equal(await withTimeout(create.exit, 60_000, 'topics create'), 0, create.output());
  assert.match(create.output(), new RegExp(`created ${n}`));
  const check = kanshi(['topics', 'check'], env);
  assert.equal(await withTimeout(check.exit, 60_000, 'topics check'), 0, check.output());
  assert.equal(check.output().trim().split('\n').filter((l) => l.startsWith('ok ')).length, n);
  const again = kanshi(['topics', 'create'], env);
  assert.equal(await withTimeout(again.exit, 60_000, 'topics create again'), 0);
  assert.match(again.output(), new RegExp(`created 0 \\(none\\), ${n} already present`));
});
