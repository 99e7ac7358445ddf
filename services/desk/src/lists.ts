/**
 * The desk's block and allow lists: a page of the entries (author, reason, expiry, state), and
 * from an alert the one action an analyst needs: a confirmed takeover's infrastructure (its
 * logins' device, address, prefix, network) onto the block list, or a false positive's exit and
 * device onto the allow list, picked from the case's evidence, each with a reason and an expiry.
 * An entry is validated like any input, audited, and put where the detectors read it (list-store.ts).
 * The server's route table guards every route (read to look, alert.dispose to change: analysts
 * and supervisors, never auditors) and checks every POST's CSRF token.
 */
import { randomUUID } from 'node:crypto';
import { networkOf, RejectedEvent, validateListEntry, type InputEvent, type ListEntry, type ListKind, type ListTarget } from '@kanshi/contract';
import type { DeskAlert, DeskStore } from '@kanshi/store';
import { csrfField, html, pathOf, utc, type Html, type Viewer } from './html.js';
import type { ListStore } from './list-store.js';

/** What a list action leaves: a page to show, or where to go, and the audit entries to write. */
export type ListsOutcome = ({ title: string; body: Html; status: number } | { redirect: string }) & { audit: { action: string; subject: string; detail: string }[] };

export type ListsBackend = Pick<DeskStore, 'alert' | 'finding' | 'accountTimeline'>;

/** Expiries an analyst picks from, in days: a list entry always ends. */
export const EXPIRY_DAYS = [7, 30, 90, 365] as const;
/** A case's candidates: its evidence logins' infrastructure, bounded. */
const MAX_CANDIDATES = 40;

/** One thing of a case that may be listed. */
export interface Candidate {
  target: ListTarget;
  value: string;
  /** an allowed device is the account's own */
  accountId: string | null;
}

const pickKey = (c: Candidate) => `${c.target}|${c.value}|${c.accountId ?? ''}`;

/** Which list a case may feed: a confirmed takeover the block list, a false positive the allow list. */
export function listFor(a: DeskAlert): ListKind | null {
  return a.status === 'confirmed_takeover' ? 'block' : a.status === 'false_positive' ? 'allow' : null;
}

/** The infrastructure of the case's evidence logins, for the list the case may feed. */
export function candidatesOf(list: ListKind, evidence: readonly string[], logins: readonly InputEvent[]): Candidate[] {
  const ids = new Set(evidence);
  const out = new Map<string, Candidate>();
  const add = (c: Candidate) => { if (out.size < MAX_CANDIDATES) out.set(pickKey(c), c); };
  for (const e of logins) {
    if (e.type !== 'login' || !ids.has(e.eventId)) continue;
    if (e.deviceId) add({ target: 'device', value: e.deviceId, accountId: list === 'allow' ? e.accountId : null });
    add({ target: 'ip', value: e.ip, accountId: null });
    const prefix = networkOf(e.ip);
    if (prefix) add({ target: 'prefix', value: prefix, accountId: null });
    if (e.asn) add({ target: 'asn', value: String(e.asn), accountId: null });
  }
  return [...out.values()];
}

export function entryState(e: ListEntry, now: number): string {
  if (e.removedAt != null && e.removedAt <= now) return 'withdrawn';
  if (e.expiresAt <= now) return 'expired';
  return e.createdAt > now ? 'pending' : 'active';
}

export class ListsDesk {
  constructor(private readonly store: ListStore, private readonly desk: ListsBackend, private readonly clock: () => number) {}

  /** GET /lists */
  page(v: Viewer, mayChange: boolean, message = ''): ListsOutcome {
    const now = this.clock();
    const rows = this.store.entries().map((e) => html`<tr><td>${e.list}</td><td>${e.target}</td><td><code>${e.value}</code>${e.accountId ? html` (account ${e.accountId})` : ''}</td>
<td>${e.author}</td><td>${e.reason}</td><td>${utc(e.createdAt)}</td><td>${utc(e.expiresAt)}</td><td>${entryState(e, now)}</td>
<td>${e.findingId ?? ''}</td>${mayChange ? html`<td>${entryState(e, now) === 'active' || entryState(e, now) === 'pending' ? html`<form method="post" action="${pathOf('/lists', e.entryId, '/withdraw')}">${csrfField(v)}<button>Withdraw</button></form>` : ''}</td>` : ''}</tr>`);
    const body = html`<h1>Block and allow lists</h1>
${message ? html`<p class="muted">${message}</p>` : ''}
<p class="muted">Entries go to ${this.store.where}. A detector applies an entry to events between its creation and its expiry (event time).</p>
<table><thead><tr><th>List</th><th>Target</th><th>Value</th><th>Author</th><th>Reason</th><th>Created (UTC)</th><th>Expires (UTC)</th><th>State</th><th>Case</th>${mayChange ? html`<th></th>` : ''}</tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="10" class="muted">No entries.</td></tr>`}</tbody></table>
${mayChange ? html`<h2>Add an entry</h2><form method="post" action="/lists">${csrfField(v)}
<label>List <select name="list"><option>block</option><option>allow</option></select></label>
<label>Target <select name="target"><option>device</option><option>ip</option><option>prefix</option><option>asn</option></select></label>
<label>Value <input name="value" required maxlength="256"></label>
<label>Account (an allowed device only) <input name="accountId" maxlength="256"></label>
${this.reasonFields()}<button>Add</button></form>` : ''}`;
    return { title: 'Lists', body, status: 200, audit: [] };
  }

  /** GET /alerts/:id/lists */
  async caseForm(alertId: string, v: Viewer): Promise<ListsOutcome> {
    const c = await this.caseOf(alertId);
    if ('problem' in c) return c.problem;
    const { alert, list, candidates } = c;
    const body = html`<h1>${list === 'block' ? 'Block list this case\'s infrastructure' : 'Allow list this false positive\'s exit and device'}</h1>
<p>Alert <a href="${pathOf('/alerts', alert.alertId)}">${alert.kind}</a> on ${alert.accountIds.join(', ')}: ${alert.summary}</p>
<form method="post" action="${pathOf('/alerts', alert.alertId, '/lists')}">${csrfField(v)}
${candidates.length ? candidates.map((x) => html`<p><label><input type="checkbox" name="pick" value="${pickKey(x)}"${x.target === 'device' ? html` checked` : ''}> ${x.target} <code>${x.value}</code>${x.accountId ? html` (for account ${x.accountId})` : ''}</label></p>`) : html`<p class="muted">The case's evidence holds no login to take infrastructure from.</p>`}
${this.reasonFields()}<button>Add to the ${list} list</button></form>`;
    return { title: `Lists: alert ${alert.kind}`, body, status: 200, audit: [] };
  }

  /** POST /alerts/:id/lists: the picked candidates of the case, each an entry. */
  async addFromCase(alertId: string, form: URLSearchParams, author: string): Promise<ListsOutcome> {
    const c = await this.caseOf(alertId);
    if ('problem' in c) return c.problem;
    const offered = new Map(c.candidates.map((x) => [pickKey(x), x]));
    const picked = form.getAll('pick').map((k) => offered.get(k));
    if (picked.length === 0) return problem(400, 'pick at least one of the case\'s devices or addresses');
    // only what the case offered: a forged pick is refused, not listed
    if (picked.some((x) => x === undefined)) return problem(400, 'a pick is not one of this case\'s candidates');
    return this.add((picked as Candidate[]).map((x) => ({ list: c.list, ...x })), form, author, c.alert.findingId);
  }

  /** POST /lists: one entry typed in. */
  async addManual(form: URLSearchParams, author: string): Promise<ListsOutcome> {
    const accountId = (form.get('accountId') ?? '').trim();
    return this.add([{ list: form.get('list') as ListKind, target: form.get('target') as ListTarget, value: form.get('value') ?? '', accountId: accountId || null }], form, author, null);
  }

  /** POST /lists/:id/withdraw: the entry stays, withdrawn from now on, so a replay still sees it before. */
  async withdraw(entryId: string, author: string): Promise<ListsOutcome> {
    const e = this.store.get(entryId);
    if (!e) return problem(404, 'no such list entry');
    const now = this.clock();
    // withdrawn again later would put it back in force for the time between
    if (e.removedAt != null && e.removedAt <= now) return problem(409, 'the entry is withdrawn already');
    await this.store.put({ ...e, removedAt: Math.max(now, e.createdAt) });
    return { redirect: '/lists', audit: [{ action: 'desk.list_entry_withdrawn', subject: entryId, detail: `${e.list} ${e.target} ${e.value} by ${author}` }] };
  }

  private async add(items: (Candidate & { list: ListKind })[], form: URLSearchParams, author: string, findingId: string | null): Promise<ListsOutcome> {
    const days = Number(form.get('days'));
    if (!(EXPIRY_DAYS as readonly number[]).includes(days)) return problem(400, `an expiry is one of ${EXPIRY_DAYS.join(', ')} days`);
    const now = this.clock();
    const entries: ListEntry[] = [];
    for (const x of items) {
      const e = validateListEntry({
        entryId: randomUUID(), list: x.list, target: x.target, value: x.value, accountId: x.accountId, author,
        reason: form.get('reason') ?? '', createdAt: now, expiresAt: now + days * 86_400_000, findingId,
      });
      if (e instanceof RejectedEvent) return problem(400, `${e.field ?? 'the entry'}: ${e.reason}`);
      entries.push(e);
    }
    for (const e of entries) await this.store.put(e);
    return {
      redirect: '/lists',
      audit: entries.map((e) => ({ action: 'desk.list_entry_added', subject: e.entryId, detail: `${e.list} ${e.target} ${e.value}${e.accountId ? ` (${e.accountId})` : ''} until ${utc(e.expiresAt)}${findingId ? ` from ${findingId}` : ''}: ${e.reason}` })),
    };
  }

  private async caseOf(alertId: string): Promise<{ alert: DeskAlert; list: ListKind; candidates: Candidate[] } | { problem: ListsOutcome }> {
    const alert = await this.desk.alert(alertId);
    if (!alert) return { problem: problem(404, 'no such alert') };
    const list = listFor(alert);
    if (!list) return { problem: problem(409, 'only a confirmed takeover feeds the block list and a false positive the allow list: record the disposition first') };
    const finding = await this.desk.finding(alert.findingId);
    const evidence = finding?.evidence ?? [];
    const logins = (await Promise.all(alert.accountIds.slice(0, 20).map((a) => this.desk.accountTimeline(a, alert.at, { limit: 300 })))).flat();
    return { alert, list, candidates: candidatesOf(list, evidence, logins) };
  }

  private reasonFields(): Html {
    return html`<label>Reason <textarea name="reason" required maxlength="1024"></textarea></label>
<label>Expires after <select name="days">${EXPIRY_DAYS.map((d) => html`<option value="${d}"${d === 90 ? html` selected` : ''}>${d} days</option>`)}</select></label>`;
  }
}

function problem(status: number, message: string): ListsOutcome {
  return { title: String(status), body: html`<h1>Cannot do that</h1><p>${message}</p>`, status, audit: [] };
}

/** The alert page's way to the case's list action, once its disposition allows one. */
export function alertListsLink(a: DeskAlert): Html {
  const list = listFor(a);
  return list ? html`<p><a href="${pathOf('/alerts', a.alertId, '/lists')}">${list === 'block' ? 'Block list this case\'s infrastructure' : 'Allow list this exit and device'}</a></p>` : html``;
}
