/**
 * An alert's case on its page: who has it, its history (assignments, comments, escalations and
 * dispositions, oldest first, each with who and when) and the forms that change it.
 */
import type { CaseEntry, DeskAlert, DeskRole, DispositionEntry } from '@kanshi/store';
import { DISPOSITIONS } from '@kanshi/store';
import { csrfField, html, pathOf, utc, type Html, type Viewer } from './html.js';

const words = (code: string) => code.replace(/_/g, ' ');

interface HistoryLine { at: number; actor: string; what: string; note: string }

function history(entries: CaseEntry[], dispositions: DispositionEntry[]): HistoryLine[] {
  const lines: HistoryLine[] = [
    ...entries.map((e) => ({ at: e.at, actor: e.actor, note: e.note, what: e.action === 'commented' ? 'commented' : `${e.action} to ${e.assignee}` })),
    ...dispositions.map((d) => ({ at: d.at, actor: d.actor, note: d.note, what: `disposition: ${words(d.disposition)}` })),
  ];
  return lines.sort((a, b) => a.at - b.at);
}

function userOptions(users: readonly { name: string; role: DeskRole }[], roles: readonly DeskRole[]): Html {
  return html`${users.filter((u) => roles.includes(u.role)).map((u) => html`<option value="${u.name}">${u.name} (${u.role})</option>`)}`;
}

export function casePanel(a: DeskAlert, entries: CaseEntry[], dispositions: DispositionEntry[], users: readonly { name: string; role: DeskRole }[], viewer: Viewer, mayWork: boolean): Html {
  const lines = history(entries, dispositions);
  const at = (verb: string) => pathOf('/alerts', a.alertId, `/${verb}`);
  const forms = mayWork ? html`<div class="case-forms">
<form method="post" action="${at('assign')}">${csrfField(viewer)}<input type="hidden" name="assignee" value="${viewer.name}">
<button type="submit" id="take-case"${a.assignee === viewer.name ? html` disabled` : ''}>Assign to me</button></form>
<form method="post" action="${at('assign')}">${csrfField(viewer)}<label for="assignee">Assign to</label>
<select id="assignee" name="assignee" required>${userOptions(users, ['analyst', 'supervisor'])}</select> <button type="submit">Assign</button></form>
<form method="post" action="${at('escalate')}">${csrfField(viewer)}<label for="escalate-to">Escalate to</label>
<select id="escalate-to" name="assignee" required>${userOptions(users.filter((u) => u.name !== viewer.name), ['supervisor'])}</select>
<label for="escalate-note">Why</label><input id="escalate-note" name="note" required maxlength="2000" size="40"> <button type="submit">Escalate</button></form>
<form method="post" action="${at('comment')}">${csrfField(viewer)}<label for="comment">Comment</label>
<textarea id="comment" name="note" rows="2" cols="60" required maxlength="2000"></textarea> <button type="submit">Add comment</button></form>
<form method="post" action="${at('disposition')}">${csrfField(viewer)}
<label for="disposition">Disposition</label><select id="disposition" name="disposition" required><option value="">choose…</option>${DISPOSITIONS.map((d) => html`<option value="${d}">${words(d)}</option>`)}</select>
<label for="note">Note</label><textarea id="note" name="note" rows="2" cols="60"></textarea>
<p><button type="submit">Record disposition</button></p></form></div>` : '';
  return html`<h2 id="case">Case</h2>
<p>Assigned to: <strong id="case-owner">${a.assignee ?? 'nobody'}</strong> · status <strong>${words(a.status)}</strong></p>
<h3>History</h3>
${lines.length ? html`<ol class="history" id="case-history">${lines.map((l) => html`<li>${utc(l.at)} <strong>${l.what}</strong> by ${l.actor}${l.note ? html`: ${l.note}` : ''}</li>`)}</ol>` : html`<p class="muted">Nothing yet: the case is open and nobody has it.</p>`}
${forms}`;
}
