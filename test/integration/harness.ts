/**
 * The one way integration tests reach real services. Every test file calls
 * `integrationEndpoints()`; where the services come from is decided here, in this order:
 *
 * 1. `KAFKA_BROKERS`, `SCHEMA_REGISTRY_URL` and `CLICKHOUSE_URL` in the environment (what
 *    scripts/test.mjs passes after starting the infrastructure once);
 * 2. local services already started by infra/local/up.sh (`$KANSHI_HOME/endpoints.env`
 *    exists): up.sh is re-run, which is idempotent and takes about a second when warm;
 * 3. a Docker engine that answers: infra/docker-compose.yml through testcontainers;
 * 4. otherwise `bash infra/local/up.sh` (Java + Maven Central, no Docker).
 *
 * `KANSHI_TEST_INFRA=local|docker` forces 2/4 or 3.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, ensureTopics, parseBrokerList } from '@kanshi/bus';

export interface IntegrationEndpoints {
  kafkaBrokers: string[];
  /** Confluent-compatible base URL (Apicurio: `…/apis/ccompat/v7`) */
  schemaRegistryUrl: string;
  clickhouseUrl: string;
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const KANSHI_HOME = process.env.KANSHI_HOME ?? path.join(os.homedir(), '.kanshi');
const ENDPOINTS_FILE = path.join(KANSHI_HOME, 'endpoints.env');
const ENV_NAMES = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'CLICKHOUSE_URL'] as const;
/** A cold first run downloads Kafka, Apicurio and ClickHouse. */
const LOCAL_UP_TIMEOUT_MS = 10 * 60_000;
const DOCKER_UP_TIMEOUT_MS = 5 * 60_000;

let resolved: Promise<IntegrationEndpoints> | null = null;

/** Where Kafka, the schema registry and ClickHouse are; starts them if nobody said. Cached per process. */
export function integrationEndpoints(): Promise<IntegrationEndpoints> {
  resolved ??= resolveEndpoints();
  return resolved;
}

/**
 * A name no other test (or earlier run) uses, for topics, consumer groups, subjects and
 * ClickHouse databases alike: `[A-Za-z0-9_]` only, starting with a letter.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[^A-Za-z])/, 't_');
  return `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/**
 * One statement over ClickHouse's HTTP interface, for what tests do beside the store (drop a
 * database, read a table FINAL); its answer as text. The caller escapes what it puts in `sql`.
 */
export async function clickhouseQuery(clickhouseUrl: string, sql: string, timeoutMs = 60_000): Promise<string> {
  const r = await fetch(`${clickhouseUrl}/?query=${encodeURIComponent(sql)}`, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
  if (!r.ok) throw new Error(`ClickHouse answered ${r.status} to ${sql.slice(0, 80)}: ${(await r.text()).slice(0, 200)}`);
  return r.text();
}

/** A uniqueName() (or the bench's `bench_<time>`), and the time it was made: the start of a test namespace. */
const TEST_NAME = /^(?:[A-Za-z][A-Za-z0-9_]*_([0-9a-z]{6,10})_[0-9a-f]{8}|bench_([0-9a-z]{6,10}))(?:\.|$)/;

/**
 * Deletes the topics and drops the databases that earlier test runs named with uniqueName() and
 * left behind, once older than `olderThanMs`: a run still going keeps its own (a whole `npm test`
 * takes under half an hour; a second run sharing the broker for longer would lose its topics).
 * Every run makes dozens of namespaces; left to pile up on the shared local broker (thousands of
 * partitions) they make every broker restart slower, and the outage test with it.
 */
export async function pruneOldTestNamespaces(ep: IntegrationEndpoints, olderThanMs = 3600_000): Promise<{ topics: number; databases: number; subjects: number; problems: string[] }> {
  const cutoff = Date.now() - olderThanMs;
  return removeNamespaces(ep, (name) => {
    const m = TEST_NAME.exec(name);
    return m !== null && parseInt(m[1] ?? m[2], 36) < cutoff;
  });
}

/**
 * Deletes one test's topics (those starting with `topicPrefix`) and drops its database when the
 * test ends, so a run leaves the shared broker as lean as it found it. What fails here is left
 * for pruneOldTestNamespaces.
 */
export async function removeTestNamespace(ep: IntegrationEndpoints, ns: { topicPrefix: string; database: string }): Promise<void> {
  if (!TEST_NAME.test(ns.topicPrefix) || !TEST_NAME.test(ns.database)) throw new Error(`not a test namespace: ${ns.topicPrefix} ${ns.database}`);
  await removeNamespaces(ep, (name) => name.startsWith(ns.topicPrefix) || name === ns.database);
}

/** Drops a test database through plain HTTP: the store has (and should have) no way to. */
export async function dropTestDatabase(clickhouseUrl: string, db: string): Promise<void> {
  if (!TEST_NAME.test(db)) throw new Error(`not a test database: ${db}`);
  // TEST_NAME allows [A-Za-z0-9_] only: safe between backquotes
  await clickhouseQuery(clickhouseUrl, `DROP DATABASE IF EXISTS \`${db}\``);
}

/** Removes the test topics and databases `pick` chooses (never a name outside TEST_NAME). Best effort: what fails is said. */
async function removeNamespaces(ep: IntegrationEndpoints, pick: (name: string) => boolean): Promise<{ topics: number; databases: number; subjects: number; problems: string[] }> {
  const chosen = (name: string) => TEST_NAME.test(name) && pick(name);
  const problems: string[] = [];
  let topics = 0, databases = 0, subjects = 0;
  const admin = createKafka({ brokers: ep.kafkaBrokers, clientId: 'kanshi-test-prune', logLevel: 'nothing' }).admin();
  try {
    await withTimeout(admin.connect(), 30_000, 'Kafka admin');
    const stale = (await withTimeout(admin.listTopics(), 30_000, 'the topic list')).filter(chosen);
    for (let i = 0; i < stale.length; i += 200) {
      const chunk = stale.slice(i, i + 200);
      await withTimeout(admin.deleteTopics({ topics: chunk, timeout: 60_000 }), 90_000, 'topic deletion');
      topics += chunk.length;
    }
  } catch (e) {
    problems.push(`topics: ${(e as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  try {
    for (const db of (await clickhouseQuery(ep.clickhouseUrl, 'SELECT name FROM system.databases FORMAT TSV')).split('\n').filter(chosen)) {
      await dropTestDatabase(ep.clickhouseUrl, db);
      databases++;
    }
  } catch (e) {
    problems.push(`databases: ${(e as Error).message}`);
  }
  try {
    subjects = await removeSubjects(ep.schemaRegistryUrl, (subject) => chosen(subject.replace(/-(?:value|key)$/, '')));
  } catch (e) {
    problems.push(`registry subjects: ${(e as Error).message}`);
  }
  return { topics, databases, subjects, problems };
}

/**
 * Deletes the registry subjects `pick` chooses, soft then permanently. The registry lists at most
 * 1,000 subjects, so a registry that tests have filled is listed and pruned again until no chosen
 * subject is left in the listing (bounded rounds).
 */
async function removeSubjects(registryUrl: string, pick: (subject: string) => boolean): Promise<number> {
  const call = async (method: string, url: string) => {
    const r = await fetch(url, { method, signal: AbortSignal.timeout(30_000) });
    if (!r.ok && r.status !== 404) throw new Error(`${method} ${new URL(url).pathname}: HTTP ${r.status}`);
    return r;
  };
  let removed = 0;
  for (let round = 0; round < 20; round++) {
    const listed = (await (await call('GET', `${registryUrl}/subjects`)).json()) as string[];
    const stale = listed.filter(pick);
    if (stale.length === 0) break;
    for (let i = 0; i < stale.length; i += 16) {
      await Promise.all(stale.slice(i, i + 16).map(async (subject) => {
        const at = `${registryUrl}/subjects/${encodeURIComponent(subject)}`;
        await call('DELETE', at);
        await call('DELETE', `${at}?permanent=true`);
      }));
    }
    removed += stale.length;
  }
  return removed;
}

/** Rejects with `what` in the message when `promise` takes longer than `ms`: no test waits forever. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function resolveEndpoints(): Promise<IntegrationEndpoints> {
  const fromEnv = endpointsFromEnv();
  if (fromEnv) return fromEnv;
  const forced = process.env.KANSHI_TEST_INFRA;
  if (forced !== undefined && forced !== 'local' && forced !== 'docker') {
    throw new Error(`KANSHI_TEST_INFRA must be local or docker, got ${JSON.stringify(forced)}`);
  }
  if (forced === 'docker' || (forced === undefined && !existsSync(ENDPOINTS_FILE) && (await dockerAnswers()))) {
    return startWithDocker();
  }
  return startLocally();
}

function endpointsFromEnv(): IntegrationEndpoints | null {
  const set = ENV_NAMES.filter((n) => process.env[n]);
  if (set.length === 0) return null;
  if (set.length < ENV_NAMES.length) {
    const missing = ENV_NAMES.filter((n) => !process.env[n]);
    throw new Error(`${set.join(', ')} set but ${missing.join(', ')} not: give all three endpoints, or none to start them`);
  }
  return toEndpoints(process.env as Record<string, string>);
}

function toEndpoints(vars: Record<string, string | undefined>): IntegrationEndpoints {
  const missing = ENV_NAMES.filter((n) => !vars[n]);
  if (missing.length > 0) throw new Error(`endpoints lack ${missing.join(', ')}`);
  return {
    kafkaBrokers: parseBrokerList(vars.KAFKA_BROKERS!),
    schemaRegistryUrl: vars.SCHEMA_REGISTRY_URL!.replace(/\/+$/, ''),
    clickhouseUrl: vars.CLICKHOUSE_URL!.replace(/\/+$/, ''),
  };
}

function readEndpointsFile(): IntegrationEndpoints {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(ENDPOINTS_FILE, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return toEndpoints(vars);
}

async function startLocally(): Promise<IntegrationEndpoints> {
  const script = path.join(REPO, 'infra/local/up.sh');
  // stdout is not inherited: node --test reads test files' stdout as the TAP stream.
  const child = spawn('bash', [script], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, KANSHI_HOME } });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
  const code = await withTimeout(exited, LOCAL_UP_TIMEOUT_MS, `${script} (its messages are above)`).catch((e: unknown) => {
    child.kill('SIGTERM');
    throw e;
  });
  if (code !== 0) throw new Error(`${script} exited with ${code}; its messages are above`);
  return readEndpointsFile();
}

/** How long installing Chromium may take (apt-get update and the package with its libraries). */
const CHROMIUM_INSTALL_TIMEOUT_S = 600;

/**
 * Debian's Chromium for the browser tests, installed by infra/local/chromium.sh when missing (as
 * ClickHouse is by clickhouse.sh): its path, or why there is none, for the test to skip on loudly.
 */
export async function systemChromium(): Promise<{ path: string } | { missing: string }> {
  const script = path.join(REPO, 'infra/local/chromium.sh');
  const child = spawn('bash', [script, 'install'], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, KANSHI_HOME, CHROMIUM_INSTALL_TIMEOUT_S: String(CHROMIUM_INSTALL_TIMEOUT_S) },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
  try {
    const code = await withTimeout(exited, (CHROMIUM_INSTALL_TIMEOUT_S + 60) * 1000, `${script} install`);
    const found = out.trim().split('\n').pop() ?? '';
    if (code === 0 && found && existsSync(found)) return { path: found };
    return { missing: `${script} exited with ${code} (its messages are above)` };
  } catch (e) {
    child.kill('SIGTERM');
    return { missing: (e as Error).message };
  }
}

/** `GET /_ping` on the engine DOCKER_HOST (or the default socket) names; false on any failure. */
function dockerAnswers(): Promise<boolean> {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  let target: http.RequestOptions;
  if (host.startsWith('unix://')) {
    target = { socketPath: host.slice('unix://'.length) };
  } else if (host.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    target = { host: url.hostname, port: url.port };
  } else {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const req = http.get({ ...target, path: '/_ping', timeout: 1_500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

async function startWithDocker(): Promise<IntegrationEndpoints> {
  // Imported only here: testcontainers (and dockerode) load nothing when tests get endpoints.
  const { DockerComposeEnvironment, Wait } = await import('testcontainers');
  const compose = withTimeout(
    new DockerComposeEnvironment(path.join(REPO, 'infra'), 'docker-compose.yml')
      .withProjectName('kanshi')
      // Shared by every test process, like the local services: left running for the next
      // file; `docker compose -f infra/docker-compose.yml -p kanshi down` stops them.
      .withAutoCleanup(false)
      .withNoRecreate()
      .withDefaultWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(DOCKER_UP_TIMEOUT_MS)
      .up(),
    DOCKER_UP_TIMEOUT_MS + 30_000,
    'docker compose (infra/docker-compose.yml) to report every service healthy',
  );
  await compose.catch((e: unknown) => {
    throw new Error(
      `starting infra/docker-compose.yml through testcontainers failed: ${(e as Error).message}. ` +
        'Set KANSHI_TEST_INFRA=local (or unset it without a Docker engine) to use infra/local/up.sh instead.',
      { cause: e },
    );
  });
  const endpoints: IntegrationEndpoints = {
    kafkaBrokers: ['127.0.0.1:9092'],
    schemaRegistryUrl: 'http://127.0.0.1:8081',
    clickhouseUrl: 'http://127.0.0.1:8123',
  };
  const admin = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'kanshi-test-harness', logLevel: 'error' }).admin();
  await admin.connect();
  try {
    await ensureTopics(admin);
  } finally {
    await admin.disconnect();
  }
  return endpoints;
}
