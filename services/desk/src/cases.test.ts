import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeskAlert } from '@kanshi/store';
import { casePanel } from './case-view.js';
import { caseStep } from './cases.js';

const USERS = [{ name: 'ana', role: 'analyst' as const }, { name: 'bo', role: 'analyst' as const }, { name: 'sue', role: 'supervisor' as const }, { name: 'aud', role: 'auditor' as const }];
const XSS = `"'><script>alert(1)</script>`;

test('a case goes to an analyst or supervisor of the desk; an escalation to another supervisor, with a reason', () => {
  assert.deepEqual(caseStep('assign', { assignee: 'bo' }, { name: 'ana' }, USERS), { ok: true, action: 'assigned', assignee: 'bo', note: '' });
  assert.deepEqual(caseStep('assign', { assignee: 'ana' }, { name: 'ana' }, USERS), { ok: true, action: 'assigned', assignee: 'ana', note: '' }, 'to oneself');
  for (const who of ['aud', 'nobody', '', null]) assert.equal(caseStep('assign', { assignee: who }, { name: 'ana' }, USERS).ok, false, String(who));
  assert.deepEqual(caseStep('escalate', { assignee: 'sue', note: ' ¥8M lost ' }, { name: 'ana' }, USERS), { ok: true, action: 'escalated', assignee: 'sue', note: '¥8M lost' });
  assert.match((caseStep('escalate', { assignee: 'bo', note: 'x' }, { name: 'ana' }, USERS) as { why: string }).why, /to a supervisor/);
  assert.match((caseStep('escalate', { assignee: 'sue', note: '' }, { name: 'ana' }, USERS) as { why: string }).why, /says why/);
  assert.match((caseStep('escalate', { assignee: 'sue', note: 'x' }, { name: 'sue' }, USERS) as { why: string }).why, /another supervisor/);
  assert.deepEqual(caseStep('comment', { note: 'called', assignee: 'sue' }, { name: 'ana' }, USERS), { ok: true, action: 'commented', assignee: '', note: 'called' });
  assert.equal(caseStep('comment', { note: '  ' }, { name: 'ana' }, USERS).ok, false);
  assert.equal(caseStep('comment', { note: 'x'.repeat(2_001) }, { name: 'ana' }, USERS).ok, false, 'bounded');
});

test('the case history is every change, oldest first, with who and when; every value inert', () => {
  const alert: DeskAlert = { alertId: XSS, findingId: 'f', kind: 'k', severity: 'high', score: 0.5, accountIds: [], symbols: [], at: 0, summary: '', status: 'customer_contacted', assignee: XSS };
  const page = casePanel(alert, [
    { entryId: 'e2', alertId: XSS, action: 'commented', actor: XSS, assignee: '', note: XSS, at: Date.UTC(2026, 0, 1, 9, 5) },
    { entryId: 'e1', alertId: XSS, action: 'assigned', actor: 'ana', assignee: 'ana', note: '', at: Date.UTC(2026, 0, 1, 9, 0) },
  ], [{ entryId: 'd1', alertId: XSS, disposition: 'customer_contacted', actor: 'ana', note: 'by phone', at: Date.UTC(2026, 0, 1, 9, 10) }], USERS, { name: 'ana', role: 'analyst', csrf: 't' }, true).text;
  assert.ok(!page.includes('<script>'), 'no markup from a value');
  const lines = [...page.matchAll(/<li>(.*?)<\/li>/gs)].map((m) => m[1].replace(/<[^>]+>/g, ''));
  assert.deepEqual(lines, [
    '2026-01-01 09:00:00Z assigned to ana by ana',
    `2026-01-01 09:05:00Z commented by &quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;: &quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;`,
    '2026-01-01 09:10:00Z disposition: customer contacted by ana: by phone',
  ]);
  assert.ok(page.includes('<option value="sue">sue (supervisor)</option>') && !page.includes('aud (auditor)'), 'an auditor is never offered a case');
});
