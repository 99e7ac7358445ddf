/**
 * `kanshi replay`: a file, or a period ClickHouse archived, into the raw topics (or a file), in
 * event-time order. Its config comes from the runtime's table, as the services' does.
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { topicNames, type Bus, type BusMessage, type TopicNames } from '@kanshi/bus';
import { parseEventLine, RejectedEvent, schemaFieldNames, validateAccount, validateInstrument, type InputEvent } from '@kanshi/contract';
import { connect, loadConfig, UsageError } from '@kanshi/runtime';
import { openStore } from '@kanshi/store';
import { need } from './lab.js';
import { NdjsonWriter, readLines } from './ndjson.js';
import { Progress } from './progress.js';

export interface ReplayFiles {
  events: string;
  instruments: string;
  accounts: string;
}

export interface ReplayResult {
  sent: number;
  skipped: number;
  instruments: number;
  accounts: number;
}

/**
 * Publishes reference data to the compacted topics, then the events to the raw topics (Avro,
 * keyed by accountId) in file order, time-scaled by `speed` (0: as fast as possible).
 */
export async function replayFile(bus: Bus, topics: TopicNames, files: ReplayFiles, speed = 0, onProgress?: (sent: number) => void): Promise<ReplayResult> {
  const refs = async (file: string, topic: string, check: (x: unknown) => unknown, key: (x: Record<string, unknown>) => string) => {
    const batch: BusMessage[] = [];
    for await (const { line } of readLines(file)) {
      let v: unknown;
      try {
        v = check(JSON.parse(line));
      } catch {
        continue;
      }
      if (!(v instanceof RejectedEvent)) batch.push({ key: key(v as Record<string, unknown>), value: v });
    }
    await bus.publish(topic, batch);
    return batch.length;
  };
  const instruments = await refs(files.instruments, topics.instruments, validateInstrument, (x) => String(x.symbol));
  const accounts = await refs(files.accounts, topics.accounts, validateAccount, (x) => String(x.accountId));
  let skipped = 0;
  async function* parsed(): AsyncGenerator<InputEvent> {
    for await (const { line } of readLines(files.events, () => void skipped++)) {
      const ev = parseEventLine(line);
      if (ev instanceof RejectedEvent) skipped++;
      else yield ev;
    }
  }
  const sent = await publishEvents(bus, topics, parsed(), speed, onProgress);
  return { sent, skipped, instruments, accounts };
}

/** Events into the raw topics (Avro, keyed by accountId) in the order given, time-scaled by `speed`. */
export async function publishEvents(bus: Bus, topics: TopicNames, events: AsyncIterable<InputEvent>, speed = 0, onProgress?: (sent: number) => void): Promise<number> {
  const raw: Record<InputEvent['type'], string> = { login: topics.logins, order: topics.orders, account_event: topics.accountEvents };
  const fields = { login: schemaFieldNames('login'), order: schemaFieldNames('order'), account_event: schemaFieldNames('account_event') };
  let sent = 0;
  let first: number | null = null;
  const started = Date.now();
  let pending: { topic: string; msg: BusMessage<InputEvent> }[] = [];
  const flush = async () => {
    const byTopic = new Map<string, BusMessage<InputEvent>[]>();
    for (const p of pending) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.msg]);
    for (const [topic, msgs] of byTopic) await bus.publish(topic, msgs);
    sent += pending.length;
    pending = [];
    onProgress?.(sent);
  };
  for await (const ev of events) {
    if (speed > 0) {
      first ??= ev.ts;
      const due = started + (ev.ts - first) / speed;
      if (due > Date.now()) {
        await flush();
        await sleep(due - Date.now());
      }
    }
    // Avro records carry every field: an absent optional one is null on the wire
    const value: Record<string, unknown> = {};
    for (const f of fields[ev.type]) value[f] = (ev as unknown as Record<string, unknown>)[f] ?? null;
    pending.push({ topic: raw[ev.type], msg: { key: ev.accountId, value: value as unknown as InputEvent } });
    if (pending.length >= 500) await flush();
  }
  await flush();
  return sent;
}

const REPLAY_HELP = `kanshi replay --events F --instruments F --accounts F --to-kafka [--speed X]
kanshi replay --from-clickhouse --from T --to T [--account ID] (--out FILE | --to-kafka [--speed X])
  A file: reference data to the compacted topics, then the events to logins/orders/account-events
  (Avro, keyed by accountId) in file order. An archived period (T: ISO-8601 or epoch ms): the
  events ClickHouse archived, in event-time order, to an NDJSON file for \`kanshi detect\`, or
  back into Kafka. --speed 60 plays an hour a minute, 0 (default) as fast as possible.
  Env: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL, CLICKHOUSE_DATABASE, KANSHI_TOPIC_PREFIX.`;

/** `kanshi replay`: a file, or an archived period, into Kafka (or a file), in event-time order. */
export async function replay(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' }, instruments: { type: 'string' }, accounts: { type: 'string' },
      'to-kafka': { type: 'boolean', default: false }, speed: { type: 'string', default: '0' },
      'from-clickhouse': { type: 'boolean', default: false }, from: { type: 'string' }, to: { type: 'string' },
      account: { type: 'string' }, out: { type: 'string' },
      help: { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(REPLAY_HELP);
    return 0;
  }
  const speed = Number(values.speed);
  if (!Number.isFinite(speed) || speed < 0) throw new UsageError(`--speed must be a number >= 0, got '${values.speed}'`);
  if (values['from-clickhouse']) return replayArchive(values, speed, env);
  if (!values['to-kafka']) throw new UsageError('say where to: --to-kafka');
  const files = { events: need(values.events, 'events'), instruments: need(values.instruments, 'instruments'), accounts: need(values.accounts, 'accounts') };
  const cfg = loadConfig('replay', env);
  const bus = await connect(cfg, 'kanshi-replay');
  const bar = new Progress('replay', 2_000);
  try {
    const r = await replayFile(bus, topicNames(cfg.topicPrefix), files, speed, (n) => { if (!values.quiet) bar.update(n, undefined, ' events'); });
    bar.done();
    console.log(`replayed ${r.sent.toLocaleString('en-US')} events (${r.skipped} bad lines skipped), ${r.instruments} instruments, ${r.accounts} accounts into Kafka`);
  } finally {
    await bus.close();
  }
  return 0;
}

function instant(v: string | undefined, flag: string): number {
  const s = need(v, flag);
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new UsageError(`--${flag} must be an ISO-8601 time or epoch milliseconds, got '${s}'`);
  return t;
}

async function replayArchive(values: { from?: string; to?: string; account?: string; out?: string; 'to-kafka'?: boolean; quiet?: boolean }, speed: number, env: NodeJS.ProcessEnv): Promise<number> {
  const from = instant(values.from, 'from');
  const to = instant(values.to, 'to');
  if (to < from) throw new UsageError('--to is before --from');
  if (!values.out && !values['to-kafka']) throw new UsageError('say where to: --out FILE or --to-kafka');
  const archive = loadConfig('archive', env);
  if (!archive.clickhouseUrl) throw new UsageError('CLICKHOUSE_URL is not set: the archive lives in ClickHouse');
  // an archive to a file needs no Kafka: the broker settings are checked only when it goes there
  const cfg = values['to-kafka'] ? loadConfig('replay', env) : null;
  const store = await openStore({ url: archive.clickhouseUrl, database: archive.clickhouseDatabase, ...archive.security.clickhouse });
  const bar = new Progress('replay', 2_000);
  try {
    // the account id and the times reach SQL only through the store's escaping
    const events = store.archivedEvents({ from, to, accountId: values.account });
    if (values.out) {
      const w = new NdjsonWriter(values.out);
      let n = 0;
      for await (const e of events) {
        await w.write(e);
        n++;
        if (!values.quiet) bar.update(n, undefined, ' events');
      }
      await w.close();
      bar.done();
      console.log(`${n.toLocaleString('en-US')} archived events of ${new Date(from).toISOString()} .. ${new Date(to).toISOString()} → ${values.out}`);
      return 0;
    }
    const bus = await connect(cfg!, 'kanshi-replay');
    try {
      const n = await publishEvents(bus, topicNames(cfg!.topicPrefix), events, speed, (k) => { if (!values.quiet) bar.update(k, undefined, ' events'); });
      bar.done();
      console.log(`replayed ${n.toLocaleString('en-US')} archived events into Kafka`);
    } finally {
      await bus.close();
    }
    return 0;
  } finally {
    await store.close();
  }
}
