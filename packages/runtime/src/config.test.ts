import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultCell, loadConfig, OPTIONS, readersCell, type ProcessName } from './config.js';
import { UsageError } from './usage.js';

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../README.md');
const BASE = { KAFKA_BROKERS: '127.0.0.1:9092', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081' };

/** The rows of the README's configuration table, by the variables their first cell names. */
function readmeRows(): Map<string, string[]> {
  const text = readFileSync(README, 'utf8');
  const at = text.indexOf('| variable | default | meaning | read by |');
  assert.ok(at >= 0, 'README has the configuration table (variable, default, meaning, read by)');
  const rows = new Map<string, string[]>();
  for (const line of text.slice(at).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    for (const m of cells[0].matchAll(/`([A-Z][A-Z0-9_<>]*)`/g)) rows.set(m[1], cells);
  }
  return rows;
}

test('the README table has every option of the code\'s table, with its default and who reads it', () => {
  const rows = readmeRows();
  for (const o of Object.values(OPTIONS)) {
    const row = rows.get(o.env);
    assert.ok(row, `${o.env} is missing from the README's configuration table`);
    assert.equal(row[1], defaultCell(o), `${o.env}: the README's default differs from the code's`);
    assert.equal(row[3], readersCell(o), `${o.env}: the README says other processes read it`);
    if (o.flag) assert.ok(row[0].includes(`--${o.flag}`), `${o.env}: the README does not name its flag --${o.flag}`);
  }
});

/** The UsageError loading `env` gives, checked to name `variable` and not to show `secret`. */
function refused(process: ProcessName, env: NodeJS.ProcessEnv, variable: string, secret = 'Pw-s3cret-9'): string {
  let message = '';
  assert.throws(() => loadConfig(process, { ...BASE, CLICKHOUSE_URL: `http://u:${secret}@ch:8123`, ...env }), (e: unknown) => {
    assert.ok(e instanceof UsageError, `${String(e)} is a UsageError`);
    assert.ok(e.message.startsWith(variable), `'${e.message}' names ${variable} first`);
    assert.ok(!e.message.includes(secret), e.message);
    message = e.message;
    return true;
  });
  return message;
}

test('a bad value is a UsageError naming its variable', () => {
  assert.match(refused('ingest', { KAFKA_BROKERS: undefined }, 'KAFKA_BROKERS'), /not set/);
  assert.match(refused('detector', { KAFKA_BROKERS: ' , ' }, 'KAFKA_BROKERS'), /names no broker/);
  assert.match(refused('alerter', { SCHEMA_REGISTRY_URL: '' }, 'SCHEMA_REGISTRY_URL'), /not set/);
  assert.match(refused('ingest', { KANSHI_STALL_MS: '5s' }, 'KANSHI_STALL_MS'), /whole milliseconds from 1000 .*got '5s'/);
  assert.match(refused('alerter', { KANSHI_UNREADY_EXIT_MS: '999' }, 'KANSHI_UNREADY_EXIT_MS'), /got '999'/);
  assert.match(refused('detector', { KANSHI_MAX_LATENESS_MS: '-1' }, 'KANSHI_MAX_LATENESS_MS'), /from 0 to 86400000/);
  assert.match(refused('detector', { KANSHI_MAX_LATENESS_MS: '1.5' }, 'KANSHI_MAX_LATENESS_MS'), /got '1.5'/);
  assert.match(refused('alerter', { KANSHI_HOLD_MODE: 'Enforce' }, 'KANSHI_HOLD_MODE'), /dry_run or enforce, got 'Enforce'/);
  assert.match(refused('ingest', { KANSHI_OPS_PORT: '65536' }, 'KANSHI_OPS_PORT'), /port number/);
  assert.match(refused('detector', { KANSHI_OPS_PORT: 'http' }, 'KANSHI_OPS_PORT'), /port number/);
  assert.match(refused('alerter', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'), /one of/);
  assert.match(refused('topics', { KAFKA_REPLICATION_FACTOR: '0' }, 'KAFKA_REPLICATION_FACTOR'), />= 1/);
  refused('ingest', { KAFKA_SASL_PASSWORD: 'Pw-s3cret-9' }, 'KAFKA_SASL_PASSWORD');
});

test('a flag beats its variable, and a bad flag is named as the flag', () => {
  assert.equal(loadConfig('topics', { ...BASE, KAFKA_REPLICATION_FACTOR: '3' }, { 'replication-factor': '1' }).replicationFactor, 1);
  assert.equal(loadConfig('topics', { ...BASE, KAFKA_REPLICATION_FACTOR: '3' }).replicationFactor, 3);
  assert.throws(() => loadConfig('topics', BASE, { 'replication-factor': 'two' }), /^UsageError: --replication-factor must be a whole number >= 1, got 'two'$/);
});

test('defaults per service; an empty variable counts as unset', () => {
  const ports = (['ingest', 'detector', 'alerter'] as const).map((p) => loadConfig(p, { ...BASE, KANSHI_OPS_PORT: '' }).opsPort);
  assert.deepEqual(ports, [9464, 9465, 9466]);
  const d = loadConfig('detector', { ...BASE, KANSHI_MAX_LATENESS_MS: '0', KANSHI_GROUP_ID: '' });
  assert.equal(d.maxLatenessMs, 0);
  assert.equal(d.groupId, 'kanshi-detector');
  assert.equal(d.stallMs, 60_000);
  assert.deepEqual(loadConfig('ingest', { ...BASE, KAFKA_BROKERS: 'a:1, b:2' }).kafkaBrokers, ['a:1', 'b:2']);
  assert.equal(loadConfig('alerter', BASE).holdMode, 'dry_run');
  assert.equal(loadConfig('archive', { CLICKHOUSE_URL: 'http://ch:8123' }).clickhouseUrl, 'http://ch:8123', 'an archive to a file needs no Kafka settings');
});

test('a process reads only its own options: another service\'s bad setting does not stop it', () => {
  const d = loadConfig('detector', { ...BASE, KANSHI_HOLD_MODE: 'maybe', CLICKHOUSE_URL: 'http://ch:8123' });
  assert.equal('holdMode' in d, false);
  assert.equal('clickhouseUrl' in d, false);
  assert.equal('maxLatenessMs' in loadConfig('alerter', { ...BASE, KANSHI_MAX_LATENESS_MS: 'soon' }), false);
});
