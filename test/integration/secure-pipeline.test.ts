/**
 * ingest → detector → alerter as three `kanshi` processes over secured connections only: Kafka
 * SASL_SSL (SCRAM-SHA-512, TLS with the CA infra/local/secure-kafka.sh made, client certificate
 * required), the registry and ClickHouse behind TLS fronts that demand credentials, webhooks to
 * an https receiver that verifies each signature. The findings, alerts and holds must be the ones
 * `kanshi detect` gives (as on the plaintext pipeline), and nothing any process printed may
 * contain a secret.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AvroSerde, KafkaBus, createKafka, ensureTopics, topicNames, topicTable, type KafkaSecurity } from '@kanshi/bus';
import { replayFile, runDetect } from '@kanshi/cli';
import { simulateToDir } from '@kanshi/simulator';
import { openStore, type Store } from '@kanshi/store';
import { verifyWebhook } from '@kanshi/alerter';
import { dropTestDatabase, integrationEndpoints, uniqueName, withTimeout, type IntegrationEndpoints } from './harness.js';
import { REPO, expectedAlerts, sameSet, setDifference, until, type Pipeline } from './pipeline-harness.js';
import { startSecureKafka, stopSecureKafka, tlsFront, type SecureKafka } from './secure-harness.js';

const closers: (() => Promise<void>)[] = [];
let kafka: SecureKafka;
let ep: IntegrationEndpoints;

before(async () => {
  ep = await integrationEndpoints();
  kafka = await startSecureKafka();
});
after(async () => {
  for (const c of closers.reverse()) await c().catch((e: unknown) => console.error(`cleanup: ${String(e)}`));
  await stopSecureKafka();
});

/** Whether an admin client with these settings can list topics; the error message if not. */
async function connects(security: KafkaSecurity): Promise<true | string> {
  const admin = createKafka({ brokers: kafka.brokers, clientId: 'kanshi-it-probe', logLevel: 'nothing', retries: 0, connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000, security }).admin();
  try {
    await withTimeout(admin.connect(), 20_000, 'a probe connection');
    await admin.listTopics();
    return true;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

test('the secure broker refuses a client without the CA, without a client certificate, or with a wrong password', async () => {
  const s = kafka.security;
  assert.equal(await connects(s), true, 'the right settings connect');
  assert.notEqual(await connects({ ...s, tls: { cert: s.tls!.cert, key: s.tls!.key } }), true, 'the broker\'s certificate is not trusted without the CA');
  assert.notEqual(await connects({ ...s, tls: { ca: s.tls!.ca } }), true, 'no client certificate');
  assert.notEqual(await connects({ ...s, sasl: { ...s.sasl!, password: 'not-the-password' } }), true, 'a wrong SCRAM password');
  assert.notEqual(await connects({ protocol: 'PLAINTEXT' }), true, 'plaintext');
});

test('a replay over SASL_SSL, with the registry and ClickHouse behind TLS and credentials, gives detect\'s findings, alerts and holds; no secret in any output', async () => {
  const prefix = `${uniqueName('secure')}.`;
  const database = uniqueName('secure');
  const topics = topicNames(prefix);
  const secrets = { registry: `reg-${uniqueName('pw')}`, clickhouse: `ch-${uniqueName('pw')}`, webhook: `hook-${uniqueName('secret')}` };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kanshi-secure-'));
  const chPasswordFile = path.join(dir, 'clickhouse.password');
  writeFileSync(chPasswordFile, `${secrets.clickhouse}\n`, { mode: 0o600 });

  const registry = await tlsFront({ target: ep.schemaRegistryUrl, cert: kafka.serverCert, key: kafka.serverKey, username: 'kanshi-reg', password: secrets.registry });
  const clickhouse = await tlsFront({ target: ep.clickhouseUrl, cert: kafka.serverCert, key: kafka.serverKey, username: 'kanshi-ch', password: secrets.clickhouse });
  closers.push(registry.close, clickhouse.close);
  const registryUrl = `${registry.url}${new URL(ep.schemaRegistryUrl).pathname}`;

  // the receiver: every delivery's signature checked with this receiver's secret
  const deliveries: { ok: boolean; alertId: string }[] = [];
  const receiver = https.createServer({ cert: kafka.serverCert, key: kafka.serverKey }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const v = verifyWebhook({ body, header: req.headers['kanshi-signature'], secret: secrets.webhook });
      deliveries.push({ ok: v.ok, alertId: String(req.headers['kanshi-alert-id']) });
      res.writeHead(v.ok ? 204 : 401).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => { receiver.closeAllConnections(); receiver.close(() => r()); }));
  const hookUrl = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}/kanshi`;

  // topics on the secure broker; the data replayed through the same secured paths
  const client = createKafka({ brokers: kafka.brokers, clientId: 'kanshi-it-secure', logLevel: 'nothing', security: kafka.security });
  const admin = client.admin();
  await withTimeout(admin.connect(), 30_000, 'the secure broker\'s admin');
  closers.push(async () => {
    await admin.deleteTopics({ topics: (await admin.listTopics()).filter((t) => t.startsWith(prefix)), timeout: 30_000 }).catch(() => undefined);
    await admin.disconnect();
  });
  await ensureTopics(admin, { topics: topicTable(prefix) });
  const serde = await AvroSerde.create({ registryUrl, topics: topicTable(prefix), basicAuth: { username: 'kanshi-reg', password: secrets.registry }, ca: kafka.ca });
  const bus = new KafkaBus({ kafka: client, serde });
  closers.push(() => bus.close());
  const reader: Store = await openStore({ url: ep.clickhouseUrl, database });
  closers.push(async () => { await reader.close(); await dropTestDatabase(ep.clickhouseUrl, database); });

  // the plaintext pipeline test's size; a seed whose incident also gives holds under the corroborated hold policy
  await simulateToDir(dir, { accounts: 800, days: 4, seed: 2, incidents: 1 });
  const files = { events: path.join(dir, 'events.ndjson'), instruments: path.join(dir, 'instruments.ndjson'), accounts: path.join(dir, 'accounts.ndjson') };
  const detect = await runDetect({ ...files, out: path.join(dir, 'out'), quiet: true });
  const expected = new Set(detect.findings.map((f) => f.findingId));
  const alertsWanted = expectedAlerts({ emitted: detect.emitted } as Pipeline);
  const holdsWanted = new Set(detect.holds.map((h) => h.holdId));
  // holds depend on the hold policy's corroboration, not on the connections: compared, not required
  assert.ok(expected.size > 5 && alertsWanted.size > 0, `the incident gives findings (${expected.size}) and alerts (${alertsWanted.size}); holds ${holdsWanted.size}`);
  await replayFile(bus, topics, files);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME,
    ...kafka.env,
    SCHEMA_REGISTRY_URL: registryUrl, SCHEMA_REGISTRY_USERNAME: 'kanshi-reg', SCHEMA_REGISTRY_PASSWORD: secrets.registry, SCHEMA_REGISTRY_CA_FILE: kafka.env.KAFKA_SSL_CA_FILE,
    CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_USER: 'kanshi-ch', CLICKHOUSE_PASSWORD_FILE: chPasswordFile, CLICKHOUSE_CA_FILE: kafka.env.KAFKA_SSL_CA_FILE,
    CLICKHOUSE_DATABASE: database, KANSHI_TOPIC_PREFIX: prefix, KANSHI_OPS_PORT: '0', LOG_LEVEL: 'debug',
    KANSHI_WEBHOOK_DESK_URL: hookUrl, KANSHI_WEBHOOK_DESK_SECRET: secrets.webhook,
    // the receiver's certificate is the test CA's: Node's fetch trusts it through this
    NODE_EXTRA_CA_CERTS: kafka.env.KAFKA_SSL_CA_FILE,
  };
  const said: Record<string, string> = {};
  const services: ChildProcess[] = [];
  for (const name of ['ingest', 'detector', 'alerter'] as const) {
    const c = spawn(process.execPath, [path.join(REPO, 'bin/kanshi.js'), name], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, KANSHI_GROUP_ID: uniqueName(`it_secure_${name}`) } });
    said[name] = '';
    c.stdout!.on('data', (b) => { said[name] += b; });
    c.stderr!.on('data', (b) => { said[name] += b; });
    services.push(c);
  }
  const stopAll = async () => {
    await Promise.all(services.map((c) => c.exitCode !== null || c.signalCode !== null ? undefined : new Promise<void>((r) => { c.once('exit', () => r()); c.kill('SIGTERM'); })));
  };
  closers.push(stopAll);
  const exitedEarly = () => services.map((c, i) => c.exitCode !== null ? `${['ingest', 'detector', 'alerter'][i]} exited ${c.exitCode}: ${Object.values(said)[i].slice(-1500)}` : '').filter(Boolean).join('\n');

  const ids = async (table: 'alerts' | 'holds') => new Set((await fetch(`${ep.clickhouseUrl}/?query=${encodeURIComponent(`SELECT ${table === 'alerts' ? 'alert_id' : 'hold_id'} FROM ${database}.${table} FINAL FORMAT TSV`)}`, { method: 'POST' }).then((r) => r.ok ? r.text() : '')).split('\n').filter(Boolean));
  const findings = async () => new Set((await reader.findings({ limit: 100_000 }).catch(() => [])).map((f) => f.findingId));
  const stillRunning = async () => { const early = exitedEarly(); if (early) throw new Error(early); };
  await until('ClickHouse (through its TLS front) to hold the findings kanshi detect gives', async () => { await stillRunning(); return sameSet(await findings(), expected); }, 240_000,
    async () => `findings ${setDifference(await findings(), expected)}; fronts passed registry ${registry.passed}/refused ${registry.refused}, clickhouse ${clickhouse.passed}/${clickhouse.refused}`);
  await until('the alerts and holds of an undisturbed run, and each alert at the webhook', async () => {
    await stillRunning();
    return sameSet(await ids('alerts'), alertsWanted) && sameSet(await ids('holds'), holdsWanted) && deliveries.length >= alertsWanted.size;
  }, 120_000, async () => `alerts ${setDifference(await ids('alerts'), alertsWanted)}; holds ${setDifference(await ids('holds'), holdsWanted)}; webhook deliveries ${deliveries.length}`);
  await stopAll();

  assert.ok(sameSet(await findings(), expected), 'findings: none lost, none extra');
  assert.deepEqual(deliveries.filter((d) => !d.ok), [], 'every webhook delivery verifies with the receiver\'s secret');
  assert.ok(sameSet(new Set(deliveries.map((d) => d.alertId)), alertsWanted), `the webhook got each alert: ${setDifference(new Set(deliveries.map((d) => d.alertId)), alertsWanted)}`);
  assert.ok(registry.passed > 0 && clickhouse.passed > 0, 'the registry and ClickHouse were reached through their TLS fronts');
  assert.equal(registry.refused + clickhouse.refused, 0, 'no request came without the credentials');

  const output = Object.entries(said).map(([n, s]) => `--- ${n}\n${s}`).join('\n');
  assert.ok(output.length > 0);
  const all = { ...secrets, kafkaAdmin: kafka.secrets[0], kafkaClient: kafka.secrets[1], keystore: kafka.secrets[2] };
  for (const [what, secret] of Object.entries(all)) assert.ok(!output.includes(secret), `the ${what} secret appears in the services' output`);
  const keyBody = kafka.security.tls!.key!.split('\n')[1];
  assert.ok(!output.includes(keyBody), 'the client key appears in the services\' output');
});
