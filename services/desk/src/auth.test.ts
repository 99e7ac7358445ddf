import assert from 'node:assert/strict';
import { test } from 'node:test';
import { can, hashPassword, LoginLimiter, NO_USER_HASH, PERMISSIONS, sameToken, Sessions, verifyPassword } from './auth.js';

test('scrypt: the right password verifies, a wrong or malformed one does not, and salts differ', async () => {
  const h = await hashPassword('correct horse battery');
  assert.match(h, /^scrypt\$32768\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
  assert.ok(!h.includes('correct'));
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('correct horse batterY', h), false);
  assert.notEqual(await hashPassword('correct horse battery'), h, 'a fresh salt each time');
  for (const bad of ['', 'plain', 'scrypt$1$8$1$00$00', `scrypt$${2 ** 24}$8$1$00$${'00'.repeat(32)}`]) assert.equal(await verifyPassword('x', bad), false, bad);
  assert.equal(await verifyPassword('', NO_USER_HASH), false);
});

test('roles: analysts work alerts and holds, supervisors also approve and audit, auditors only read', () => {
  const grants = (role: 'analyst' | 'supervisor' | 'auditor') => PERMISSIONS.filter((p) => can(role, p));
  assert.deepEqual(grants('analyst'), ['read', 'alert.dispose', 'case.work', 'hold.release']);
  assert.deepEqual(grants('supervisor'), ['read', 'audit.read', 'alert.dispose', 'case.work', 'hold.release', 'hold.approve']);
  assert.deepEqual(grants('auditor'), ['read', 'audit.read']);
  assert.equal(can('root' as never, 'read'), false, 'an unknown role may do nothing');
});

test('sessions end after idling and after their maximum age; tokens are unguessable and distinct', () => {
  let now = 0;
  const s = new Sessions(() => now, { idleMs: 100, maxMs: 250 });
  const a = s.create({ name: 'ana', role: 'analyst' });
  assert.match(a.token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.token, a.csrf);
  now = 90; assert.ok(s.get(a.token));
  now = 180; assert.ok(s.get(a.token), 'seen at 90: not idle yet');
  now = 260; assert.equal(s.get(a.token), null, 'past the maximum age');
  const b = s.create({ name: 'ana', role: 'analyst' });
  now = 361; assert.equal(s.get(b.token), null, 'idle');
  assert.equal(s.get(undefined), null);
  const c = s.create({ name: 'ana', role: 'analyst' });
  s.destroy(c.token);
  assert.equal(s.get(c.token), null);
});

test('CSRF tokens compare exactly', () => {
  assert.equal(sameToken('abc', 'abc'), true);
  for (const bad of ['abd', 'ab', 'abcd', '', null, undefined]) assert.equal(sameToken('abc', bad), false, String(bad));
});

test('login limit: five failures refuse the key until the window ends; a success clears it', () => {
  let now = 0;
  const l = new LoginLimiter(() => now, { failures: 5, windowMs: 1_000 });
  for (let i = 0; i < 4; i++) l.failed('ip:1');
  assert.equal(l.retryAfterMs('ip:1'), 0);
  l.failed('ip:1');
  now = 400;
  assert.equal(l.retryAfterMs('ip:1'), 600);
  assert.equal(l.retryAfterMs('ip:2'), 0, 'other keys are not affected');
  now = 1_000;
  assert.equal(l.retryAfterMs('ip:1'), 0, 'the window ended');
  l.failed('name:a');
  l.succeeded('name:a');
  assert.equal(l.retryAfterMs('name:a'), 0);
});
