import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeskHold, HoldAction } from '@kanshi/store';
import { confirmStep, releaseStep } from './release.js';

const hold = (mode: DeskHold['mode'], actions: HoldAction['action'][] = [], by = 'ana'): DeskHold => ({
  holdId: 'h1', accountId: 'A1', findingId: 'f1', at: 0, mode, reason: 'r',
  actions: actions.map((action, i) => ({ actionId: `x${i}`, holdId: 'h1', accountId: 'A1', action, actor: by, reason: 'why', at: i })),
  state: actions.includes('released') ? 'released' : actions.includes('release_requested') ? 'release_pending' : actions.includes('confirmed') ? 'confirmed' : 'active',
});
const ana = { name: 'ana', role: 'analyst' as const };
const sue = { name: 'sue', role: 'supervisor' as const };
const sam = { name: 'sam', role: 'supervisor' as const };
const aud = { name: 'aud', role: 'auditor' as const };

test('a release needs a reason', () => {
  for (const r of [undefined, null, '', '   \n']) assert.deepEqual(releaseStep(hold('dry_run'), ana, r), { ok: false, status: 400, why: 'a release needs a reason' });
  assert.equal(releaseStep(hold('dry_run'), ana, 'x'.repeat(2_001)).ok, false);
});

test('a dry-run hold is released by one analyst', () => {
  assert.deepEqual(releaseStep(hold('dry_run'), ana, ' customer called from home '), { ok: true, action: 'released', reason: 'customer called from home' });
});

test("an enforced hold: requested by one, released by a second person who is a supervisor", () => {
  assert.deepEqual(releaseStep(hold('enforce'), ana, 'ok'), { ok: true, action: 'release_requested', reason: 'ok' });
  assert.deepEqual(releaseStep(hold('enforce'), sue, 'ok'), { ok: true, action: 'release_requested', reason: 'ok' }, 'a supervisor alone cannot release it either');
  const pending = hold('enforce', ['release_requested'], 'ana');
  assert.equal(releaseStep(pending, ana, 'again').ok, false, 'the analyst cannot approve');
  assert.deepEqual(releaseStep(pending, sue, 'checked'), { ok: true, action: 'released', reason: 'checked' });
  const bySue = hold('enforce', ['release_requested'], 'sue');
  assert.deepEqual(releaseStep(bySue, sue, 'me again'), { ok: false, status: 403, why: 'the second approval must come from someone other than the requester' });
  assert.equal(releaseStep(bySue, sam, 'ok').ok, true);
});

test('auditors release nothing; a released hold stays released', () => {
  assert.equal((releaseStep(hold('dry_run'), aud, 'x') as { status: number }).status, 403);
  assert.equal((releaseStep(hold('enforce', ['release_requested', 'released']), sue, 'x') as { status: number }).status, 409);
});

test('confirming: an active hold, with a reason, by an analyst or supervisor; a confirmed enforced hold still takes four eyes to release', () => {
  assert.deepEqual(confirmStep(hold('enforce'), ana, ' takeover confirmed '), { ok: true, action: 'confirmed', reason: 'takeover confirmed' });
  assert.equal((confirmStep(hold('enforce'), ana, '') as { status: number }).status, 400);
  assert.equal((confirmStep(hold('enforce'), aud, 'x') as { status: number }).status, 403);
  assert.equal((confirmStep(hold('enforce', ['confirmed']), sue, 'x') as { status: number }).status, 409);
  assert.equal((confirmStep(hold('enforce', ['release_requested']), sue, 'x') as { status: number }).status, 409);
  assert.deepEqual(releaseStep(hold('enforce', ['confirmed']), ana, 'customer after all'), { ok: true, action: 'release_requested', reason: 'customer after all' });
  assert.deepEqual(releaseStep(hold('dry_run', ['confirmed']), ana, 'x'), { ok: true, action: 'released', reason: 'x' });
});
