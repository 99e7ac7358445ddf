import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openStore, type AuditEntry, type Store } from '@kanshi/store';
import { AuditJournal, AuditJournalError, journaled, parseSegment } from './audit-journal.js';

// one chdb data directory per process (the engine binds one); a database per test keeps them apart
const root = mkdtempSync(path.join(os.tmpdir(), 'kanshi-journal-'));
const quiet = { info() {}, warn() {}, error() {} };
let n = 0;
const entry = (i: number, at = Date.UTC(2026, 0, 5, 9, 0, 0, i % 1000)): AuditEntry =>
  ({ auditId: `a-${String(i).padStart(5, '0')}`, at, actor: 'desk:ana', action: 'desk.account_viewed', subject: `A-${i} "quoted" 監視`, detail: 'alert x', policyVersion: '' });
const entries = (from: number, count: number) => Array.from({ length: count }, (_, i) => entry(from + i));

let chdb: Store | null = null;
const stores: Store[] = [];
async function freshStore(): Promise<Store> {
  const s = await openStore({ embedded: path.join(root, 'chdb'), database: `journal_${n++}` });
  await s.migrate();
  stores.push(s);
  return s;
}
before(async () => {
  chdb = await freshStore();
});
after(async () => {
  for (const s of stores) await s.close();
  rmSync(root, { recursive: true, force: true });
});
const dirOf = (name: string) => path.join(root, name);
const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.ndjson'));

test('a crash before the flush loses nothing: the next start replays the journal into ClickHouse (a torn last line left out)', async () => {
  const store = await freshStore();
  const dir = dirOf('crash');
  const first = await AuditJournal.open({ dir, sink: store.desk(), log: quiet, flushMs: 60_000 });
  await Promise.all([first.append(entries(0, 3)), first.append(entries(3, 2))]);
  await first.append(entries(5, 1));
  // the process dies here: no flush, no close; an append the crash cut short is half a line
  const [seg] = segments(dir);
  assert.equal(readFileSync(path.join(dir, seg), 'utf8').split('\n').filter(Boolean).length, 6, 'every acknowledged entry is a line on disk');
  appendFileSync(path.join(dir, seg), '{"auditId":"a-torn","at":1,"act');
  assert.equal(await store.desk().auditCount(), 0, 'nothing reached ClickHouse before the crash');

  const again = await AuditJournal.open({ dir, sink: store.desk(), log: quiet, flushMs: 60_000 });
  assert.ok(again.pendingBytes > 0, 'the start finds what the crash left');
  await again.flush();
  const log = await store.desk().auditLog({ limit: 100 });
  assert.deepEqual(log.map((e) => e.auditId).sort(), entries(0, 6).map((e) => e.auditId), 'every entry, once, the torn one left out');
  assert.deepEqual(log.find((e) => e.auditId === 'a-00004'), entry(4), 'whole and exact');
  assert.deepEqual(segments(dir).map((f) => statSync(path.join(dir, f)).size), [0], 'flushed segments are gone (an empty active one takes the next appends)');
  assert.equal(again.pendingBytes, 0);
  await again.close();
});

test('a crash between the INSERT and the delete replays a batch ClickHouse has: the audit log still shows each entry once', async () => {
  const store = await freshStore();
  const dir = dirOf('dup');
  // the INSERT succeeds, then the process "dies" before the segment is deleted
  const dying = { audit: async (e: AuditEntry[]) => { await store.desk().audit(e); throw new Error('killed after the insert'); } };
  const first = await AuditJournal.open({ dir, sink: dying, log: quiet, flushMs: 60_000 });
  await first.append(entries(0, 50));
  await assert.rejects(first.flush(), /killed after the insert/);
  assert.equal(segments(dir).length, 2, 'the sealed segment stays (and the new active one)');

  const again = await AuditJournal.open({ dir, sink: store.desk(), log: quiet, flushMs: 60_000 });
  await again.append(entries(50, 5));
  await again.flush();
  const desk = store.desk();
  assert.equal(await desk.auditCount(), 55, 'the count: each entry once');
  const ids = (await desk.auditLog({ limit: 1000 })).map((e) => e.auditId);
  assert.equal(ids.length, 55);
  assert.equal(new Set(ids).size, 55, 'the page: no entry twice');
  const csv: string[] = [];
  for await (const e of desk.auditEntries({})) csv.push(e.auditId);
  assert.equal(csv.length, 55, 'the export: no entry twice');
  await again.close();
});

test('the audit reads through `journaled` see an entry appended a moment before (they flush first)', async () => {
  const store = chdb!;
  const journal = await AuditJournal.open({ dir: dirOf('reads'), sink: store.desk(), log: quiet, flushMs: 60_000 });
  const desk = journaled(store.desk(), journal);
  await desk.audit([entry(1)]);
  assert.equal(await store.desk().auditCount(), 0, 'not in ClickHouse yet: the page did not wait for it');
  assert.deepEqual((await desk.auditLog({})).map((e) => e.auditId), ['a-00001']);
  await desk.audit([entry(2)]);
  assert.equal(await desk.auditCount({}), 2);
  await desk.audit([entry(3)]);
  const all: string[] = [];
  for await (const e of desk.auditEntries({})) all.push(e.auditId);
  assert.deepEqual(all.sort(), ['a-00001', 'a-00002', 'a-00003']);
  assert.equal(typeof desk.kinds, 'function', 'everything else is the store\'s');
  assert.deepEqual(await desk.kinds(), []);
  await journal.close();
});

test('a failed write or sync rejects the append and is cut back off the file: nothing of it reaches ClickHouse', async () => {
  const sunk: AuditEntry[] = [];
  let failing = false;
  const dir = dirOf('fail');
  const j = await AuditJournal.open({
    dir, sink: { audit: async (e) => void sunk.push(...e) }, log: quiet, flushMs: 60_000,
    sync: async (f) => {
      // one failed sync (the disk full for a moment): the cut-back's own sync passes
      if (failing) {
        failing = false;
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      }
      await f.datasync();
    },
  });
  await j.append([entry(1)]);
  const size = statSync(path.join(dir, segments(dir)[0])).size;
  failing = true;
  await assert.rejects(j.append([entry(2), entry(3)]), (e: unknown) => e instanceof AuditJournalError && e.code === 'journal_write_failed' && /ENOSPC/.test(e.message) && /nothing was shown/.test(e.message));
  assert.equal(statSync(path.join(dir, segments(dir)[0])).size, size, 'the file is as it was before the failed append');
  await j.append([entry(4)]);
  await j.close();
  assert.deepEqual(sunk.map((e) => e.auditId), ['a-00001', 'a-00004']);
});

test('the journal is bounded: with ClickHouse away it fills, then appends fail naming the remedy; back, they pass again', async () => {
  let down = true;
  const sunk: AuditEntry[] = [];
  const j = await AuditJournal.open({ dir: dirOf('full'), sink: { audit: async (e) => { if (down) throw new Error('ECONNREFUSED'); sunk.push(...e); } }, log: quiet, maxBytes: 2000, flushMs: 60_000 });
  let taken = 0;
  for (;;) {
    try {
      await j.append([entry(taken)]);
      taken++;
    } catch (e) {
      assert.ok(e instanceof AuditJournalError && e.code === 'journal_full' && e.retriable, String(e));
      assert.match(e.message, /Bring ClickHouse back/);
      assert.match(e.message, /KANSHI_DESK_AUDIT_JOURNAL_MAX_BYTES/);
      break;
    }
    if (taken % 3 === 0) await assert.rejects(j.flush(), /ECONNREFUSED/);
  }
  assert.ok(taken > 3 && j.pendingBytes <= 2000, `${taken} entries, ${j.pendingBytes} bytes`);
  down = false;
  await j.flush();
  assert.equal(j.pendingBytes, 0);
  assert.deepEqual(sunk.map((e) => e.auditId), entries(0, taken).map((e) => e.auditId), 'every entry taken, in order, once');
  await j.append([entry(taken)]);
  await j.close();
  assert.equal(sunk.length, taken + 1, 'close flushes');
});

test('parseSegment leaves out a torn last line and anything not an entry, and says which', () => {
  const out: number[] = [];
  const text = `${JSON.stringify(entry(1))}\nnot json\n{"auditId":"x"}\n${JSON.stringify(entry(2))}\n{"auditId":"to`;
  assert.deepEqual(parseSegment(text, (line) => out.push(line)).map((e) => e.auditId), ['a-00001', 'a-00002']);
  assert.deepEqual(out, [5, 2, 3]);
  assert.deepEqual(parseSegment('', () => assert.fail('an empty segment is no error')), []);
});

test('one desk a journal: a directory another live process holds is refused, a dead one\'s lock taken over', async () => {
  const dir = dirOf('locked');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'desk.pid'), String(process.ppid));
  await assert.rejects(AuditJournal.open({ dir, sink: { audit: async () => undefined }, log: quiet }), (e: unknown) => e instanceof AuditJournalError && e.code === 'journal_locked' && e.message.includes('KANSHI_DESK_AUDIT_JOURNAL'));
  writeFileSync(path.join(dir, 'desk.pid'), '2147483646');
  const j = await AuditJournal.open({ dir, sink: { audit: async () => undefined }, log: quiet });
  assert.equal(readFileSync(path.join(dir, 'desk.pid'), 'utf8'), String(process.pid));
  await j.close();
  assert.ok(!readdirSync(dir).includes('desk.pid'), 'a clean stop lets go');
});

test('the flusher sends entries on its own, every flushMs, and keeps trying after ClickHouse fails', async () => {
  const sunk: AuditEntry[] = [];
  let down = true;
  const j = await AuditJournal.open({ dir: dirOf('timer'), sink: { audit: async (e) => { if (down) throw new Error('ECONNREFUSED'); sunk.push(...e); } }, log: quiet, flushMs: 50 });
  j.start();
  await j.append([entry(1)]);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(sunk.length, 0, 'ClickHouse away: kept');
  down = false;
  for (let i = 0; i < 100 && sunk.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(sunk.map((e) => e.auditId), ['a-00001'], 'sent by the flusher, no flush asked for');
  await j.close();
});
