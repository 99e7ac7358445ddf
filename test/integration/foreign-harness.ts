/**
 * Producers that are not Kanshi's code, publishing a simulated brokerage into a pipeline's raw
 * and reference topics: the Apache Kafka Java client (test/foreign/ForeignProducer.java,
 * compiled with javac against the broker's own jars) and librdkafka through confluent-kafka
 * (test/foreign/foreign_producer.py, in a virtualenv made here). Both are cached under
 * $KANSHI_HOME/foreign and $KANSHI_HOME/venv, keyed by what they were built from.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readLines } from '@kanshi/cli';
import { parseEventLine, RejectedEvent, schemaFieldNames, schemaJson, validateAccount, validateInstrument, type SchemaName } from '@kanshi/contract';
import { startIngest } from '@kanshi/ingest';
import { loadReference, startDetector } from '@kanshi/detector';
import { startAlerter } from '@kanshi/alerter';
import { uniqueName, withTimeout } from './harness.js';
import { REPO, silent, type Pipeline } from './pipeline-harness.js';

const KANSHI_HOME = process.env.KANSHI_HOME ?? path.join(os.homedir(), '.kanshi');
const VENV = path.join(KANSHI_HOME, 'venv');
/** what the venv is made with; the wheel is prebuilt, nothing is compiled */
const PIP_PACKAGES = ['confluent-kafka[avro,schemaregistry]==2.16.1'];

export type Codec = 'gzip' | 'snappy' | 'lz4' | 'zstd';
export type RawTopic = 'logins' | 'orders' | 'accountEvents' | 'instruments' | 'accounts';

export interface ForeignRecord {
  topic: string;
  key: string;
  value: Record<string, unknown>;
}

/** Runs a command to its end within `timeoutMs`; its stdout, or an error with the tail of its stderr. */
export function run(cmd: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout.on('data', (b) => { out += b; });
    c.stderr.on('data', (b) => { err = (err + b).slice(-4000); });
    const timer = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`${cmd} ${args.join(' ')} took over ${timeoutMs} ms; stderr: ${err.slice(-800)}`)); }, timeoutMs);
    c.on('error', (e) => { clearTimeout(timer); reject(e); });
    c.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} exited ${code}: ${err.slice(-1500)}`));
    });
  });
}

/** The Kafka jars infra/local installed, or null (containers, or given endpoints: no jars here). */
export function kafkaLibs(): string | null {
  const libs = path.join(KANSHI_HOME, 'kafka', 'libs');
  return existsSync(libs) ? libs : null;
}

/** ForeignProducer compiled once per source version. */
export async function javaProducer(libs: string): Promise<string> {
  const src = path.join(REPO, 'test/foreign/ForeignProducer.java');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const dir = path.join(KANSHI_HOME, 'foreign', `java-${hash}`);
  if (!existsSync(path.join(dir, 'ForeignProducer.class'))) {
    mkdirSync(dir, { recursive: true });
    await run('javac', ['-nowarn', '-cp', `${libs}/*`, '-d', dir, src], 180_000);
  }
  return dir;
}

/** The virtualenv's python, made (python3 -m venv, pip install) when absent or made for other packages. */
export async function pythonProducer(): Promise<string> {
  const python = path.join(VENV, 'bin', 'python');
  const stamp = path.join(VENV, 'kanshi-packages.txt');
  const want = PIP_PACKAGES.join('\n');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return python;
  if (!existsSync(python)) await run('python3', ['-m', 'venv', VENV], 180_000);
  await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--only-binary=:all:', ...PIP_PACKAGES], 600_000);
  writeFileSync(stamp, want);
  return python;
}

/** A contract schema as registry text. */
export const schemaText = (name: SchemaName, edit?: (s: { fields: object[] }) => void): string => {
  const s = structuredClone(schemaJson(name)) as unknown as { fields: object[] };
  edit?.(s);
  return JSON.stringify(s);
};

const SCHEMA_OF: Record<RawTopic, SchemaName> = { logins: 'login', orders: 'order', accountEvents: 'account_event', instruments: 'instrument', accounts: 'account' };
export const schemaOf = (t: RawTopic): SchemaName => SCHEMA_OF[t];

/**
 * The pipeline's files as the records a brokerage would publish, in the order `kanshi replay`
 * sends them: reference data, then events in file order, every schema field present.
 */
export async function foreignRecords(p: Pipeline, file: string): Promise<number> {
  const lines: string[] = [];
  const t = p.topics;
  for await (const { line } of readLines(p.files.instruments)) {
    const v = validateInstrument(JSON.parse(line));
    if (!(v instanceof RejectedEvent)) lines.push(JSON.stringify({ topic: t.instruments, key: v.symbol, value: v }));
  }
  for await (const { line } of readLines(p.files.accounts)) {
    const v = validateAccount(JSON.parse(line));
    if (!(v instanceof RejectedEvent)) lines.push(JSON.stringify({ topic: t.accounts, key: v.accountId, value: v }));
  }
  const raw = { login: t.logins, order: t.orders, account_event: t.accountEvents } as const;
  const fields = { login: schemaFieldNames('login'), order: schemaFieldNames('order'), account_event: schemaFieldNames('account_event') };
  for await (const { line } of readLines(p.files.events)) {
    const ev = parseEventLine(line);
    if (ev instanceof RejectedEvent) continue;
    const value: Record<string, unknown> = {};
    for (const f of fields[ev.type]) value[f] = (ev as unknown as Record<string, unknown>)[f] ?? null;
    lines.push(JSON.stringify({ topic: raw[ev.type], key: ev.accountId, value }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return lines.length;
}

/** ingest, detector and alerter in this process on the pipeline's topics, as pipeline.test.ts runs them. */
export async function startServices(p: Pipeline, closers: (() => Promise<void>)[], groups = { ingest: uniqueName('it_ingest'), alerter: uniqueName('it_alerter') }) {
  const reference = await loadReference(p.bus, p.topics, p.admin.endOffsets);
  closers.push(() => reference.stop());
  const ingest = await startIngest({
    bus: p.bus, store: p.store, log: silent, topics: p.topics, groupId: groups.ingest, caughtUpPartitions: p.admin.caughtUpPartitions, endOffsets: p.admin.endOffsets,
    knownSymbol: (s) => reference.ref.hasInstrument(s),
  });
  closers.push(() => ingest.stop());
  const detector = await startDetector({
    bus: p.bus, ref: reference.ref, log: silent, topics: p.topics, groupId: uniqueName('it_detector'),
    accountPartitions: p.admin.accountPartitions, symbolPartitions: p.admin.symbolPartitions,
  });
  closers.push(() => detector.stop());
  const alerter = await startAlerter({ bus: p.bus, store: p.store, log: silent, topics: p.topics, groupId: groups.alerter });
  closers.push(() => alerter.stop());
  await withTimeout(Promise.all([ingest.ready, detector.ready, alerter.ready]), 120_000, 'the services\' consumers to join');
  return { reference, ingest, detector, alerter, groups };
}

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/**
 * What the broker stored for a topic, read from its log segments (the record-batch headers of
 * infra/local's broker): the codecs of its batches, and how many were transactional or control
 * batches. Proof that the producers wrote what the test says, not just that they were told to.
 */
export function storedBatches(topic: string): { codecs: Set<string>; batches: number; transactional: number; control: number } {
  const data = path.join(KANSHI_HOME, 'kafka', 'data');
  const out = { codecs: new Set<string>(), batches: 0, transactional: 0, control: 0 };
  for (let p = 0; existsSync(path.join(data, `${topic}-${p}`)); p++) {
    const file = path.join(data, `${topic}-${p}`, '00000000000000000000.log');
    if (!existsSync(file)) continue;
    const log = readFileSync(file);
    // baseOffset (8), batchLength (4), leaderEpoch (4), magic (1), crc (4), attributes (2)
    for (let at = 0; at + 23 <= log.length;) {
      const length = log.readInt32BE(at + 8);
      if (length <= 0) break;
      const attributes = log.readInt16BE(at + 21);
      out.batches++;
      if (attributes & 0x10) out.transactional++;
      // a transaction marker is its own uncompressed batch, whatever the producer's codec
      if (attributes & 0x20) out.control++;
      else out.codecs.add(CODEC_NAMES[attributes & 7] ?? `codec ${attributes & 7}`);
      at += 12 + length;
    }
  }
  return out;
}
