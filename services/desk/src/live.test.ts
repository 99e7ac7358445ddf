import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { DeskAlert } from '@kanshi/store';
import { Sessions } from './auth.js';
import { LiveAlerts } from './live.js';
import { DeskServer, type DeskBackend } from './server.js';

const XSS = `"'><script>alert(1)</script>`;
const alert = (alertId: string, over: Partial<DeskAlert> = {}): DeskAlert => ({
  alertId, findingId: 'f', kind: 'hijacked_pump_buy', severity: 'critical', score: 0.9, accountIds: ['ACC-1'], symbols: ['XTKS:4597'], at: Date.UTC(2026, 10, 30), summary: XSS, status: 'open', ...over,
});

/** A store whose alert rows are `rows`, each with its write second. */
function source(rows: { alert: DeskAlert; writtenAt: number }[]) {
  return {
    newestAlertWrite: async () => Math.max(0, ...rows.map((r) => r.writtenAt)),
    alertsWrittenSince: async (s: number) => rows.filter((r) => r.writtenAt >= s).sort((a, b) => a.writtenAt - b.writtenAt),
  };
}

const servers: DeskServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function desk(rows: { alert: DeskAlert; writtenAt: number }[]) {
  const sessions = new Sessions();
  const s = sessions.create({ name: 'ana', role: 'analyst' });
  const server = new DeskServer({ desk: source(rows) as unknown as DeskBackend, log: { info() {}, warn() {}, error() {} }, sessions, livePollMs: 50 });
  servers.push(server);
  return { server, sessions, s, base: (await server.listen('127.0.0.1', 0)).url, cookie: `kanshi_session=${s.token}` };
}

/** Reads an event stream until `until` is in it (or 5 s pass), then hangs up. */
async function readStream(url: string, cookie: string, until: RegExp): Promise<{ status: number; type: string; text: string }> {
  const ac = new AbortController();
  const r = await fetch(url, { headers: { cookie }, signal: ac.signal, redirect: 'manual' });
  let text = '';
  const deadline = setTimeout(() => ac.abort(), 5_000);
  try {
    if (!r.body) return { status: r.status, type: r.headers.get('content-type') ?? '', text };
    for await (const chunk of r.body) {
      text += Buffer.from(chunk).toString('utf8');
      if (until.test(text)) break;
    }
  } catch {
    // aborted at the deadline: the text so far is the answer
  } finally {
    clearTimeout(deadline);
    ac.abort();
  }
  return { status: r.status, type: r.headers.get('content-type') ?? '', text };
}

test('a new alert reaches an open stream whose filters it passes; what was there before is not news', async () => {
  const rows = [{ alert: alert('old'), writtenAt: 100 }];
  const d = await desk(rows);
  setTimeout(() => {
    rows.push({ alert: alert('low-one', { severity: 'low' }), writtenAt: 101 });
    rows.push({ alert: alert('fresh'), writtenAt: 101 });
  }, 200);
  const got = await readStream(`${d.base}/events/alerts?severity=critical`, d.cookie, /fresh/);
  assert.equal(got.status, 200);
  assert.match(got.type, /^text\/event-stream/);
  const events = [...got.text.matchAll(/event: alert\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]) as DeskAlert);
  assert.deepEqual(events.map((e) => e.alertId), ['fresh'], 'not the old one, not the one the filter leaves out');
  assert.equal(events[0].summary, XSS, 'the value travels as JSON data: the page sets it as text');
});

test('the stream and the script answer only with a session; the CSP allows the desk\'s own script and nothing inline', async () => {
  const d = await desk([]);
  const none = await fetch(`${d.base}/events/alerts`, { redirect: 'manual' });
  assert.equal(none.status, 303);
  assert.equal((await fetch(`${d.base}/assets/live.js`, { redirect: 'manual' })).status, 303);
  const js = await fetch(`${d.base}/assets/live.js`, { headers: { cookie: d.cookie } });
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
  const body = await js.text();
  assert.ok(body.includes("new EventSource('/events/alerts'") && !body.includes('innerHTML'), 'values become text, never markup');
  const csp = js.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self';/);
  assert.ok(!csp.includes('unsafe-inline') && !/script-src[^;]*(https?:|\*)/.test(csp), csp);
});

test('a stream ends when its session does; the poller stops with the last listener', async () => {
  const d = await desk([]);
  const ended = readStream(`${d.base}/events/alerts`, d.cookie, /never/);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(d.server.live.size, 1);
  d.sessions.destroy(d.s.token);
  const got = await ended;
  assert.match(got.text, /^retry: 5000/);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(d.server.live.size, 0);
});

test('the poller recognises a rewritten alert by id and keeps going when the store fails once; streams are bounded per session', async () => {
  let fail = false;
  const rows = [{ alert: alert('a'), writtenAt: 10 }];
  const src = source(rows);
  const warned: string[] = [];
  const live = new LiveAlerts({ newestAlertWrite: src.newestAlertWrite, alertsWrittenSince: async (s) => { if (fail) throw new Error('ClickHouse away'); return src.alertsWrittenSince(s); } }, { warn: (_o, m) => warned.push(m) }, 60_000);
  const written: string[] = [];
  const res = { writeHead() {}, write: (t: string) => written.push(t), on() {}, end() {} } as never;
  assert.ok(live.open(res, 'ana', () => true, () => true, {}));
  for (let i = 1; i < 8; i++) assert.ok(live.open(res, 'ana', () => true, () => true, {}));
  assert.equal(live.open(res, 'ana', () => true, () => true, {}), false, 'a ninth stream of one session is refused');
  assert.ok(live.open(res, 'sue', () => true, () => true, {}), 'another session still gets one');
  await new Promise((r) => setTimeout(r, 20));
  rows.push({ alert: alert('b'), writtenAt: 11 }, { alert: alert('a'), writtenAt: 11 });
  fail = true;
  await live.poll();
  fail = false;
  await live.poll();
  await live.poll();
  // ten streams share the fake response: each got 'b' once, nothing got 'a' again
  assert.deepEqual([...new Set(written.filter((w) => w.startsWith('event:')).map((w) => (JSON.parse(w.split('data: ')[1]) as DeskAlert).alertId))], ['b']);
  assert.equal(written.filter((w) => w.startsWith('event:')).length, 9);
  assert.deepEqual(warned, ['live alerts: poll failed']);
  live.close();
});
