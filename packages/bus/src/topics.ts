import kafkajs from 'kafkajs';
import type { Admin, ITopicConfig } from 'kafkajs';
import type { EventType, SchemaName } from '@kanshi/contract';
import { BusError } from './errors.js';

/** Every Kanshi topic name, by the identifier code uses for it. */
export const TOPIC = {
  logins: 'logins',
  orders: 'orders',
  accountEvents: 'account-events',
  instruments: 'instruments',
  accounts: 'accounts',
  events: 'kanshi.events',
  symbolSignals: 'kanshi.symbol-signals',
  findings: 'findings',
  alerts: 'alerts',
  /** enforced holds only: what the order system acts on */
  accountHolds: 'account-holds',
  /** what a dry-run policy would have held, for review; never read by the order system */
  accountHoldsDryRun: 'account-holds-dry-run',
  deadLetter: 'kanshi.dead-letter',
  detectorChangelog: 'kanshi.detector-changelog',
  /** block and allow list entries (desk, ops): reference data the detector follows */
  lists: 'kanshi.lists',
} as const;
/** A topic name of the table. */
export type TopicName = (typeof TOPIC)[keyof typeof TOPIC];

/** The raw input topic a brokerage writes each event type to. */
export const INPUT_TOPIC: Readonly<Record<EventType, TopicName>> = {
  login: TOPIC.logins,
  order: TOPIC.orders,
  account_event: TOPIC.accountEvents,
};

/** One row of the topic table. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** `cleanup.policy=compact`: the latest value per key is the state, a null value deletes it */
  readonly compacted: boolean;
  /** contract schema of the value (Avro through the registry); null: internal JSON the services own */
  readonly valueSchema: SchemaName | null;
  /** what the message key holds; one key always lands on one partition */
  readonly keyedBy: string;
  /**
   * A brokerage's input: the same record as a JSON object is accepted beside Avro, for producers
   * that cannot write Avro (validated downstream like any input). Every other topic accepts only
   * its declared format, so a raw JSON record on `findings` is rejected, never acted on.
   */
  readonly acceptsJson?: boolean;
  /** further topic configs set when the topic is created (an existing topic is left as it is) */
  readonly configs?: Readonly<Record<string, string>>;
}

// Topics keyed alike share a partition count, so a consumer of several of them (orders and
// accounts by accountId; symbol-signals and instruments by symbol) finds one key on the same
// partition number in each: the co-partitioning a per-partition join relies on.
const ACCOUNT_PARTITIONS = 6;
const SYMBOL_PARTITIONS = 6;

/** The topic table: the only place partition counts and cleanup policies are written down. */
export const TOPICS: readonly TopicSpec[] = [
  { name: TOPIC.logins, partitions: ACCOUNT_PARTITIONS, compacted: false, valueSchema: 'login', keyedBy: 'accountId', acceptsJson: true },
  { name: TOPIC.orders, partitions: ACCOUNT_PARTITIONS, compacted: false, valueSchema: 'order', keyedBy: 'accountId', acceptsJson: true },
  { name: TOPIC.accountEvents, partitions: ACCOUNT_PARTITIONS, compacted: false, valueSchema: 'account_event', keyedBy: 'accountId', acceptsJson: true },
  { name: TOPIC.instruments, partitions: SYMBOL_PARTITIONS, compacted: true, valueSchema: 'instrument', keyedBy: 'symbol', acceptsJson: true },
  { name: TOPIC.accounts, partitions: ACCOUNT_PARTITIONS, compacted: true, valueSchema: 'account', keyedBy: 'accountId', acceptsJson: true },
  { name: TOPIC.events, partitions: ACCOUNT_PARTITIONS, compacted: false, valueSchema: null, keyedBy: 'accountId' },
  { name: TOPIC.symbolSignals, partitions: SYMBOL_PARTITIONS, compacted: false, valueSchema: null, keyedBy: 'symbol' },
  { name: TOPIC.findings, partitions: 6, compacted: false, valueSchema: 'finding', keyedBy: 'findingId' },
  { name: TOPIC.alerts, partitions: 6, compacted: false, valueSchema: 'alert', keyedBy: 'findingId' },
  { name: TOPIC.accountHolds, partitions: 6, compacted: false, valueSchema: 'hold', keyedBy: 'accountId' },
  { name: TOPIC.accountHoldsDryRun, partitions: 6, compacted: false, valueSchema: 'hold', keyedBy: 'accountId' },
  { name: TOPIC.deadLetter, partitions: 3, compacted: false, valueSchema: null, keyedBy: 'source topic/partition@offset' },
  // Kafka never compacts the active segment: with the defaults (a week, 1 GiB) a restart would
  // read every snapshot written that week. Segments of 10 minutes, cleaned once a tenth is
  // stale, keep what a restart reads near the live snapshots (two slots per task).
  { name: TOPIC.detectorChangelog, partitions: 6, compacted: true, valueSchema: null, keyedBy: 'detector state key', configs: { 'segment.ms': '600000', 'min.cleanable.dirty.ratio': '0.1' } },
  // one partition: a handful of entries a day, read whole by every detector, in the order written
  { name: TOPIC.lists, partitions: 1, compacted: true, valueSchema: 'list_entry', keyedBy: 'entryId' },
];

/** The topic names of one Kanshi deployment: TOPIC, each name behind `prefix` (tests, tenants). */
export type TopicNames = { readonly [K in keyof typeof TOPIC]: string };

export function topicNames(prefix = ''): TopicNames {
  return Object.fromEntries(Object.entries(TOPIC).map(([k, v]) => [k, `${prefix}${v}`])) as unknown as TopicNames;
}

/** The topic table with every name behind `prefix`; partitions and schemas unchanged. */
export function topicTable(prefix = ''): TopicSpec[] {
  return TOPICS.map((t) => ({ ...t, name: `${prefix}${t.name}` }));
}

/** The spec of a topic in the table, or undefined. */
export function topicSpec(name: string, topics: readonly TopicSpec[] = TOPICS): TopicSpec | undefined {
  return topics.find((t) => t.name === name);
}

/** The part of the kafkajs admin client ensureTopics uses (a fake in unit tests). */
export type TopicAdmin = Pick<Admin, 'listTopics' | 'createTopics' | 'fetchTopicMetadata' | 'describeConfigs'>;

/** Options of {@link ensureTopics}. */
export interface EnsureTopicsOptions {
  topics?: readonly TopicSpec[];
  /** -1 (default) lets the broker's default.replication.factor decide */
  replicationFactor?: number;
  /** how long the broker may take to create topics and elect leaders */
  timeoutMs?: number;
}

/** Which topics {@link ensureTopics} created and which it found (and checked). */
export interface EnsureTopicsReport {
  created: string[];
  existing: string[];
}

function createRequest(spec: TopicSpec, replicationFactor: number): ITopicConfig {
  return {
    topic: spec.name,
    numPartitions: spec.partitions,
    replicationFactor,
    configEntries: [
      ...(spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
      ...Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
    ],
  };
}

/**
 * Creates the topics of the table that do not exist, and checks the ones that do.
 * Idempotent. Throws `BusError('topic_mismatch')` when an existing topic has another
 * partition count or cleanup policy than the table: repartitioning would move keys between
 * partitions and break per-account ordering, so that is a decision for a human, not this code.
 */
export async function ensureTopics(admin: TopicAdmin, opts: EnsureTopicsOptions = {}): Promise<EnsureTopicsReport> {
  const topics = opts.topics ?? TOPICS;
  // Listing first keeps re-runs quiet: kafkajs logs TOPIC_ALREADY_EXISTS at ERROR level.
  const present = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !present.has(t.name));
  const existing = topics.filter((t) => present.has(t.name));
  if (missing.length > 0) {
    await admin.createTopics({
      topics: missing.map((t) => createRequest(t, opts.replicationFactor ?? -1)),
      waitForLeaders: true,
      timeout: opts.timeoutMs ?? 30_000,
    });
  }
  const mismatches = await findMismatches(admin, existing, opts.replicationFactor);
  if (mismatches.length > 0) {
    throw new BusError(
      'topic_mismatch',
      `existing topics differ from the topic table (delete and re-create them, or change the table): ${mismatches.join('; ')}`,
    );
  }
  return { created: missing.map((t) => t.name), existing: existing.map((t) => t.name) };
}

/** What {@link checkTopics} found: topics absent, and how present ones differ from the table. */
export interface TopicsCheckReport {
  missing: string[];
  mismatches: string[];
  present: string[];
}

/**
 * Compares the cluster with the table without changing anything: which topics are missing,
 * and which have another partition count, cleanup policy or (given `replicationFactor` > 0)
 * replication factor.
 */
export async function checkTopics(admin: TopicAdmin, opts: EnsureTopicsOptions = {}): Promise<TopicsCheckReport> {
  const topics = opts.topics ?? TOPICS;
  const present = new Set(await admin.listTopics());
  const existing = topics.filter((t) => present.has(t.name));
  return {
    missing: topics.filter((t) => !present.has(t.name)).map((t) => t.name),
    mismatches: await findMismatches(admin, existing, opts.replicationFactor),
    present: existing.map((t) => t.name),
  };
}

async function findMismatches(admin: TopicAdmin, specs: readonly TopicSpec[], replicationFactor = -1): Promise<string[]> {
  if (specs.length === 0) return [];
  const names = specs.map((t) => t.name);
  const [metadata, configs] = await Promise.all([
    admin.fetchTopicMetadata({ topics: names }),
    admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy'],
      })),
    }),
  ]);
  const problems: string[] = [];
  for (const spec of specs) {
    const parts = metadata.topics.find((t) => t.name === spec.name)?.partitions;
    const partitions = parts?.length;
    if (partitions !== spec.partitions) {
      problems.push(`${spec.name} has ${partitions ?? 'no'} partitions, the table says ${spec.partitions}`);
    }
    const thin = replicationFactor > 0 ? (parts ?? []).filter((p) => p.replicas.length !== replicationFactor) : [];
    if (thin.length > 0) {
      problems.push(`${spec.name} partition ${thin[0].partitionId} has ${thin[0].replicas.length} replicas, ${replicationFactor} asked for`);
    }
    const policy =
      configs.resources
        .find((r) => r.resourceName === spec.name)
        ?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? 'delete';
    const compacted = policy.split(',').includes('compact');
    if (compacted !== spec.compacted) {
      problems.push(`${spec.name} has cleanup.policy=${policy}, the table says ${spec.compacted ? 'compact' : 'delete'}`);
    }
  }
  return problems;
}
