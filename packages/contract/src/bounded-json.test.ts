import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectedEvent } from './errors.js';
import { decodeJsonBytes, jsonDeeperThan, MAX_VALUE_DEPTH, parseJsonBounded } from './bounded-json.js';
import { rejectionKey } from './rejection-key.js';
import { parseEventLine, validateEvent } from './validate.js';
import { REJECT_CODES } from './errors.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

test('depth: exactly the bound is read, one more is refused before parsing; brackets in strings do not count', () => {
  assert.equal(jsonDeeperThan(nested(MAX_VALUE_DEPTH), MAX_VALUE_DEPTH), false);
  assert.equal(jsonDeeperThan(nested(MAX_VALUE_DEPTH + 1), MAX_VALUE_DEPTH), true);
  assert.equal(jsonDeeperThan(`{"a":"${'['.repeat(500)}"}`, 4), false);
  assert.equal(jsonDeeperThan(`{"a":"\\\\"}${'['.repeat(10)}`, 4), true, 'an escaped backslash does not escape the quote');
  assert.equal(jsonDeeperThan(`{"a":"\\"${'['.repeat(10)}"}`, 4), false, 'an escaped quote does not end the string');
  // many shallow records in one value (a packed record) are not deep
  assert.equal(jsonDeeperThan(`[${Array.from({ length: 500 }, () => '{"a":[1]}').join(',')}]`, 4), false);
  const deep = parseJsonBounded(nested(5000));
  assert.ok(deep instanceof RejectedEvent && deep.code === 'too_deep');
  assert.deepEqual(parseJsonBounded('[[1]]'), [[1]]);
});

test('bytes: over the size bound, not UTF-8, or not JSON are refused with their code', () => {
  const code = (v: unknown) => (v instanceof RejectedEvent ? v.code : 'accepted');
  assert.equal(code(decodeJsonBytes(Buffer.from(`"${'x'.repeat(2000)}"`), 1000)), 'too_large');
  assert.equal(code(decodeJsonBytes(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]))), 'bad_encoding');
  assert.equal(code(decodeJsonBytes(Buffer.from('{"a":'))), 'not_json');
  assert.deepEqual(decodeJsonBytes(Buffer.from('{"a":"監視"}')), { a: '監視' });
});

test('an event line nested 5,000 deep, or holding U+FFFD, is a rejection with its code', () => {
  const deep = parseEventLine(`{"type":"login","x":${nested(5000)}}`);
  assert.ok(deep instanceof RejectedEvent && deep.code === 'too_deep');
  const mangled = parseEventLine('{"type":"login","eventId":"a\uFFFDb"}');
  assert.ok(mangled instanceof RejectedEvent && mangled.code === 'bad_encoding');
});

test('rejection keys are a field of the contract and a code, however many distinct bad values arrive', () => {
  const keys = new Set<string>();
  const base = { type: 'order', eventId: 'e', ts: Date.UTC(2025, 0, 1), accountId: 'A', orderId: 'o', symbol: 'S', side: 'buy', orderType: 'market', quantity: 1, status: 'new', currency: 'JPY' };
  for (let i = 0; i < 3000; i++) {
    const bad = [
      { ...base, quantity: -i - 1 }, { ...base, quantity: 1e13 + i }, { ...base, side: `side-${i}` }, { ...base, ts: `when-${i}` },
      { ...base, ts: Date.UTC(2200, 0, 1) + i }, { ...base, eventId: 'x'.repeat(257 + i) }, { ...base, type: `t${i}` }, { ...base, [`k${i}`]: 1, symbol: i },
    ];
    for (const b of bad) {
      const r = validateEvent(b);
      assert.ok(r instanceof RejectedEvent);
      keys.add(rejectionKey(r));
    }
    keys.add(rejectionKey(new RejectedEvent(`unknown schema id ${i}`, { code: 'unknown_schema' })));
    keys.add(rejectionKey(new RejectedEvent('x', { field: `made-up-${i}`, code: 'bad_shape' })));
  }
  assert.ok(keys.size <= 12, `${keys.size} keys: ${[...keys].join(', ')}`);
  for (const k of keys) assert.ok((REJECT_CODES as readonly string[]).includes(k.split(': ').pop()!), k);
  assert.ok(keys.has('other: bad_shape'), 'a field outside the contract counts as other');
});

test('an event time no Date can hold (1e308 is an integer) is a rejection, not a RangeError', () => {
  const r = validateEvent({ type: 'login', eventId: 'e', ts: 1e308 });
  assert.ok(r instanceof RejectedEvent && r.code === 'out_of_range' && r.field === 'ts');
});
