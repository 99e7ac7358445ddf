import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDetect } from './detect.js';

const iso = (min: number) => new Date(Date.UTC(2025, 2, 17, 0, min)).toISOString();

/** Two customers with a few days of history; then one logs in from a device an analyst block-listed. */
function inputs(dir: string, listLines: string[]) {
  const instruments = [{ symbol: '7203', name: 'Big', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 4e13, adv20Jpy: 1e11, prevClose: 3000 }];
  const accounts = ['A1', 'A2'].map((accountId) => ({ accountId, openedAt: '2019-01-01T00:00:00Z', homeCountry: 'JP', mfa: 'sms', holdingsJpy: 3e6, positions: [] }));
  const lines: string[] = [];
  for (const a of ['A1', 'A2']) {
    for (let d = 0; d < 4; d++) {
      lines.push(JSON.stringify({ type: 'login', eventId: `${a}-l${d}`, ts: iso(d * 1440), accountId: a, result: 'success', authMethod: 'password_otp_sms', channel: 'app', ip: '126.1.2.3', asn: 17676, country: 'JP', ipType: 'mobile', deviceId: `${a}-phone`, sessionId: `${a}-s${d}` }));
    }
  }
  lines.push(JSON.stringify({ type: 'login', eventId: 'listed', ts: iso(4 * 1440 + 60), accountId: 'A1', result: 'success', authMethod: 'password_otp_sms', channel: 'web', ip: '126.1.2.9', asn: 17676, country: 'JP', ipType: 'mobile', deviceId: 'pc-x', sessionId: 'A1-s9' }));
  const f = (name: string, rows: string[]) => {
    writeFileSync(path.join(dir, name), `${rows.join('\n')}\n`);
    return path.join(dir, name);
  };
  return {
    events: f('events.ndjson', lines), instruments: f('instruments.ndjson', instruments.map((x) => JSON.stringify(x))),
    accounts: f('accounts.ndjson', accounts.map((x) => JSON.stringify(x))), lists: f('lists.ndjson', listLines),
  };
}

const entry = { entryId: 'L1', list: 'block', target: 'device', value: 'pc-x', author: 'analyst7', reason: 'device of the takeover in case f-9', createdAt: iso(0), expiresAt: iso(30 * 1440) };

test('detect --lists: the next login from a block-listed device is a finding naming the entry; bad lines rejected with line, field and reason', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-lists-'));
  const files = inputs(dir, [JSON.stringify(entry), JSON.stringify({ ...entry, entryId: 'L2', target: 'email' }), '{not json', JSON.stringify({ ...entry, entryId: 'L3', expiresAt: iso(-5) })]);
  const s = await runDetect({ ...files, out: path.join(dir, 'out'), quiet: true, workers: 1 });
  assert.equal(s.listEntries, 1);
  assert.equal(s.referenceRejected, 3);
  const f = s.findings.find((x) => x.accountIds.includes('A1') && x.reasons.some((r) => r.code === 'listed_block_device'));
  assert.ok(f, `a finding names the list (${JSON.stringify(s.findings.map((x) => x.reasons.map((r) => r.code)))})`);
  const detail = f.reasons.find((r) => r.code === 'listed_block_device')!.detail;
  assert.match(detail, /device of the takeover in case f-9/);
  assert.match(detail, /analyst7/);
  const rejects = readFileSync(path.join(dir, 'out/rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rejects.map((r) => [r.source, r.field]), [['lists.ndjson:2', 'target'], ['lists.ndjson:3', null], ['lists.ndjson:4', 'expiresAt']]);

  const without = await runDetect({ ...files, lists: undefined, out: path.join(dir, 'out0'), quiet: true, workers: 1 });
  assert.ok(!without.findings.some((x) => x.reasons.some((r) => r.code.startsWith('listed_'))), 'no list, no such reason');
});

test('detect --lists --workers 2 gives the findings one thread gives', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kanshi-lists-w-'));
  const files = inputs(dir, [JSON.stringify(entry)]);
  const one = await runDetect({ ...files, out: path.join(dir, 'o1'), quiet: true, workers: 1 });
  const two = await runDetect({ ...files, out: path.join(dir, 'o2'), quiet: true, workers: 2 });
  assert.ok(one.findings.length > 0);
  assert.deepEqual(two.findings, one.findings);
});
