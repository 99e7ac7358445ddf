#!/usr/bin/env node
// ClickHouse write rate: the store archiving events and writing findings, against a bare
// @clickhouse/client JSONEachRow insert of the same rows into the same tables, in the same run.
// Needs a server: CLICKHOUSE_URL, or the one `npm run infra:up` started (~/.kanshi/endpoints.env).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clickhouseUrlOrSkip } from './kafka-env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const url = clickhouseUrlOrSkip();
const { openStore } = await import(path.join(root, 'packages/store/dist/index.js'));
const { createClient } = await import('@clickhouse/client');
const N = Number(process.argv[2] ?? 200_000);
const BATCH = 5_000;
const T0 = Date.UTC(2025, 2, 3);
const events = Array.from({ length: N }, (_, i) => ({
  event: { type: 'login', eventId: `b-${i}`, ts: T0 + i * 10, accountId: `A${i % 50_000}`, result: 'success', authMethod: 'password_otp_sms', channel: 'app', ip: '126.1.2.3', country: 'JP', asn: 17676, ipType: 'mobile', deviceId: `d${i % 50_000}`, sessionId: `s${i}` },
  source: `logins/${i % 6}@${i}`,
}));
const db = `bench_${Date.now().toString(36)}`;
const store = await openStore({ url, database: db });
await store.migrate();
const client = createClient({ url });

async function timed(f) {
  const t = performance.now();
  await f();
  return N / ((performance.now() - t) / 1000);
}
// the bare baseline inserts the very rows the store would, so only the store's own work differs
const now = Date.now();
const rows = events.map(({ event, source }) => ({
  event_id: event.eventId, type: event.type, account_id: event.accountId, symbol: '', ts: Math.floor(event.ts / 1000), ts_ms: event.ts % 1000,
  source, payload: JSON.stringify(event), ingested_at: Math.floor(now / 1000),
}));
const bare = await timed(async () => {
  for (let i = 0; i < N; i += BATCH) await client.insert({ table: `${db}.events_raw`, values: rows.slice(i, i + BATCH), format: 'JSONEachRow' });
});
const viaStore = await timed(async () => {
  for (let i = 0; i < N; i += BATCH) await store.archiveEvents(events.slice(i, i + BATCH));
});
await client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
await client.close();
await store.close();
console.log(JSON.stringify({ rows: N, batch: BATCH, storeRowsPerSec: Math.round(viaStore), bareInsertRowsPerSec: Math.round(bare), ratio: Number((viaStore / bare).toFixed(3)) }));
