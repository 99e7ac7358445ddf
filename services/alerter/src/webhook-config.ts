/**
 * The alerter's webhook receivers from the environment, one set of variables per receiver:
 *
 *     KANSHI_WEBHOOK_<NAME>_URL=https://desk.example/kanshi
 *     KANSHI_WEBHOOK_<NAME>_SECRET=…   (or KANSHI_WEBHOOK_<NAME>_SECRET_FILE=/run/secrets/desk)
 *
 * Each receiver has its own secret (the same secret twice is refused), and every URL is checked
 * here, at start, with the reason it cannot be used.
 */
import { readFileSync } from 'node:fs';
import { envSecret, UsageError } from '@kanshi/runtime';
import { checkWebhookUrl, MIN_SECRET_LENGTH, WebhookConfigError, type Webhook, type WebhookPolicy } from './webhooks.js';

const RECEIVER_URL = /^KANSHI_WEBHOOK_([A-Z0-9][A-Z0-9_]*)_URL$/;

export function webhooksFromEnv(env: NodeJS.ProcessEnv, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): { webhooks: Webhook[]; policy: WebhookPolicy } {
  if (env.KANSHI_WEBHOOK_URLS || env.KANSHI_WEBHOOK_SECRET) {
    throw new UsageError('KANSHI_WEBHOOK_URLS and KANSHI_WEBHOOK_SECRET (one secret for every receiver) are replaced by KANSHI_WEBHOOK_<NAME>_URL and KANSHI_WEBHOOK_<NAME>_SECRET (or _SECRET_FILE), one pair per receiver');
  }
  const flag = env.KANSHI_WEBHOOK_ALLOW_HTTP_LOOPBACK;
  if (flag !== undefined && flag !== '' && !['true', 'false', '1', '0'].includes(flag)) throw new UsageError(`KANSHI_WEBHOOK_ALLOW_HTTP_LOOPBACK must be true or false, got '${flag}'`);
  const policy: WebhookPolicy = { allowHttpLoopback: flag === 'true' || flag === '1' };
  const webhooks: Webhook[] = [];
  const owner = new Map<string, string>();
  for (const name of Object.keys(env).sort()) {
    const m = RECEIVER_URL.exec(name);
    if (!m || !env[name]) continue;
    const receiver = m[1].toLowerCase();
    const secretVar = `KANSHI_WEBHOOK_${m[1]}_SECRET`;
    const secret = envSecret(env, secretVar, read);
    if (secret === undefined) throw new UsageError(`${secretVar} (or ${secretVar}_FILE) must be set: ${name} is`);
    if (secret.length < MIN_SECRET_LENGTH) throw new UsageError(`${secretVar} must be ${MIN_SECRET_LENGTH}+ characters`);
    const twin = owner.get(secret);
    if (twin) throw new UsageError(`${secretVar} is the same as ${twin}: give each receiver its own secret, so one cannot forge alerts to another`);
    owner.set(secret, secretVar);
    try {
      checkWebhookUrl(receiver, env[name]!, policy);
    } catch (e) {
      if (e instanceof WebhookConfigError) throw new UsageError(`${name}: ${e.reason}`);
      throw e;
    }
    webhooks.push({ name: receiver, url: env[name]!, secret });
  }
  for (const name of Object.keys(env)) {
    const s = /^KANSHI_WEBHOOK_([A-Z0-9_]+)_SECRET(_FILE)?$/.exec(name);
    if (s && !env[`KANSHI_WEBHOOK_${s[1]}_URL`]) throw new UsageError(`${name} is set without KANSHI_WEBHOOK_${s[1]}_URL`);
  }
  return { webhooks, policy };
}
