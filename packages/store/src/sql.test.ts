import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOSTILE_STRINGS } from './conformance.js';
import { splitMillis, sqlIdent, sqlNumber, sqlString, sqlStringArray, UnsafeIdentifier } from './sql.js';

test('sqlString escapes quotes, backslashes and control characters', () => {
  assert.equal(sqlString("it's"), "'it\\'s'");
  assert.equal(sqlString('a\\b'), "'a\\\\b'");
  assert.equal(sqlString('x\ny\0\x01'), "'x\\ny\\0\\x01'");
  assert.equal(sqlString('監視'), "'監視'");
  assert.equal(sqlStringArray(["a'", 'b']), "['a\\'', 'b']");
});

test('identifiers that would need quoting are refused, not escaped', () => {
  assert.equal(sqlIdent('kanshi_test_1'), 'kanshi_test_1');
  for (const bad of ['', '1abc', 'a b', 'a;DROP', 'a`b', 'a.b']) assert.throws(() => sqlIdent(bad), UnsafeIdentifier);
});

test('numbers must be finite; instants split into seconds and milliseconds', () => {
  assert.throws(() => sqlNumber(NaN), RangeError);
  assert.throws(() => sqlNumber(Infinity), RangeError);
  assert.deepEqual(splitMillis(1_742_776_267_123), { seconds: 1_742_776_267, millis: 123 });
});

// The engines prove these literals read back as the original (conformance.ts); this checks the
// shape without one: one quoted token, no raw control character, no quote left unescaped.
test('every hostile string becomes one literal without raw control characters or bare quotes', () => {
  for (const s of HOSTILE_STRINGS) {
    const lit = sqlString(s);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the literal must hold no raw control character, so the class names them
    assert.match(lit, /^'(?:[^'\\\x00-\x1f\x7f]|\\.)*'$/su, JSON.stringify(s));
  }
});
