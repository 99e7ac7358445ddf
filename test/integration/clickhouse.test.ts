import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, StoreUnavailable, type Store } from '@kanshi/store';
import { STORE_CONFORMANCE } from '@kanshi/store/conformance';
import { integrationEndpoints, uniqueName } from './harness.js';

const opened: Store[] = [];
after(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

for (const c of STORE_CONFORMANCE) {
  test(`ClickHouse server: ${c.name}`, async () => {
    const { clickhouseUrl } = await integrationEndpoints();
    const store = await openStore({ url: clickhouseUrl, database: uniqueName('kanshi_it') });
    opened.push(store);
    await c.run(store);
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
