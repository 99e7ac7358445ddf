/** @kanshi/alerter: alerts, webhooks, hold commands and the audit trail. */
export { AlertDesk, alertOf, type DeskDecision } from './desk.js';
export { WebhookSender, signature, type Webhook } from './webhooks.js';
export { startAlerter, type AlerterOptions, type RunningAlerter, type AlerterLog } from './service.js';
