import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { runDetect } from './detect.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/kanshi.js');
const iso = (min: number) => new Date(Date.UTC(2025, 2, 17, 0, min)).toISOString();

function writeInputs(dir: string, gz = false) {
  const instruments = [
    { symbol: '7203', name: 'Big', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 4e13, adv20Jpy: 1e11, prevClose: 3000 },
    { symbol: '1234', name: 'Thin', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 3e9, adv20Jpy: 2e7, prevClose: 400 },
    { symbol: 'BAD', market: 'XTKS' },
  ];
  const accounts = [{ accountId: 'A1', openedAt: '2019-01-01T00:00:00Z', homeCountry: 'JP', mfa: 'sms', holdingsJpy: 3e6, positions: [{ symbol: '7203', quantity: 1000 }] }];
  const lines: string[] = [];
  const ev = (o: object) => lines.push(JSON.stringify(o));
  for (let d = 0; d < 4; d++) {
    ev({ type: 'login', eventId: `l${d}`, ts: iso(d * 1440), accountId: 'A1', result: 'success', authMethod: 'password_otp_sms', channel: 'app', ip: '126.1.2.3', asn: 17676, country: 'JP', ipType: 'mobile', deviceId: 'phone', sessionId: `s${d}` });
  }
  ev({ type: 'login', eventId: 'hijack', ts: iso(4 * 1440 + 60), accountId: 'A1', result: 'success', authMethod: 'session_resume', channel: 'web', ip: '45.76.1.2', asn: 20473, country: 'SG', ipType: 'hosting', deviceId: 'pc-x', sessionId: 's3' });
  ev({ type: 'order', eventId: 'sell', ts: iso(4 * 1440 + 62), accountId: 'A1', orderId: 'o1', sessionId: 's3', symbol: '7203', side: 'sell', orderType: 'market', quantity: 1000, status: 'new', currency: 'JPY' });
  ev({ type: 'order', eventId: 'pump', ts: iso(4 * 1440 + 70), accountId: 'A1', orderId: 'o2', sessionId: 's3', symbol: '1234', side: 'buy', orderType: 'limit', quantity: 7000, price: 460, status: 'new', currency: 'JPY' });
  ev({ type: 'order', eventId: 'pump', ts: iso(4 * 1440 + 70), accountId: 'A1', orderId: 'o2', sessionId: 's3', symbol: '1234', side: 'buy', orderType: 'limit', quantity: 7000, price: 460, status: 'new', currency: 'JPY' });
  lines.push('{not json');
  ev({ type: 'order', eventId: 'neg', ts: iso(10), accountId: 'A1', orderId: 'o3', symbol: '7203', side: 'buy', orderType: 'market', quantity: -1, status: 'new', currency: 'JPY' });
  ev({ type: 'order', eventId: 'unk', ts: iso(10), accountId: 'A1', orderId: 'o4', symbol: 'ZZZZ', side: 'buy', orderType: 'market', quantity: 1, status: 'new', currency: 'JPY' });
  const text = `${lines.join('\n')}\n`;
  const events = path.join(dir, gz ? 'events.ndjson.gz' : 'events.ndjson');
  writeFileSync(events, gz ? gzipSync(text) : text);
  writeFileSync(path.join(dir, 'instruments.ndjson'), instruments.map((x) => JSON.stringify(x)).join('\n'));
  writeFileSync(path.join(dir, 'accounts.ndjson'), accounts.map((x) => JSON.stringify(x)).join('\n'));
  return { events, instruments: path.join(dir, 'instruments.ndjson'), accounts: path.join(dir, 'accounts.ndjson') };
}

test('detect: findings, a dry-run hold, and every bad line rejected with its reason', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-detect-'));
  const files = writeInputs(dir, true);
  const s = await runDetect({ ...files, out: path.join(dir, 'out'), quiet: true });
  assert.equal(s.lines, 11);
  assert.equal(s.rejected, 3);
  assert.equal(s.stats.duplicates, 1);
  assert.equal(s.referenceRejected, 1);
  const pump = s.findings.find((f) => f.kind === 'hijacked_pump_buy');
  assert.ok(pump?.evidence.includes('pump'));
  const written = readFileSync(path.join(dir, 'out/findings.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(written.length, s.findings.length);
  assert.match(written[0].detectedAt, /^\d{4}-\d\d-\d\dT/);
  const rejects = readFileSync(path.join(dir, 'out/rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rejects.length, 4);
  assert.deepEqual(rejects.map((r) => r.field), ['country', null, 'quantity', 'symbol']);
  for (const r of rejects) assert.ok(r.reason.length > 5 && r.source.includes(':'));
});

test('kanshi detect as a command: exit 0 with a summary; exit 2 and a message on a missing flag; exit 1 on a missing file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-cli-'));
  const f = writeInputs(dir);
  const ok = spawnSync(process.execPath, [BIN, 'detect', '--events', f.events, '--instruments', f.instruments, '--accounts', f.accounts, '--out', path.join(dir, 'o'), '--quiet'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /3 rejected/);
  assert.match(ok.stdout, /findings: \d+/);
  const usage = spawnSync(process.execPath, [BIN, 'detect', '--events', f.events], { encoding: 'utf8' });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /missing --/);
  const lateness = spawnSync(process.execPath, [BIN, 'detect', '--events', f.events, '--instruments', f.instruments, '--accounts', f.accounts, '--out', dir, '--max-lateness-ms', '5min'], { encoding: 'utf8' });
  assert.equal(lateness.status, 2);
  assert.match(lateness.stderr, /--max-lateness-ms must be whole milliseconds from 0/);
  const missing = spawnSync(process.execPath, [BIN, 'detect', '--events', path.join(dir, 'nope'), '--instruments', f.instruments, '--accounts', f.accounts, '--out', dir], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no such file/);
});
