/**
 * The desk's HTTP server: Node's http module and a handful of routes (no framework: the whole
 * surface is the table in `route`, which a reader checks for a guard on every line). Without a
 * session only /login answers; every POST carries the session's CSRF token; every action and
 * every view of an account's data is an audit entry.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import type { LoginEvent } from '@kanshi/contract';
import type { Logger } from 'pino';
import { DISPOSITIONS, type AlertViewQuery, type DeskStore, type Disposition } from '@kanshi/store';
import { can, LoginLimiter, NO_USER_HASH, sameToken, Sessions, verifyPassword, type Permission, type Session } from './auth.js';
import { AuditJournalError } from './audit-journal.js';
import { auditCsvLines } from './csv.js';
import { html, layout, type Html, type Viewer } from './html.js';
import { auditQuery, cookie, HEADERS, HttpError, offsetOf, parseCookies, readForm, segment, type Req, type Res } from './request.js';
import { alertPage, auditPage, holdsPage, loginPage, messagePage, queuePage } from './pages.js';
import { matchesQuery, oneOf, queueQuery } from './query.js';
import { campaignAccounts, campaignPage, loadCampaign } from './campaign-view.js';
import { CASE_VERBS, caseStep, type CaseVerb } from './cases.js';
import { holdChange, NO_HOLD_RECORDS, type HoldRecords } from './hold-records.js';
import { LIVE_JS } from './live-script.js';
import { LiveAlerts } from './live.js';
import { confirmStep, MAX_REASON_CHARS, releaseStep } from './release.js';
import { alertListsLink, ListsDesk, type ListsOutcome } from './lists.js';
import { relatedByInfrastructure } from './related-infra.js';
import type { ListStore } from './list-store.js';

/** What the desk reads and writes: a DeskStore, or a fake of it in tests. */
export type DeskBackend = Pick<DeskStore, 'user' | 'queue' | 'kinds' | 'alert' | 'alertView' | 'finding' | 'accountFindings' | 'accountTimeline' | 'dispositions' | 'writeDisposition' | 'holds' | 'writeHoldAction' | 'audit' | 'auditLog'>
  & Pick<DeskStore, 'users' | 'caseEntries' | 'writeCaseEntry' | 'newestAlertWrite' | 'alertsWrittenSince' | 'symbolFindings' | 'symbolOrders'>
  & Pick<DeskStore, 'accountSnapshot' | 'sharedInfraLogins' | 'findingsWithEvidence' | 'auditCount' | 'auditEntries' | 'holdCounts'>;

export interface DeskOptions {
  desk: DeskBackend;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  clock?: () => number;
  sessions?: Sessions;
  limiter?: LoginLimiter;
  /** how often live updates ask the store for new alerts; default 2000 ms */
  livePollMs?: number;
  /** where hold changes are published besides ClickHouse; default none (embedded mode) */
  holdRecords?: HoldRecords;
  /** block and allow list entries (lists.ts); without, the desk has no lists pages */
  lists?: ListStore;
}

const SESSION_COOKIE = 'kanshi_session';
const LOGIN_COOKIE = 'kanshi_login';
/**
 * What the alert view reads: of its first 20 accounts the newest 300 events up to an hour after
 * the alert; as related, the findings on its symbol within 6 h (the campaign view's window).
 */
/** Rows per page of the holds and of the audit log (both page on: offset and keyset). */
const HOLDS_PAGE = 100;
const AUDIT_PAGE = 100;
const ALERT_VIEW: AlertViewQuery = { maxAccounts: 20, timelineLimit: 300, afterMs: 3_600_000, relatedMs: 6 * 3_600_000, relatedLimit: 50 };


export class DeskServer {
  private readonly desk: DeskBackend;
  private readonly clock: () => number;
  readonly sessions: Sessions;
  private readonly limiter: LoginLimiter;
  private readonly server: http.Server;
  private readonly holdRecords: HoldRecords;
  readonly live: LiveAlerts;
  private readonly lists: ListsDesk | null;

  constructor(private readonly o: DeskOptions) {
    this.desk = o.desk;
    this.clock = o.clock ?? Date.now;
    this.lists = o.lists ? new ListsDesk(o.lists, o.desk, this.clock) : null;
    this.sessions = o.sessions ?? new Sessions(this.clock);
    this.limiter = o.limiter ?? new LoginLimiter(this.clock);
    this.holdRecords = o.holdRecords ?? NO_HOLD_RECORDS;
    this.live = new LiveAlerts(this.desk, o.log, o.livePollMs);
    this.server = http.createServer((req, res) => void this.serve(req, res));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  listen(host: string, port: number): Promise<{ url: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const a = this.server.address() as AddressInfo;
        resolve({ url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.live.close();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let out: Res;
    try {
      const cookies = parseCookies(req.headers.cookie);
      const r: Req = {
        method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'http://desk.invalid'), cookies,
        form: await readForm(req), ip: req.socket.remoteAddress ?? '?', session: this.sessions.get(cookies.get(SESSION_COOKIE)),
      };
      out = await this.route(r);
    } catch (e) {
      if (e instanceof HttpError) out = this.problem(null, e.status, e.message);
      // the view's or action's audit entry was not recorded, so neither is shown as done (503: it may pass later)
      else if (e instanceof AuditJournalError) out = { ...this.problem(null, 503, e.message), headers: { 'retry-after': '30' } };
      else {
        this.o.log.error({ err: { name: (e as Error).name, message: (e as Error).message } }, 'desk request failed');
        out = this.problem(null, 500, 'the desk could not answer this request; see its log');
      }
    }
    if (out.stream) return out.stream(res);
    res.writeHead(out.status, { ...HEADERS, 'content-type': out.type ?? 'text/html; charset=utf-8', ...out.headers });
    res.end(out.body);
  }

  private async route(r: Req): Promise<Res> {
    const p = r.url.pathname;
    if (p === '/login' && r.method === 'GET') return this.loginForm(r);
    if (p === '/login' && r.method === 'POST') return this.login(r);
    // everything below needs a session
    const s = r.session;
    if (!s) {
      if (r.method === 'GET' && !p.startsWith('/api/')) return { status: 303, body: '', headers: { location: '/login' } };
      return { status: 401, body: JSON.stringify({ error: 'log in first' }), type: 'application/json' };
    }
    if (r.method === 'POST') this.checkCsrf(r, s);
    const viewer: Viewer = { name: s.user.name, role: s.user.role, csrf: s.csrf };
    // `/<section>/<id>[/<verb>]`: the id is one percent-encoded segment
    const [, section, rawId, verb] = /^\/(alerts|holds|campaigns)\/([^/]+)(?:\/([a-z]+))?$/.exec(p) ?? [];
    const get = r.method === 'GET';
    const post = r.method === 'POST';
    if (p === '/logout' && post) return this.logout(s);
    if (p === '/' && get) return { status: 303, body: '', headers: { location: '/alerts' } };
    if (p === '/alerts' && get) return this.need(s, 'read') ?? this.queue(r, viewer);
    if (p === '/api/alerts' && get) return this.need(s, 'read') ?? this.queueJson(r);
    // live updates of the queue: the stream, and the script that reads it
    if (p === '/events/alerts' && get) return this.need(s, 'read') ?? this.liveStream(r, s);
    if (p === '/assets/live.js' && get) return this.need(s, 'read') ?? { status: 200, body: LIVE_JS, type: 'text/javascript; charset=utf-8' };
    if (section === 'alerts' && verb === undefined && get) return this.need(s, 'read') ?? this.alert(segment(rawId), viewer);
    if (section === 'alerts' && verb === 'disposition' && post) return this.need(s, 'alert.dispose') ?? this.dispose(segment(rawId), r, s);
    if (p === '/holds' && get) return this.need(s, 'read') ?? this.holds(viewer, undefined, 200, offsetOf(r.url.searchParams));
    if (section === 'holds' && verb === 'release' && post) return this.need(s, 'hold.release') ?? this.holdStep('release', segment(rawId), r, s, viewer);
    if (section === 'holds' && verb === 'confirm' && post) return this.need(s, 'hold.release') ?? this.holdStep('confirm', segment(rawId), r, s, viewer);
    // cases: assignment, comments, escalation (a disposition is the route above)
    const caseVerb = section === 'alerts' && post ? oneOf<CaseVerb>(CASE_VERBS, verb ?? null) : undefined;
    if (caseVerb) return this.need(s, 'case.work') ?? this.caseChange(caseVerb, segment(rawId), r, s);
    if (section === 'campaigns' && verb === undefined && get) return this.need(s, 'read') ?? this.campaign(segment(rawId), viewer);
    if (p === '/audit' && get) return this.need(s, 'audit.read') ?? this.auditLog(r, viewer);
    if (p === '/audit.csv' && get) return this.need(s, 'audit.read') ?? this.auditExport(r, viewer);
    // block and allow lists (lists.ts): reading needs read, every change alert.dispose
    const lists = this.lists;
    const listEntry = /^\/lists\/([^/]+)\/withdraw$/.exec(p)?.[1];
    if (lists && p === '/lists' && get) return this.need(s, 'read') ?? this.listsPage(lists.page(viewer, can(s.user.role, 'alert.dispose')), viewer);
    if (lists && p === '/lists' && post) return this.need(s, 'alert.dispose') ?? this.listsPage(await lists.addManual(r.form, s.user.name), viewer);
    if (lists && listEntry !== undefined && post) return this.need(s, 'alert.dispose') ?? this.listsPage(await lists.withdraw(segment(listEntry), s.user.name), viewer);
    if (lists && section === 'alerts' && verb === 'lists') {
      return this.need(s, 'alert.dispose') ?? this.listsPage(get ? await lists.caseForm(segment(rawId), viewer) : await lists.addFromCase(segment(rawId), r.form, s.user.name), viewer);
    }
    return this.problem(viewer, 404, 'no such page');
  }

  private nav(v: Viewer): { href: string; label: string }[] {
    return [{ href: '/alerts', label: 'Alerts' }, { href: `/alerts?assignee=${encodeURIComponent(v.name)}`, label: 'My queue' }, { href: '/holds', label: 'Holds' }, ...(this.lists ? [{ href: '/lists', label: 'Lists' }] : []), ...(can(v.role as Session['user']['role'], 'audit.read') ? [{ href: '/audit', label: 'Audit' }] : [])];
  }

  private page(title: string, v: Viewer | null, body: Html, status = 200, headers?: Res['headers']): Res {
    return { status, body: layout(title, v, body, v ? this.nav(v) : []).text, headers };
  }

  private problem(v: Viewer | null, status: number, message: string): Res {
    return this.page(String(status), v, messagePage(status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Cannot do that', message), status);
  }

  private need(s: Session, permission: Permission): Res | null {
    if (can(s.user.role, permission)) return null;
    return this.problem({ name: s.user.name, role: s.user.role, csrf: s.csrf }, 403, `a ${s.user.role} may not do this (${permission})`);
  }

  private checkCsrf(r: Req, s: Session): void {
    if (!sameToken(s.csrf, r.form.get('_csrf'))) throw new HttpError(403, 'the form\'s CSRF token is missing or wrong: reload the page and try again');
  }

  private async record(actor: string, action: string, subject: string, detail = ''): Promise<void> {
    await this.desk.audit([{ auditId: randomUUID(), at: this.clock(), actor: `desk:${actor}`, action, subject, detail, policyVersion: '' }]);
  }

  private loginForm(r: Req, message?: string, status = 200): Res {
    // double-submit token: the cookie and the form field must agree (SameSite=Strict keeps other
    // sites from sending the cookie). A browser's own token is kept: its favicon request, sent to
    // /login like every page without a session, must not replace the one in the form it shows.
    const had = r.cookies.get(LOGIN_COOKIE) ?? '';
    const t = /^[0-9a-f-]{36}$/.test(had) ? had : randomUUID();
    return this.page('Log in', null, loginPage(t, message), status, { 'set-cookie': cookie(LOGIN_COOKIE, t, 600) });
  }

  private async login(r: Req): Promise<Res> {
    const name = (r.form.get('name') ?? '').slice(0, 64);
    if (!sameToken(r.cookies.get(LOGIN_COOKIE) ?? '', r.form.get('_csrf')) || !r.cookies.get(LOGIN_COOKIE)) return this.loginForm(r, 'The login form expired: try again.', 403);
    const keys = [`ip:${r.ip}`, `name:${name}`];
    const wait = Math.max(...keys.map((k) => this.limiter.retryAfterMs(k)));
    if (wait > 0) {
      await this.record(name || '?', 'desk.login_refused', name, `rate limit, ${r.ip}`);
      return { ...this.loginForm(r, `Too many failed logins: try again in ${Math.ceil(wait / 60_000)} min.`, 429), headers: { 'retry-after': String(Math.ceil(wait / 1000)) } };
    }
    const user = name ? await this.desk.user(name) : null;
    const ok = await verifyPassword(r.form.get('password') ?? '', user?.passwordHash ?? NO_USER_HASH);
    if (!user || !ok) {
      keys.forEach((k) => this.limiter.failed(k));
      await this.record(name || '?', 'desk.login_failed', name, r.ip);
      return this.loginForm(r, 'Wrong name or password.', 401);
    }
    keys.forEach((k) => this.limiter.succeeded(k));
    const s = this.sessions.create({ name: user.name, role: user.role });
    await this.record(user.name, 'desk.login', user.name, r.ip);
    return { status: 303, body: '', headers: { location: '/alerts', 'set-cookie': [cookie(SESSION_COOKIE, s.token), cookie(LOGIN_COOKIE, '', 0)] } };
  }

  private async logout(s: Session): Promise<Res> {
    this.sessions.destroy(s.token);
    await this.record(s.user.name, 'desk.logout', s.user.name);
    return { status: 303, body: '', headers: { location: '/login', 'set-cookie': cookie(SESSION_COOKIE, '', 0) } };
  }

  private async queue(r: Req, v: Viewer): Promise<Res> {
    const q = queueQuery(r.url.searchParams);
    const [page, kinds] = await Promise.all([this.desk.queue(q), this.desk.kinds()]);
    return this.page('Alerts', v, queuePage(page, q, kinds));
  }

  private liveStream(r: Req, s: Session): Res {
    const q = queueQuery(r.url.searchParams);
    // the stream lives as long as the session: a logout or an idle timeout ends it at the next poll
    const alive = () => this.sessions.get(s.token) !== null;
    return {
      status: 200, body: '',
      stream: (res) => {
        if (!this.live.open(res, s.token, (a) => matchesQuery(q, a), alive, HEADERS)) {
          res.writeHead(503, { ...HEADERS, 'retry-after': '30', 'content-type': 'text/plain' });
          res.end('too many live pages open (on this desk, or in this session)');
        }
      },
    };
  }

  private async queueJson(r: Req): Promise<Res> {
    const page = await this.desk.queue(queueQuery(r.url.searchParams));
    return { status: 200, body: JSON.stringify(page), type: 'application/json' };
  }

  private async alert(alertId: string, v: Viewer): Promise<Res> {
    // a view of an account's data is an audit entry, one per account shown, started as soon as
    // the alert names them and written beside the reads (in the service, an append to the audit
    // journal, audit-journal.ts; straight to a store, an INSERT, a part); the page waits for it,
    // so a failed write fails the page and no view goes unrecorded
    let audited: Promise<void> | null = null;
    const view = await this.desk.alertView(alertId, ALERT_VIEW, (accountIds) => {
      audited = this.desk.audit(accountIds.map((a) => ({ auditId: randomUUID(), at: this.clock(), actor: `desk:${v.name}`, action: 'desk.account_viewed', subject: a, detail: `alert ${alertId}`, policyVersion: '' })));
      audited.catch(() => undefined); // awaited below; a read that failed first fails the page anyway
    });
    if (!view) return this.problem(v, 404, 'no such alert');
    const { alert } = view;
    // related by shared infrastructure: from the evidence logins, which are in the timelines
    const evidence = new Set(view.finding?.evidence ?? []);
    const logins = view.accounts.flatMap((a) => a.timeline).filter((e): e is LoginEvent & { type: 'login' } => e.type === 'login' && evidence.has(e.eventId));
    const [byInfra] = await Promise.all([relatedByInfrastructure(this.desk, alert.findingId, alert.accountIds, logins, alert.at), audited]);
    const mayDispose = can(v.role as Session['user']['role'], 'alert.dispose');
    const page = alertPage({ ...view, related: view.related.filter((f) => f.findingId !== alert.findingId), byInfra }, v, can(v.role as Session['user']['role'], 'case.work'));
    return this.page(`Alert ${alert.kind}`, v, html`${page}${this.lists && mayDispose ? alertListsLink(alert) : ''}`);
  }

  private async dispose(alertId: string, r: Req, s: Session): Promise<Res> {
    const v = { name: s.user.name, role: s.user.role, csrf: s.csrf };
    const disposition = oneOf<Disposition>(DISPOSITIONS, r.form.get('disposition'));
    if (!disposition) return this.problem(v, 400, `a disposition is one of: ${DISPOSITIONS.join(', ')}`);
    const note = (r.form.get('note') ?? '').trim();
    if (note.length > MAX_REASON_CHARS) return this.problem(v, 400, `a note is at most ${MAX_REASON_CHARS} characters`);
    if (!(await this.desk.alert(alertId))) return this.problem(v, 404, 'no such alert');
    await this.desk.writeDisposition({ entryId: randomUUID(), alertId, disposition, actor: s.user.name, note, at: this.clock() });
    await this.record(s.user.name, 'desk.alert_disposition', alertId, note ? `${disposition}: ${note}` : disposition);
    return { status: 303, body: '', headers: { location: `/alerts/${encodeURIComponent(alertId)}` } };
  }

  private async campaign(findingId: string, v: Viewer): Promise<Res> {
    const view = await loadCampaign(this.desk, findingId);
    if (!view) return this.problem(v, 404, 'no such finding, or it names no symbol');
    await this.desk.audit(campaignAccounts(view).map((a) => ({ auditId: randomUUID(), at: this.clock(), actor: `desk:${v.name}`, action: 'desk.account_viewed', subject: a, detail: `campaign ${findingId}`, policyVersion: '' })));
    return this.page(`Campaign ${view.symbol}`, v, campaignPage(view));
  }

  private async caseChange(verb: CaseVerb, alertId: string, r: Req, s: Session): Promise<Res> {
    const v = { name: s.user.name, role: s.user.role, csrf: s.csrf };
    if (!(await this.desk.alert(alertId))) return this.problem(v, 404, 'no such alert');
    const step = caseStep(verb, { assignee: r.form.get('assignee'), note: r.form.get('note') }, s.user, await this.desk.users());
    if (!step.ok) return this.problem(v, step.status, step.why);
    await this.desk.writeCaseEntry({ entryId: randomUUID(), alertId, action: step.action, actor: s.user.name, assignee: step.assignee, note: step.note, at: this.clock() });
    await this.record(s.user.name, `desk.case_${step.action}`, alertId, [step.assignee && `to ${step.assignee}`, step.note].filter(Boolean).join(': '));
    return { status: 303, body: '', headers: { location: `/alerts/${encodeURIComponent(alertId)}#case` } };
  }

  private async holds(v: Viewer, message?: string, status = 200, offset = 0): Promise<Res> {
    const [holds, counts] = await Promise.all([this.desk.holds({ limit: HOLDS_PAGE, offset }), this.desk.holdCounts()]);
    await this.record(v.name, 'desk.holds_viewed', 'holds', `${holds.length} holds from #${offset + 1}`);
    return this.page('Holds', v, holdsPage({ holds, offset, limit: HOLDS_PAGE, counts }, v, can(v.role as Session['user']['role'], 'hold.release'), this.holdRecords.where, message), status);
  }

  private async holdStep(kind: 'release' | 'confirm', holdId: string, r: Req, s: Session, v: Viewer): Promise<Res> {
    const [hold] = await this.desk.holds({ holdId, limit: 1 });
    if (!hold) return this.problem(v, 404, 'no such hold');
    const step = (kind === 'release' ? releaseStep : confirmStep)(hold, s.user, r.form.get('reason'));
    if (!step.ok) return this.holds(v, step.why, step.status);
    const actionId = randomUUID();
    const at = this.clock();
    // published before recorded: an order system left holding a customer the desk shows as
    // released is worse than a release the desk shows late (a retry publishes it again, same holdId)
    let topic: string | null;
    try {
      topic = await this.holdRecords.publish(holdChange(hold, step, s.user.name, actionId, at));
    } catch (e) {
      this.o.log.error({ err: { name: (e as Error).name, message: (e as Error).message }, holdId }, 'hold change not published');
      return this.holds(v, `The ${step.action.replace('_', ' ')} could not be published (${this.holdRecords.where}); nothing was recorded: try again.`, 503);
    }
    await this.desk.writeHoldAction({ actionId, holdId, accountId: hold.accountId, action: step.action, actor: s.user.name, reason: step.reason, at });
    await this.record(s.user.name, `desk.hold_${step.action}`, holdId, `${hold.mode} hold on ${hold.accountId}: ${step.reason} (change ${actionId}, ${topic ? `record on ${topic}` : 'no record: embedded mode'})`);
    return { status: 303, body: '', headers: { location: '/holds' } };
  }

  /** A list action's page or redirect, after its audit entries. */
  private async listsPage(out: ListsOutcome, v: Viewer): Promise<Res> {
    for (const a of out.audit) await this.record(v.name, a.action, a.subject, a.detail);
    return 'redirect' in out ? { status: 303, body: '', headers: { location: out.redirect } } : this.page(out.title, v, out.body, out.status);
  }

  private async auditLog(r: Req, v: Viewer): Promise<Res> {
    const q = auditQuery(r.url.searchParams);
    // one more than a page: whether there is a next one
    const [entries, total] = await Promise.all([this.desk.auditLog({ ...q, limit: AUDIT_PAGE + 1 }), this.desk.auditCount(q)]);
    await this.record(v.name, 'desk.audit_viewed', 'audit', JSON.stringify(q));
    const shown = entries.slice(0, AUDIT_PAGE);
    const last = shown.at(-1);
    return this.page('Audit', v, auditPage({ entries: shown, total, q, ...(entries.length > AUDIT_PAGE && last ? { next: { at: last.at, auditId: last.auditId } } : {}) }));
  }

  /** Every matching entry, streamed: the export is recorded first, with how many entries preceded it. */
  private async auditExport(r: Req, v: Viewer): Promise<Res> {
    const { actor, action } = auditQuery(r.url.searchParams);
    const q = { actor, action };
    const n = await this.desk.auditCount(q);
    await this.record(v.name, 'desk.audit_exported', 'audit', `${n} entries before this one ${JSON.stringify(q)}`);
    // the query starts with its first row, here: a store that cannot answer is an error page, not a cut-off file
    const entries = this.desk.auditEntries(q)[Symbol.asyncIterator]();
    const first = await entries.next();
    const rest = async function* () {
      if (!first.done) yield first.value;
      for (let e = await entries.next(); !e.done; e = await entries.next()) yield e.value;
    };
    const log = this.o.log;
    return {
      status: 200, body: '',
      stream: (res) => {
        res.writeHead(200, { ...HEADERS, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="kanshi-audit.csv"' });
        // backpressure by pipeline; a store failing halfway ends the download cut off (no 200 to take back) and says so in the log
        pipeline(Readable.from(auditCsvLines(rest())), res).catch((e: Error) => log.error({ err: { name: e.name, message: e.message } }, 'audit export cut off'));
      },
    };
  }
}
