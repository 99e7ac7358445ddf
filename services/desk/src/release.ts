/**
 * What a release asked on a hold becomes. A dry-run hold never stopped the customer, so one
 * person's release (with a reason) ends it. An enforced hold stopped a real customer or a real
 * thief: its release is requested by one person and takes effect only when a supervisor other
 * than the requester approves it (four eyes). A hold may be confirmed (it was right) before any
 * release; a confirmed hold is released the same way. Pure: the desk writes what this returns.
 */
import type { DeskHold, DeskRole, HoldActionKind } from '@kanshi/store';
import { can } from './auth.js';

/** Longest reason kept, in characters: a paragraph, not a document. */
export const MAX_REASON_CHARS = 2_000;

export type ReleaseStep =
  | { ok: true; action: HoldActionKind; reason: string }
  | { ok: false; status: 400 | 403 | 409; why: string };

function checkedReason(raw: string | null | undefined, what: string): ReleaseStep | string {
  const reason = (raw ?? '').trim();
  if (reason === '') return { ok: false, status: 400, why: `a ${what} needs a reason` };
  if (reason.length > MAX_REASON_CHARS) return { ok: false, status: 400, why: `a reason is at most ${MAX_REASON_CHARS} characters` };
  return reason;
}

/** Confirming says the hold was right (a takeover): recorded with its reason, the hold stays. */
export function confirmStep(hold: DeskHold, actor: { name: string; role: DeskRole }, reasonRaw: string | null | undefined): ReleaseStep {
  const reason = checkedReason(reasonRaw, 'confirmation');
  if (typeof reason !== 'string') return reason;
  if (!can(actor.role, 'hold.release')) return { ok: false, status: 403, why: `a ${actor.role} cannot confirm holds` };
  if (hold.state !== 'active') return { ok: false, status: 409, why: `this hold is ${hold.state.replace('_', ' ')}: only an active hold is confirmed` };
  return { ok: true, action: 'confirmed', reason };
}

export function releaseStep(hold: DeskHold, actor: { name: string; role: DeskRole }, reasonRaw: string | null | undefined): ReleaseStep {
  const reason = checkedReason(reasonRaw, 'release');
  if (typeof reason !== 'string') return reason;
  if (hold.state === 'released') return { ok: false, status: 409, why: 'this hold is already released' };
  if (!can(actor.role, 'hold.release')) return { ok: false, status: 403, why: `a ${actor.role} cannot release holds` };
  if (hold.mode === 'dry_run') return { ok: true, action: 'released', reason };
  if (hold.state === 'active' || hold.state === 'confirmed') return { ok: true, action: 'release_requested', reason };
  // release_pending: this is the second approval
  if (!can(actor.role, 'hold.approve')) return { ok: false, status: 403, why: "an enforced hold's release needs a supervisor's approval" };
  const requesters = hold.actions.filter((a) => a.action === 'release_requested').map((a) => a.actor);
  if (requesters.includes(actor.name)) return { ok: false, status: 403, why: 'the second approval must come from someone other than the requester' };
  return { ok: true, action: 'released', reason };
}
