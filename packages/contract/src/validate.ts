import { parseJsonBounded } from './bounded-json.js';
import { RejectedEvent, type RejectCode } from './errors.js';
import type {
  AccountSnapshot,
  EventType,
  InputEvent,
  Instrument,
} from './types.js';

/**
 * Validation of untrusted input (NDJSON lines, decoded Avro) onto the contract types.
 * Every refusal names the field and the reason; nothing here throws for bad input.
 */

export const EVENT_TYPES: readonly EventType[] = ['login', 'order', 'account_event'];

/** Event times outside this range are refused as implausible (epoch ms, UTC). */
export const EARLIEST_EVENT_MS = Date.UTC(2000, 0, 1);
export const LATEST_EVENT_MS = Date.UTC(2100, 0, 1);
const MAX_ID_CHARS = 256;
const MAX_TEXT_CHARS = 1024;
const MAX_QUANTITY = 1e12;
const MAX_PRICE = 1e12;

type Kind =
  | { t: 'id' }
  | { t: 'text' }
  | { t: 'time' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'positive' }
  | { t: 'nonNegative' }
  | { t: 'int' };
interface FieldSpec {
  name: string;
  kind: Kind;
  optional?: boolean;
}

const id = (name: string, optional = false): FieldSpec => ({ name, kind: { t: 'id' }, optional });
const text = (name: string, optional = false): FieldSpec => ({ name, kind: { t: 'text' }, optional });
const oneOf = (name: string, values: readonly string[], optional = false): FieldSpec => ({
  name,
  kind: { t: 'enum', values },
  optional,
});
const time = (name: string): FieldSpec => ({ name, kind: { t: 'time' } });
const positive = (name: string, optional = false): FieldSpec => ({ name, kind: { t: 'positive' }, optional });

const CHANNELS = ['web', 'app', 'api'] as const;

const SPECS: Record<EventType, FieldSpec[]> = {
  login: [
    id('eventId'), time('ts'), id('accountId'),
    oneOf('result', ['success', 'failure']),
    oneOf('authMethod', ['password', 'password_otp_sms', 'password_otp_app', 'passkey', 'session_resume', 'legacy_password_only']),
    oneOf('channel', CHANNELS),
    id('ip'),
    id('country', true),
    { name: 'asn', kind: { t: 'int' }, optional: true },
    oneOf('ipType', ['residential', 'mobile', 'hosting', 'vpn', 'tor', 'unknown'], true),
    id('deviceId', true), text('userAgent', true), id('sessionId', true),
  ],
  order: [
    id('eventId'), time('ts'), id('accountId'), id('orderId'), id('sessionId', true),
    oneOf('channel', CHANNELS, true),
    id('symbol'),
    oneOf('side', ['buy', 'sell']),
    oneOf('orderType', ['market', 'limit']),
    positive('quantity'),
    positive('price', true),
    oneOf('status', ['new', 'partially_filled', 'filled', 'cancelled', 'rejected', 'amended']),
    { name: 'fillQuantity', kind: { t: 'nonNegative' }, optional: true },
    positive('fillPrice', true),
    id('currency'),
  ],
  account_event: [
    id('eventId'), time('ts'), id('accountId'),
    oneOf('action', ['password_change', 'email_change', 'phone_change', 'mfa_change', 'bank_account_change', 'notification_change', 'withdrawal_request', 'address_change']),
    id('sessionId', true), id('ip', true), id('deviceId', true),
  ],
};

/** ISO-8601 string or epoch milliseconds to epoch ms; NaN when it is neither. */
export function parseTimestamp(value: unknown): number {
  if (typeof value === 'number') return Number.isInteger(value) ? value : NaN;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) return Date.parse(value);
  if (typeof value === 'string' && /^\d{10,14}$/.test(value)) return Number(value);
  return NaN;
}

/** Why a field was refused; a class so that a valid value (returned as is) needs no wrapper. */
class FieldError {
  constructor(readonly code: RejectCode, readonly error: string) {}
}

/** The field's value as the contract has it (undefined: leave it out), or why it is refused. */
function checkField(spec: FieldSpec, value: unknown): unknown {
  if (value === undefined || value === null) {
    return spec.optional ? undefined : new FieldError('missing', 'is required');
  }
  const k = spec.kind;
  switch (k.t) {
    case 'id':
    case 'text': {
      if (typeof value !== 'string') return new FieldError('wrong_type', `must be a string, got ${typeName(value)}`);
      const max = k.t === 'id' ? MAX_ID_CHARS : MAX_TEXT_CHARS;
      if (value.length === 0 && !spec.optional) return new FieldError('empty', 'must not be empty');
      if (value.length > max) return new FieldError('too_long', `is ${value.length} characters, more than ${max}`);
      return value.length === 0 ? undefined : value;
    }
    case 'enum':
      if (typeof value !== 'string' || !k.values.includes(value)) {
        return new FieldError('not_allowed', `must be one of ${k.values.join('|')}, got ${preview(value)}`);
      }
      return value;
    case 'time': {
      const ms = parseTimestamp(value);
      if (Number.isNaN(ms)) return new FieldError('bad_time', `must be an ISO-8601 string or epoch milliseconds, got ${preview(value)}`);
      if (ms < EARLIEST_EVENT_MS || ms >= LATEST_EVENT_MS) {
        // 1e308 is an integer too, and no Date: toISOString would throw
        const when = Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
        return new FieldError('out_of_range', `${when} is outside the plausible range 2000..2100`);
      }
      return ms;
    }
    case 'positive':
    case 'nonNegative': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return new FieldError('wrong_type', `must be a finite number, got ${preview(value)}`);
      if (k.t === 'positive' ? value <= 0 : value < 0) return new FieldError('out_of_range', `must be ${k.t === 'positive' ? '> 0' : '>= 0'}, got ${value}`);
      const max = spec.name === 'price' || spec.name === 'fillPrice' ? MAX_PRICE : MAX_QUANTITY;
      if (value > max) return new FieldError('out_of_range', `${value} is beyond the plausible maximum ${max}`);
      return value;
    }
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 4294967295) {
        return new FieldError('wrong_type', `must be a non-negative integer, got ${preview(value)}`);
      }
      return value;
  }
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

function preview(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** A type's fields checked and copied: the contract's record, or the first field's refusal. */
type FieldsCheck = (rec: Record<string, unknown>, eventId: string | null) => Record<string, unknown> | RejectedEvent;

/**
 * The field loop over SPECS, unrolled per type into one function when this module loads. Each
 * field is then read and written by its own name at its own site, which V8 keeps monomorphic; a
 * loop over names makes every access a generic lookup, and that was half of validation's cost.
 * Only the constant names of SPECS go into the source, quoted by JSON.stringify.
 */
function compileFields(type: EventType): FieldsCheck {
  const lines = [`const out = { type: ${JSON.stringify(type)} };`, 'let r;'];
  SPECS[type].forEach((spec, i) => {
    const name = JSON.stringify(spec.name);
    lines.push(`r = check(specs[${i}], rec[${name}]);`, `if (r instanceof FieldError) return refuse(r, ${name}, eventId);`, `if (r !== undefined) out[${name}] = r;`);
  });
  lines.push('return out;');
  const make = new Function('check', 'FieldError', 'refuse', 'specs', `return function (rec, eventId) {\n${lines.join('\n')}\n};`) as
    (check: typeof checkField, fieldError: typeof FieldError, refuse: (r: FieldError, field: string, eventId: string | null) => RejectedEvent, specs: FieldSpec[]) => FieldsCheck;
  return make(checkField, FieldError, (r, field, eventId) => new RejectedEvent(r.error, { field, eventId, code: r.code }), SPECS[type]);
}

const FIELDS: Record<EventType, FieldsCheck> = { login: compileFields('login'), order: compileFields('order'), account_event: compileFields('account_event') };

export interface ValidateOptions {
  /** the stream the record came from; overrides/must agree with a `type` field */
  type?: EventType;
  /** when given, orders for symbols it does not know are refused */
  knownSymbol?: (symbol: string) => boolean;
}

/** A record of one of the three input streams, or the reason it is not one. */
export function validateEvent(input: unknown, opts: ValidateOptions = {}): InputEvent | RejectedEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return new RejectedEvent(`must be a JSON object, got ${typeName(input)}`, { code: 'not_object' });
  }
  const rec = input as Record<string, unknown>;
  const eventId = typeof rec.eventId === 'string' && rec.eventId.length <= MAX_ID_CHARS ? rec.eventId : null;
  const type = opts.type ?? rec.type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    return new RejectedEvent(`must be one of ${EVENT_TYPES.join('|')}, got ${preview(type)}`, { field: 'type', eventId, code: 'not_allowed' });
  }
  const out = FIELDS[type as EventType](rec, eventId);
  if (out instanceof RejectedEvent) return out;
  const ev = out as unknown as InputEvent;
  if (ev.type === 'order') {
    if (ev.orderType === 'limit' && ev.price == null) {
      return new RejectedEvent('is required for a limit order', { field: 'price', eventId, code: 'missing' });
    }
    if (ev.fillQuantity != null && ev.fillQuantity > ev.quantity) {
      return new RejectedEvent(`${ev.fillQuantity} is more than the ordered quantity ${ev.quantity}`, { field: 'fillQuantity', eventId, code: 'inconsistent' });
    }
    if (opts.knownSymbol && !opts.knownSymbol(ev.symbol)) {
      return new RejectedEvent(`unknown symbol ${preview(ev.symbol)} (not in the instrument reference)`, { field: 'symbol', eventId, code: 'unknown_symbol' });
    }
  }
  return ev;
}

/**
 * Parse one NDJSON line of the event stream, bounded in depth. A line holding U+FFFD is refused:
 * that is what a UTF-8 decoder makes of bytes that are not UTF-8, and ids built from it would
 * silently merge distinct ones.
 */
export function parseEventLine(line: string, opts: ValidateOptions = {}): InputEvent | RejectedEvent {
  if (line.includes('\uFFFD')) return new RejectedEvent('holds U+FFFD, what bytes that are not UTF-8 decode to', { code: 'bad_encoding' });
  const obj = parseJsonBounded(line);
  if (obj instanceof RejectedEvent) return obj;
  return validateEvent(obj, opts);
}

function requireNumber(rec: Record<string, unknown>, name: string, key: string | null): number | RejectedEvent {
  const v = rec[name];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    return new RejectedEvent(`must be a finite number >= 0, got ${preview(v)}`, { field: name, eventId: key, code: 'wrong_type' });
  }
  return v;
}

function requireString(rec: Record<string, unknown>, name: string, key: string | null): string | RejectedEvent {
  const v = rec[name];
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_CHARS) {
    return new RejectedEvent(`must be a non-empty string, got ${preview(v)}`, { field: name, eventId: key, code: 'wrong_type' });
  }
  return v;
}

/** A line of the instrument reference, or why not. */
export function validateInstrument(input: unknown): Instrument | RejectedEvent {
  if (typeof input !== 'object' || input === null) return new RejectedEvent('must be a JSON object', { code: 'not_object' });
  const rec = input as Record<string, unknown>;
  const key = typeof rec.symbol === 'string' ? rec.symbol : null;
  const out: Record<string, unknown> = {};
  for (const f of ['symbol', 'market', 'country', 'currency'] as const) {
    const v = requireString(rec, f, key);
    if (v instanceof RejectedEvent) return v;
    out[f] = v;
  }
  out.name = typeof rec.name === 'string' ? rec.name : key;
  for (const f of ['fxToJpy', 'marketCapJpy', 'adv20Jpy', 'prevClose'] as const) {
    const v = requireNumber(rec, f, key);
    if (v instanceof RejectedEvent) return v;
    out[f] = v;
  }
  return out as unknown as Instrument;
}

/** A line of the account snapshot, or why not. */
export function validateAccount(input: unknown): AccountSnapshot | RejectedEvent {
  if (typeof input !== 'object' || input === null) return new RejectedEvent('must be a JSON object', { code: 'not_object' });
  const rec = input as Record<string, unknown>;
  const key = typeof rec.accountId === 'string' ? rec.accountId : null;
  const accountId = requireString(rec, 'accountId', key);
  if (accountId instanceof RejectedEvent) return accountId;
  const openedAt = parseTimestamp(rec.openedAt);
  if (Number.isNaN(openedAt)) return new RejectedEvent(`must be a timestamp, got ${preview(rec.openedAt)}`, { field: 'openedAt', eventId: key, code: 'bad_time' });
  const homeCountry = requireString(rec, 'homeCountry', key);
  if (homeCountry instanceof RejectedEvent) return homeCountry;
  const mfa = rec.mfa;
  if (mfa !== 'none' && mfa !== 'sms' && mfa !== 'app' && mfa !== 'passkey') {
    return new RejectedEvent(`must be one of none|sms|app|passkey, got ${preview(mfa)}`, { field: 'mfa', eventId: key, code: 'not_allowed' });
  }
  const holdingsJpy = requireNumber(rec, 'holdingsJpy', key);
  if (holdingsJpy instanceof RejectedEvent) return holdingsJpy;
  const raw = rec.positions ?? [];
  if (!Array.isArray(raw)) return new RejectedEvent('must be an array', { field: 'positions', eventId: key, code: 'wrong_type' });
  const positions = [];
  for (const [i, p] of raw.entries()) {
    const pr = (p ?? {}) as Record<string, unknown>;
    if (typeof pr.symbol !== 'string' || typeof pr.quantity !== 'number' || !Number.isFinite(pr.quantity)) {
      return new RejectedEvent('must be {symbol: string, quantity: number}', { field: `positions[${i}]`, eventId: key, code: 'bad_shape' });
    }
    positions.push({ symbol: pr.symbol, quantity: pr.quantity });
  }
  return { accountId, openedAt, homeCountry, mfa, holdingsJpy, positions };
}
