/**
 * Who may use the desk and what each role may do: scrypt password hashes, sessions held in the
 * desk's memory (a restart logs everyone out, which is the safe direction), a CSRF token per
 * session, and a login rate limit per address and per name.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { DeskRole } from '@kanshi/store';

/** 2^15 x 8 x 1: ~32 MB and tens of ms per guess (OWASP's scrypt floor is 2^17 x 8 x 1 at 128 MB; the desk runs beside ClickHouse). */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 } as const;

function scryptKey(password: string, salt: Buffer, o: { N: number; r: number; p: number; keyLength: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password, salt, o.keyLength, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

/** `scrypt$N$r$p$salt$key` (hex), with a fresh 16-byte salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptKey(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('hex'), key.toString('hex')].join('$');
}

/** Whether `password` is the one `stored` was made from; false for anything malformed. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split('$');
  const o = { N: Number(n), r: Number(r), p: Number(p), keyLength: (key ?? '').length / 2 };
  if (alg !== 'scrypt' || !Number.isInteger(o.N) || o.N < 2 || o.N > 2 ** 20 || !(o.r >= 1 && o.r <= 32) || !(o.p >= 1 && o.p <= 4) || o.keyLength < 16) return false;
  const got = await scryptKey(password, Buffer.from(salt, 'hex'), o);
  return timingSafeEqual(got, Buffer.from(key, 'hex'));
}

/** A hash no password matches, checked when the name is unknown so that a miss costs the same time. */
export const NO_USER_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${'00'.repeat(16)}$${'00'.repeat(32)}`;

export const PERMISSIONS = ['read', 'audit.read', 'alert.dispose', 'case.work', 'hold.release', 'hold.approve'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Analysts work alerts, supervisors also approve and read the audit, auditors only read. */
const GRANTS: Record<DeskRole, readonly Permission[]> = {
  analyst: ['read', 'alert.dispose', 'case.work', 'hold.release'],
  supervisor: ['read', 'audit.read', 'alert.dispose', 'case.work', 'hold.release', 'hold.approve'],
  auditor: ['read', 'audit.read'],
};

export function can(role: DeskRole, permission: Permission): boolean {
  return GRANTS[role]?.includes(permission) ?? false;
}

export interface Session {
  token: string;
  csrf: string;
  user: { name: string; role: DeskRole };
  createdAt: number;
  seenAt: number;
}

export interface SessionLimits {
  /** idle this long: logged out */
  idleMs: number;
  /** logged in this long: logged out, however busy */
  maxMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000 };

const token = () => randomBytes(32).toString('base64url');

/** The desk's sessions, in memory. */
export class Sessions {
  private readonly byToken = new Map<string, Session>();
  constructor(private readonly clock: () => number = Date.now, private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS) {}

  create(user: Session['user']): Session {
    const now = this.clock();
    const s: Session = { token: token(), csrf: token(), user, createdAt: now, seenAt: now };
    this.byToken.set(s.token, s);
    return s;
  }

  /** The live session of a cookie's token, its idle clock restarted; null when unknown or expired. */
  get(t: string | undefined): Session | null {
    if (!t) return null;
    const s = this.byToken.get(t);
    if (!s) return null;
    const now = this.clock();
    if (now - s.seenAt > this.limits.idleMs || now - s.createdAt > this.limits.maxMs) {
      this.byToken.delete(t);
      return null;
    }
    s.seenAt = now;
    return s;
  }

  destroy(t: string | undefined): void {
    if (t) this.byToken.delete(t);
  }
}

/** Whether a form's token is the session's, compared in constant time. */
export function sameToken(expected: string, given: string | undefined | null): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface RateLimit {
  /** failures allowed per window */
  failures: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMIT: RateLimit = { failures: 5, windowMs: 15 * 60_000 };

/**
 * Failed logins counted per key (an address, a name) in a fixed window: over the limit the key
 * is refused until its window ends, whether the next password is right or not.
 */
export class LoginLimiter {
  private readonly failuresOf = new Map<string, { n: number; since: number }>();
  constructor(private readonly clock: () => number = Date.now, private readonly limit: RateLimit = DEFAULT_LOGIN_LIMIT) {}

  /** Milliseconds until `key` may try again; 0 when it may now. */
  retryAfterMs(key: string): number {
    const f = this.failuresOf.get(key);
    if (!f) return 0;
    const left = f.since + this.limit.windowMs - this.clock();
    if (left <= 0) {
      this.failuresOf.delete(key);
      return 0;
    }
    return f.n >= this.limit.failures ? left : 0;
  }

  failed(key: string): void {
    const now = this.clock();
    const f = this.failuresOf.get(key);
    if (!f || now - f.since >= this.limit.windowMs) this.failuresOf.set(key, { n: 1, since: now });
    else f.n += 1;
    // bounded: a flood of new names must not grow the map without end
    if (this.failuresOf.size > 100_000) this.failuresOf.delete(this.failuresOf.keys().next().value!);
  }

  succeeded(key: string): void {
    this.failuresOf.delete(key);
  }
}
