/**
 * Lists end to end on the real broker, registry and ClickHouse: the detector and ingest run as
 * their own processes and the desk as its operator starts it, on Kafka. An analyst adds a
 * block-list entry for a device through the desk; the detector, already running, follows it;
 * the next login from that device, produced to the raw logins topic, comes back as a finding
 * that names the entry's reason and author.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { AvroSerde, KafkaBus, createKafka, ensureTopics, topicNames, topicTable } from '@kanshi/bus';
import { publishEvents } from '@kanshi/cli';
import type { Finding, InputEvent } from '@kanshi/contract';
import { deskLogin } from '../desk/desk-login.js';
import { integrationEndpoints, removeTestNamespace, uniqueName, withTimeout } from './harness.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const KANSHI = path.join(REPO, 'bin/kanshi.js');
const PASSWORD = 'a long enough password';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => { for (const c of cleanup.reverse()) await c().catch(() => undefined); });

/** A process whose output is kept, and a wait for a line of it. */
function started(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; seen: (re: RegExp, what: string, ms?: number) => Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, [KANSHI, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  cleanup.push(async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await withTimeout(new Promise((r) => child.once('exit', r)), 20_000, `${args[0]} to stop`).catch(() => child.kill('SIGKILL'));
  });
  const seen = (re: RegExp, what: string, ms = 90_000) => withTimeout(new Promise<RegExpExecArray>((resolve, reject) => {
    const look = () => {
      const m = re.exec(out);
      if (m) resolve(m);
      else if (child.exitCode !== null) reject(new Error(`${args[0]} exited (${child.exitCode}): ${out.slice(-1500)}`));
      else setTimeout(look, 200);
    };
    look();
  }), ms, `${what} (${args[0]} said so far: ${out.slice(-800)})`);
  return { child, output: () => out, seen };
}

test('a block-list entry added in the desk: the running detector names it on the next login from that device', { timeout: 240_000 }, async () => {
  const ep = await integrationEndpoints();
  const prefix = `${uniqueName('lists')}.`;
  const database = uniqueName('lists');
  const topics = topicNames(prefix);
  const kafka = createKafka({ brokers: ep.kafkaBrokers, clientId: 'kanshi-it-lists', logLevel: 'nothing' });
  const admin = kafka.admin();
  await withTimeout(admin.connect(), 30_000, 'Kafka admin');
  await ensureTopics(admin, { topics: topicTable(prefix) });
  await admin.disconnect();
  const bus = new KafkaBus({ kafka, serde: await AvroSerde.create({ registryUrl: ep.schemaRegistryUrl, topics: topicTable(prefix) }) });
  cleanup.push(() => removeTestNamespace(ep, { topicPrefix: prefix, database }));
  cleanup.push(() => bus.close());

  const env = {
    ...process.env, KAFKA_BROKERS: ep.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: ep.schemaRegistryUrl, CLICKHOUSE_URL: ep.clickhouseUrl,
    CLICKHOUSE_DATABASE: database, KANSHI_TOPIC_PREFIX: prefix, LOG_LEVEL: 'info', KANSHI_OPS_PORT: '0',
  };
  const add = spawnSync(process.execPath, [KANSHI, 'desk', 'users', 'add', '--name', 'ana', '--role', 'analyst'], { env, input: `${PASSWORD}\n`, encoding: 'utf8', timeout: 90_000 });
  assert.equal(add.status, 0, add.stderr);

  // the detector runs before the entry exists: it must follow the topic, not only read it at start
  const detector = started(['detector'], { ...env, KANSHI_GROUP_ID: uniqueName('it_lists_detector'), KANSHI_MAX_LATENESS_MS: '0', KANSHI_SNAPSHOT_EVERY_EVENTS: '0', KANSHI_SNAPSHOT_INTERVAL_MS: '0' });
  const ingest = started(['ingest'], { ...env, KANSHI_GROUP_ID: uniqueName('it_lists_ingest') });
  // its audit journal beside the test, not under ~/.kanshi (the database it names is dropped after)
  const journal = mkdtempSync(path.join(tmpdir(), 'kanshi-it-lists-journal-'));
  cleanup.push(async () => rmSync(journal, { recursive: true, force: true }));
  const desk = started(['desk'], { ...env, KANSHI_DESK_PORT: '0', KANSHI_DESK_AUDIT_JOURNAL: journal });
  const [, url] = await desk.seen(/"url":"(http:\/\/[^"]+)\/login"/, 'the desk to serve');
  await detector.seen(/block and allow lists loaded/, 'the detector to load the lists');
  await detector.seen(/detector subscribed/, 'the detector to subscribe');

  // the analyst logs in and adds the entry through the desk's form
  const { session } = await deskLogin(url, 'ana', PASSWORD);
  const page = await (await fetch(`${url}/lists`, { headers: { cookie: session } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1];
  const device = `it-attacker-${randomBytes(4).toString('hex')}`;
  const reason = 'device of the takeover confirmed in case it-7';
  const added = await fetch(`${url}/lists`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session },
    body: new URLSearchParams({ _csrf: csrf, list: 'block', target: 'device', value: device, accountId: '', reason, days: '30' }).toString(),
  });
  assert.equal(added.status, 303, await added.text());
  assert.match(await (await fetch(`${url}/lists`, { headers: { cookie: session } })).text(), new RegExp(device));
  await detector.seen(/list entry applied/, 'the detector to apply the entry', 60_000);

  const findings: Finding[] = [];
  const sub = await bus.subscribe<Finding>(topics.findings, { groupId: uniqueName('it_lists_watch'), fromBeginning: true }, (b) => {
    for (const d of b) if (d.value && typeof d.value === 'object' && 'findingId' in d.value) findings.push(d.value);
  });
  cleanup.push(() => sub.stop());
  const next: InputEvent = {
    type: 'login', eventId: `it-l-${device}`, ts: Date.now(), accountId: `IT-${device}`, result: 'success', authMethod: 'password_otp_sms',
    channel: 'web', ip: '198.51.100.23', asn: 64500, country: 'JP', ipType: 'residential', deviceId: device, sessionId: `s-${device}`,
  };
  await publishEvents(bus, topics, (async function* () { yield next; })());
  const named = () => findings.find((f) => f.accountIds.includes(next.accountId) && f.reasons.some((r) => r.code === 'listed_block_device'));
  for (const deadline = Date.now() + 90_000; !named() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 300));
  assert.ok(named(), `a finding naming the entry (findings so far: ${JSON.stringify(findings.map((f) => f.reasons.map((r) => r.code)))}; detector: ${detector.output().slice(-600)}; ingest: ${ingest.output().slice(-300)})`);
  const detail = named()!.reasons.find((r) => r.code === 'listed_block_device')!.detail;
  assert.match(detail, new RegExp(reason));
  assert.match(detail, /by ana/);
});
