import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { UsageError } from '@kanshi/runtime';
import type { AuditEntry, DeskUser } from '@kanshi/store';
import { verifyPassword } from './auth.js';
import { addUser, readPassword, userFromFlags } from './users.js';

test('flags: add with a plain name and a known role; anything else is a UsageError naming the flag', () => {
  assert.deepEqual(userFromFlags(['add', '--name', 'ana.k@desk', '--role', 'auditor']), { name: 'ana.k@desk', role: 'auditor' });
  assert.equal(userFromFlags(['--help']), 'help');
  const refused = (argv: string[], re: RegExp) => assert.throws(() => userFromFlags(argv), (e: unknown) => e instanceof UsageError && re.test(e.message));
  refused(['remove', '--name', 'a', '--role', 'analyst'], /sub-command is 'add'/);
  refused(['add', '--role', 'analyst'], /--name/);
  refused(['add', '--name', '<script>', '--role', 'analyst'], /--name/);
  refused(['add', '--name', 'a', '--role', 'admin'], /--role must be one of analyst, supervisor, auditor/);
});

test('the password comes from stdin without its final line break, bounded in size', async () => {
  assert.equal(await readPassword(Readable.from(['correct horse', ' battery\n'])), 'correct horse battery');
  assert.equal(await readPassword(Readable.from(['pw with\r\n'])), 'pw with');
  await assert.rejects(readPassword(Readable.from(['x'.repeat(2_000)])), /longer than 1024 bytes/);
});

test('adding a user stores a scrypt hash, never the password, and audits it; short passwords are refused', async () => {
  const users: DeskUser[] = [];
  const audits: AuditEntry[] = [];
  const desk = { addUser: async (u: DeskUser) => { users.push(u); }, audit: async (e: AuditEntry[]) => { audits.push(...e); } };
  await assert.rejects(addUser(desk, { name: 'ana', role: 'analyst' }, 'short'), /at least 12 characters/);
  await addUser(desk, { name: 'ana', role: 'analyst' }, 'correct horse battery', 1_000);
  assert.equal(users.length, 1);
  assert.ok(!users[0].passwordHash.includes('horse'));
  assert.ok(await verifyPassword('correct horse battery', users[0].passwordHash));
  assert.deepEqual(audits.map((a) => [a.actor, a.action, a.subject, a.detail, a.at]), [['cli', 'desk.user_added', 'ana', 'analyst', 1_000]]);
});
