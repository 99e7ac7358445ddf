/**
 * The audit log's and the holds' paging (desk-audit.ts) on chdb and on the server, part of
 * DESK_CONFORMANCE: past the old 500 and 10,000 caps, ties on an instant, hostile values.
 */
import assert from 'node:assert/strict';
import type { Hold } from '@kanshi/contract';
import type { AuditEntry } from './rows.js';
import type { Store } from './store.js';

const T0 = Date.UTC(2025, 4, 6, 7, 8, 9, 10);
const NASTY = `<script>alert("x")</script>' OR 1=1 -- \\ 監視`;

export const DESK_AUDIT_CONFORMANCE: readonly { name: string; run(store: Store): Promise<void> }[] = [
  {
    name: 'desk: the audit log pages by keyset past 10,000 (ties on an instant by id), counts under its filters and streams every entry; holds page by offset with counts per state',
    async run(store) {
      await store.migrate();
      const desk = store.desk();
      const N = 10_500;
      // three entries an instant: a page may end inside one
      const entries: AuditEntry[] = Array.from({ length: N }, (_, i) => ({
        auditId: `u-${String(i).padStart(5, '0')}`, at: T0 - Math.floor(i / 3), actor: i % 2 ? NASTY : 'desk:ana', action: 'desk.account_viewed', subject: `s${i}`, detail: NASTY, policyVersion: '',
      }));
      await desk.audit(entries);
      const seen: string[] = [];
      let after: { at: number; auditId: string } | undefined;
      for (let page = 0; page < 30; page++) {
        const rows = await desk.auditLog({ limit: 1000, ...(after ? { after } : {}) });
        seen.push(...rows.map((e) => e.auditId));
        if (rows.length < 1000) break;
        after = { at: rows[rows.length - 1].at, auditId: rows[rows.length - 1].auditId };
      }
      assert.deepEqual(seen, entries.map((e) => e.auditId), 'newest first, by id within an instant, each once');
      const mine = entries.filter((e) => e.actor === NASTY);
      assert.equal(await desk.auditCount({ actor: NASTY }), mine.length, 'a hostile filter is a value');
      assert.equal(await desk.auditCount(), N);
      const streamed: AuditEntry[] = [];
      for await (const e of desk.auditEntries({ actor: NASTY })) streamed.push(e);
      assert.deepEqual(streamed, mine, 'every entry, whole');
      let all = 0;
      for await (const _ of desk.auditEntries()) all++;
      assert.equal(all, N, 'uncapped');

      const hold = (i: number): Hold => ({ holdId: `h-${String(i).padStart(3, '0')}`, accountId: NASTY, findingId: 'f', at: T0 + i, mode: i % 2 ? 'enforce' : 'dry_run', reason: NASTY });
      await store.writeHolds(Array.from({ length: 620 }, (_, i) => hold(i)));
      await store.writeHolds([hold(0)]); // a retried write is one hold
      const step = (actionId: string, holdId: string, action: 'confirmed' | 'release_requested' | 'released') => desk.writeHoldAction({ actionId, holdId, accountId: NASTY, action, actor: 'sue', reason: 'r', at: T0 });
      await step('a1', 'h-001', 'confirmed');
      await step('a2', 'h-002', 'confirmed');
      await step('a3', 'h-002', 'release_requested');
      await step('a4', 'h-003', 'release_requested');
      await step('a5', 'h-003', 'released');
      await step('a6', 'h-003', 'released');
      assert.deepEqual(await desk.holdCounts(), { total: 620, confirmed: 1, release_pending: 1, released: 1 });
      const last = await desk.holds({ limit: 100, offset: 600 });
      assert.deepEqual(last.map((h) => h.holdId), Array.from({ length: 20 }, (_, i) => `h-${String(19 - i).padStart(3, '0')}`), 'the oldest 20, past 500');
      assert.deepEqual(last.slice(-4).map((h) => h.state), ['released', 'release_pending', 'confirmed', 'active']);
    },
  },
  {
    name: 'desk: a batch of audit entries written twice (the desk\'s journal replayed after a crash between its INSERT and its delete) shows once in the page, the count and the export',
    async run(store) {
      await store.migrate();
      const desk = store.desk();
      const batch: AuditEntry[] = Array.from({ length: 40 }, (_, i) => ({ auditId: `r-${String(i).padStart(2, '0')}`, at: T0 + i, actor: 'desk:ana', action: i % 2 ? 'desk.account_viewed' : 'desk.login', subject: `s${i}`, detail: NASTY, policyVersion: '' }));
      await desk.audit(batch);
      // the replay: the same ids again, a second part, and half of them a third time beside new ones
      await desk.audit(batch);
      await desk.audit([...batch.slice(0, 20), { ...batch[0], auditId: 'r-new' }]);
      assert.equal(await desk.auditCount(), 41);
      assert.equal(await desk.auditCount({ action: 'desk.login' }), 21);
      const page = await desk.auditLog({ limit: 100 });
      assert.deepEqual(page.map((e) => e.auditId), [...[...batch].reverse().map((e) => e.auditId), 'r-new'], 'each once, newest first (r-new as old as r-00, after it by id)');
      const exported: string[] = [];
      for await (const e of desk.auditEntries({ action: 'desk.login' })) exported.push(e.auditId);
      assert.equal(exported.length, 21);
      assert.equal(new Set(exported).size, 21, 'the export: each once');
    },
  },
];
