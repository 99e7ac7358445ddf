import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEMA_NAMES } from '@kanshi/contract';
import { TOPIC, TOPICS, INPUT_TOPIC, ensureTopics, topicSpec, type TopicAdmin } from './topics.js';
import { BusError } from './errors.js';

test('the table holds every named topic once, with the agreed shape', () => {
  const names = TOPICS.map((t) => t.name);
  assert.deepEqual([...names].sort(), Object.values(TOPIC).sort());
  assert.equal(new Set(names).size, names.length);
  const compacted = TOPICS.filter((t) => t.compacted).map((t) => t.name).sort();
  assert.deepEqual(compacted, ['accounts', 'instruments', 'kanshi.detector-changelog', 'kanshi.lists']);
  assert.equal(topicSpec('kanshi.lists')?.keyedBy, 'entryId');
  assert.equal(topicSpec('kanshi.dead-letter')?.partitions, 3);
  for (const name of ['logins', 'orders', 'account-events', 'kanshi.events', 'kanshi.symbol-signals', 'findings', 'alerts', 'account-holds', 'account-holds-dry-run']) {
    assert.equal(topicSpec(name)?.partitions, 6, name);
  }
  for (const t of TOPICS) if (t.valueSchema) assert.ok(SCHEMA_NAMES.includes(t.valueSchema), t.name);
  assert.equal(topicSpec(INPUT_TOPIC.order)?.valueSchema, 'order');
  assert.equal(topicSpec(INPUT_TOPIC.account_event)?.keyedBy, 'accountId');
});

/** Just enough of a broker for ensureTopics: topics with a partition count and cleanup policy. */
function fakeAdmin(initial: Record<string, { partitions: number; policy?: string }> = {}) {
  const topics = new Map(Object.entries(initial));
  const createCalls: string[][] = [];
  const admin: TopicAdmin = {
    listTopics: async () => [...topics.keys()],
    createTopics: async ({ topics: requests }) => {
      createCalls.push(requests.map((r) => r.topic));
      for (const r of requests) {
        const policy = r.configEntries?.find((c) => c.name === 'cleanup.policy')?.value ?? 'delete';
        topics.set(r.topic, { partitions: r.numPartitions ?? 1, policy });
      }
      return true;
    },
    fetchTopicMetadata: async (opts) => ({
      topics: (opts?.topics ?? []).map((name) => ({
        name,
        partitions: Array.from({ length: topics.get(name)?.partitions ?? 0 }, (_, i) => ({
          partitionErrorCode: 0, partitionId: i, leader: 1, replicas: [1], isr: [1], offlineReplicas: [],
        })),
      })),
    }),
    describeConfigs: async ({ resources }) => ({
      throttleTime: 0,
      resources: resources.map((r) => ({
        errorCode: 0,
        errorMessage: '',
        resourceType: r.type,
        resourceName: r.name,
        configEntries: [{ configName: 'cleanup.policy', configValue: topics.get(r.name)?.policy ?? 'delete', readOnly: false, isDefault: false, configSource: 1, isSensitive: false, configSynonyms: [] }],
      })),
    }),
  };
  return { admin, topics, createCalls };
}

test('ensureTopics creates what is missing, with compaction where the table says so, and is idempotent', async () => {
  const broker = fakeAdmin({ orders: { partitions: 6 } });
  const first = await ensureTopics(broker.admin);
  assert.equal(first.created.length, TOPICS.length - 1);
  assert.deepEqual(first.existing, ['orders']);
  assert.equal(broker.topics.get('accounts')?.policy, 'compact');
  assert.equal(broker.topics.get('findings')?.policy, 'delete');
  assert.equal(broker.topics.get('kanshi.dead-letter')?.partitions, 3);
  const second = await ensureTopics(broker.admin);
  assert.deepEqual(second.created, []);
  assert.equal(broker.createCalls.length, 1);
});

test('an existing topic with another partition count or cleanup policy is reported, not altered', async () => {
  const broker = fakeAdmin({ orders: { partitions: 1 }, accounts: { partitions: 6, policy: 'delete' } });
  await assert.rejects(ensureTopics(broker.admin), (e: unknown) => {
    assert.ok(e instanceof BusError);
    assert.equal(e.code, 'topic_mismatch');
    assert.match(e.message, /orders has 1 partitions, the table says 6/);
    assert.match(e.message, /accounts has cleanup.policy=delete, the table says compact/);
    return true;
  });
  assert.equal(broker.topics.get('orders')?.partitions, 1);
});

test('the detector changelog is created with short segments, so compaction keeps up and a restart reads near the live snapshots', async () => {
  const broker = fakeAdmin();
  const requests: { topic: string; configEntries?: { name: string; value: string }[] }[] = [];
  const create = broker.admin.createTopics;
  broker.admin.createTopics = async (o) => {
    requests.push(...o.topics);
    return create(o);
  };
  await ensureTopics(broker.admin);
  const entries = Object.fromEntries((requests.find((r) => r.topic === TOPIC.detectorChangelog)?.configEntries ?? []).map((c) => [c.name, c.value]));
  assert.deepEqual(entries, { 'cleanup.policy': 'compact', 'segment.ms': '600000', 'min.cleanable.dirty.ratio': '0.1' });
  assert.deepEqual(requests.find((r) => r.topic === TOPIC.accounts)?.configEntries, [{ name: 'cleanup.policy', value: 'compact' }]);
});
