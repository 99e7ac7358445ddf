import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SERIES_PER_COUNTER } from '@kanshi/runtime';
import { alerterMetrics } from './metrics.js';
import type { RunningAlerter } from './service.js';

test('a counter labelled by what inputs chose (a forged finding kind) stays within its series cap', async () => {
  const findingsByKind = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`kind-${i}`, 1]));
  const running = { stats: () => ({ findings: 0, rejected: 0, alerts: 0, holds: 0, breakerOpen: false, webhooksDelivered: 0, webhooksFailed: 0, findingsByKind }) } as unknown as RunningAlerter;
  const kinds = (await alerterMetrics(running, async () => [])()).find((m) => m.name === 'kanshi_findings_total')!;
  assert.equal(kinds.samples.length, MAX_SERIES_PER_COUNTER);
  assert.equal(kinds.samples.reduce((n, s) => n + s.value, 0), 5000, 'nothing uncounted');
  assert.equal(kinds.samples.at(-1)?.labels?.kind, 'other');
});
