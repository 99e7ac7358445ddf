import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { after, before, test } from 'node:test';
import type { Finding } from '@kanshi/contract';
import { alertViewPieceByPiece, type AlertViewQuery, type AuditEntry, type CaseEntry, type DeskAlert, type DeskHold, type DispositionEntry, type HoldAction, type OnAccounts, type QueueQuery } from '@kanshi/store';
import { hashPassword } from './auth.js';
import { AuditJournal, journaled } from './audit-journal.js';
import { DeskServer, type DeskBackend } from './server.js';

/** What an attacker controls: an account id, a user agent, a reason, a symbol, a kind. */
const XSS = `"'><script>alert(1)</script><img src=x onerror=alert(2)>`;
const PASSWORD = 'correct horse battery';

function fakeDesk(passwordHash: string): DeskBackend & { audits: AuditEntry[]; queries: QueueQuery[]; actions: HoldAction[]; dispositionsWritten: DispositionEntry[]; caseWritten: CaseEntry[] } {
  const alert: DeskAlert = { alertId: `al-${XSS}`, findingId: 'f1', kind: `hijacked_pump_buy${XSS}`, severity: 'critical', score: 0.97, accountIds: [`A-${XSS}`], symbols: [`XTKS:${XSS}`], at: Date.UTC(2026, 0, 5), summary: `summary ${XSS}`, status: 'open' };
  const finding: Finding = { findingId: 'f1', kind: alert.kind, severity: 'critical', score: 0.97, accountIds: alert.accountIds, symbols: alert.symbols, detectedAt: alert.at, evidence: [`ev-${XSS}`], reasons: [{ code: `ua_${XSS}`, detail: `user agent ${XSS}` }], revision: 1, threat: 0.9, vulnerability: 0.8, impact: 0.7 };
  const holds: DeskHold[] = [
    { holdId: 'h-dry', accountId: alert.accountIds[0], findingId: 'f1', at: alert.at, mode: 'dry_run', reason: `held ${XSS}`, state: 'active', actions: [] },
    { holdId: 'h-enf', accountId: alert.accountIds[0], findingId: 'f1', at: alert.at, mode: 'enforce', reason: 'r', state: 'active', actions: [] },
  ];
  const roles = new Map([['ana', 'analyst'], ['sue', 'supervisor'], ['aud', 'auditor']] as const);
  const d = {
    audits: [] as AuditEntry[], queries: [] as QueueQuery[], actions: [] as HoldAction[], dispositionsWritten: [] as DispositionEntry[], caseWritten: [] as CaseEntry[],
    async user(name: string) {
      const role = roles.get(name as 'ana');
      return role ? { name, role, passwordHash } : null;
    },
    async queue(q: QueueQuery) {
      d.queries.push(q);
      return { alerts: [alert], total: 1, counts: { open: 1, confirmed_takeover: 0, false_positive: 0, benign_explained: 0, customer_contacted: 0 } };
    },
    async kinds() { return [alert.kind]; },
    async alert(id: string) { return id === alert.alertId ? alert : null; },
    alertView(id: string, q: AlertViewQuery, onAccounts: OnAccounts) { return alertViewPieceByPiece(d, id, q, onAccounts); },
    async finding() { return finding; },
    async accountFindings() { return [finding]; },
    async accountTimeline(accountId: string) {
      return [
        { type: 'login' as const, eventId: `ev-${XSS}`, ts: alert.at - 1, accountId, result: 'success' as const, authMethod: 'session_resume' as const, channel: 'web' as const, ip: `203.0.113.9${XSS}`, asn: 64500, country: 'XX', deviceId: `dev-${XSS}`, userAgent: `Mozilla ${XSS}` },
        { type: 'order' as const, eventId: 'o1', ts: alert.at, accountId, orderId: 'o1', symbol: `XTKS:${XSS}`, side: 'buy' as const, orderType: 'market' as const, quantity: 1000, status: 'filled' as const, fillQuantity: 1000, fillPrice: 412, currency: 'JPY' },
        { type: 'account_event' as const, eventId: 'c1', ts: alert.at + 1, accountId, action: 'bank_account_change' as const, ip: '198.51.100.1' },
      ];
    },
    async dispositions() { return d.dispositionsWritten; },
    async writeDisposition(e: DispositionEntry) { d.dispositionsWritten.push(e); },
    async holds(q: { holdId?: string }) { return holds.filter((h) => !q.holdId || h.holdId === q.holdId); },
    async writeHoldAction(a: HoldAction) { d.actions.push(a); },
    async audit(e: AuditEntry[]) { d.audits.push(...e); },
    async auditLog() { return d.audits; },
    async auditCount() { return d.audits.length; },
    async *auditEntries() { yield* d.audits; },
    async holdCounts() { return { total: holds.length, confirmed: 0, release_pending: 0, released: 0 }; },
    async users() { return [...roles].map(([name, role]) => ({ name, role })); },
    async caseEntries() { return d.caseWritten; },
    async writeCaseEntry(e: CaseEntry) { d.caseWritten.push(e); },
    async newestAlertWrite() { return 0; },
    async alertsWrittenSince() { return []; },
    async symbolFindings() { return [finding]; },
    async symbolOrders() { return []; },
    async accountSnapshot(accountId: string) {
      return { accountId, openedAt: 0, homeCountry: 'JP', mfa: 'sms' as const, holdingsJpy: 1, positions: [{ symbol: `XTKS:${XSS}`, quantity: 500 }, { symbol: 'XTKS:7203', quantity: 100 }] };
    },
    // one login of another account from the evidence login's device, one of the alert's own account
    async sharedInfraLogins() {
      const l = (eventId: string, accountId: string) => ({ type: 'login' as const, eventId, ts: alert.at, accountId, result: 'success' as const, authMethod: 'password' as const, channel: 'web' as const, ip: '192.0.2.1', deviceId: `dev-${XSS}` });
      return [l('ev-other', `B-${XSS}`), l('ev-own', alert.accountIds[0])];
    },
    async findingsWithEvidence(ids: string[]) {
      const other = (findingId: string, evidence: string) => ({ ...finding, findingId, kind: 'account_takeover', symbols: [], accountIds: ['B'], evidence: [evidence] });
      return [...(ids.includes('ev-other') ? [other('f-other', 'ev-other')] : []), ...(ids.includes('ev-own') ? [other('f-own', 'ev-own')] : [])];
    },
  };
  return d;
}

let hash = '';
const servers: DeskServer[] = [];
async function startDesk(through?: (d: DeskBackend) => DeskBackend) {
  const desk = fakeDesk(hash);
  const server = new DeskServer({ desk: through ? through(desk) : desk, log: { info() {}, warn() {}, error() {} } });
  servers.push(server);
  return { desk, base: (await server.listen('127.0.0.1', 0)).url };
}
let desk: ReturnType<typeof fakeDesk>;
let base = '';

before(async () => {
  hash = await hashPassword(PASSWORD);
  ({ desk, base } = await startDesk());
});
after(() => Promise.all(servers.map((s) => s.close())));

interface Got { status: number; body: string; headers: Headers }
async function get(path: string, cookie = '', init: RequestInit = {}): Promise<Got> {
  const r = await fetch(base + path, { redirect: 'manual', ...init, headers: { cookie, ...(init.headers as Record<string, string> | undefined) } });
  return { status: r.status, body: await r.text(), headers: r.headers };
}
const post = (path: string, cookie: string, form: Record<string, string>) =>
  get(path, cookie, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

async function login(name: string, password = PASSWORD): Promise<{ cookie: string; csrf: string; res: Got }> {
  const form = await get('/login');
  const loginCookie = /kanshi_login=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1];
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1];
  const res = await post('/login', `kanshi_login=${loginCookie}`, { _csrf: token, name, password });
  const session = /kanshi_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const cookie = `kanshi_session=${session}`;
  const page = session ? await get('/alerts', cookie) : { body: '' };
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '', res };
}

test('without a session only /login answers: pages redirect there, the API and every POST are 401', async () => {
  assert.equal((await get('/login')).status, 200);
  assert.equal((await get('/api/alerts')).status, 401);
  for (const p of ['/', '/alerts', '/alerts/x', '/holds', '/audit', '/audit.csv', '/favicon.ico', '/nowhere']) {
    const r = await get(p);
    assert.equal(r.status, 303, p);
    assert.equal(r.headers.get('location'), '/login');
    assert.ok(!r.body.includes('summary'), `${p} shows nothing`);
  }
  for (const p of ['/logout', '/alerts/x/disposition', '/holds/h-dry/release']) assert.equal((await post(p, '', { _csrf: 'x', reason: 'r' })).status, 401, p);
  assert.equal((await get('/alerts', 'kanshi_session=forged')).status, 303, 'an unknown token is no session');
  assert.equal(desk.actions.length, 0);
});

test('the session cookie is HttpOnly and SameSite=Strict; a wrong password is 401 and audited', async () => {
  const ok = await login('ana');
  assert.equal(ok.res.status, 303);
  assert.match(ok.res.headers.get('set-cookie') ?? '', /kanshi_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
  const bad = await login('ana', 'wrong');
  assert.equal(bad.res.status, 401);
  assert.ok(desk.audits.some((a) => a.action === 'desk.login_failed' && a.subject === 'ana'));
  const noForm = await post('/login', '', { name: 'ana', password: PASSWORD });
  assert.equal(noForm.status, 403, 'a login without the form\'s token is refused');
});

test('a wrong role is 403: an analyst reading the audit, an auditor releasing a hold', async () => {
  const ana = await login('ana');
  assert.equal((await get('/audit', ana.cookie)).status, 403);
  assert.equal((await get('/audit.csv', ana.cookie)).status, 403);
  const aud = await login('aud');
  assert.equal((await get('/audit', aud.cookie)).status, 200);
  const csv = await get('/audit.csv', aud.cookie);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  assert.match(csv.body, /^at_utc,actor,action,subject,detail,audit_id\r\n/);
  assert.equal((await post('/holds/h-dry/release', aud.cookie, { _csrf: aud.csrf, reason: 'x' })).status, 403);
  assert.equal((await post('/alerts/x/disposition', aud.cookie, { _csrf: aud.csrf, disposition: 'false_positive' })).status, 403);
  assert.equal(desk.actions.length, 0);
});

test('every POST needs the session\'s CSRF token', async () => {
  const sue = await login('sue');
  for (const token of [undefined, '', 'forged', `${sue.csrf}x`]) {
    const form: Record<string, string> = { reason: 'customer confirmed' };
    if (token !== undefined) form._csrf = token;
    assert.equal((await post('/holds/h-dry/release', sue.cookie, form)).status, 403, String(token));
  }
  assert.equal((await post('/logout', sue.cookie, {})).status, 403);
  assert.equal(desk.actions.length, 0);
  const ok = await post('/holds/h-dry/release', sue.cookie, { _csrf: sue.csrf, reason: 'customer confirmed' });
  assert.equal(ok.status, 303);
  assert.deepEqual(desk.actions.map((a) => [a.holdId, a.action, a.actor, a.reason]), [['h-dry', 'released', 'sue', 'customer confirmed']]);
  assert.ok(desk.audits.some((a) => a.action === 'desk.hold_released' && a.subject === 'h-dry' && a.actor === 'desk:sue'));
  const noReason = await post('/holds/h-enf/release', sue.cookie, { _csrf: sue.csrf, reason: ' ' });
  assert.equal(noReason.status, 400);
  assert.match(noReason.body, /needs a reason/);
});

test('every value from the event stream is rendered inert, on every page', async () => {
  const sue = await login('sue');
  const alertPath = `/alerts/${encodeURIComponent(`al-${XSS}`)}`;
  await post(`${alertPath}/disposition`, sue.cookie, { _csrf: sue.csrf, disposition: 'benign_explained', note: `note ${XSS}` });
  for (const p of ['/alerts', `/alerts?account=${encodeURIComponent(XSS)}&symbol=${encodeURIComponent(XSS)}`, alertPath, '/campaigns/f1', '/holds', '/audit', `/audit?actor=${encodeURIComponent(XSS)}`]) {
    const r = await get(p, sue.cookie);
    assert.equal(r.status, 200, p);
    // the one script element a page may have is the desk's own file, with no inline body
    const scripts = r.body.match(/<script[^>]*>/gi) ?? [];
    assert.ok(scripts.every((tag) => tag === '<script src="/assets/live.js" defer>') && !/<script src="\/assets\/live\.js" defer>[^<]/.test(r.body), `${p} has a live element`);
    assert.ok(!/<img/i.test(r.body), `${p} has a live element`);
    const handlers = r.body.match(/onerror=/g)?.length ?? 0;
    assert.equal(handlers, r.body.match(/&lt;img src=x onerror=/g)?.length ?? 0, `${p}: every onerror= is inside escaped text, none is an attribute`);
    assert.ok(r.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), `${p} shows the value, escaped`);
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  }
  const view = await get(alertPath, sue.cookie);
  assert.ok(view.body.includes('user agent &quot;&#39;&gt;&lt;script&gt;'), 'the reason in plain words, escaped');
  assert.ok(view.body.includes('0.90 × 0.80 × 0.70 = 0.50'), 'threat x vulnerability x impact');
  assert.ok(view.body.includes('login succeeded: session resume (web)'), 'the timeline in words');
  assert.ok(view.body.includes('buy 1,000 XTKS:&quot;&#39;&gt;&lt;script&gt;'), 'an order, its symbol escaped');
  assert.ok(view.body.includes('market (JPY): filled 1,000 at 412'));
  assert.ok(view.body.includes('bank account change'));
  assert.equal(view.body.match(/class="evidence"/g)?.length, 1, 'the evidence event is marked');
  assert.ok(desk.audits.some((a) => a.action === 'desk.account_viewed' && a.subject === `A-${XSS}` && a.actor === 'desk:sue'), 'the view of the account is audited');
});

test('the alert view draws the holdings before and after, and names what other findings share', async () => {
  const ana = await login('ana');
  const view = await get(`/alerts/${encodeURIComponent(`al-${XSS}`)}`, ana.cookie);
  const holdings = /<div class="holdings">[\s\S]*?<\/div>/.exec(view.body)?.[0] ?? '';
  assert.match(holdings, /<svg class="chart" role="img"/, 'a chart');
  // 500 held, 1,000 bought at 412 after the evidence login: 206,000 before, 618,000 after
  assert.ok(holdings.includes('<td>XTKS:&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;</td><td>500</td><td>¥206,000</td><td>1,500</td><td>¥618,000</td>'), 'the table beside it, the symbol escaped');
  assert.ok(holdings.includes('<td>XTKS:7203</td><td>100</td><td>—</td><td>100</td><td>—</td>'), 'never filled: quantities, no value');
  assert.equal(holdings.match(/class="bar bar-before"/g)?.length, 1);
  assert.equal(holdings.match(/class="bar bar-after"/g)?.length, 1);
  const infra = /<table id="infra-related">[\s\S]*?<\/table>/.exec(view.body)?.[0] ?? '';
  assert.ok(infra.includes('B-&quot;&#39;&gt;&lt;script&gt;'), 'the other account, escaped');
  assert.ok(infra.includes('device dev-&quot;&#39;&gt;'), 'what is shared, named');
  assert.ok(!infra.includes('A-&quot;'), 'the alert\'s own account sharing its own device is no relation');
});

test('queue filters are values from closed lists: anything else is dropped, never passed to the store', async () => {
  const ana = await login('ana');
  desk.queries.length = 0;
  const r = await get(`/api/alerts?severity=${encodeURIComponent("high' OR 1=1 --")}&status=nope&sort=${encodeURIComponent('score; DROP')}&offset=-5`, ana.cookie);
  assert.equal(r.status, 200);
  assert.deepEqual(desk.queries[0], { severity: undefined, kind: undefined, accountId: undefined, symbol: undefined, since: undefined, until: undefined, status: undefined, assignee: undefined, sort: 'score', offset: 0, limit: 50 });
  await get(`/api/alerts?severity=critical&status=false_positive&sort=oldest&offset=50&kind=k&account=${encodeURIComponent(XSS)}&symbol=XTKS:1&from=2026-01-05&to=2026-01-06`, ana.cookie);
  assert.deepEqual(desk.queries[1], { severity: 'critical', kind: 'k', accountId: XSS, symbol: 'XTKS:1', since: Date.UTC(2026, 0, 5), until: Date.UTC(2026, 0, 7), status: 'false_positive', assignee: undefined, sort: 'oldest', offset: 50, limit: 50 });
  await get(`/api/alerts?from=${encodeURIComponent("2026-01-05' OR 1=1")}&to=yesterday`, ana.cookie);
  assert.equal(desk.queries[2].since, undefined);
  assert.equal(desk.queries[2].until, undefined);
  const page = await get('/alerts?from=2026-01-05&to=2026-01-06', ana.cookie);
  assert.ok(page.body.includes('value="2026-01-05"') && page.body.includes('value="2026-01-06"'), 'the form shows the days asked');
  assert.equal(JSON.parse(r.body).total, 1);
});

test('every route, for each role and without a session: the status the role table says', async () => {
  ({ desk, base } = await startDesk());
  const alertPath = `/alerts/${encodeURIComponent(`al-${XSS}`)}`;
  // none: without a session; then analyst, supervisor, auditor (POSTs with the session's CSRF token)
  const ROUTES: [method: 'GET' | 'POST', path: string, form: Record<string, string>, none: number, analyst: number, supervisor: number, auditor: number][] = [
    ['GET', '/login', {}, 200, 200, 200, 200],
    ['GET', '/', {}, 303, 303, 303, 303],
    ['GET', '/alerts', {}, 303, 200, 200, 200],
    ['GET', '/api/alerts', {}, 401, 200, 200, 200],
    ['GET', alertPath, {}, 303, 200, 200, 200],
    ['GET', '/alerts/none', {}, 303, 404, 404, 404],
    ['GET', '/alerts/%E0%A4%A', {}, 303, 400, 400, 400],
    ['POST', `${alertPath}/disposition`, { disposition: 'false_positive' }, 401, 303, 303, 403],
    ['GET', '/alerts?assignee=ana', {}, 303, 200, 200, 200],
    ['GET', '/campaigns/f1', {}, 303, 200, 200, 200],
    ['GET', '/assets/live.js', {}, 303, 200, 200, 200],
    ['POST', `${alertPath}/assign`, { assignee: 'ana' }, 401, 303, 303, 403],
    ['POST', `${alertPath}/assign`, { assignee: 'aud' }, 401, 400, 400, 403],
    ['POST', `${alertPath}/comment`, { note: 'called the customer' }, 401, 303, 303, 403],
    ['POST', `${alertPath}/escalate`, { assignee: 'sue', note: 'large loss' }, 401, 303, 400, 403],
    ['POST', '/alerts/none/comment', { note: 'x' }, 401, 404, 404, 403],
    ['GET', '/holds', {}, 303, 200, 200, 200],
    ['POST', '/holds/h-enf/release', { reason: 'checked' }, 401, 303, 303, 403],
    ['POST', '/holds/h-dry/confirm', { reason: 'takeover' }, 401, 303, 303, 403],
    ['POST', '/holds/none/confirm', { reason: 'takeover' }, 401, 404, 404, 403],
    ['GET', '/audit', {}, 303, 403, 200, 200],
    ['GET', '/audit.csv', {}, 303, 403, 200, 200],
    ['GET', '/nowhere', {}, 303, 404, 404, 404],
  ];
  const sessions = { analyst: await login('ana'), supervisor: await login('sue'), auditor: await login('aud') };
  for (const [method, p, form, none, ...byRole] of ROUTES) {
    const anon = method === 'GET' ? await get(p) : await post(p, '', { _csrf: 'x', ...form });
    assert.equal(anon.status, none, `${method} ${p} without a session`);
    for (const [i, role] of (['analyst', 'supervisor', 'auditor'] as const).entries()) {
      const { cookie, csrf } = sessions[role];
      const r = method === 'GET' ? await get(p, cookie) : await post(p, cookie, { _csrf: csrf, ...form });
      assert.equal(r.status, byRole[i], `${method} ${p} as ${role}`);
    }
  }
  // the table's two 303s wrote a step each, the auditor's 403 none (the fake keeps no hold state:
  // which step is written is release.test.ts's, and the browser test's over ClickHouse)
  assert.deepEqual(desk.actions.filter((a) => a.holdId === 'h-enf').map((a) => [a.actor, a.action]), [['ana', 'release_requested'], ['sue', 'release_requested']]);
  assert.deepEqual(desk.caseWritten.map((e) => [e.actor, e.action, e.assignee]), [
    ['ana', 'assigned', 'ana'], ['sue', 'assigned', 'ana'], ['ana', 'commented', ''], ['sue', 'commented', ''], ['ana', 'escalated', 'sue'],
  ], 'each 303 wrote one case entry with who did it; no 400 or 403 wrote one');
});

test('login rate limit: after five failures the name is refused even with the right password', async () => {
  ({ desk, base } = await startDesk());
  for (let i = 0; i < 5; i++) assert.equal((await login('aud', `wrong-${i}`)).res.status, 401);
  const r = await login('aud');
  assert.equal(r.res.status, 429);
  assert.ok(Number(r.res.headers.get('retry-after')) > 0);
});

test('through the journal: the view waits for the disk, not the store; a failing append is a 503 showing nothing; the audit page flushes first', async () => {
  const dir = mkdtempSync(nodePath.join(os.tmpdir(), 'kanshi-desk-journal-'));
  let failNext = false;
  const sync = async (f: { datasync(): Promise<void> }) => {
    if (failNext) {
      failNext = false;
      throw Object.assign(new Error('input/output error'), { code: 'EIO' });
    }
    await f.datasync();
  };
  const log = { info() {}, warn() {}, error() {} };
  const fake = fakeDesk(hash);
  const journal = await AuditJournal.open({ dir, sink: fake, log, flushMs: 60_000, sync });
  try {
    ({ desk, base } = await startDesk(() => journaled(fake, journal)));
    const viewed = () => fake.audits.filter((a) => a.action === 'desk.account_viewed');
    const ana = await login('ana');
    const alertPath = `/alerts/${encodeURIComponent(`al-${XSS}`)}`;
    assert.equal((await get(alertPath, ana.cookie)).status, 200);
    assert.equal(viewed().length, 0, 'the page was sent before its entry reached the store (it is in the journal)');
    failNext = true;
    const refused = await get(alertPath, ana.cookie);
    assert.equal(refused.status, 503);
    assert.match(refused.body, /audit journal could not record this \(EIO\): nothing was shown or changed; try again/);
    assert.ok(!refused.body.includes('summary'), 'nothing of the alert is shown');
    const aud = await login('aud');
    const page = await get('/audit', aud.cookie);
    assert.equal(viewed().length, 1, 'flushed before the audit page read: the view shown once, the refused one not at all');
    assert.ok(page.body.includes('desk.account_viewed'));
  } finally {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
