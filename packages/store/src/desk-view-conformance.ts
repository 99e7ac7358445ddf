/**
 * The alert view's folded reads (desk-view.ts) against the same view read piece by piece, on
 * chdb and on the server (part of DESK_CONFORMANCE): same rows, same order, hostile values kept.
 */
import assert from 'node:assert/strict';
import type { Alert, Finding, Hold } from '@kanshi/contract';
import { alertViewPieceByPiece, type AlertViewQuery } from './desk-view.js';
import type { Store } from './store.js';

const T0 = Date.UTC(2025, 3, 2, 9, 15, 4, 321);
const NASTY = `<script>alert("x")</script>' OR 1=1 -- \\ 監視`;
const H = 3_600_000;
const Q: AlertViewQuery = { maxAccounts: 20, timelineLimit: 3, afterMs: H, relatedMs: 6 * H, relatedLimit: 50 };

export const DESK_VIEW_CONFORMANCE: readonly { name: string; run(store: Store): Promise<void> }[] = [
  {
    name: 'desk: the alert view in two folded rounds reads what its single reads do (case, holds, findings, timelines, snapshots)',
    async run(store) {
      await store.migrate();
      const desk = store.desk();
      const accounts = [NASTY, 'B2'];
      const alert: Alert = { alertId: 'v1', findingId: 'fv', kind: 'hijacked_pump_buy', severity: 'high', score: 0.7, accountIds: accounts, symbols: ['XTKS:4242', 'XTKS:1'], at: T0, summary: NASTY };
      await store.writeAlerts([{ ...alert, score: 0.1 }]);
      await new Promise((r) => setTimeout(r, 1100)); // a later second: the rewrite is the alert
      await store.writeAlerts([alert, { ...alert, alertId: 'v-other', accountIds: ['C3'] }]);
      const finding = (findingId: string, accountIds: string[], detectedAt: number, symbols: string[] = []): Finding => ({
        findingId, kind: 'account_takeover', severity: 'high', score: 0.5, accountIds, symbols, detectedAt, evidence: [`e-${findingId}`], reasons: [{ code: 'c', detail: NASTY }], revision: 1, threat: 0.5, vulnerability: null, impact: 1,
      });
      await store.writeFindings([finding('fv', accounts, T0, ['XTKS:4242']), finding('fa', [NASTY], T0 - H), finding('fb', [NASTY, 'B2'], T0 - 2 * H), finding('fb', [NASTY, 'B2'], T0 - 2 * H),
        finding('fs', ['C3'], T0 + 5 * H, ['XTKS:4242']), finding('fs-far', ['C3'], T0 + 7 * H, ['XTKS:4242']), finding('fc', ['C3'], T0)]);
      const login = (eventId: string, accountId: string, ts: number) => ({ event: { type: 'login' as const, eventId, ts, accountId, result: 'success' as const, authMethod: 'password' as const, channel: 'web' as const, ip: '203.0.113.7', userAgent: NASTY }, source: `t/0@${eventId}` });
      await store.archiveEvents([login('e1', NASTY, T0 - 3), login('e3', NASTY, T0 - 1), login('e2', NASTY, T0 - 1), login('e0', NASTY, T0 - 9), login('late', NASTY, T0 + 2 * H),
        login('e2', NASTY, T0 - 1), login('b1', 'B2', T0), login('c1', 'C3', T0)]);
      const snap = (accountId: string, holdingsJpy: number) => ({ accountId, openedAt: T0, homeCountry: 'JP', mfa: 'app' as const, holdingsJpy, positions: [{ symbol: NASTY, quantity: 1 }] });
      await desk.writeAccountSnapshots([snap(NASTY, 1)], T0);
      await desk.writeAccountSnapshots([snap(NASTY, 2), snap('C3', 3)], T0 + 1000);
      const hold = (holdId: string, accountId: string, at: number): Hold => ({ holdId, accountId, findingId: 'fv', at, mode: 'enforce', reason: NASTY });
      await store.writeHolds([hold('h1', NASTY, T0), hold('h2', NASTY, T0 + 1), hold('h3', 'C3', T0)]);
      await desk.writeHoldAction({ actionId: 'x1', holdId: 'h1', accountId: NASTY, action: 'release_requested', actor: 'ana', reason: NASTY, at: T0 + 5 });
      await desk.writeHoldAction({ actionId: 'x2', holdId: 'h1', accountId: NASTY, action: 'released', actor: 'sue', reason: 'r', at: T0 + 6 });
      await desk.writeHoldAction({ actionId: 'x3', holdId: 'h3', accountId: 'C3', action: 'confirmed', actor: 'sue', reason: 'r', at: T0 + 6 });
      await desk.writeDisposition({ entryId: 'd2', alertId: 'v1', disposition: 'confirmed_takeover', actor: NASTY, note: NASTY, at: T0 + 20 });
      await desk.writeDisposition({ entryId: 'd1', alertId: 'v1', disposition: 'false_positive', actor: 'ana', note: '', at: T0 + 10 });
      const entry = (entryId: string, action: 'assigned' | 'commented' | 'escalated', assignee: string, at: number) => ({ entryId, alertId: 'v1', action, actor: NASTY, assignee, note: NASTY, at });
      for (const e of [entry('c1', 'assigned', NASTY, T0 + 1), entry('c3', 'commented', '', T0 + 3), entry('c2', 'escalated', 'sue', T0 + 2)]) await desk.writeCaseEntry(e);
      await desk.addUser({ name: 'sue', role: 'supervisor', passwordHash: 'h' }, T0);
      await desk.addUser({ name: NASTY, role: 'analyst', passwordHash: 'h' }, T0);

      const shown: string[][] = [];
      const folded = await desk.alertView('v1', Q, (ids) => shown.push(ids));
      const single = await alertViewPieceByPiece(desk, 'v1', Q, () => undefined);
      assert.ok(folded && single);
      assert.deepEqual(shown, [accounts], 'the accounts shown are named before their data is read');
      assert.deepEqual(folded, single);
      // and what they both read is the view, not two equal mistakes
      assert.equal(folded.alert.score, 0.7, 'the newest revision of the alert');
      assert.deepEqual([folded.alert.status, folded.alert.assignee], ['confirmed_takeover', 'sue']);
      assert.deepEqual(folded.dispositions.map((d) => d.entryId), ['d1', 'd2']);
      assert.deepEqual(folded.caseEntries.map((e) => e.entryId), ['c1', 'c2', 'c3']);
      assert.equal(folded.users.length, 2);
      assert.deepEqual(folded.related.map((f) => f.findingId), ['fv', 'fs'], 'the symbol within 6 h');
      const [a, b] = folded.accounts;
      assert.deepEqual(a.timeline.map((e) => e.eventId), ['e1', 'e2', 'e3'], 'the newest 3 up to an hour after, oldest first, once each');
      assert.deepEqual(a.findings.map((f) => f.findingId), ['fv', 'fa', 'fb'], 'newest first');
      assert.deepEqual(a.holds.map((h) => [h.holdId, h.state]), [['h2', 'active'], ['h1', 'released']]);
      assert.deepEqual([a.snapshot?.holdingsJpy, b.snapshot], [2, null]);
      assert.deepEqual([b.timeline.map((e) => e.eventId), b.holds], [['b1'], []]);
      assert.equal(await desk.alertView('nope', Q, () => assert.fail('no accounts for an unknown alert')), null);
    },
  },
];
