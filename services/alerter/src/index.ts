/** @kanshi/alerter: alerts, webhooks, hold commands and the audit trail. */
export { AlertDesk, alertOf, type DeskDecision } from './desk.js';
export { WebhookSender, WebhookConfigError, checkWebhookUrl, MIN_SECRET_LENGTH, type Webhook, type WebhookPolicy } from './webhooks.js';
export { DEFAULT_TOLERANCE_SEC, SIGNATURE_HEADER, signWebhook, verifyWebhook, type VerifyOptions, type WebhookVerdict } from './webhook-signature.js';
export { startAlerter, type AlerterOptions, type RunningAlerter, type AlerterLog } from './service.js';
