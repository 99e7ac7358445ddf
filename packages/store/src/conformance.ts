/**
 * One set of store checks, run against embedded chdb by the unit tests and against the real
 * server by test/integration: the same DDL and SQL must behave the same on both.
 */
import assert from 'node:assert/strict';
import type { Alert, Finding, Hold } from '@kanshi/contract';
import { DESK_CONFORMANCE } from './desk-conformance.js';
import { MigrationMismatch } from './errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
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

/**
 * Strings that break naive SQL quoting or JSON handling: quotes and backslashes in every order,
 * each control character, parameter- and comment-like syntax, and Unicode beyond ASCII and the
 * BMP. (Lone surrogates are left out: they are not text, and UTF-8 cannot carry them.)
 */
export const HOSTILE_STRINGS: readonly string[] = [
  "'", "''", '\\', "\\'", "'\\", '\\\\\'', '"', '`', '\\x41', '\\n', '\\0',
  '\n', '\r\n', '\t', '\0', 'a\0b',
  `${Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')}\x7f`,
  "x' OR 1=1 --", "'; DROP TABLE findings; --", '/* c */', '{accountId:String}', '?', '$1', '%s',
  '監視 テスト', '🚨🐉', 'e\u0301', '\u200f\u202e RTL', '\ufeffBOM', '\u2028\u2029', '', ' padded ',
];

const migrationV1000: Migration = {
  version: 1000,
  name: 'conformance-only extra table',
  statements: (db) => [`CREATE TABLE IF NOT EXISTS ${db}.conformance_extra (x UInt8) ENGINE = MergeTree() ORDER BY x`],
};

export const STORE_CONFORMANCE: readonly ConformanceCase[] = [
  {
    name: 'migrations apply once; a second run applies nothing and fails nothing',
    async run(store) {
      const first = await store.migrate();
      assert.ok(first.applied.length >= 1, 'the first run applies the migrations');
      const second = await store.migrate();
      assert.deepEqual(second.applied, []);
      assert.equal(second.alreadyApplied, first.applied.length + first.alreadyApplied);
      assert.deepEqual(second.unknownVersions, []);
    },
  },
  {
    name: 'a later migration applies alone; an edited applied one stops start-up; a newer database is reported',
    async run(store) {
      await store.migrate();
      const next = await store.migrate([...MIGRATIONS, migrationV1000]);
      assert.deepEqual(next.applied, [`1000 ${migrationV1000.name}`]);
      assert.deepEqual((await store.migrate([...MIGRATIONS, migrationV1000])).applied, []);
      assert.deepEqual((await store.migrate()).unknownVersions, [1000], 'an older build sees the newer version');
      const edited = MIGRATIONS.map((m, i) => (i === 0 ? { ...m, statements: (db: string) => [...m.statements(db), 'SELECT 1'] } : m));
      await assert.rejects(store.migrate(edited), (e: unknown) => e instanceof MigrationMismatch && e.version === MIGRATIONS[0].version);
      await assert.rejects(store.migrate([migrationV1000, ...MIGRATIONS]), RangeError, 'out of order');
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
    name: 'filters apply to the newest revision only: a match on a superseded revision is no match',
    async run(store) {
      await store.migrate();
      await store.writeFindings([sampleFinding({ revision: 1, kind: 'account_takeover', accountIds: ['A_OLD'], symbols: ['S_OLD'] })]);
      await store.writeFindings([sampleFinding({ revision: 2, kind: 'takeover_liquidation', accountIds: ['A_NEW'], symbols: ['S_NEW'] })]);
      assert.deepEqual(await store.findings({ kind: 'account_takeover' }), []);
      assert.deepEqual(await store.findings({ accountId: 'A_OLD' }), []);
      assert.deepEqual(await store.findings({ symbol: 'S_OLD' }), []);
      assert.deepEqual((await store.findings({ accountId: 'A_NEW', symbol: 'S_NEW', kind: 'takeover_liquidation' })).map((f) => f.revision), [2]);
    },
  },
  {
    name: 'every hostile string round-trips through an insert and back through a filter, matching only itself',
    async run(store) {
      await store.migrate();
      const written = HOSTILE_STRINGS.map((s, i) => sampleFinding({
        findingId: `h${i}`, kind: s, accountIds: [s], symbols: [s], evidence: [s], reasons: [{ code: s, detail: s }],
      }));
      await store.writeFindings(written);
      for (const [i, s] of HOSTILE_STRINGS.entries()) {
        assert.deepEqual(await store.findings({ accountId: s }), [written[i]], `accountId ${JSON.stringify(s)}`);
        assert.deepEqual((await store.findings({ kind: s, symbol: s })).map((f) => f.findingId), [`h${i}`], `kind ${JSON.stringify(s)}`);
      }
    },
  },
  {
    name: 'instants keep their milliseconds, and since is exact to the millisecond',
    async run(store) {
      await store.migrate();
      const second = Math.floor(T0 / 1000) * 1000;
      const at = [second, second + 1, second + 500, second + 999, second + 1000, Date.UTC(2106, 1, 7, 6, 28, 15, 999)];
      await store.writeFindings(at.map((detectedAt, i) => sampleFinding({ findingId: `t${i}`, detectedAt })));
      const back = await store.findings();
      assert.deepEqual(back.map((f) => f.detectedAt), [...at].sort((a, b) => b - a), 'newest first, exact');
      assert.deepEqual((await store.findings({ since: second + 500 })).map((f) => f.findingId).sort(), ['t2', 't3', 't4', 't5']);
      assert.deepEqual((await store.findings({ since: second + 501 })).map((f) => f.findingId).sort(), ['t3', 't4', 't5']);
    },
  },
  {
    name: 'alerts, holds, audit entries and rejections written twice are one row each',
    async run(store) {
      await store.migrate();
      const alert: Alert = { alertId: 'al-1', findingId: 'f-1', kind: 'hijacked_pump_buy', severity: 'high', score: 0.8,
        accountIds: ['A1'], symbols: ['S1'], at: T0, summary: "A1 bought S1 from a hijacked session, it's urgent" };
      const hold: Hold = { holdId: 'h-1', accountId: 'A1', findingId: 'f-1', at: T0 + 1, mode: 'dry_run', reason: 'takeover' };
      const entry = { auditId: 'au-1', at: T0 + 2, actor: 'alerter', action: 'hold.dry_run', subject: 'A1', detail: '{"x":1}', policyVersion: 'p1' };
      const rejection = { source: 'orders/2@77', eventId: 'e9', field: 'quantity', reason: 'not a positive number', raw: '{"quantity":-1}' };
      for (let i = 0; i < 2; i++) {
        await store.writeAlerts([alert]);
        await store.writeHolds([hold]);
        await store.audit([entry]);
        await store.writeRejections([rejection], T0 + 3);
      }
      const c = await store.counts();
      for (const t of ['alerts', 'holds', 'audit_log', 'rejected_events'] as const) assert.deepEqual(c[t], { rows: 1, ids: 1 }, t);
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
  {
    name: 'the alerter\'s decisions read back: newest revision, severities alerted, latest hold per account, the newest holds, the breaker',
    async run(store) {
      await store.migrate();
      const empty = await store.decisionsSoFar(2);
      assert.equal(empty.revisions.size + empty.alerted.size + empty.heldAt.size + empty.recentHolds.length, 0);
      assert.equal(empty.breakerOpenedAt, null);
      assert.deepEqual(empty.recentHoldWrites, []);
      await store.writeFindings([sampleFinding({ revision: 1 }), sampleFinding({ revision: 3 }), sampleFinding({ findingId: 'f-2' })]);
      const alert = (severity: Alert['severity']): Alert => ({ alertId: `al-${severity}`, findingId: 'f-1', kind: 'hijacked_pump_buy', severity, score: 0.9, accountIds: ['A1'], symbols: [], at: T0, summary: 's' });
      await store.writeAlerts([alert('high'), alert('critical'), alert('critical')]);
      const hold = (holdId: string, accountId: string, at: number): Hold => ({ holdId, accountId, findingId: 'f-1', at, mode: 'dry_run', reason: 'r' });
      await store.writeHolds([hold('h1', "A'1", T0 + 5), hold('h2', "A'1", T0 + 1_005), hold('h3', 'B', T0 + 7), hold('h3', 'B', T0 + 7)]);
      await store.audit([{ auditId: 'au-b', at: T0 + 2_001, actor: 'alerter', action: 'hold.circuit_breaker_open', subject: 'x', detail: '', policyVersion: 'p' }]);
      const d = await store.decisionsSoFar(2);
      assert.deepEqual([...d.revisions].sort(), [['f-1', 3], ['f-2', 1]]);
      assert.deepEqual([...(d.alerted.get('f-1') ?? [])].sort(), ['critical', 'high']);
      assert.deepEqual([...d.heldAt].sort(), [["A'1", T0 + 1_005], ['B', T0 + 7]]);
      assert.deepEqual(d.recentHolds, [T0 + 7, T0 + 1_005], 'the two newest, each hold once, oldest first');
      assert.equal(d.breakerOpenedAt, T0 + 2_001);
      assert.equal(d.recentHoldWrites.length, 2, 'when the newest holds were written, for the wall-clock window');
      for (const w of d.recentHoldWrites) assert.ok(Number.isInteger(w) && w % 1000 === 0 && w > Date.UTC(2020, 0, 1), `a wall time in whole seconds: ${w}`);
    },
  },
  ...DESK_CONFORMANCE,
];
