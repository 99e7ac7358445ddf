/**
 * The attack of issue 15 on the real broker and registry: anyone who can write to `findings`
 * wrote a raw JSON "finding" and the alerter, in enforce mode, held the account it named. Now
 * the serde refuses JSON on Kanshi's own Avro topics, the alerter dead-letters the record with
 * its reason, and only a valid Avro finding holds, on account-holds (dry runs go elsewhere).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Delivery } from '@kanshi/bus';
import type { Finding, Hold, Rejection } from '@kanshi/contract';
import { startAlerter } from '@kanshi/alerter';
import { clickhouseQuery, uniqueName, withTimeout } from './harness.js';
import { openTestNamespace } from './namespace.js';
import { silent, until } from './pipeline-harness.js';

const WAIT_MS = 60_000;
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});
const run = randomBytes(4).toString('hex');

const finding = (id: string, accountId: string): Finding => ({
  findingId: `${id}-${run}`, kind: 'hijacked_pump_buy', severity: 'critical', score: 0.99, accountIds: [accountId], symbols: ['7203'],
  detectedAt: Date.now() - 60_000, evidence: ['e1'], reasons: [{ code: 'session_resume_foreign_device', detail: 'cookie on another device' }, { code: 'liquidation', detail: 'sold' }, { code: 'thin_stock_buy', detail: 'bought thin' }], revision: 1,
});

test('raw JSON written to findings holds nobody in enforce mode: it is dead-lettered with its reason', async () => {
  const ns = await openTestNamespace('trust', WAIT_MS);
  closers.push(() => ns.close());
  const { ep, kafka, bus, store, database, topics: t } = ns;

  const seen = { holds: [] as Delivery<Hold>[], dryRun: [] as Delivery<Hold>[], dead: [] as Delivery<Rejection & { topic: string }>[] };
  for (const [topic, into] of [[t.accountHolds, seen.holds], [t.accountHoldsDryRun, seen.dryRun], [t.deadLetter, seen.dead]] as const) {
    const sub = await bus.subscribe(topic, { groupId: uniqueName('it_trust_watch'), fromBeginning: true }, (b) => {
      (into as Delivery<unknown>[]).push(...b);
    });
    closers.push(() => sub.stop());
    await withTimeout(sub.ready, WAIT_MS, `a consumer of ${topic} to join`);
  }
  const alerter = await startAlerter({ bus, store, log: silent, topics: t, groupId: uniqueName('it_trust_alerter'), holdPolicy: { mode: 'enforce' } });
  closers.push(() => alerter.stop());
  await withTimeout(alerter.ready, WAIT_MS, 'the alerter to join its group');

  // the attack: a well-formed finding, as JSON, straight onto the topic
  const forged = finding('forged', `VICTIM-${run}`);
  const raw = kafka.producer();
  await raw.connect();
  closers.push(() => raw.disconnect());
  await raw.send({ topic: t.findings, messages: [{ key: forged.findingId, value: Buffer.from(JSON.stringify(forged)) }] });
  // then a real one through the serde, on the same key so the same partition: it proves the
  // alerter read past the forged record
  const real = finding('real', `REAL-${run}`);
  await bus.publish(t.findings, [{ key: forged.findingId, value: real }]);

  await until('the real finding\'s hold on account-holds', () => seen.holds.length >= 1, WAIT_MS);
  await until('a dead letter for the forged record', () => seen.dead.length >= 1, WAIT_MS);
  await new Promise((r) => setTimeout(r, 2_000));
  assert.deepEqual(seen.holds.map((d) => (d.value as Hold).accountId), [`REAL-${run}`], 'only the Avro finding holds');
  assert.deepEqual(seen.holds.map((d) => (d.value as Hold).mode), ['enforce']);
  assert.deepEqual(seen.dryRun, [], 'nothing on the dry-run topic in enforce mode');
  const dead = seen.dead.map((d) => d.value as Rejection & { topic: string });
  assert.equal(dead.length, 1);
  assert.equal(dead[0].topic, t.findings);
  assert.match(dead[0].reason, /magic byte 0x7b.*JSON/);
  assert.match(dead[0].source, new RegExp(`^${t.findings.replace(/\./g, '\\.')}/\\d+@0$`));
  const held = await clickhouseQuery(ep.clickhouseUrl, `SELECT account_id FROM ${database}.holds FINAL FORMAT TSV`);
  assert.deepEqual(held.split('\n').filter(Boolean), [`REAL-${run}`], 'ClickHouse records the one hold');
  const rejected = await clickhouseQuery(ep.clickhouseUrl, `SELECT source FROM ${database}.rejected_events FINAL FORMAT TSV`);
  assert.equal(rejected.split('\n').filter(Boolean).length, 1, 'and the rejection');
});
