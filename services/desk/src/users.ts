/**
 * `kanshi desk users add --name N --role R`: a desk user, its password read from stdin (never a
 * flag: flags end up in shell history and `ps`). Adding a name again replaces its role and password.
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { DESK_ROLES, type DeskRole, type DeskStore } from '@kanshi/store';
import { UsageError } from '@kanshi/runtime';
import { hashPassword } from './auth.js';

export const USERS_HELP = `kanshi desk users add --name NAME --role analyst|supervisor|auditor
  Adds (or replaces) a desk user; the password is read from stdin (12 to 1024 characters), e.g.
  printf '%s' "$PW" | kanshi desk users add --name ana --role analyst`;

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
export const MIN_PASSWORD_CHARS = 12;
const MAX_PASSWORD_BYTES = 1024;

/** stdin to its end, at most MAX_PASSWORD_BYTES, without its final line break. */
export async function readPassword(input: AsyncIterable<Buffer | string>): Promise<string> {
  let text = '';
  for await (const c of input) {
    text += typeof c === 'string' ? c : c.toString('utf8');
    if (Buffer.byteLength(text) > MAX_PASSWORD_BYTES) throw new UsageError(`the password on stdin is longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  return text.replace(/\r?\n$/, '');
}

export interface UserToAdd {
  name: string;
  role: DeskRole;
}

/** The user the flags name, checked; a UsageError names the flag that is wrong. */
export function userFromFlags(argv: string[]): UserToAdd | 'help' {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, role: { type: 'string' }, help: { type: 'boolean', default: false } } });
  if (values.help || positionals[0] !== 'add') {
    if (values.help) return 'help';
    throw new UsageError(`desk users: the sub-command is 'add', got '${positionals[0] ?? ''}'`);
  }
  if (!values.name || !NAME.test(values.name)) throw new UsageError('--name must be 1 to 64 letters, digits or ._@-');
  if (!(DESK_ROLES as readonly string[]).includes(values.role ?? '')) throw new UsageError(`--role must be one of ${DESK_ROLES.join(', ')}`);
  return { name: values.name, role: values.role as DeskRole };
}

export async function addUser(desk: Pick<DeskStore, 'addUser' | 'audit'>, user: UserToAdd, password: string, at = Date.now()): Promise<void> {
  if ([...password].length < MIN_PASSWORD_CHARS) throw new UsageError(`the password must be at least ${MIN_PASSWORD_CHARS} characters`);
  await desk.addUser({ ...user, passwordHash: await hashPassword(password) }, at);
  await desk.audit([{ auditId: randomUUID(), at, actor: 'cli', action: 'desk.user_added', subject: user.name, detail: user.role, policyVersion: '' }]);
}
