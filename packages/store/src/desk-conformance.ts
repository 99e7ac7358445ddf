/**
 * The desk's store checks, part of STORE_CONFORMANCE: run on embedded chdb by the unit tests and
 * on the ClickHouse server by test/integration, so its SQL behaves the same on both.
 */
import assert from 'node:assert/strict';
import type { Alert, Hold } from '@kanshi/contract';
import { DESK_AUDIT_CONFORMANCE } from './desk-audit-conformance.js';
import { DESK_VIEW_CONFORMANCE } from './desk-view-conformance.js';
import type { Store } from './store.js';

const T0 = Date.UTC(2025, 2, 24, 0, 31, 7, 123);
const NASTY = `<script>alert("x")</script>' OR 1=1 -- \\ 監視`;

function alert(alertId: string, over: Partial<Alert> = {}): Alert {
  return { alertId, findingId: 'f-1', kind: 'hijacked_pump_buy', severity: 'high', score: 0.5, accountIds: ['A1'], symbols: ['XTKS:9999'], at: T0, summary: 's', ...over };
}

export const DESK_CONFORMANCE: readonly { name: string; run(store: Store): Promise<void> }[] = [
  {
    name: 'desk: the queue filters, sorts, pages and counts per status; a disposition changes the status',
    async run(store) {
      await store.migrate();
      const desk = store.desk();
      await store.writeAlerts([
        alert('a1', { score: 0.9, at: T0 + 3 }), alert('a2', { score: 0.2, at: T0 + 1, severity: 'critical' }),
        alert('a3', { score: 0.5, at: T0 + 2, kind: NASTY, accountIds: [NASTY], symbols: [NASTY] }), alert('a1', { score: 0.9, at: T0 + 3 }),
      ]);
      const ids = async (q: Parameters<typeof desk.queue>[0]) => (await desk.queue(q)).alerts.map((a) => a.alertId);
      assert.deepEqual(await ids({ sort: 'score' }), ['a1', 'a3', 'a2']);
      assert.deepEqual(await ids({ sort: 'oldest' }), ['a2', 'a3', 'a1']);
      assert.deepEqual(await ids({ sort: 'newest', limit: 2, offset: 1 }), ['a3', 'a2']);
      assert.deepEqual(await ids({ kind: NASTY }), ['a3'], 'a hostile filter is a value');
      assert.deepEqual(await ids({ severity: "high' OR '1'='1" }), []);
      assert.deepEqual(await ids({ accountId: NASTY }), ['a3']);
      assert.deepEqual(await ids({ symbol: 'XTKS:9999', sort: 'oldest' }), ['a2', 'a1']);
      assert.deepEqual(await ids({ symbol: NASTY }), ['a3']);
      await store.writeAlerts([alert('a4', { at: T0 + 86_400_000, score: 0.1 })]);
      assert.deepEqual(await ids({ since: T0 + 3_600_000 }), ['a4']);
      assert.deepEqual(await ids({ until: T0 + 3_600_000, sort: 'oldest' }), ['a2', 'a3', 'a1']);
      await desk.writeDisposition({ entryId: 'd1', alertId: 'a1', disposition: 'false_positive', actor: 'ana', note: NASTY, at: T0 + 10 });
      await desk.writeDisposition({ entryId: 'd2', alertId: 'a1', disposition: 'confirmed_takeover', actor: 'sup', note: '', at: T0 + 20 });
      const page = await desk.queue({ status: 'open' });
      assert.deepEqual(page.alerts.map((a) => a.alertId).sort(), ['a2', 'a3', 'a4']);
      assert.equal(page.total, 3);
      assert.deepEqual(page.counts, { open: 3, confirmed_takeover: 1, false_positive: 0, benign_explained: 0, customer_contacted: 0 });
      assert.deepEqual((await desk.queue({ severity: 'critical' })).counts.open, 1);
      assert.equal((await desk.alert('a1'))?.status, 'confirmed_takeover', 'the newest disposition is the status');
      assert.deepEqual((await desk.dispositions('a1')).map((d) => [d.disposition, d.note, d.at]), [['false_positive', NASTY, T0 + 10], ['confirmed_takeover', '', T0 + 20]]);
      assert.equal(await desk.alert(NASTY), null);
      const login = (eventId: string, ts: number, accountId = NASTY) => ({ event: { type: 'login' as const, eventId, ts, accountId, result: 'success' as const, authMethod: 'password' as const, channel: 'web' as const, ip: '203.0.113.7', userAgent: NASTY }, source: `t/0@${eventId}` });
      await store.archiveEvents([login('e3', T0 + 3), login('e1', T0 + 1), login('e2', T0 + 2), login('e2', T0 + 2), login('x', T0, 'other'), login('late', T0 + 7_200_000)]);
      const timeline = await desk.accountTimeline(NASTY, T0 + 5);
      assert.deepEqual(timeline.map((e) => e.eventId), ['e1', 'e2', 'e3'], 'oldest first, once each, this account only, not past the window');
      assert.equal(timeline[0].type === 'login' && timeline[0].userAgent, NASTY);
      assert.deepEqual((await desk.accountTimeline(NASTY, T0 + 5, { limit: 2 })).map((e) => e.eventId), ['e2', 'e3'], 'the newest when limited');
    },
  },
  {
    name: 'desk: users replace by name; hold actions add up to a state; the audit log filters by actor',
    async run(store) {
      await store.migrate();
      const desk = store.desk();
      await desk.addUser({ name: NASTY, role: 'analyst', passwordHash: 'h1' }, T0);
      await desk.addUser({ name: NASTY, role: 'supervisor', passwordHash: 'h2' }, T0 + 1);
      assert.deepEqual(await desk.user(NASTY), { name: NASTY, role: 'supervisor', passwordHash: 'h2' });
      assert.equal(await desk.user('nobody'), null);
      const hold = (holdId: string, mode: Hold['mode'], at: number): Hold => ({ holdId, accountId: NASTY, findingId: 'f-1', at, mode, reason: NASTY });
      await store.writeHolds([hold('h1', 'enforce', T0), hold('h2', 'dry_run', T0 + 1), hold('h3', 'enforce', T0 - 1)]);
      await desk.writeHoldAction({ actionId: 'x0', holdId: 'h3', accountId: NASTY, action: 'confirmed', actor: 'sue', reason: 'takeover', at: T0 + 4 });
      await desk.writeHoldAction({ actionId: 'x1', holdId: 'h1', accountId: NASTY, action: 'release_requested', actor: 'ana', reason: NASTY, at: T0 + 5 });
      await desk.writeHoldAction({ actionId: 'x2', holdId: 'h2', accountId: NASTY, action: 'released', actor: 'ana', reason: 'r', at: T0 + 6 });
      const holds = await desk.holds({ accountId: NASTY });
      assert.deepEqual(holds.map((h) => [h.holdId, h.state, h.mode]), [['h2', 'released', 'dry_run'], ['h1', 'release_pending', 'enforce'], ['h3', 'confirmed', 'enforce']]);
      assert.equal(holds[1].actions[0].reason, NASTY);
      assert.deepEqual((await desk.holds({ holdId: 'h1' })).map((h) => h.holdId), ['h1']);
      await desk.audit([
        { auditId: 'u1', at: T0, actor: 'desk:ana', action: 'desk.account_viewed', subject: NASTY, detail: '', policyVersion: '' },
        { auditId: 'u2', at: T0 + 1, actor: 'desk:sup', action: 'desk.hold_released', subject: 'h1', detail: NASTY, policyVersion: '' },
      ]);
      assert.deepEqual((await desk.auditLog()).map((a) => a.auditId), ['u2', 'u1'], 'newest first');
      assert.deepEqual((await desk.auditLog({ actor: 'desk:ana' })).map((a) => a.subject), [NASTY]);
      assert.deepEqual(await desk.auditLog({ actor: "x' OR '1'='1" }), [], 'a hostile filter is a value');
      assert.deepEqual((await desk.auditLog({ subject: NASTY, action: 'desk.account_viewed' })).map((a) => a.auditId), ['u1']);
    },
  },
  {
    name: 'desk: case entries add up to an owner ("my queue" filters by it), its history in order; users without hashes',
    async run(store) {
      await store.migrate();
      const desk = store.desk();
      await store.writeAlerts([alert('c1', { score: 0.9 }), alert('c2', { score: 0.8 }), alert('c3', { score: 0.7 })]);
      await desk.addUser({ name: NASTY, role: 'analyst', passwordHash: 'secret-hash' }, T0);
      await desk.addUser({ name: 'sue', role: 'supervisor', passwordHash: 'h' }, T0);
      assert.deepEqual(await desk.users(), [{ name: NASTY, role: 'analyst' }, { name: 'sue', role: 'supervisor' }].sort((a, b) => (a.name < b.name ? -1 : 1)));
      const entry = (entryId: string, alertId: string, action: 'assigned' | 'commented' | 'escalated', assignee: string, at: number) => ({ entryId, alertId, action, actor: NASTY, assignee, note: NASTY, at });
      await desk.writeCaseEntry(entry('e1', 'c1', 'assigned', NASTY, T0 + 1));
      await desk.writeCaseEntry(entry('e2', 'c1', 'commented', '', T0 + 2));
      await desk.writeCaseEntry(entry('e3', 'c2', 'assigned', NASTY, T0 + 1));
      await desk.writeCaseEntry(entry('e4', 'c2', 'escalated', 'sue', T0 + 3));
      await desk.writeCaseEntry(entry('e4', 'c2', 'escalated', 'sue', T0 + 3));
      const mine = async (who: string) => (await desk.queue({ assignee: who })).alerts.map((a) => [a.alertId, a.assignee]);
      assert.deepEqual(await mine(NASTY), [['c1', NASTY]], 'a comment leaves the owner; an escalation moves the case');
      assert.deepEqual(await mine('sue'), [['c2', 'sue']]);
      assert.deepEqual(await mine("x' OR '1'='1"), [], 'a hostile filter is a value');
      assert.equal((await desk.alert('c3'))?.assignee, undefined, 'nobody has an untouched case');
      assert.deepEqual((await desk.queue({ assignee: NASTY })).counts.open, 1);
      assert.deepEqual((await desk.caseEntries('c2')).map((e) => [e.entryId, e.action, e.assignee, e.note]), [['e3', 'assigned', NASTY, NASTY], ['e4', 'escalated', 'sue', NASTY]], 'oldest first, a retried write once');
    },
  },
  {
    name: 'desk: the newest account snapshot; logins sharing a device, prefix or ASN-in-prefix; findings by evidence, in a window',
    async run(store) {
      await store.migrate();
      const desk = store.desk();
      const snap = (holdingsJpy: number) => ({ accountId: NASTY, openedAt: T0, homeCountry: 'JP', mfa: 'app' as const, holdingsJpy, positions: [{ symbol: NASTY, quantity: 300 }] });
      await desk.writeAccountSnapshots([snap(1)], T0);
      await desk.writeAccountSnapshots([snap(2)], T0 + 1000);
      assert.equal((await desk.accountSnapshot(NASTY))?.holdingsJpy, 2, 'the newest write is the snapshot');
      assert.deepEqual((await desk.accountSnapshot(NASTY))?.positions, [{ symbol: NASTY, quantity: 300 }]);
      assert.equal(await desk.accountSnapshot('nobody'), null);
      const login = (eventId: string, accountId: string, ip: string, asn: number, deviceId: string, ts = T0) => ({
        event: { type: 'login' as const, eventId, ts, accountId, result: 'success' as const, authMethod: 'password' as const, channel: 'web' as const, ip, asn, deviceId, userAgent: NASTY }, source: `t/0@${eventId}` });
      await store.archiveEvents([
        login('s0', 'A0', '198.51.100.7', 64500, NASTY), login('s1', 'A1', '203.0.113.9', 64501, NASTY), login('s2', 'A2', '198.51.100.200', 1, 'd2'),
        login('s3', 'A3', '198.51.7.1', 64500, 'd3'), login('s4', 'A4', '198.51.7.1', 64999, 'd4'), login('s5', 'A5', '192.0.2.1', 64500, NASTY, T0 + 10 * 86_400_000),
        login('s6', 'A6', '2001:db8:1:5::1', 1, 'd6'), login('s1', 'A1', '203.0.113.9', 64501, NASTY),
      ]);
      const ids = async (probe: Parameters<typeof desk.sharedInfraLogins>[0]) => (await desk.sharedInfraLogins(probe, T0 - 86_400_000, T0 + 86_400_000)).map((e) => e.eventId).sort();
      assert.deepEqual(await ids({ devices: [NASTY], prefixes: [], asnPrefixes: [] }), ['s0', 's1'], 'a hostile device id is a value; out of the window, not found; once each');
      assert.deepEqual(await ids({ devices: [], prefixes: ['198.51.100.'], asnPrefixes: [] }), ['s0', 's2']);
      assert.deepEqual(await ids({ devices: [], prefixes: [], asnPrefixes: [{ asn: 64500, prefix: '198.51.' }] }), ['s0', 's3']);
      assert.deepEqual(await ids({ devices: [], prefixes: ['2001:db8:1:'], asnPrefixes: [] }), ['s6']);
      assert.deepEqual(await ids({ devices: [], prefixes: ["1.' OR '1'='1", '%'], asnPrefixes: [] }), [], 'a prefix the desk would not build is left out');
      const finding = (findingId: string, evidence: string[], detectedAt = T0) => ({ findingId, kind: 'account_takeover' as const, severity: 'high' as const, score: 0.5, accountIds: ['A'], symbols: [], detectedAt, evidence, reasons: [{ code: 'c', detail: NASTY }], revision: 1 });
      await store.writeFindings([finding('g1', ['s1', 'x']), finding('g2', ['y']), finding('g3', ['s1'], T0 + 10 * 86_400_000), finding('g4', [NASTY])]);
      const found = async (evidence: string[]) => (await desk.findingsWithEvidence(evidence, T0 - 86_400_000, T0 + 86_400_000)).map((f) => f.findingId);
      assert.deepEqual(await found(['s1', 's0']), ['g1'], 'in the window only');
      assert.deepEqual(await found([NASTY]), ['g4']);
      assert.deepEqual(await found([]), []);
    },
  },
  {
    name: 'desk: the queue shows an alert\'s newest revision only, by its score and filters, without FINAL over the table',
    async run(store) {
      await store.migrate();
      const desk = store.desk();
      await store.writeAlerts([alert('q1', { score: 0.9 }), alert('q2', { score: 0.5 }), alert('q3', { score: 0.4 })]);
      // written_at is in seconds: the rewrite must be a later second to be the newer revision
      await new Promise((r) => setTimeout(r, 1100));
      await store.writeAlerts([alert('q1', { score: 0.1, severity: 'low' })]);
      const ids = async (q: Parameters<typeof desk.queue>[0]) => (await desk.queue(q)).alerts.map((a) => [a.alertId, a.score]);
      assert.deepEqual(await ids({ sort: 'score' }), [['q2', 0.5], ['q3', 0.4], ['q1', 0.1]], 'the old revision\'s score does not rank it');
      assert.deepEqual(await ids({ sort: 'score', limit: 1 }), [['q2', 0.5]]);
      assert.deepEqual(await ids({ sort: 'score', limit: 1, offset: 1 }), [['q3', 0.4]]);
      assert.deepEqual(await ids({ severity: 'high' }), [['q2', 0.5], ['q3', 0.4]], 'a filter matching only an old revision is no match');
      assert.deepEqual(await ids({ severity: 'low' }), [['q1', 0.1]]);
      assert.equal((await desk.queue({ severity: 'high' })).total, 2);
      assert.deepEqual(await ids({ sort: 'score', limit: 2, offset: 600 }), [], 'a deep page (FINAL) past the end is empty');
    },
  },
  ...DESK_VIEW_CONFORMANCE,
  ...DESK_AUDIT_CONFORMANCE,
];
