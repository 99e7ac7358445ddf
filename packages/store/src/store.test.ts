import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { STORE_CONFORMANCE } from './conformance.js';
import { StoreConfigError, StoreUnavailable } from './errors.js';
import { openStore } from './store.js';

// One chdb data directory per process (the engine binds one); a database per case keeps them apart.
const dir = mkdtempSync(path.join(os.tmpdir(), 'kanshi-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

STORE_CONFORMANCE.forEach((c, i) => {
  test(`embedded chdb: ${c.name}`, async () => {
    const store = await openStore({ embedded: dir, database: `conf_${i}` });
    try {
      await c.run(store);
    } finally {
      await store.close();
    }
  });
});

test('bad options fail at open, naming the option, before anything is contacted', async () => {
  const cases: [Parameters<typeof openStore>[0], string][] = [
    [{ url: 'not a url' }, 'url'],
    [{ url: 'ftp://127.0.0.1:8123' }, 'url'],
    [{ url: 'http://127.0.0.1:8123', requestTimeoutMs: 0 }, 'requestTimeoutMs'],
    [{ url: 'http://127.0.0.1:8123', database: 'kanshi; DROP DATABASE system' }, 'database'],
    [{ embedded: '' }, 'embedded'],
  ];
  for (const [config, option] of cases) {
    await assert.rejects(openStore(config), (e: unknown) => e instanceof StoreConfigError && e.option === option && e.message.includes(option), option);
  }
});

// A peer that accepts the connection and never answers: the case a plain "connection refused"
// test misses, and the one that would otherwise hang a service's start-up.
test('a server that accepts but never answers is StoreUnavailable after requestTimeoutMs, naming where', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as net.AddressInfo;
  const started = Date.now();
  try {
    await assert.rejects(openStore({ url: `http://127.0.0.1:${port}`, requestTimeoutMs: 300 }), (e: unknown) => {
      assert.ok(e instanceof StoreUnavailable, String(e));
      assert.equal(e.retriable, true);
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
    assert.ok(Date.now() - started < 5_000, `gave up after ${Date.now() - started} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
