/**
 * `kanshi topics create|check`: a deployment's topics (KANSHI_TOPIC_PREFIX) as the topic table
 * says. A service refuses to start without them (requireTopics in @kanshi/bus) and names this.
 */
import { parseArgs } from 'node:util';
import { BusError, checkTopics, createKafka, ensureTopics, topicTable } from '@kanshi/bus';
import { loadConfig, UsageError } from '@kanshi/runtime';

const HELP = `kanshi topics create [--replication-factor N]
kanshi topics check [--replication-factor N]
  create: makes the topics of the deployment named by KANSHI_TOPIC_PREFIX that do not exist, with
  the partition counts and cleanup policies of the topic table (packages/bus/src/topics.ts), and
  checks those that do. check: changes nothing, says what is missing or differs, exits 1 if any.
  --replication-factor: default KAFKA_REPLICATION_FACTOR, else the broker's default.replication.factor
  (check compares replicas only when one is given). Env: KAFKA_BROKERS, KANSHI_TOPIC_PREFIX.`;

export async function topics(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'replication-factor': { type: 'string' }, help: { type: 'boolean', default: false } } });
  const verb = positionals[0];
  if (values.help || !verb) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  if (verb !== 'create' && verb !== 'check') throw new UsageError(`unknown topics command '${verb}': create or check`);
  const cfg = loadConfig('topics', env, { 'replication-factor': values['replication-factor'] });
  const { replicationFactor, topicPrefix: prefix } = cfg;
  const table = topicTable(prefix);
  const admin = createKafka({ brokers: cfg.kafkaBrokers, clientId: 'kanshi-topics', logLevel: 'nothing', security: cfg.security.kafka }).admin();
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
    throw new BusError('broker_unreachable', `Kafka at ${cfg.kafkaBrokers.join(',')} did not answer: ${(e as Error).message}`, { cause: e });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
