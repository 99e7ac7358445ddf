import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditCsv, csvCell } from './csv.js';

test('CSV cells are quoted and formulas are made text', () => {
  assert.equal(csvCell('plain'), '"plain"');
  assert.equal(csvCell('say "hi", twice\nnow'), '"say ""hi"", twice\nnow"');
  for (const f of ['=HYPERLINK("http://x")', '+1', '-1+2', '@SUM(A1)', '\t=1', '\r=1']) assert.ok(csvCell(f).startsWith(`"'`), f);
  const csv = auditCsv([{ auditId: 'u1', at: Date.UTC(2026, 0, 2, 3, 4, 5, 6), actor: 'desk:ana', action: 'desk.account_viewed', subject: '=cmd|"/c calc"!A1', detail: 'alert a', policyVersion: '' }]);
  assert.equal(csv, 'at_utc,actor,action,subject,detail,audit_id\r\n"2026-01-02T03:04:05.006Z","desk:ana","desk.account_viewed","\'=cmd|""/c calc""!A1","alert a","u1"\r\n');
});
