/**
 * One set of store checks, run against embedded chdb by the unit tests and against the real
 * server by test/integration: the same DDL and SQL must behave the same on both.
 */
import assert from 'node:assert/strict';
import type { Finding } from '@kanshi/contract';
import type { Store } from './store.js';

export interface ConformanceCase {
  name: string;
  run(store: Store): Promise<void>;
}

const T0 = Date.UTC(2025, 2, 24, 0, 31, 7, 123);

export function sampleFinding(over: Partial<Finding> = {}): Finding {
  return {
    findingId: 'f-1', kind: 'hijacked_pump_buy', severity: 'high', score: 0.83,
    accountIds: ['A1', 'A2'], symbols: ['XTKS:9999'], detectedAt: T0, evidence: ['e1', 'e2'],
    reasons: [{ code: 'session_resume_foreign_device', detail: 'session resumed on a device that never logged in' }],
    revision: 1, threat: 0.9, vulnerability: 0.5, impact: null, ...over,
  };
}

export const STORE_CONFORMANCE: readonly ConformanceCase[] = [
  {
    name: 'migrations apply once; a second run applies nothing and fails nothing',
    async run(store) {
      const first = await store.migrate();
      assert.ok(first.applied.length >= 1, 'the first run applies the migrations');
      const second = await store.migrate();
      assert.deepEqual(second.applied, []);
      assert.equal(second.alreadyApplied, first.applied.length + first.alreadyApplied);
    },
  },
  {
    name: 'a finding written twice, and an older revision after a newer one, is one row with the newest after FINAL',
    async run(store) {
      await store.migrate();
      await store.writeFindings([sampleFinding()]);
      await store.writeFindings([sampleFinding({ revision: 3, severity: 'critical', accountIds: ['A1', 'A2', 'A3'] })]);
      await store.writeFindings([sampleFinding({ revision: 2 })]);
      await store.writeFindings([sampleFinding({ revision: 3, severity: 'critical', accountIds: ['A1', 'A2', 'A3'] })]);
      const found = await store.findings();
      assert.equal(found.length, 1);
      assert.equal(found[0].revision, 3);
      assert.equal(found[0].severity, 'critical');
      assert.deepEqual(found[0].accountIds, ['A1', 'A2', 'A3']);
      const c = await store.counts();
      assert.deepEqual(c.findings, { rows: 1, ids: 1 });
    },
  },
  {
    name: 'hostile strings and millisecond instants round-trip exactly; filters are values, not SQL',
    async run(store) {
      await store.migrate();
      const hostile = "A' OR 1=1 --\\'\n\t\r\0 ; DROP TABLE findings; 監視 🚨";
      const f = sampleFinding({ findingId: hostile, accountIds: [hostile], symbols: ["X'Y"], detectedAt: T0 + 999,
        reasons: [{ code: 'c', detail: "it's \"quoted\" \\ and\nmultiline" }] });
      await store.writeFindings([f]);
      const [back] = await store.findings({ accountId: hostile });
      assert.deepEqual(back, f);
      assert.deepEqual(await store.findings({ accountId: "' OR ''='" }), []);
      assert.deepEqual((await store.findings({ symbol: "X'Y", kind: 'hijacked_pump_buy', since: T0 })).map((x) => x.findingId), [hostile]);
    },
  },
  {
    name: 'archived events replay in event-time order, once each, within the asked period',
    async run(store) {
      await store.migrate();
      const ev = (i: number, ts: number) => ({
        event: { type: 'login' as const, eventId: `e${i}`, ts, accountId: 'A1', result: 'success' as const, authMethod: 'password' as const, channel: 'web' as const, ip: '192.0.2.1' },
        source: `logins/0@${i}`,
      });
      await store.archiveEvents([ev(2, T0 + 2), ev(1, T0 + 1), ev(3, T0 + 60_000)]);
      await store.archiveEvents([ev(1, T0 + 1)]);
      const seen: string[] = [];
      for await (const e of store.archivedEvents({ from: T0, to: T0 + 1000 })) seen.push(e.eventId);
      assert.deepEqual(seen, ['e1', 'e2']);
      const injected: string[] = [];
      for await (const e of store.archivedEvents({ from: T0, to: T0 + 1000, accountId: "A1' OR '1'='1" })) injected.push(e.eventId);
      assert.deepEqual(injected, [], 'an account id is a value, never SQL');
      await store.writeRejections([{ source: 'logins/1@9', eventId: null, field: 'ts', reason: 'not a timestamp', raw: '{"ts":"soon"}' }], T0);
      const c = await store.counts();
      assert.deepEqual(c.events_raw, { rows: 3, ids: 3 });
      assert.deepEqual(c.rejected_events, { rows: 1, ids: 1 });
    },
  },
];
