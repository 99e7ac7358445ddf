/**
 * The desk's HTTP plumbing: a request as the routes see it (URL, cookies, the form, bounded in
 * size before it is parsed), a response as they return it, the headers every answer carries.
 */
import type http from 'node:http';
import type { AuditCursor } from '@kanshi/store';
import type { Session } from './auth.js';
import { DESK_CSS_HASH } from './html.js';

/** A form is a few fields: anything larger is refused before it is parsed. */
const MAX_BODY_BYTES = 16 * 1024;

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface Req {
  method: string;
  url: URL;
  cookies: Map<string, string>;
  form: URLSearchParams;
  ip: string;
  session: Session | null;
}

export interface Res {
  status: number;
  body: string;
  type?: string;
  headers?: Record<string, string | string[]>;
  /** a response that stays open (server-sent events): it writes its own head */
  stream?: (res: http.ServerResponse) => void;
}

export const HEADERS = {
  // one script, the desk's own file (live updates); no inline script, nothing from elsewhere
  'content-security-policy': `default-src 'none'; script-src 'self'; connect-src 'self'; style-src ${DESK_CSS_HASH}; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};

export function cookie(name: string, value: string, maxAgeS?: number): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict${maxAgeS === undefined ? '' : `; Max-Age=${maxAgeS}`}`;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

export async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  if (req.method !== 'POST') return new URLSearchParams();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'the form is too large');
    chunks.push(c as Buffer);
  }
  const type = req.headers['content-type'] ?? '';
  if (size > 0 && !type.startsWith('application/x-www-form-urlencoded')) throw new HttpError(415, 'forms only (application/x-www-form-urlencoded)');
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A path segment's id; malformed percent-encoding is a bad request, not a server error. */
export function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'the address is malformed');
  }
}

/** The audit page's filters and where it starts: `after=<epoch ms>.<audit id>`, the last entry of the page before. */
export function auditQuery(p: URLSearchParams): { actor?: string; action?: string; after?: AuditCursor } {
  const after = /^(\d{1,15})\.(.{1,200})$/s.exec(p.get('after') ?? '');
  return {
    actor: (p.get('actor') ?? '').slice(0, 200) || undefined, action: (p.get('action') ?? '').slice(0, 200) || undefined,
    ...(after ? { after: { at: Number(after[1]), auditId: after[2] } } : {}),
  };
}

/** A page's offset: `offset=<n>`, 0 when absent or not a count. */
export function offsetOf(p: URLSearchParams, max = 1_000_000): number {
  const n = Number(p.get('offset') ?? 0);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : 0;
}
