/**
 * The store's conformance suite (packages/store/src/conformance.ts, also run on embedded chdb
 * by the unit tests) against the real server: the same DDL and SQL must hold on both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, StoreUnavailable } from '@kanshi/store';
import { STORE_CONFORMANCE } from '@kanshi/store/conformance';
import { dropTestDatabase, integrationEndpoints, uniqueName } from './harness.js';

for (const c of STORE_CONFORMANCE) {
  test(`ClickHouse server: ${c.name}`, { timeout: 60_000 }, async () => {
    const { clickhouseUrl } = await integrationEndpoints();
    const database = uniqueName('kanshi_it');
    const store = await openStore({ url: clickhouseUrl, database });
    let passed = false;
    try {
      await c.run(store);
      passed = true;
    } finally {
      await store.close();
    }
    // Only after a pass: a failed case's database stays for a look at what it left behind.
    if (passed) await dropTestDatabase(clickhouseUrl, database);
  });
}

test('a server that does not answer is StoreUnavailable, naming where, within the timeout', async () => {
  const started = Date.now();
  await assert.rejects(openStore({ url: 'http://127.0.0.1:1', requestTimeoutMs: 2_000 }), (e: unknown) => {
    assert.ok(e instanceof StoreUnavailable, String(e));
    assert.match((e as Error).message, /127\.0\.0\.1:1/);
    return true;
  });
  assert.ok(Date.now() - started < 10_000);
});
