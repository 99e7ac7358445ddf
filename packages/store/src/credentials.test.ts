import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { StoreConfigError, StoreError } from './errors.js';
import { openStore } from './store.js';

const SECRET = 'ch-S3cret-pw';

/** A ClickHouse stand-in that says who asked, and refuses every statement when told to. */
async function fakeServer(refuse = false) {
  const seen: { authorization?: string; user?: string; key?: string; url: string }[] = [];
  const srv = http.createServer((req, res) => {
    seen.push({ authorization: req.headers.authorization, user: req.headers['x-clickhouse-user'] as string, key: req.headers['x-clickhouse-key'] as string, url: req.url ?? '' });
    req.resume();
    req.on('end', () => {
      if (refuse) {
        res.writeHead(516, { 'x-clickhouse-exception-code': '516' });
        res.end(`Code: 516. DB::Exception: kanshi: Authentication failed: password is incorrect (echoing http://kanshi:${SECRET}@h)`);
      } else res.end('');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { seen, url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => new Promise((r) => srv.close(r)) };
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

test('user and password from the options reach the server; the URL carries none', async () => {
  const s = await fakeServer();
  try {
    const store = await openStore({ url: s.url, username: 'kanshi', password: SECRET, database: 'creds' });
    await store.close();
    assert.ok(s.seen.length > 0);
    for (const r of s.seen) assert.equal(r.authorization, basic('kanshi', SECRET));
  } finally {
    await s.close();
  }
});

test('credentials in CLICKHOUSE_URL are taken off the URL, sent as auth, and never shown', async () => {
  const s = await fakeServer(true);
  try {
    const at = s.url.replace('http://', `http://kanshi:${SECRET}@`);
    await assert.rejects(openStore({ url: at, database: 'creds' }), (e: unknown) => {
      assert.ok(e instanceof StoreError, String(e));
      assert.ok(!e.message.includes(SECRET), e.message);
      return true;
    });
    assert.equal(s.seen[0].authorization, basic('kanshi', SECRET));
    await assert.rejects(openStore({ url: at, username: 'other' }), (e: unknown) => e instanceof StoreConfigError && e.option === 'username');
  } finally {
    await s.close();
  }
});

test('a CLICKHOUSE_URL that does not parse is refused without its password', async () => {
  await assert.rejects(openStore({ url: `http://kanshi:${SECRET}@exa mple.com:8123` }), (e: unknown) => {
    assert.ok(e instanceof StoreConfigError && e.option === 'url', String(e));
    assert.ok(!e.message.includes(SECRET), e.message);
    assert.match(e.message, /kanshi:\[redacted\]@exa mple\.com/);
    return true;
  });
});

test('TLS options need https and a PEM CA; a client certificate needs its key', async () => {
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const cases: [Parameters<typeof openStore>[0], string][] = [
    [{ url: 'http://127.0.0.1:8123', ca }, 'ca'],
    [{ url: 'https://127.0.0.1:8123', ca: 'not a pem' }, 'ca'],
    [{ url: 'https://127.0.0.1:8123', ca, cert: ca }, 'key'],
    [{ url: 'https://127.0.0.1:8123', ca, key: 'k' }, 'cert'],
  ];
  for (const [config, option] of cases) {
    await assert.rejects(openStore(config), (e: unknown) => e instanceof StoreConfigError && e.option === option, `${option}: ${JSON.stringify(config)}`);
  }
});
