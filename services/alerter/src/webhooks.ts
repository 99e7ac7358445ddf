/**
 * Alerts to HTTP endpoints, signed so the receiver can tell them from forgeries: header
 * `X-Kanshi-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>`. Delivery runs
 * beside the pipeline with retries and back-off; a slow or dead endpoint never holds up Kafka.
 */
import { createHmac } from 'node:crypto';
import type { Alert } from '@kanshi/contract';

export interface Webhook {
  url: string;
  secret: string;
}

export interface WebhookLog {
  warn(obj: object, msg?: string): void;
}

export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class WebhookSender {
  private inFlight = new Set<Promise<void>>();
  delivered = 0;
  failed = 0;

  constructor(
    private readonly hooks: Webhook[],
    private readonly log: WebhookLog,
    private readonly opts: { attempts?: number; backoffMs?: number; timeoutMs?: number } = {},
  ) {}

  send(alert: Alert): void {
    const body = JSON.stringify(alert);
    for (const h of this.hooks) {
      const p = this.deliver(h, body, alert.alertId).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** Waits for deliveries under way (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(h: Webhook, body: string, alertId: string): Promise<void> {
    const attempts = this.opts.attempts ?? 5;
    let wait = this.opts.backoffMs ?? 500;
    for (let i = 1; i <= attempts; i++) {
      try {
        const res = await fetch(h.url, {
          method: 'POST', body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
          headers: { 'content-type': 'application/json', 'x-kanshi-signature': signature(body, h.secret), 'x-kanshi-alert-id': alertId },
        });
        if (res.ok) {
          this.delivered++;
          return;
        }
        // a 4xx other than 429 will not get better by retrying
        if (res.status < 500 && res.status !== 429) throw Object.assign(new Error(`HTTP ${res.status}`), { final: true });
        throw new Error(`HTTP ${res.status}`);
      } catch (e) {
        if ((e as { final?: boolean }).final || i === attempts) {
          this.failed++;
          this.log.warn({ url: new URL(h.url).origin, alertId, err: (e as Error).message }, 'webhook delivery failed');
          return;
        }
        await new Promise((r) => setTimeout(r, wait));
        wait *= 2;
      }
    }
  }
}
