import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noisyOr } from './scoring.js';

test('noisy-or of one piece of evidence is that evidence exactly, so a signal meets a threshold set at its own weight', () => {
  // 1 - (1 - 0.45) is 0.44999999999999996 in floating point: a stolen session's 0.45 missed the 0.45 a scheme's access needs
  assert.equal(noisyOr(0.45), 0.45);
  assert.equal(noisyOr(0, 0.45, 0), 0.45);
  assert.equal(noisyOr(0.1), 0.1);
  assert.equal(noisyOr(), 0);
  assert.ok(Math.abs(noisyOr(0.5, 0.5) - 0.75) < 1e-12);
  assert.equal(noisyOr(2, 0.3), 1, 'clamped');
});
