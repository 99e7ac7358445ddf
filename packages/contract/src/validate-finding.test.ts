import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectedEvent } from './errors.js';
import type { Finding } from './types.js';
import { FINDING_BOUNDS, validateFinding } from './validate-finding.js';

const good: Finding = {
  findingId: 'f_1', kind: 'hijacked_pump_buy', severity: 'critical', score: 0.9, accountIds: ['A1'], symbols: ['1234'],
  detectedAt: Date.UTC(2025, 2, 3), evidence: ['e1'], reasons: [{ code: 'c', detail: 'why' }], revision: 2, threat: 0.9, vulnerability: 1, impact: 0.5,
};

function refusal(v: unknown): RejectedEvent {
  assert.ok(v instanceof RejectedEvent, `expected a rejection, got ${JSON.stringify(v)}`);
  return v;
}

test('a contract finding passes as a copy with only the contract fields', () => {
  const f = validateFinding({ ...good, extra: 'dropped' });
  assert.ok(!(f instanceof RejectedEvent));
  assert.deepEqual(f, good);
  const { threat, vulnerability, impact, ...bare } = good;
  assert.deepEqual(validateFinding(bare), bare, 'the risk decomposition is optional');
});

test('anything the contract does not say is refused with its field: the shapes that held accounts before', () => {
  const cases: [unknown, string | null, RegExp][] = [
    [null, null, /must be an object/],
    [[good], null, /must be an object/],
    [{ ...good, severity: 'bogus' }, 'severity', /one of low\|medium\|high\|critical/],
    [{ ...good, severity: 'toString' }, 'severity', /got "toString"/],
    [{ ...good, severity: '__proto__' }, 'severity', /got "__proto__"/],
    [{ ...good, score: '0.9' }, 'score', /number in 0\.\.1, got "0\.9"/],
    [{ ...good, score: Number.NaN }, 'score', /number/],
    [{ ...good, score: Infinity }, 'score', /number/],
    [{ ...good, score: 7 }, 'score', /0\.\.1/],
    [{ ...good, findingId: undefined }, 'findingId', /must be a string/],
    [{ ...good, findingId: '' }, 'findingId', /empty/],
    [{ ...good, kind: 3 }, 'kind', /string/],
    [{ ...good, accountIds: 'A1' }, 'accountIds', /array/],
    [{ ...good, accountIds: ['A1', 7] }, 'accountIds[1]', /string/],
    [{ ...good, accountIds: ['x'.repeat(FINDING_BOUNDS.idChars + 1)] }, 'accountIds[0]', /characters/],
    [{ ...good, accountIds: Array.from({ length: FINDING_BOUNDS.accountIds + 1 }, (_, i) => `A${i}`) }, 'accountIds', /items, more than/],
    [{ ...good, symbols: undefined }, 'symbols', /array/],
    [{ ...good, detectedAt: '2025-03-03T00:00:00Z' }, 'detectedAt', /epoch milliseconds/],
    [{ ...good, detectedAt: Date.UTC(2100, 0, 1) }, 'detectedAt', /2000\.\.2100/],
    [{ ...good, evidence: [{}] }, 'evidence[0]', /string/],
    [{ ...good, reasons: [{ code: 'c' }] }, 'reasons[0].detail', /string/],
    [{ ...good, reasons: [{ code: 'c', detail: 'd'.repeat(FINDING_BOUNDS.detailChars + 1) }] }, 'reasons[0].detail', /characters/],
    [{ ...good, revision: 0 }, 'revision', /integer >= 1/],
    [{ ...good, revision: 1.5 }, 'revision', /integer/],
    [{ ...good, threat: 'high' }, 'threat', /0\.\.1/],
  ];
  for (const [input, field, reason] of cases) {
    const r = refusal(validateFinding(input));
    assert.equal(r.field, field, `${JSON.stringify(input)?.slice(0, 80)}: field`);
    assert.match(r.reason, reason);
  }
  assert.equal(refusal(validateFinding({ ...good, score: '0.9' })).eventId, 'f_1', 'the rejection names the finding');
});
