import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Alert } from '@kanshi/contract';
import { signWebhook, verifyWebhook } from './webhook-signature.js';
import { checkWebhookUrl, WebhookConfigError, WebhookSender } from './webhooks.js';

const SECRET = 'desk-secret-of-32-characters-xyz';
const alert: Alert = { alertId: 'a1', findingId: 'f1', kind: 'k', severity: 'high', score: 0.7, accountIds: ['A'], symbols: [], at: 1, summary: 's' };

/** A receiver that answers each request with the next status (then 204), recording what came. */
async function receiver(statuses: number[] = [], extra: (res: http.ServerResponse) => void = () => undefined) {
  const got: { headers: http.IncomingHttpHeaders; body: string; path: string }[] = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body, path: req.url ?? '' });
      const status = statuses.shift() ?? 204;
      extra(res);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { got, url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => new Promise((r) => srv.close(r)) };
}

test('a delivery is signed over time and body with the receiver\'s own secret, retried after a server error', async () => {
  const a = await receiver([503]);
  const b = await receiver();
  const warnings: object[] = [];
  const sender = new WebhookSender([{ name: 'a', url: `${a.url}/hook`, secret: SECRET }, { name: 'b', url: `${b.url}/hook`, secret: `${SECRET}-b` }],
    { warn: (o) => warnings.push(o) }, { backoffMs: 10, allowHttpLoopback: true });
  sender.send(alert);
  await sender.drain();
  await a.close();
  await b.close();
  assert.equal(a.got.length, 2);
  assert.equal(sender.delivered, 2);
  assert.deepEqual(warnings, []);
  const last = a.got[1];
  assert.match(String(last.headers['kanshi-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.deepEqual(verifyWebhook({ body: last.body, header: last.headers['kanshi-signature'], secret: SECRET }).ok, true);
  assert.deepEqual(JSON.parse(last.body), alert);
  // b's signature is b's: a's secret does not verify it
  assert.equal(verifyWebhook({ body: b.got[0].body, header: b.got[0].headers['kanshi-signature'], secret: SECRET }).ok, false);
  assert.equal(verifyWebhook({ body: b.got[0].body, header: b.got[0].headers['kanshi-signature'], secret: `${SECRET}-b` }).ok, true);
});

test('verification refuses a replay outside the tolerance, a changed body, a wrong secret and a malformed header', () => {
  const body = JSON.stringify(alert);
  const t = 1_760_000_000;
  const header = signWebhook(body, SECRET, t);
  assert.deepEqual(verifyWebhook({ body, header, secret: SECRET, nowSec: t + 299 }), { ok: true, timestamp: t });
  assert.deepEqual(verifyWebhook({ body: Buffer.from(body), header, secret: SECRET, nowSec: t - 10 }), { ok: true, timestamp: t });
  const late = verifyWebhook({ body, header, secret: SECRET, nowSec: t + 301 });
  assert.ok(!late.ok && /tolerance/.test(late.reason), JSON.stringify(late));
  assert.equal(verifyWebhook({ body, header, secret: SECRET, nowSec: t + 3600, toleranceSec: 7200 }).ok, true);
  assert.equal(verifyWebhook({ body: body.replace('"high"', '"low"'), header, secret: SECRET, nowSec: t }).ok, false);
  assert.equal(verifyWebhook({ body, header, secret: 'another-secret-entirely', nowSec: t }).ok, false);
  // the body-only signature of old is not accepted, nor a timestamp moved by a replayer
  assert.equal(verifyWebhook({ body, header: header.replace(`t=${t}`, `t=${t + 60}`), secret: SECRET, nowSec: t + 60 }).ok, false);
  for (const bad of [undefined, '', 'sha256=abc', `t=${t}`, `v1=${'0'.repeat(64)}`, `t=x,v1=${'0'.repeat(64)}`]) {
    assert.equal(verifyWebhook({ body, header: bad, secret: SECRET, nowSec: t }).ok, false, String(bad));
  }
  // a rotated secret: either of two v1 entries verifies
  const rotated = `${header},v1=${signWebhook(body, 'the-old-secret-16ch', t).split('v1=')[1]}`;
  assert.equal(verifyWebhook({ body, header: rotated, secret: 'the-old-secret-16ch', nowSec: t }).ok, true);
});

test('a redirect is refused, never followed: the body and signature go nowhere else', async () => {
  const elsewhere = await receiver();
  const redirecting = await receiver([307, 302], (res) => res.setHeader('location', `${elsewhere.url}/steal?token=t0k3n`));
  const warnings: Record<string, unknown>[] = [];
  const sender = new WebhookSender([{ name: 'desk', url: `${redirecting.url}/hook?token=t0k3n`, secret: SECRET }], { warn: (o) => warnings.push(o as Record<string, unknown>) }, { backoffMs: 10, allowHttpLoopback: true });
  sender.send(alert);
  await sender.drain();
  await elsewhere.close();
  await redirecting.close();
  assert.equal(elsewhere.got.length, 0, 'nothing reached the redirect target');
  assert.equal(redirecting.got.length, 1, 'a redirect is final, not retried');
  assert.equal(sender.failed, 1);
  assert.equal(warnings.length, 1);
  assert.match(String(warnings[0].err), /redirect refused/);
  assert.equal(warnings[0].receiver, 'desk');
  assert.ok(!JSON.stringify(warnings).includes('t0k3n'), JSON.stringify(warnings));
  assert.ok(!JSON.stringify(warnings).includes(SECRET));
});

test('receiver URLs are checked when the sender is built: malformed, plain http, credentials, short secret', () => {
  const bad = (url: string, pattern: RegExp, policy = {}) =>
    assert.throws(() => new WebhookSender([{ name: 'desk', url, secret: SECRET }], { warn: () => undefined }, policy),
      (e: unknown) => e instanceof WebhookConfigError && e.receiver === 'desk' && pattern.test(e.reason), url);
  bad('http://exa mple.com/hook', /not a URL/);
  bad('hooks.example.com/x', /not a URL/);
  bad('http://hooks.example.com/x', /must be https/);
  bad('http://hooks.example.com/x', /must be https/, { allowHttpLoopback: true });
  bad('http://127.0.0.1:9/x', /KANSHI_WEBHOOK_ALLOW_HTTP_LOOPBACK/);
  bad('ftp://hooks.example.com/x', /must be https/);
  bad('https://u:p@hooks.example.com/x', /credentials/);
  assert.throws(() => new WebhookSender([{ name: 'desk', url: 'https://h.example/x', secret: 'short' }], { warn: () => undefined }), /16\+ characters/);
  assert.equal(checkWebhookUrl('d', 'https://hooks.example.com/x').host, 'hooks.example.com');
  for (const u of ['http://127.0.0.1:8/x', 'http://localhost:8/x', 'http://[::1]:8/x']) assert.ok(checkWebhookUrl('d', u, { allowHttpLoopback: true }));
});

test('a receiver that is down is a logged failure, never an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  const warnings: object[] = [];
  try {
    const sender = new WebhookSender([{ name: 'desk', url: 'http://127.0.0.1:9/hook', secret: SECRET }], { warn: (o) => warnings.push(o) }, { backoffMs: 5, attempts: 2, allowHttpLoopback: true });
    sender.send(alert);
    sender.send(alert);
    await sender.drain();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sender.failed, 2);
    assert.equal(warnings.length, 2);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('the documented checks agree with the sender: docs/webhooks/verify.py and the openssl signer of send-test.sh', { skip: !hasTool('python3') || !hasTool('openssl') ? 'python3 or openssl is not installed' : false }, () => {
  const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/webhooks');
  const body = JSON.stringify(alert);
  const now = Math.floor(Date.now() / 1000);
  const py = (header: string, secret = SECRET) => spawnSync('python3', [path.join(docs, 'verify.py')], { input: body, env: { ...process.env, KANSHI_SIGNATURE: header, KANSHI_WEBHOOK_SECRET: secret } }).status;
  assert.equal(py(signWebhook(body, SECRET, now)), 0, 'a fresh signature verifies in Python');
  assert.equal(py(signWebhook(body, SECRET, now - 600)), 1, 'a ten-minute-old one does not');
  assert.equal(py(signWebhook(body, SECRET, now), 'another-secret-entirely'), 1, 'nor one with another secret');
  const shell = spawnSync('bash', [path.join(docs, 'send-test.sh'), '--print'], { input: body, env: { ...process.env, KANSHI_WEBHOOK_SECRET: SECRET, KANSHI_SIGNATURE_TIME: String(now) } });
  assert.equal(shell.status, 0, String(shell.stderr));
  assert.equal(String(shell.stdout), signWebhook(body, SECRET, now), 'curl+openssl sign exactly as the alerter does');
});

function hasTool(cmd: string): boolean {
  return spawnSync(cmd, ['--version']).status === 0 || spawnSync(cmd, ['version']).status === 0;
}
