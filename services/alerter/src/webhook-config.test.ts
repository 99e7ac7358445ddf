import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '@kanshi/runtime';
import { webhooksFromEnv } from './webhook-config.js';

const SECRET = 'Kafka-S3cret-Passw0rd';
const read = (p: string) => {
  if (p !== '/pw') throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  return `${SECRET}\n`;
};

test('webhook receivers: one secret each, URLs checked at start with the reason', () => {
  const env = {
    KANSHI_WEBHOOK_DESK_URL: 'https://desk.example/hook', KANSHI_WEBHOOK_DESK_SECRET: 'desk-secret-16-chars-x',
    KANSHI_WEBHOOK_ORDER_SYSTEM_URL: 'http://127.0.0.1:9000/hook', KANSHI_WEBHOOK_ORDER_SYSTEM_SECRET_FILE: '/pw', KANSHI_WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
  };
  const { webhooks, policy } = webhooksFromEnv(env, read);
  assert.deepEqual(webhooks, [
    { name: 'desk', url: 'https://desk.example/hook', secret: 'desk-secret-16-chars-x' },
    { name: 'order_system', url: 'http://127.0.0.1:9000/hook', secret: SECRET },
  ]);
  assert.equal(policy.allowHttpLoopback, true);
  const bad = (e: NodeJS.ProcessEnv, pattern: RegExp) => assert.throws(() => webhooksFromEnv(e, read), (x: unknown) => x instanceof UsageError && pattern.test(x.message) && !x.message.includes(SECRET), pattern.source);
  bad({ KANSHI_WEBHOOK_DESK_URL: 'http://exa mple.com', KANSHI_WEBHOOK_DESK_SECRET: SECRET }, /^KANSHI_WEBHOOK_DESK_URL: not a URL/);
  bad({ KANSHI_WEBHOOK_DESK_URL: 'http://desk.example/x', KANSHI_WEBHOOK_DESK_SECRET: SECRET }, /^KANSHI_WEBHOOK_DESK_URL: must be https/);
  bad({ KANSHI_WEBHOOK_DESK_URL: 'http://127.0.0.1:1/x', KANSHI_WEBHOOK_DESK_SECRET: SECRET }, /KANSHI_WEBHOOK_ALLOW_HTTP_LOOPBACK=true/);
  bad({ KANSHI_WEBHOOK_DESK_URL: 'https://desk.example/x' }, /KANSHI_WEBHOOK_DESK_SECRET \(or KANSHI_WEBHOOK_DESK_SECRET_FILE\) must be set/);
  bad({ KANSHI_WEBHOOK_DESK_URL: 'https://desk.example/x', KANSHI_WEBHOOK_DESK_SECRET: 'short' }, /16\+ characters/);
  bad({ KANSHI_WEBHOOK_A_URL: 'https://a.example/x', KANSHI_WEBHOOK_A_SECRET: SECRET, KANSHI_WEBHOOK_B_URL: 'https://b.example/x', KANSHI_WEBHOOK_B_SECRET: SECRET }, /KANSHI_WEBHOOK_B_SECRET is the same as KANSHI_WEBHOOK_A_SECRET/);
  bad({ KANSHI_WEBHOOK_URLS: 'https://a.example/x', KANSHI_WEBHOOK_SECRET: SECRET }, /are replaced by KANSHI_WEBHOOK_<NAME>_URL/);
  bad({ KANSHI_WEBHOOK_DESK_SECRET: SECRET }, /KANSHI_WEBHOOK_DESK_SECRET is set without KANSHI_WEBHOOK_DESK_URL/);
});
