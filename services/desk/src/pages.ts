/**
 * The desk's pages, as Html from data: the queue, an alert with its account, the holds and the
 * audit log. Nothing here reads a request or the store; every value goes through `html`.
 */
import type { AccountSnapshot, Finding, InputEvent } from '@kanshi/contract';
import type { AlertStatus, AuditCursor, AuditEntry, CaseEntry, DeskAlert, DeskHold, DeskRole, DispositionEntry, QueuePage, QueueQuery } from '@kanshi/store';
import { ALERT_STATUSES, QUEUE_SORTS } from '@kanshi/store';
import { casePanel } from './case-view.js';
import { csrfField, html, pathOf, query, utc, type Html, type Viewer } from './html.js';
import { holdingsPanel } from './holdings.js';
import type { InfraRelated } from './related-infra.js';
import { timelineTable } from './timeline.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** Words for the codes the desk shows; an unknown code is shown as itself, underscores as spaces. */
export function words(code: string): string {
  return code.replace(/_/g, ' ');
}

const sev = (s: string) => html`<span class="sev sev-${SEVERITIES.includes(s as never) ? s : 'low'}">${s}</span>`;
const num = (v: number | null | undefined, digits = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');

function options(values: readonly string[], selected: string | undefined, any = 'any'): Html {
  return html`<option value="">${any}</option>${values.map((v) => html`<option value="${v}"${selected === v ? html` selected` : ''}>${words(v)}</option>`)}`;
}

/** An epoch-ms day start as `YYYY-MM-DD`; `back` days earlier (the `to` day is stored as the next midnight). */
function day(ms: number | undefined, back = 0): string | undefined {
  return ms === undefined ? undefined : new Date(ms + back * 86_400_000).toISOString().slice(0, 10);
}

export function loginPage(loginToken: string, message?: string): Html {
  return html`<div class="login"><h1>Log in</h1>${message ? html`<p class="err" role="alert">${message}</p>` : ''}
<form method="post" action="/login"><input type="hidden" name="_csrf" value="${loginToken}">
<label for="name">Name</label><input id="name" name="name" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button></form></div>`;
}

export function queuePage(page: QueuePage, q: QueueQuery, kinds: string[]): Html {
  const limit = q.limit ?? 50;
  const offset = q.offset ?? 0;
  const link = (over: Partial<Record<string, string | number | undefined>>) =>
    `/alerts${query({ severity: q.severity, kind: q.kind, account: q.accountId, symbol: q.symbol, from: day(q.since), to: day(q.until, -1), status: q.status, assignee: q.assignee, sort: q.sort, ...over })}`;
  const rows = page.alerts.map((a) => html`<tr>
<td>${sev(a.severity)}</td><td>${num(a.score)}</td><td><a href="${pathOf('/alerts', a.alertId)}">${words(a.kind)}</a></td>
<td>${a.accountIds.map((id, i) => html`${i ? ', ' : ''}<a href="${link({ account: id, offset: undefined })}"><code>${id}</code></a>`)}</td>
<td>${a.symbols.map((sym, i) => html`${i ? ', ' : ''}<a href="${link({ symbol: sym, offset: undefined })}">${sym}</a>`)}</td>
<td>${utc(a.at)}</td><td>${words(a.status)}</td><td>${a.assignee ?? ''}</td><td>${a.summary}</td></tr>`);
  return html`<h1>${q.assignee ? html`Alert queue: assigned to ${q.assignee}` : 'Alert queue'}</h1>
<p class="counts">${ALERT_STATUSES.map((s) => html`<a href="${link({ status: s, offset: undefined })}">${words(s)}: <strong>${page.counts[s]}</strong></a>`)}</p>
<form class="filters" method="get" action="/alerts">
<div><label for="severity">Severity</label><select id="severity" name="severity">${options(SEVERITIES, q.severity)}</select></div>
<div><label for="kind">Kind</label><select id="kind" name="kind">${options(kinds, q.kind)}</select></div>
<div><label for="account">Account</label><input id="account" name="account" size="14" value="${q.accountId ?? ''}"></div>
<div><label for="symbol">Symbol</label><input id="symbol" name="symbol" size="10" value="${q.symbol ?? ''}"></div>
<div><label for="from">From (UTC)</label><input id="from" name="from" type="date" value="${day(q.since) ?? ''}"></div>
<div><label for="to">To (UTC)</label><input id="to" name="to" type="date" value="${day(q.until, -1) ?? ''}"></div>
<div><label for="status">Status</label><select id="status" name="status">${options(ALERT_STATUSES, q.status)}</select></div>
<div><label for="assignee-filter">Assigned to</label><input id="assignee-filter" name="assignee" size="10" value="${q.assignee ?? ''}"></div>
<div><label for="sort">Sort</label><select id="sort" name="sort">${QUEUE_SORTS.map((s) => html`<option value="${s}"${(q.sort ?? 'score') === s ? html` selected` : ''}>${s === 'score' ? 'highest score' : `${s} first`}</option>`)}</select></div>
<button type="submit">Show</button></form>
${offset === 0 ? html`<p id="live" class="muted" aria-live="polite">New alerts show on reload.</p>` : ''}
<table class="queue"><thead><tr><th>Severity</th><th>Score</th><th>Kind</th><th>Accounts</th><th>Symbols</th><th>At (UTC)</th><th>Status</th><th>Assigned</th><th>Summary</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="9" class="muted">No alert matches.</td></tr>`}</tbody></table>
${pager(offset, limit, page.alerts.length, page.total, (o) => link({ offset: o }))}
${offset === 0 ? html`<script src="/assets/live.js" defer></script>` : ''}`;
}

export interface AlertView {
  alert: DeskAlert;
  finding: Finding | null;
  dispositions: DispositionEntry[];
  caseEntries: CaseEntry[];
  /** other findings of the same campaign: on the alert's symbol, within hours of it */
  related: Finding[];
  /** other findings whose evidence logins share the alert's device or network (related-infra.ts) */
  byInfra: InfraRelated[];
  /** whom the case can go to */
  users: { name: string; role: DeskRole }[];
  /** per account of the alert: its timeline, findings and holds */
  accounts: { accountId: string; timeline: InputEvent[]; findings: Finding[]; holds: DeskHold[]; snapshot: AccountSnapshot | null }[];
}

export function alertPage(v: AlertView, viewer: Viewer, mayWork: boolean): Html {
  const { alert: a, finding: f } = v;
  const tvi = f && [f.threat, f.vulnerability, f.impact].every((x) => typeof x === 'number') ? (f.threat! * f.vulnerability! * f.impact!) : null;
  return html`<h1>${words(a.kind)} ${sev(a.severity)}</h1>
<p>${a.summary}</p>
<table><tbody>
<tr><th>Alert</th><td><code>${a.alertId}</code></td></tr><tr><th>Status</th><td>${words(a.status)}</td></tr>
<tr><th>Score</th><td>${num(a.score)}</td></tr><tr><th>At (UTC)</th><td>${utc(a.at)}</td></tr>
<tr><th>Accounts</th><td>${a.accountIds.map((id, i) => html`${i ? ', ' : ''}<code>${id}</code>`)}</td></tr>
<tr><th>Symbols</th><td>${a.symbols.join(', ')}${a.symbols.length ? html` · <a id="campaign-link" href="${pathOf('/campaigns', a.findingId)}">campaign view</a>` : ''}</td></tr>
<tr><th>Threat × vulnerability × impact</th><td>${f ? html`${num(f.threat)} × ${num(f.vulnerability)} × ${num(f.impact)} = ${num(tvi)}` : '—'}</td></tr>
</tbody></table>
<h2>Why</h2>
${f ? html`<ul>${f.reasons.map((r) => html`<li><strong>${words(r.code)}</strong>: ${r.detail}</li>`)}</ul>
<p class="muted">Evidence events: ${f.evidence.map((e, i) => html`${i ? ', ' : ''}<code>${e}</code>`)}</p>` : html`<p class="muted">The finding behind this alert is not in the store.</p>`}
${casePanel(a, v.caseEntries, v.dispositions, v.users, viewer, mayWork)}
<h2 id="related">Related findings (same campaign)</h2>${findingsTable(v.related)}
<h2 id="related-infra">Related findings (shared infrastructure)</h2>${infraTable(v.byInfra)}
${v.accounts.map((acc, i) => html`<h2>Account <code>${acc.accountId}</code></h2>
<h3>Holdings before and after</h3>${holdingsPanel(acc.snapshot, acc.timeline, incidentStart(acc.timeline, f, a.at), `holdings-${i}`)}
<h3>Timeline</h3>${timelineTable(acc.timeline, new Set(f?.evidence ?? []))}
<h3>Findings</h3>${findingsTable(acc.findings)}
<h3>Holds</h3>${holdsTable(acc.holds, viewer, false)}`)}`;
}

/** When the incident began for an account: its first evidence event, else the finding's detection, else the alert. */
function incidentStart(timeline: InputEvent[], f: Finding | null, alertAt: number): number {
  const evidence = new Set(f?.evidence ?? []);
  return timeline.find((e) => evidence.has(e.eventId))?.ts ?? f?.detectedAt ?? alertAt;
}

function infraTable(related: InfraRelated[]): Html {
  if (!related.length) return html`<p class="muted">No other finding's evidence logins share this alert's device, IP prefix or ASN within a day.</p>`;
  return html`<table id="infra-related"><thead><tr><th>Detected (UTC)</th><th>Kind</th><th>Severity</th><th>Accounts</th><th>Shared</th></tr></thead><tbody>
${related.map((r) => html`<tr><td>${utc(r.finding.detectedAt)}</td><td>${r.finding.symbols.length ? html`<a href="${pathOf('/campaigns', r.finding.findingId)}">${words(r.finding.kind)}</a>` : words(r.finding.kind)}</td><td>${sev(r.finding.severity)}</td>
<td>${r.accounts.map((id, i) => html`${i ? ', ' : ''}<a href="${`/alerts?account=${encodeURIComponent(id)}`}"><code>${id}</code></a>`)}</td><td>${r.shared.join('; ')}</td></tr>`)}</tbody></table>`;
}

function findingsTable(findings: Finding[]): Html {
  if (!findings.length) return html`<p class="muted">No findings.</p>`;
  return html`<table><thead><tr><th>Detected (UTC)</th><th>Kind</th><th>Severity</th><th>Score</th><th>Accounts</th><th>Reasons</th></tr></thead><tbody>
${findings.map((f) => html`<tr><td>${utc(f.detectedAt)}</td><td>${f.symbols.length ? html`<a href="${pathOf('/campaigns', f.findingId)}">${words(f.kind)}</a>` : words(f.kind)}</td><td>${sev(f.severity)}</td><td>${num(f.score)}</td><td>${f.accountIds.map((id, i) => html`${i ? ', ' : ''}<code>${id}</code>`)}</td>
<td>${f.reasons.map((r) => html`<div>${r.detail || words(r.code)}</div>`)}</td></tr>`)}</tbody></table>`;
}

/** Holds with their state and history; with `actions`, the release form for each open one. */
export function holdsTable(holds: DeskHold[], viewer: Viewer, actions: boolean): Html {
  if (!holds.length) return html`<p class="muted">No holds.</p>`;
  return html`<table><thead><tr><th>Held (UTC)</th><th>Account</th><th>Mode</th><th>State</th><th>Reason</th><th>History</th>${actions ? html`<th>Release or confirm</th>` : ''}</tr></thead><tbody>
${holds.map((h) => html`<tr id="${`hold-${h.holdId}`}"><td>${utc(h.at)}</td><td><code>${h.accountId}</code></td><td>${words(h.mode)}</td><td>${words(h.state)}</td><td>${h.reason}</td>
<td>${h.actions.map((x) => html`<div>${utc(x.at)} ${words(x.action)} by ${x.actor}: ${x.reason}</div>`)}</td>
${actions ? html`<td>${h.state === 'released' ? '' : html`<form method="post" action="${pathOf('/holds', h.holdId, '/release')}">${csrfField(viewer)}
<label for="${`reason-${h.holdId}`}">Reason</label><input id="${`reason-${h.holdId}`}" name="reason" required maxlength="2000">
<button type="submit" formaction="${pathOf('/holds', h.holdId, '/release')}">${h.state === 'release_pending' ? 'Approve release' : h.mode === 'enforce' ? 'Request release' : 'Release'}</button>
${h.state === 'active' ? html` <button type="submit" class="secondary" formaction="${pathOf('/holds', h.holdId, '/confirm')}">Confirm hold</button>` : ''}</form>`}</td>` : ''}</tr>`)}
</tbody></table>`;
}

/** One page of the holds (newest first) and how many there are in each state. */
export interface HoldsList {
  holds: DeskHold[];
  offset: number;
  limit: number;
  counts: { total: number; confirmed: number; release_pending: number; released: number };
}

/** "1–100 of 250" and the links either side; `href` makes a page's link from its offset. */
function pager(offset: number, limit: number, shown: number, total: number, href: (offset: number) => string): Html {
  return html`<p class="pager">${shown === 0 ? '' : `${offset + 1}–${offset + shown} of ${total}`}
${offset > 0 ? html` <a href="${href(Math.max(0, offset - limit))}" rel="prev">Previous</a>` : ''}
${offset + shown < total ? html` <a href="${href(offset + limit)}" rel="next">Next</a>` : ''}</p>`;
}

export function holdsPage(list: HoldsList, viewer: Viewer, mayRelease: boolean, changesGoTo: string, message?: string): Html {
  const c = list.counts;
  const active = Math.max(0, c.total - c.confirmed - c.release_pending - c.released);
  return html`<h1>Holds</h1>${message ? html`<p class="err" role="alert">${message}</p>` : ''}
<p class="muted">A dry-run hold is released by one person with a reason; an enforced hold's release takes a second person, a supervisor. Confirming a hold records that it was right; it stays.</p>
<p class="muted" id="hold-records">Each change is a row of hold_actions and an audit entry in ClickHouse; its hold record: ${changesGoTo}.</p>
<p class="counts" id="hold-counts">all: <strong>${c.total}</strong> active: <strong>${active}</strong> confirmed: <strong>${c.confirmed}</strong> release pending: <strong>${c.release_pending}</strong> released: <strong>${c.released}</strong></p>
${holdsTable(list.holds, viewer, mayRelease)}
${pager(list.offset, list.limit, list.holds.length, c.total, (offset) => `/holds${query({ offset: offset || undefined })}`)}`;
}

/** One page of the audit log, newest first; `next` is where the following page starts, if there is one. */
export interface AuditList {
  entries: AuditEntry[];
  total: number;
  q: { actor?: string; action?: string; after?: AuditCursor };
  next?: AuditCursor;
}

export function auditPage(list: AuditList): Html {
  const { q } = list;
  const filters = { actor: q.actor, action: q.action };
  return html`<h1>Audit log</h1>
<form class="filters" method="get" action="/audit">
<div><label for="actor">Actor</label><input id="actor" name="actor" value="${q.actor ?? ''}"></div>
<div><label for="action">Action</label><input id="action" name="action" value="${q.action ?? ''}"></div><button type="submit">Show</button>
<a href="${`/audit.csv${query(filters)}`}" download>Export CSV</a></form>
<p class="counts" id="audit-count"><strong>${list.total}</strong> ${list.total === 1 ? 'entry matches' : 'entries match'}, newest first${q.after ? html`; these are older than ${utc(q.after.at)}` : ''}.</p>
<table><thead><tr><th>At (UTC)</th><th>Actor</th><th>Action</th><th>Subject</th><th>Detail</th></tr></thead><tbody>
${list.entries.map((e) => html`<tr><td>${utc(e.at)}</td><td>${e.actor}</td><td>${e.action}</td><td><code>${e.subject}</code></td><td>${e.detail}</td></tr>`)}
</tbody></table>
<p class="pager">${q.after ? html`<a href="${`/audit${query(filters)}`}">Newest</a>` : ''}
${list.next ? html` <a href="${`/audit${query({ ...filters, after: `${list.next.at}.${list.next.auditId}` })}`}" rel="next">Older</a>` : ''}</p>`;
}

export function messagePage(title: string, message: string): Html {
  return html`<h1>${title}</h1><p>${message}</p><p><a href="/alerts">Back to the queue</a></p>`;
}

export type { AlertStatus };
