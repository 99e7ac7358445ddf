/**
 * An account's timeline as the alert view shows it: each login with its device and network, each
 * order with its fills, each account change, oldest first, the finding's evidence marked.
 */
import type { InputEvent } from '@kanshi/contract';
import { html, utc, type Html } from './html.js';

const words = (code: string) => code.replace(/_/g, ' ');
const opt = (label: string, v: unknown) => (v === null || v === undefined || v === '' ? null : `${label} ${String(v)}`);

/** What happened, in a few words. */
export function eventWhat(e: InputEvent): string {
  switch (e.type) {
    case 'login': return `login ${e.result === 'success' ? 'succeeded' : 'failed'}: ${words(e.authMethod)} (${e.channel})`;
    case 'order': {
      const price = typeof e.price === 'number' ? ` at ${e.price.toLocaleString('en-US')}` : '';
      const filled = typeof e.fillQuantity === 'number' && e.fillQuantity > 0
        ? ` ${e.fillQuantity.toLocaleString('en-US')}${typeof e.fillPrice === 'number' ? ` at ${e.fillPrice.toLocaleString('en-US')}` : ''}` : '';
      return `${e.side} ${e.quantity.toLocaleString('en-US')} ${e.symbol} ${e.orderType}${price} (${e.currency}): ${words(e.status)}${filled}`;
    }
    case 'account_event': return words(e.action);
    default: return words(String((e as { type?: unknown }).type ?? 'event'));
  }
}

/** From where: network and device, as far as the event says. */
export function eventWhere(e: InputEvent): string {
  if (e.type === 'login') {
    return [opt('IP', e.ip), opt('ASN', e.asn), opt('country', e.country), opt('network', e.ipType), opt('device', e.deviceId), opt('agent', e.userAgent)].filter(Boolean).join(' · ');
  }
  if (e.type === 'account_event') return [opt('IP', e.ip), opt('device', e.deviceId)].filter(Boolean).join(' · ');
  return [opt('session', e.sessionId), opt('channel', e.channel)].filter(Boolean).join(' · ');
}

export function timelineTable(events: readonly InputEvent[], evidence: ReadonlySet<string>): Html {
  if (!events.length) return html`<p class="muted">No archived events for this account (the archive is what ingest writes).</p>`;
  return html`<table><thead><tr><th>At (UTC)</th><th>Event</th><th>What</th><th>From</th><th>Evidence</th></tr></thead><tbody>
${events.map((e) => html`<tr${evidence.has(e.eventId) ? html` class="evidence"` : ''}><td>${utc(e.ts)}</td><td>${words(e.type)}</td><td>${eventWhat(e)}</td>
<td>${eventWhere(e)}</td><td>${evidence.has(e.eventId) ? html`<strong>evidence</strong> <code>${e.eventId}</code>` : ''}</td></tr>`)}
</tbody></table>`;
}
