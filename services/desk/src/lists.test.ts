import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Finding, InputEvent, ListEntry } from '@kanshi/contract';
import { alertViewPieceByPiece, type AlertViewQuery, type AuditEntry, type DeskAlert, type OnAccounts } from '@kanshi/store';
import { hashPassword } from './auth.js';
import { fileListStore, type ListStore } from './list-store.js';
import { candidatesOf } from './lists.js';
import { DeskServer, type DeskBackend } from './server.js';

const PASSWORD = 'correct horse battery';
const AT = Date.UTC(2026, 0, 5);
const alerts: DeskAlert[] = [
  { alertId: 'al-ato', findingId: 'f-ato', kind: 'account_takeover', severity: 'critical', score: 0.9, accountIds: ['A1'], symbols: [], at: AT, summary: 'takeover', status: 'confirmed_takeover' },
  { alertId: 'al-fp', findingId: 'f-fp', kind: 'account_takeover', severity: 'high', score: 0.7, accountIds: ['A2'], symbols: [], at: AT, summary: 'corporate proxy', status: 'false_positive' },
  { alertId: 'al-open', findingId: 'f-open', kind: 'account_takeover', severity: 'high', score: 0.7, accountIds: ['A3'], symbols: [], at: AT, summary: 'open', status: 'open' },
];
const loginOf = (accountId: string): InputEvent => ({
  type: 'login', eventId: `ev-${accountId}`, ts: AT - 1, accountId, result: 'success', authMethod: 'session_resume', channel: 'web', ip: '203.0.113.9', asn: 64500, deviceId: `dev-${accountId}`,
});

function fakeDesk(passwordHash: string): DeskBackend & { audits: AuditEntry[] } {
  const roles = new Map([['ana', 'analyst'], ['aud', 'auditor']] as const);
  const d = {
    audits: [] as AuditEntry[],
    async user(name: string) { const role = roles.get(name as 'ana'); return role ? { name, role, passwordHash } : null; },
    async queue() { return { alerts, total: alerts.length, counts: { open: 1, confirmed_takeover: 1, false_positive: 1, benign_explained: 0, customer_contacted: 0 } }; },
    async kinds() { return ['account_takeover']; },
    async alert(id: string) { return alerts.find((a) => a.alertId === id) ?? null; },
    alertView(id: string, q: AlertViewQuery, onAccounts: OnAccounts) { return alertViewPieceByPiece(d, id, q, onAccounts); },
    async finding(id: string): Promise<Finding> {
      const a = alerts.find((x) => x.findingId === id)!;
      return { findingId: id, kind: a.kind, severity: a.severity, score: a.score, accountIds: a.accountIds, symbols: [], detectedAt: AT, evidence: [`ev-${a.accountIds[0]}`], reasons: [], revision: 1 };
    },
    async accountFindings() { return []; },
    async accountTimeline(accountId: string) { return [loginOf(accountId), { ...loginOf(accountId), eventId: 'not-evidence', deviceId: 'owner-phone' } as InputEvent]; },
    async dispositions() { return []; },
    async writeDisposition() {},
    async holds() { return []; },
    async writeHoldAction() {},
    async audit(e: AuditEntry[]) { d.audits.push(...e); },
    async auditLog() { return d.audits; },
    async auditCount() { return d.audits.length; },
    async *auditEntries() { yield* d.audits; },
    async holdCounts() { return { total: 0, confirmed: 0, release_pending: 0, released: 0 }; },
    async users() { return [...roles].map(([name, role]) => ({ name, role })); },
    async caseEntries() { return []; },
    async writeCaseEntry() {},
    async newestAlertWrite() { return 0; },
    async alertsWrittenSince() { return []; },
    async symbolFindings() { return []; },
    async symbolOrders() { return []; },
    async accountSnapshot() { return null; },
    async sharedInfraLogins() { return []; },
    async findingsWithEvidence() { return []; },
  };
  return d;
}

let base = '';
let desk: ReturnType<typeof fakeDesk>;
let lists: ListStore;
let server: DeskServer;
let now = AT + 3_600_000;
before(async () => {
  desk = fakeDesk(await hashPassword(PASSWORD));
  lists = fileListStore(path.join(mkdtempSync(path.join(tmpdir(), 'kanshi-desk-lists-')), 'lists.ndjson'));
  server = new DeskServer({ desk, log: { info() {}, warn() {}, error() {} }, lists, clock: () => now });
  base = (await server.listen('127.0.0.1', 0)).url;
});
after(() => server.close());

async function get(p: string, cookie = '', init: RequestInit = {}) {
  const r = await fetch(base + p, { redirect: 'manual', ...init, headers: { cookie, ...(init.headers as Record<string, string> | undefined) } });
  return { status: r.status, body: await r.text(), headers: r.headers };
}
const post = (p: string, cookie: string, form: [string, string][]) =>
  get(p, cookie, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

async function login(name: string) {
  const form = await get('/login');
  const loginCookie = /kanshi_login=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1];
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1];
  const res = await post('/login', `kanshi_login=${loginCookie}`, [['_csrf', token], ['name', name], ['password', PASSWORD]]);
  const cookie = `kanshi_session=${/kanshi_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]}`;
  const csrf = /name="_csrf" value="([^"]+)"/.exec((await get('/alerts', cookie)).body)![1];
  return { cookie, csrf };
}

test('a confirmed takeover: the case offers its evidence login\'s device, address, prefix and network; the picked ones become block entries, audited', async () => {
  const { cookie, csrf } = await login('ana');
  const form = await get('/alerts/al-ato/lists', cookie);
  assert.equal(form.status, 200);
  for (const v of ['device|dev-A1|', 'ip|203.0.113.9|', 'prefix|203.0.113.0/24|', 'asn|64500|']) assert.ok(form.body.includes(`value="${v}"`), v);
  assert.ok(!form.body.includes('owner-phone'), 'only the evidence\'s logins');
  assert.match((await get('/alerts/al-ato', cookie)).body, /Block list this case/);
  const r = await post('/alerts/al-ato/lists', cookie, [['_csrf', csrf], ['pick', 'device|dev-A1|'], ['pick', 'ip|203.0.113.9|'], ['reason', 'confirmed takeover, customer called'], ['days', '30']]);
  assert.equal(r.status, 303, r.body);
  const made = lists.entries().filter((e) => e.findingId === 'f-ato');
  assert.deepEqual(made.map((e) => `${e.list} ${e.target} ${e.value}`).sort(), ['block device dev-A1', 'block ip 203.0.113.9']);
  assert.ok(made.every((e) => e.author === 'ana' && e.expiresAt === now + 30 * 86_400_000 && e.createdAt === now));
  assert.equal(desk.audits.filter((a) => a.action === 'desk.list_entry_added').length, 2);
  const page = await get('/lists', cookie);
  assert.match(page.body, /confirmed takeover, customer called/);
  assert.match(page.body, /active/);
});

test('a false positive feeds the allow list, its device for that account only; an open alert feeds neither', async () => {
  const { cookie, csrf } = await login('ana');
  const r = await post('/alerts/al-fp/lists', cookie, [['_csrf', csrf], ['pick', 'device|dev-A2|A2'], ['pick', 'asn|64500|'], ['reason', 'Acme egress'], ['days', '90']]);
  assert.equal(r.status, 303, r.body);
  const made = lists.entries().filter((e) => e.findingId === 'f-fp');
  assert.deepEqual(made.map((e) => `${e.list} ${e.target} ${e.accountId}`).sort(), ['allow asn null', 'allow device A2']);
  assert.equal((await get('/alerts/al-open/lists', cookie)).status, 409);
});

test('refused: a pick the case did not offer, an expiry not offered, a missing reason, a forged CSRF token', async () => {
  const { cookie, csrf } = await login('ana');
  const before = lists.entries().length;
  assert.equal((await post('/alerts/al-ato/lists', cookie, [['_csrf', csrf], ['pick', 'device|someone-else|'], ['reason', 'r'], ['days', '30']])).status, 400);
  assert.equal((await post('/alerts/al-ato/lists', cookie, [['_csrf', csrf], ['pick', 'device|dev-A1|'], ['reason', 'r'], ['days', '3650']])).status, 400);
  assert.equal((await post('/lists', cookie, [['_csrf', csrf], ['list', 'block'], ['target', 'device'], ['value', 'x'], ['reason', ''], ['days', '30']])).status, 400);
  assert.equal((await post('/lists', cookie, [['_csrf', 'forged'], ['list', 'block'], ['target', 'device'], ['value', 'x'], ['reason', 'r'], ['days', '30']])).status, 403);
  assert.equal(lists.entries().length, before);
});

test('an auditor reads the lists and changes nothing', async () => {
  const { cookie, csrf } = await login('aud');
  const page = await get('/lists', cookie);
  assert.equal(page.status, 200);
  assert.ok(!page.body.includes('Add an entry') && !page.body.includes('Withdraw'));
  assert.equal((await get('/alerts/al-ato/lists', cookie)).status, 403);
  assert.equal((await post('/lists', cookie, [['_csrf', csrf], ['list', 'block'], ['target', 'device'], ['value', 'x'], ['reason', 'r'], ['days', '30']])).status, 403);
});

test('withdrawn, an entry stays with removedAt from now; the file store reads back the latest of each entry', async () => {
  const { cookie, csrf } = await login('ana');
  assert.equal((await post('/lists', cookie, [['_csrf', csrf], ['list', 'block'], ['target', 'asn'], ['value', 'AS64511'], ['reason', 'bulletproof host'], ['days', '7']])).status, 303);
  const e = lists.entries().find((x) => x.value === '64511') as ListEntry;
  now += 60_000;
  assert.equal((await post(`/lists/${e.entryId}/withdraw`, cookie, [['_csrf', csrf]])).status, 303);
  assert.equal(lists.get(e.entryId)?.removedAt, now);
  now += 60_000;
  assert.equal((await post(`/lists/${e.entryId}/withdraw`, cookie, [['_csrf', csrf]])).status, 409, 'withdrawn once');
  assert.equal(lists.get(e.entryId)?.removedAt, now - 60_000);
  const again = fileListStore(lists.where).get(e.entryId);
  assert.equal(again?.removedAt, now - 60_000);
});

test('candidates and prefixes', () => {
  assert.deepEqual(candidatesOf('block', ['x'], [loginOf('A9')]), []);
});
