import { RejectedEvent, type RejectCode } from './errors.js';
import { ipBits, parsePrefix } from './ip.js';
import type { ListEntry, ListKind, ListTarget } from './types.js';
import { EARLIEST_EVENT_MS, LATEST_EVENT_MS, parseTimestamp } from './validate.js';

/**
 * Validation of list entries (NDJSON lines of `kanshi detect --lists`, the desk's form, records
 * of the lists topic): every refusal names the field and the reason. Bounded, because an entry
 * is typed by an analyst and read by every detector: short texts, a real expiry, no prefix so
 * broad it would list a continent.
 */
export const LIST_KINDS: readonly ListKind[] = ['block', 'allow'];
export const LIST_TARGETS: readonly ListTarget[] = ['ip', 'prefix', 'asn', 'device'];
export const LIST_BOUNDS = Object.freeze({
  idChars: 256,
  reasonChars: 1024,
  /** an entry lives at most this long (ms): a list nobody prunes blocks the next owner of an address */
  maxLifetimeMs: 2 * 366 * 86_400_000,
  /** the broadest prefixes allowed: /8 of IPv4, /16 of IPv6 */
  minPrefixV4: 8,
  minPrefixV6: 16,
});

const refuse = (field: string, reason: string, code: RejectCode, key: string | null) => new RejectedEvent(reason, { field, eventId: key, code });

function text(rec: Record<string, unknown>, field: string, max: number, key: string | null, optional = false): string | null | RejectedEvent {
  const v = rec[field];
  if ((v === undefined || v === null || v === '') && optional) return null;
  if (v === undefined || v === null) return refuse(field, 'is required', 'missing', key);
  if (typeof v !== 'string') return refuse(field, `must be a string, got ${Array.isArray(v) ? 'array' : typeof v}`, 'wrong_type', key);
  const s = v.trim();
  if (s.length === 0) return refuse(field, 'must not be empty', 'empty', key);
  if (s.length > max) return refuse(field, `is ${s.length} characters, more than ${max}`, 'too_long', key);
  return s;
}

function time(rec: Record<string, unknown>, field: string, key: string | null, optional = false): number | null | RejectedEvent {
  const v = rec[field];
  if ((v === undefined || v === null) && optional) return null;
  if (v === undefined || v === null) return refuse(field, 'is required', 'missing', key);
  const ms = parseTimestamp(v);
  if (Number.isNaN(ms)) return refuse(field, 'must be an ISO-8601 string or epoch milliseconds', 'bad_time', key);
  if (ms < EARLIEST_EVENT_MS || ms >= LATEST_EVENT_MS) return refuse(field, 'is outside the plausible range 2000..2100', 'out_of_range', key);
  return ms;
}

/** The value in the one form the detector compares: an address or prefix as written is checked, an ASN as digits. */
function targetValue(target: ListTarget, raw: string, key: string | null): string | RejectedEvent {
  switch (target) {
    case 'ip':
      return ipBits(raw) ? raw.toLowerCase() : refuse('value', 'must be an IPv4 or IPv6 address', 'bad_shape', key);
    case 'prefix': {
      const p = parsePrefix(raw);
      if (!p) return refuse('value', 'must be a CIDR prefix, address/length', 'bad_shape', key);
      const min = p.family === 4 ? LIST_BOUNDS.minPrefixV4 : LIST_BOUNDS.minPrefixV6;
      if (p.length < min) return refuse('value', `/${p.length} is broader than /${min}, the broadest prefix a list takes`, 'out_of_range', key);
      return raw.toLowerCase();
    }
    case 'asn': {
      const m = /^(?:as)?(\d{1,10})$/i.exec(raw);
      const n = m ? Number(m[1]) : Number.NaN;
      return n >= 1 && n <= 4294967295 ? String(n) : refuse('value', 'must be an AS number 1..4294967295 (digits, or AS and digits)', 'bad_shape', key);
    }
    case 'device':
      return raw;
  }
}

/** A list entry, or the reason it is not one. */
export function validateListEntry(input: unknown): ListEntry | RejectedEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return new RejectedEvent('must be a JSON object', { code: 'not_object' });
  const rec = input as Record<string, unknown>;
  const key = typeof rec.entryId === 'string' && rec.entryId.length <= LIST_BOUNDS.idChars ? rec.entryId : null;
  const entryId = text(rec, 'entryId', LIST_BOUNDS.idChars, key);
  if (entryId === null || entryId instanceof RejectedEvent) return entryId ?? refuse('entryId', 'is required', 'missing', key);
  const list = rec.list, target = rec.target;
  if (typeof list !== 'string' || !(LIST_KINDS as readonly string[]).includes(list)) return refuse('list', `must be one of ${LIST_KINDS.join('|')}`, 'not_allowed', key);
  if (typeof target !== 'string' || !(LIST_TARGETS as readonly string[]).includes(target)) return refuse('target', `must be one of ${LIST_TARGETS.join('|')}`, 'not_allowed', key);
  const raw = text(rec, 'value', LIST_BOUNDS.idChars, key);
  if (raw === null || raw instanceof RejectedEvent) return raw ?? refuse('value', 'is required', 'missing', key);
  const value = targetValue(target as ListTarget, raw, key);
  if (value instanceof RejectedEvent) return value;
  const accountId = text(rec, 'accountId', LIST_BOUNDS.idChars, key, true);
  if (accountId instanceof RejectedEvent) return accountId;
  const deviceAllow = list === 'allow' && target === 'device';
  // a device is the owner's for one account; blocking a device or allowing an exit is for every account
  if (deviceAllow && accountId === null) return refuse('accountId', 'is required for an allow-listed device (known for one account)', 'missing', key);
  if (!deviceAllow && accountId !== null) return refuse('accountId', 'is only for an allow-listed device', 'inconsistent', key);
  const author = text(rec, 'author', LIST_BOUNDS.idChars, key);
  if (author === null || author instanceof RejectedEvent) return author ?? refuse('author', 'is required', 'missing', key);
  const reason = text(rec, 'reason', LIST_BOUNDS.reasonChars, key);
  if (reason === null || reason instanceof RejectedEvent) return reason ?? refuse('reason', 'is required', 'missing', key);
  const createdAt = time(rec, 'createdAt', key);
  if (createdAt === null || createdAt instanceof RejectedEvent) return createdAt ?? refuse('createdAt', 'is required', 'missing', key);
  const expiresAt = time(rec, 'expiresAt', key);
  if (expiresAt === null || expiresAt instanceof RejectedEvent) return expiresAt ?? refuse('expiresAt', 'is required', 'missing', key);
  if (expiresAt <= createdAt) return refuse('expiresAt', 'must be after createdAt', 'inconsistent', key);
  if (expiresAt - createdAt > LIST_BOUNDS.maxLifetimeMs) return refuse('expiresAt', `is more than ${LIST_BOUNDS.maxLifetimeMs / 86_400_000} days after createdAt`, 'out_of_range', key);
  const removedAt = time(rec, 'removedAt', key, true);
  if (removedAt instanceof RejectedEvent) return removedAt;
  const findingId = text(rec, 'findingId', LIST_BOUNDS.idChars, key, true);
  if (findingId instanceof RejectedEvent) return findingId;
  return {
    entryId, list: list as ListKind, target: target as ListTarget, value, accountId, author, reason, createdAt, expiresAt, removedAt, findingId,
  };
}
