/**
 * The kanshi command, run as an operator would with secrets in its environment, fails in the
 * ways a misconfigured deployment does; whatever it prints (stdout and stderr) is searched for
 * the secrets.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const KANSHI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/kanshi.js');
const SECRETS = { registry: 'Reg1stry-Pw-x9', clickhouse: 'Cl1ckh0use-Pw-y8', sasl: 'S4sl-Pw-z7', webhook: 'W3bh00k-secret-of-32-characters' };

function run(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KANSHI, ...args], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'debug', KANSHI_OPS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`kanshi ${args.join(' ')} still running after ${timeoutMs} ms; said: ${out}`)); }, timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

function noSecret(out: string): void {
  for (const [what, s] of Object.entries(SECRETS)) assert.ok(!out.includes(s), `the ${what} secret appears in:\n${out}`);
}

test('a registry that refuses the credentials in SCHEMA_REGISTRY_URL (and echoes them): the error names the registry, not the password', async () => {
  const seen: string[] = [];
  const registry = http.createServer((req, res) => {
    seen.push(String(req.headers.authorization));
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: 40101, message: `Unauthorized: http://kanshi:${SECRETS.registry}@${req.headers.host}${req.url}` }));
  });
  await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
  try {
    const port = (registry.address() as AddressInfo).port;
    const r = await run(['ingest'], {
      KAFKA_BROKERS: '127.0.0.1:9', SCHEMA_REGISTRY_URL: `http://kanshi:${SECRETS.registry}@127.0.0.1:${port}/apis/ccompat/v7`,
      CLICKHOUSE_URL: `http://kanshi:${SECRETS.clickhouse}@127.0.0.1:9`,
    });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, new RegExp(`could not register .* in http://127\\.0\\.0\\.1:${port}/apis/ccompat/v7`));
    noSecret(r.out);
    assert.ok(seen.length > 0 && seen.every((h) => h === `Basic ${Buffer.from(`kanshi:${SECRETS.registry}`).toString('base64')}`), `the URL's credentials went as basic auth: ${seen}`);
  } finally {
    await new Promise((r) => registry.close(r));
  }
});

test('an unparsable CLICKHOUSE_URL is refused without its password', async () => {
  const r = await run(['replay', '--from-clickhouse', '--from', '0', '--to', '1', '--out', '/dev/null'], { CLICKHOUSE_URL: `http://kanshi:${SECRETS.clickhouse}@exa mple.com:8123` });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /store option url: not a URL: "http:\/\/kanshi:\[redacted\]@exa mple\.com:8123"/);
  noSecret(r.out);
});

test('a SASL password with a protocol that does not use it is a config error naming the variable', async () => {
  const r = await run(['ingest'], { KAFKA_BROKERS: '127.0.0.1:9', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9', KAFKA_SASL_USERNAME: 'kanshi', KAFKA_SASL_PASSWORD: SECRETS.sasl });
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD are set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT/);
  noSecret(r.out);
});

test('a malformed webhook URL stops the alerter at start with the reason, before any alert', async () => {
  const r = await run(['alerter'], {
    KAFKA_BROKERS: '127.0.0.1:9', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9',
    KANSHI_WEBHOOK_DESK_URL: 'http://exa mple.com/hook', KANSHI_WEBHOOK_DESK_SECRET: SECRETS.webhook,
  });
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /KANSHI_WEBHOOK_DESK_URL: not a URL/);
  assert.doesNotMatch(r.out, /unhandled|UnhandledPromiseRejection/i);
  noSecret(r.out);
});
