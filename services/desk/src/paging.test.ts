import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AuditEntry, AuditQuery, DeskHold } from '@kanshi/store';
import { Sessions } from './auth.js';
import { DeskServer, type DeskBackend } from './server.js';

// More than a page and more than the old caps: 500 holds and audit rows shown, 10,000 exported.
const HOLDS = 620;
const AUDITS = 12_000;
const T0 = Date.UTC(2026, 5, 1);

/** A store's paging in memory: holds newest first by offset, the audit log newest first after a cursor. */
function pagedDesk() {
  const holds: DeskHold[] = Array.from({ length: HOLDS }, (_, i) => ({ holdId: `h-${String(i).padStart(4, '0')}`, accountId: `A${i}`, findingId: 'f', at: T0 - i * 1000, mode: 'dry_run', reason: 'r', state: 'active', actions: [] }));
  // pairs share an instant: the cursor must order by id within one
  const audits: AuditEntry[] = Array.from({ length: AUDITS }, (_, i) => ({ auditId: `u-${String(i).padStart(5, '0')}`, at: T0 - Math.floor(i / 2) * 1000, actor: i % 3 ? 'alerter' : 'desk:ana', action: 'a', subject: `s${i}`, detail: '', policyVersion: '' }));
  const ordered = (q: AuditQuery) => audits.filter((e) => !q.actor || e.actor === q.actor)
    .sort((a, b) => b.at - a.at || (a.auditId < b.auditId ? -1 : 1))
    .filter((e) => !q.after || e.at < q.after.at || (e.at === q.after.at && e.auditId > q.after.auditId));
  const offsets: number[] = [];
  const backend = {
    async holds(q: { offset?: number; limit?: number }) { offsets.push(q.offset ?? 0); return holds.slice(q.offset ?? 0, (q.offset ?? 0) + (q.limit ?? 200)); },
    async holdCounts() { return { total: HOLDS, confirmed: 3, release_pending: 2, released: 1 }; },
    async audit(e: AuditEntry[]) { audits.push(...e); },
    async auditLog(q: AuditQuery) { return ordered(q).slice(0, q.limit ?? 200); },
    async auditCount(q: AuditQuery) { return ordered({ ...q, after: undefined }).length; },
    async *auditEntries(q: AuditQuery) { yield* ordered(q); },
  } as unknown as DeskBackend;
  return { backend, audits, offsets };
}

let base = '';
let cookie = '';
let desk: ReturnType<typeof pagedDesk>;
let server: DeskServer;
before(async () => {
  desk = pagedDesk();
  const sessions = new Sessions();
  cookie = `kanshi_session=${sessions.create({ name: 'aud', role: 'auditor' }).token}`;
  server = new DeskServer({ desk: desk.backend, log: { info() {}, warn() {}, error() {} }, sessions });
  base = (await server.listen('127.0.0.1', 0)).url;
});
after(() => server.close());

const get = async (p: string) => {
  const r = await fetch(base + p, { headers: { cookie } });
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') ?? '' };
};
const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"');

test('the holds page by page: counts per state, 100 a page, a next link to the end, the last page past 500', async () => {
  const first = await get('/holds');
  assert.match(first.body, /all: <strong>620<\/strong> active: <strong>614<\/strong> confirmed: <strong>3<\/strong> release pending: <strong>2<\/strong> released: <strong>1<\/strong>/);
  assert.match(first.body, /1–100 of 620/);
  assert.equal((first.body.match(/<tr id="hold-/g) ?? []).length, 100);
  let page = first;
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) {
    for (const [, id] of page.body.matchAll(/<tr id="hold-([^"]+)"/g)) seen.add(id);
    const next = /<a href="([^"]+)" rel="next">/.exec(page.body)?.[1];
    if (!next) break;
    page = await get(decode(next));
  }
  assert.equal(seen.size, HOLDS, 'every hold on some page, once');
  assert.match(page.body, /601–620 of 620/);
  assert.ok(seen.has('h-0619'), 'the oldest, beyond the first 500');
  assert.deepEqual(desk.offsets.slice(-2), [500, 600]);
  assert.equal((await get('/holds?offset=-5')).status, 200, 'a bad offset is the first page');
});

test('the audit log by keyset: every entry once across the pages while views add entries on top, with the count', async () => {
  const first = await get('/audit?actor=desk%3Aana');
  assert.match(first.body, /<strong>4000<\/strong> entries match/);
  const ids: string[] = [];
  let page = first;
  for (let i = 0; i < 100; i++) {
    ids.push(...[...page.body.matchAll(/<td><code>(s\d+)<\/code><\/td>/g)].map((m) => m[1]));
    const next = /<a href="([^"]+)" rel="next">Older<\/a>/.exec(page.body)?.[1];
    if (!next) break;
    page = await get(decode(next));
  }
  // each page view wrote an audit entry (desk:aud, another actor): the filtered pages do not shift
  assert.equal(ids.length, 4000);
  assert.equal(new Set(ids).size, 4000, 'no entry twice');
  assert.ok(ids.includes('s11997'), 'the oldest of the actor, far past 500');
  assert.match(page.body, />Newest<\/a>/);
});

test('the CSV export streams every entry, past the old 10,000 cap, and is audited first', async () => {
  const before = desk.audits.length;
  const csv = await get('/audit.csv');
  assert.match(csv.type, /^text\/csv/);
  const lines = csv.body.trimEnd().split('\r\n');
  assert.equal(lines[0], 'at_utc,actor,action,subject,detail,audit_id');
  assert.equal(lines.length - 1, before + 1, 'every entry, the export\'s own included');
  assert.ok(lines.some((l) => l.endsWith(',"u-11999"')));
  assert.match(desk.audits.at(-1)?.detail ?? '', new RegExp(`^${before} entries before this one`));
});
