/**
 * How a webhook receiver tells Kanshi's alerts from forgeries and replays. The alerter sends
 *
 *     Kanshi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the receiver's secret>
 *
 * Signing the time with the body lets a receiver refuse an old request replayed by whoever saw
 * it (default tolerance five minutes); the secret is the receiver's own, so one receiver cannot
 * forge alerts to another. Several `v1=` entries may appear (a secret being rotated): any one
 * that matches is enough. Same scheme as Stripe's, so receivers' existing code fits.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'kanshi-signature';
/** Five minutes: clocks a little apart and a retry or two still verify; a replay a day later does not. */
export const DEFAULT_TOLERANCE_SEC = 300;

function mac(secret: string, t: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/** The header value for `body` sent at `unixSeconds`. */
export function signWebhook(body: string | Buffer, secret: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${unixSeconds},v1=${mac(secret, unixSeconds, body)}`;
}

export type WebhookVerdict = { ok: true; timestamp: number } | { ok: false; reason: string };

export interface VerifyOptions {
  /** the request body exactly as received (bytes or the undecoded text), not re-serialised JSON */
  body: string | Buffer;
  /** the `Kanshi-Signature` header */
  header: string | string[] | undefined;
  secret: string;
  /** how far the signed time may be from now, seconds; default 300 */
  toleranceSec?: number;
  /** now, unix seconds; default the clock */
  nowSec?: number;
}

/**
 * Whether a request is a genuine, recent alert from Kanshi. Compares in constant time; the
 * reason of a refusal is for the receiver's log, never for the caller's response.
 */
export function verifyWebhook(o: VerifyOptions): WebhookVerdict {
  const header = Array.isArray(o.header) ? o.header.join(',') : o.header;
  if (!header) return { ok: false, reason: `no ${SIGNATURE_HEADER} header` };
  if (header.length > 2_000) return { ok: false, reason: 'signature header too long' };
  let t: number | undefined;
  const sigs: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/.test(v)) sigs.push(v);
  }
  if (t === undefined) return { ok: false, reason: 'no timestamp (t=) in the signature header' };
  if (sigs.length === 0) return { ok: false, reason: 'no v1= signature in the signature header' };
  const now = o.nowSec ?? Math.floor(Date.now() / 1000);
  const tolerance = o.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  if (Math.abs(now - t) > tolerance) return { ok: false, reason: `signed at ${t}, ${now - t} s from now: outside the ${tolerance} s tolerance (a replay, or clocks apart)` };
  const want = Buffer.from(mac(o.secret, t, o.body), 'hex');
  // every candidate is compared, matching or not, so the time taken says nothing
  let match = false;
  for (const s of sigs) match = timingSafeEqual(want, Buffer.from(s, 'hex')) || match;
  return match ? { ok: true, timestamp: t } : { ok: false, reason: 'signature does not match (wrong secret, or the body was changed)' };
}
