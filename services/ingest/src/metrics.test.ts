import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prometheusText } from '@kanshi/runtime';
import { Ingestor } from './ingest.js';
import { ingestMetrics } from './metrics.js';
import type { RunningIngest } from './service.js';

test('kanshi_rejects_total has a series per field and reason code, not per rejected value', async () => {
  const ing = new Ingestor();
  const ts = Date.UTC(2025, 2, 3);
  for (let i = 0; i < 10_000; i++) {
    const bad = [
      { eventId: `e${i}`, ts, accountId: 'A', result: 'success', authMethod: 'password', channel: `chan-${i}`, ip: '192.0.2.1' },
      { eventId: `e${i}`, ts: `2025-13-${i}T`, accountId: 'A', result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' },
      { eventId: `e${i}`, ts, accountId: 'A'.repeat(257 + i), result: 'success', authMethod: 'password', channel: 'web', ip: '192.0.2.1' },
    ][i % 3];
    ing.accept({ source: `logins/0@${i}`, type: 'login', value: bad });
  }
  const running = { stats: ing.stats } as unknown as RunningIngest;
  const metrics = await ingestMetrics(running, async () => [])();
  const rejects = metrics.find((m) => m.name === 'kanshi_rejects_total')!;
  assert.equal(rejects.samples.reduce((n, s) => n + s.value, 0), 10_000);
  assert.deepEqual(rejects.samples.map((s) => s.labels?.reason).sort(), ['accountId: too_long', 'channel: not_allowed', 'ts: bad_time']);
  assert.doesNotMatch(prometheusText(metrics), /chan-\d|2025-13|AAAA/, 'no rejected value in the exposition');
});
