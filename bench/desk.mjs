#!/usr/bin/env node
// The desk's server time: the alert queue over 100k alerts and an alert view whose account has
// 10k archived events, each as a request to a running desk (HTTP on loopback, the page rendered),
// against a bare @clickhouse/client query of the same rows in the same run, alternated, the
// median of each. Needs a server: CLICKHOUSE_URL, or the one `npm run infra:up` started.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clickhouseUrlOrSkip } from './kafka-env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const url = clickhouseUrlOrSkip();
const { openStore } = await import(path.join(root, 'packages/store/dist/index.js'));
const { AuditJournal, DeskServer, journaled, Sessions } = await import(path.join(root, 'services/desk/dist/index.js'));
const { createClient } = await import('@clickhouse/client');

// `--direct-audit`: the page waits for its audit INSERT, as before the journal (for before/after in one build)
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const DIRECT_AUDIT = process.argv.includes('--direct-audit');
const ALERTS = Number(args[0] ?? 100_000);
const EVENTS = Number(args[1] ?? 10_000);
const RUNS = Number(args[2] ?? 15);
const T0 = Date.UTC(2026, 10, 2);
const ACCOUNT = 'ACC-BENCH-1';
const KINDS = ['hijacked_pump_buy', 'account_takeover', 'pump_campaign', 'dump_beneficiary'];
const SEVERITIES = ['critical', 'high', 'medium', 'low'];

const db = `bench_desk_${Date.now().toString(36)}`;
const store = await openStore({ url, database: db });
await store.migrate();
const client = createClient({ url });
const desk = store.desk();

// 100k alerts over 30 days, a tenth of them disposed of and assigned: the queue's counts and
// statuses have something to find. One alert is on the account with 10k events.
for (let i = 0; i < ALERTS; i += 10_000) {
  const batch = Array.from({ length: Math.min(10_000, ALERTS - i) }, (_, j) => {
    const n = i + j;
    return {
      alertId: `al-${n}`, findingId: `f-${n}`, kind: KINDS[n % 4], severity: SEVERITIES[(n * 7) % 4], score: ((n * 7919) % 10_000) / 10_000,
      accountIds: [n === 0 ? ACCOUNT : `ACC-${n % 40_000}`], symbols: [`XTKS:${1000 + (n % 900)}`], at: T0 + n * 25_000, summary: `alert ${n}: a taken-over account bought a thin stock`,
    };
  });
  await store.writeAlerts(batch);
}
const decided = Array.from({ length: Math.floor(ALERTS / 10) }, (_, k) => k * 10 + 3);
// the desk writes these one at a time; here in bulk, the rows as its writeDisposition makes them
await client.insert({ table: `${db}.alert_dispositions`, format: 'JSONEachRow', values: decided.map((n) => ({ entry_id: `d-${n}`, alert_id: `al-${n}`, disposition: 'false_positive', actor: 'ana', note: '', at: Math.floor((T0 + n * 25_000) / 1000) + 60, at_ms: 0 })) });
await client.insert({ table: `${db}.case_entries`, format: 'JSONEachRow', values: decided.map((n) => ({ entry_id: `c-${n}`, alert_id: `al-${n}`, action: 'assigned', actor: 'ana', assignee: 'ana', note: '', at: Math.floor((T0 + n * 25_000) / 1000) + 30, at_ms: 0 })) });
await store.writeFindings([{ findingId: 'f-0', kind: KINDS[0], severity: 'critical', score: 0.9, accountIds: [ACCOUNT], symbols: ['XTKS:1000'], detectedAt: T0 + 10_000 * 60_000, evidence: ['e-9990'], reasons: [{ code: 'thin_stock_buy', detail: 'bought a thin stock' }], revision: 1 }]);
// the account's 10k events: logins, orders and changes over a week up to the alert
const events = Array.from({ length: EVENTS }, (_, i) => {
  const ts = T0 + (i - EVENTS) * 60_000;
  const base = { eventId: `e-${i}`, ts, accountId: ACCOUNT };
  const event = i % 3 === 0 ? { type: 'login', ...base, result: 'success', authMethod: 'password_otp_app', channel: 'app', ip: `126.22.${i % 256}.4`, asn: 17676, country: 'JP', deviceId: `dev-${i % 5}`, userAgent: 'KabuApp/5.2' }
    : i % 3 === 1 ? { type: 'order', ...base, orderId: `o-${i}`, symbol: `XTKS:${1000 + (i % 50)}`, side: i % 2 ? 'buy' : 'sell', orderType: 'market', quantity: 100, status: 'filled', fillQuantity: 100, fillPrice: 400 + (i % 90), currency: 'JPY' }
      : { type: 'account_event', ...base, action: 'email_change', ip: '126.22.31.4' };
  return { event, source: `bench/0@${i}` };
});
for (let i = 0; i < EVENTS; i += 5_000) await store.archiveEvents(events.slice(i, i + 5_000));
// its snapshot: the holdings chart beside the timeline has positions to draw
await desk.writeAccountSnapshots([{ accountId: ACCOUNT, openedAt: T0 - 400 * 86_400_000, homeCountry: 'JP', mfa: 'app', holdingsJpy: 9_000_000, positions: Array.from({ length: 12 }, (_, k) => ({ symbol: `XTKS:${1000 + k}`, quantity: 100 * (k + 1) })) }], T0 - 30 * 86_400_000);

const sessions = new Sessions();
const session = sessions.create({ name: 'ana', role: 'supervisor' });
const log = { info() {}, warn() {}, error: (o, m) => console.error(m, o) };
// as the service runs it: audit entries through the journal, flushed every 500 ms beside the pages
const journalDir = mkdtempSync(path.join(tmpdir(), 'kanshi-bench-journal-'));
const journal = await AuditJournal.open({ dir: journalDir, sink: desk, log });
journal.start();
const server = new DeskServer({ desk: DIRECT_AUDIT ? desk : journaled(desk, journal), log, sessions });
const { url: base } = await server.listen('127.0.0.1', 0);
const cookie = `kanshi_session=${session.token}`;

/** ms to a whole page from the desk. */
async function page(p) {
  const t = performance.now();
  const r = await fetch(base + p, { headers: { cookie } });
  const body = await r.text();
  if (r.status !== 200) throw new Error(`${p}: ${r.status} ${body.slice(0, 200)}`);
  return { ms: performance.now() - t, body };
}
/** ms to the same rows straight from ClickHouse, parsed, as the desk's client reads them. */
async function bare(query) {
  const t = performance.now();
  const rows = await (await client.query({ query, format: 'JSONEachRow' })).json();
  return { ms: performance.now() - t, rows: rows.length };
}
const ms = (c) => `(toUInt64(toUInt32(${c})) * 1000 + ${c}_ms)`;
const BARE_QUEUE = `SELECT alert_id, finding_id, kind, severity, score, account_ids, symbols, ${ms('at')} AS t, summary FROM ${db}.alerts FINAL ORDER BY score DESC, t DESC, alert_id LIMIT 0, 50`;
const TIMELINE_ROWS = 300; // what the alert view shows of an account: the newest 300 up to an hour after the alert
const until = Math.floor((T0 + 3_600_000) / 1000);
const BARE_TIMELINE = `SELECT payload FROM ${db}.events_raw FINAL WHERE account_id = '${ACCOUNT}' AND ts <= toDateTime(${until}, 'UTC') ORDER BY ts DESC, ts_ms DESC, event_id DESC LIMIT ${TIMELINE_ROWS}`;

// The same statements as a page, bare: one page's queries and inserts as the store sends them
// (recorded off its client), each started when the one it waited for ends (the statement that
// ended last before it began), replayed through a bare client. What ClickHouse itself needs for
// the page's rows in the page's order, so the ratio is what the desk adds (HTTP, its code, the
// page); the audit entry's insert is replayed as an insert of the same rows, new ids.
const storeClient = store.client;
async function record(deskPath) {
  const log = [];
  const t0 = performance.now();
  const wrap = (kind) => {
    const original = storeClient[kind].bind(storeClient);
    storeClient[kind] = async (args) => {
      const entry = { kind, args, start: performance.now() - t0, end: Infinity };
      log.push(entry);
      try {
        return await original(args);
      } finally {
        entry.end = performance.now() - t0;
      }
    };
    return () => { storeClient[kind] = original; };
  };
  const undo = [wrap('query'), wrap('insert')];
  try {
    await page(deskPath);
  } finally {
    undo.forEach((u) => u());
  }
  return log.map((e) => ({ ...e, after: log.filter((o) => o.end <= e.start).sort((a, b) => b.end - a.end)[0] }));
}
async function replay(statements) {
  const t = performance.now();
  const done = new Map();
  for (const st of statements) {
    done.set(st, (done.get(st.after) ?? Promise.resolve()).then(async () => {
      if (st.kind === 'query') await (await client.query({ query: st.args.query, format: 'JSONEachRow' })).json();
      else await client.insert({ ...st.args, values: st.args.values.map((v) => ('audit_id' in v ? { ...v, audit_id: `${v.audit_id}-bare-${Math.random()}` } : v)) });
    }));
  }
  await Promise.all(done.values());
  return { ms: performance.now() - t, rows: statements.length };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function compare(deskPath, bareQuery, check) {
  for (let i = 0; i < 3; i++) {
    await page(deskPath);
    await bare(bareQuery);
  }
  const statements = await record(deskPath);
  const d = [];
  const b = [];
  const r = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const p = await page(deskPath);
    check(p.body);
    d.push(p.ms);
    const q = await bare(bareQuery);
    rows = q.rows;
    b.push(q.ms);
    r.push((await replay(statements)).ms);
  }
  return { deskMs: median(d), bareMs: median(b), replayMs: median(r), statements: statements.length, rows };
}
const queue = await compare('/alerts', BARE_QUEUE, (body) => {
  if (!body.includes(`open: <strong>${ALERTS - decided.length}</strong>`)) throw new Error('the queue page does not count the open alerts');
});
const timeline = await compare('/alerts/al-0', BARE_TIMELINE, (body) => {
  if ((body.match(/<tr class="evidence">|<tr>/g) ?? []).length < TIMELINE_ROWS) throw new Error('the alert view does not show the timeline');
  if (!body.includes('class="bar bar-after"')) throw new Error('the alert view does not draw the holdings');
});
await server.close();
await journal.close();
rmSync(journalDir, { recursive: true, force: true });
await client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
await client.close();
await store.close();
const r1 = (x) => Number(x.toFixed(1));
console.log(JSON.stringify({
  alerts: ALERTS, queueRows: queue.rows, queueMs: r1(queue.deskMs), bareQueueMs: r1(queue.bareMs), queueRatio: Number((queue.deskMs / queue.bareMs).toFixed(2)),
  queueStatements: queue.statements, replayQueueMs: r1(queue.replayMs), queueReplayRatio: Number((queue.deskMs / queue.replayMs).toFixed(2)),
  timelineEvents: EVENTS, timelineRows: timeline.rows, timelineMs: r1(timeline.deskMs), bareTimelineMs: r1(timeline.bareMs), timelineRatio: Number((timeline.deskMs / timeline.bareMs).toFixed(2)),
  timelineStatements: timeline.statements, replayTimelineMs: r1(timeline.replayMs), timelineReplayRatio: Number((timeline.deskMs / timeline.replayMs).toFixed(2)),
  runs: RUNS, audit: DIRECT_AUDIT ? 'direct INSERT' : 'journal',
}));
