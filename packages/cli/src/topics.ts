/**
 * `kanshi topics create|check`: a deployment's topics (KANSHI_TOPIC_PREFIX) as the topic table
 * says, and the one-line refusal of a service whose topics are not there.
 */
import { parseArgs } from 'node:util';
import type { Kafka } from 'kafkajs';
import { BusError, checkTopics, createKafka, ensureTopics, parseBrokerList, topicTable } from '@kanshi/bus';
import { connectionSecurity } from './connection-config.js';
import { UsageError } from './lab.js';

const HELP = `kanshi topics create [--replication-factor N]
kanshi topics check [--replication-factor N]
  create: makes the topics of the deployment named by KANSHI_TOPIC_PREFIX that do not exist, with
  the partition counts and cleanup policies of the topic table (packages/bus/src/topics.ts), and
  checks those that do. check: changes nothing, says what is missing or differs, exits 1 if any.
  --replication-factor: default KAFKA_REPLICATION_FACTOR, else the broker's default.replication.factor
  (check compares replicas only when one is given). Env: KAFKA_BROKERS, KANSHI_TOPIC_PREFIX.`;

/** Fails with one line naming the missing topics and the command that makes them. */
export async function requireTopics(kafka: Kafka, prefix: string, brokers: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const present = new Set(await admin.listTopics());
    const missing = topicTable(prefix).map((t) => t.name).filter((n) => !present.has(n));
    if (missing.length > 0) {
      const shown = missing.length > 4 ? `${missing.slice(0, 4).join(', ')} and ${missing.length - 4} more` : missing.join(', ');
      throw new BusError('topic_missing', `${missing.length} topics of this deployment do not exist (${shown}); create them with \`kanshi topics create\` (same KAFKA_BROKERS and KANSHI_TOPIC_PREFIX=${JSON.stringify(prefix)})`);
    }
  } catch (e) {
    if (e instanceof BusError) throw e;
    throw new BusError('broker_unreachable', `Kafka at ${brokers.join(',')} did not answer: ${(e as Error).message}`, { cause: e });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function topics(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'replication-factor': { type: 'string' }, help: { type: 'boolean', default: false } } });
  const verb = positionals[0];
  if (values.help || !verb) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  if (verb !== 'create' && verb !== 'check') throw new UsageError(`unknown topics command '${verb}': create or check`);
  const rfText = values['replication-factor'] ?? process.env.KAFKA_REPLICATION_FACTOR;
  const replicationFactor = rfText === undefined || rfText === '' ? undefined : Number(rfText);
  if (replicationFactor !== undefined && (!Number.isInteger(replicationFactor) || replicationFactor < 1)) {
    throw new UsageError(`--replication-factor must be a whole number >= 1, got '${rfText}'`);
  }
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new UsageError('KAFKA_BROKERS is not set (e.g. 127.0.0.1:9092)');
  const prefix = process.env.KANSHI_TOPIC_PREFIX ?? '';
  const table = topicTable(prefix);
  const security = connectionSecurity(process.env).kafka;
  const admin = createKafka({ brokers: parseBrokerList(brokers), clientId: 'kanshi-topics', logLevel: 'nothing', security }).admin();
  try {
    await admin.connect();
    if (verb === 'create') {
      const r = await ensureTopics(admin, { topics: table, replicationFactor });
      console.log(`topics of prefix ${JSON.stringify(prefix)}: created ${r.created.length} (${r.created.join(', ') || 'none'}), ${r.existing.length} already present and as the table says`);
      return 0;
    }
    const r = await checkTopics(admin, { topics: table, replicationFactor });
    for (const t of table) {
      const spec = `${t.partitions} partitions, ${t.compacted ? 'compact' : 'delete'}`;
      const state = r.missing.includes(t.name) ? 'MISSING' : r.mismatches.some((m) => m.startsWith(`${t.name} `)) ? 'DIFFERS' : 'ok';
      console.log(`${state.padEnd(8)} ${t.name.padEnd(40)} ${spec}`);
    }
    for (const m of r.mismatches) console.log(`  ${m}`);
    if (r.missing.length) console.log(`${r.missing.length} missing: \`kanshi topics create\` makes them`);
    return r.missing.length || r.mismatches.length ? 1 : 0;
  } catch (e) {
    if (e instanceof BusError) throw e;
    throw new BusError('broker_unreachable', `Kafka at ${brokers} did not answer: ${(e as Error).message}`, { cause: e });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
