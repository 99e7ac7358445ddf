import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prometheusText, RateGauge, startOpsServer } from './ops.js';

test('metrics are served in the Prometheus text format, readiness (/readyz, /healthz) and liveness (/livez) as JSON with 200 or 503', async () => {
  let ok = true;
  const srv = await startOpsServer({ port: 0 }, async () => [
    { name: 'kanshi_rejects_total', help: 'rejected inputs', type: 'counter', samples: [{ labels: { reason: 'quantity: "must be > 0"' }, value: 3 }] },
  ], () => ({ ok, detail: { service: 'test' } }));
  try {
    const m = await (await fetch(`http://127.0.0.1:${srv.port}/metrics`)).text();
    assert.match(m, /# TYPE kanshi_rejects_total counter/);
    assert.match(m, /kanshi_rejects_total\{reason="quantity: \\"must be > 0\\""\} 3/);
    assert.equal((await fetch(`http://127.0.0.1:${srv.port}/healthz`)).status, 200);
    ok = false;
    const h = await fetch(`http://127.0.0.1:${srv.port}/healthz`);
    assert.equal(h.status, 503);
    assert.deepEqual(await h.json(), { ok: false, service: 'test' });
    const r = await fetch(`http://127.0.0.1:${srv.port}/readyz`);
    assert.equal(r.status, 503, '/readyz is the readiness /healthz reports');
    assert.deepEqual(await r.json(), { ok: false, service: 'test' });
    const l = await fetch(`http://127.0.0.1:${srv.port}/livez`);
    assert.equal(l.status, 200, 'alive while not ready');
  } finally {
    await srv.close();
  }
});

test('a rate is the counter\'s growth per second over the last minute', () => {
  const g = new RateGauge();
  assert.equal(g.rate(0, 0), 0);
  assert.equal(g.rate(500, 10_000), 50);
  assert.equal(g.rate(600, 70_000).toFixed(3), (100 / 60).toFixed(3), 'the first sample fell out of the window');
  assert.equal(prometheusText([]), '\n');
});
