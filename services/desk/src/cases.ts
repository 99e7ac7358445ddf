/**
 * What a case change asked on an alert becomes: an assignment (to oneself or another analyst or
 * supervisor), a comment, or an escalation to a supervisor. Pure, like release.ts: the desk
 * writes what this returns as a case entry, with who and when, and an audit entry.
 */
import type { CaseAction, DeskRole } from '@kanshi/store';
import { MAX_REASON_CHARS } from './release.js';

export const CASE_VERBS = ['assign', 'comment', 'escalate'] as const;
export type CaseVerb = (typeof CASE_VERBS)[number];

export type CaseStep =
  | { ok: true; action: CaseAction; assignee: string; note: string }
  | { ok: false; status: 400; why: string };

/** Who may hold a case: the people who may work it (an auditor only reads). */
const WORKERS: readonly DeskRole[] = ['analyst', 'supervisor'];

export function caseStep(verb: CaseVerb, form: { assignee?: string | null; note?: string | null }, actor: { name: string }, users: readonly { name: string; role: DeskRole }[]): CaseStep {
  const note = (form.note ?? '').trim();
  if (note.length > MAX_REASON_CHARS) return { ok: false, status: 400, why: `a note is at most ${MAX_REASON_CHARS} characters` };
  const target = users.find((u) => u.name === (form.assignee ?? ''));
  if (verb === 'comment') {
    return note ? { ok: true, action: 'commented', assignee: '', note } : { ok: false, status: 400, why: 'a comment needs some text' };
  }
  if (verb === 'assign') {
    if (!target || !WORKERS.includes(target.role)) return { ok: false, status: 400, why: 'a case is assigned to an analyst or a supervisor of the desk' };
    return { ok: true, action: 'assigned', assignee: target.name, note };
  }
  if (target?.role !== 'supervisor') return { ok: false, status: 400, why: 'a case is escalated to a supervisor' };
  if (target.name === actor.name) return { ok: false, status: 400, why: 'escalate to another supervisor than yourself' };
  if (!note) return { ok: false, status: 400, why: 'an escalation says why' };
  return { ok: true, action: 'escalated', assignee: target.name, note };
}
