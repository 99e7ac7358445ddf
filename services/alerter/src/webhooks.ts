/**
 * Alerts to HTTP endpoints, signed per receiver over time and body (webhook-signature.ts).
 * Delivery runs beside the pipeline with retries and back-off; a slow or dead endpoint never
 * holds up Kafka. Receivers are checked when the sender is built, so a bad URL stops the alerter
 * at start rather than failing every alert; a redirect is never followed (the body and its
 * signature would go to a place nobody configured).
 */
import { isIP } from 'node:net';
import { redactText, redactUrl, type Alert } from '@kanshi/contract';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

export interface Webhook {
  /** how logs and metrics name the receiver, e.g. `desk` */
  name?: string;
  url: string;
  /** this receiver's own secret, 16+ characters */
  secret: string;
}

export interface WebhookPolicy {
  /** plain http to 127.0.0.0/8, ::1 or localhost (a receiver on the same host); default false */
  allowHttpLoopback?: boolean;
}

export interface WebhookLog {
  warn(obj: object, msg?: string): void;
}

/** A receiver's URL is unusable; `reason` says why (the URL itself is not repeated: it may carry a token). */
export class WebhookConfigError extends Error {
  override readonly name = 'WebhookConfigError';
  readonly retriable = false;
  constructor(readonly receiver: string, readonly reason: string) {
    super(`webhook ${receiver}: ${reason}`);
  }
}

export const MIN_SECRET_LENGTH = 16;

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return isIP(h) === 6 && (h === '::1' || h === '0:0:0:0:0:0:0:1');
}

/** The receiver's URL, parsed and checked: https (or, when allowed, http to loopback), no credentials in it. */
export function checkWebhookUrl(receiver: string, value: string, policy: WebhookPolicy = {}): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebhookConfigError(receiver, `not a URL (${JSON.stringify(redactUrl(value))} does not parse: check for spaces or a missing scheme)`);
  }
  if (url.username || url.password) throw new WebhookConfigError(receiver, 'credentials in the URL are not sent; the signature is the receiver\'s proof');
  if (url.protocol === 'http:') {
    if (!isLoopback(url.hostname)) throw new WebhookConfigError(receiver, `must be https:// (plain http is allowed only to a loopback address, with KANSHI_WEBHOOK_ALLOW_HTTP_LOOPBACK), got http://${url.host}`);
    if (!policy.allowHttpLoopback) throw new WebhookConfigError(receiver, 'plain http to a loopback address needs KANSHI_WEBHOOK_ALLOW_HTTP_LOOPBACK=true');
  } else if (url.protocol !== 'https:') {
    throw new WebhookConfigError(receiver, `must be https://, got ${url.protocol}`);
  }
  return url;
}

interface Receiver {
  name: string;
  url: URL;
  /** for logs: no path or query, which may carry a token */
  origin: string;
  secret: string;
}

export class WebhookSender {
  private inFlight = new Set<Promise<void>>();
  private readonly receivers: Receiver[];
  delivered = 0;
  failed = 0;

  constructor(
    hooks: Webhook[],
    private readonly log: WebhookLog,
    private readonly opts: { attempts?: number; backoffMs?: number; timeoutMs?: number } & WebhookPolicy = {},
  ) {
    this.receivers = hooks.map((h, i) => {
      const name = h.name ?? `#${i + 1}`;
      const url = checkWebhookUrl(name, h.url, opts);
      if (typeof h.secret !== 'string' || h.secret.length < MIN_SECRET_LENGTH) throw new WebhookConfigError(name, `the secret must be ${MIN_SECRET_LENGTH}+ characters`);
      return { name, url, origin: url.origin, secret: h.secret };
    });
  }

  send(alert: Alert): void {
    const body = JSON.stringify(alert);
    for (const r of this.receivers) {
      const p = this.deliver(r, body, alert.alertId).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** Waits for deliveries under way (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** Never rejects: a failure is counted and logged (receiver, origin, alert id, reason; no secret, no path). */
  private async deliver(r: Receiver, body: string, alertId: string): Promise<void> {
    const attempts = this.opts.attempts ?? 5;
    let wait = this.opts.backoffMs ?? 500;
    for (let i = 1; i <= attempts; i++) {
      try {
        const res = await fetch(r.url, {
          method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
          // signed per attempt: a retry minutes later still falls in the receiver's tolerance
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(body, r.secret), 'kanshi-alert-id': alertId },
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) {
          this.delivered++;
          return;
        }
        if (res.status >= 300 && res.status < 400) throw Object.assign(new Error(`HTTP ${res.status}: redirect refused (the alert and its signature go only to the configured URL)`), { final: true });
        // a 4xx other than 429 will not get better by retrying
        if (res.status < 500 && res.status !== 429) throw Object.assign(new Error(`HTTP ${res.status}`), { final: true });
        throw new Error(`HTTP ${res.status}`);
      } catch (e) {
        if ((e as { final?: boolean }).final || i === attempts) {
          this.failed++;
          const cause = (e as { cause?: { code?: string; message?: string } }).cause;
          this.log.warn({ receiver: r.name, url: r.origin, alertId, attempts: i, err: redactText(String((e as Error)?.message ?? e)), cause: cause?.code ?? (cause?.message && redactText(cause.message)) }, 'webhook delivery failed');
          return;
        }
        await new Promise((res) => setTimeout(res, wait));
        wait *= 2;
      }
    }
  }
}
