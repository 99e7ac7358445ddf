#!/usr/bin/env node --expose-gc
// Detector memory per account: stage 1 after N distinct accounts with a few days of history,
// against a baseline measured in the same process: a Map holding just the account ids.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { AccountStage, ReferenceData, resolveDetectionConfig } = await import(path.join(root, 'packages/detection/dist/index.js'));
const N = Number(process.argv[2] ?? 1_000_000);
if (!global.gc) throw new Error('run with node --expose-gc');

// heap plus typed-array backing stores, which live outside the heap
const heap = () => { global.gc(); global.gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
const id = (i) => `${100 + (i % 900)}-${String(1_000_000 + ((i * 7919) % 9_000_000)).padStart(7, '0')}`;
const T0 = Date.UTC(2025, 2, 3);

// baseline: the ids alone, the least any per-account state costs
let before = heap();
const ids = new Map();
for (let i = 0; i < N; i++) ids.set(id(i), 1);
const baseline = (heap() - before) / N;
if (ids.size !== N) throw new Error('baseline lost');
ids.clear();

const ref = new ReferenceData([{ symbol: '7203', name: 'x', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 4e13, adv20Jpy: 1e11, prevClose: 3000 }], []);
const stage = new AccountStage(ref, resolveDetectionConfig());
const out = { findings: [], trades: [] };
before = heap();
for (let i = 0; i < N; i++) {
  const a = id(i);
  for (let d = 0; d < 3; d++) {
    out.findings.length = 0; out.trades.length = 0;
    const ts = T0 + d * 86_400_000 + (i % 36_000) * 1000;
    stage.process({ type: 'login', eventId: `l${i}-${d}`, ts, accountId: a, result: 'success', authMethod: 'password_otp_sms', channel: 'app', ip: `126.${i % 250}.${d}.1`, country: 'JP', asn: 17676, ipType: 'mobile', deviceId: `dev-${i}`, sessionId: `s${i}-${d}` }, out);
    stage.process({ type: 'order', eventId: `o${i}-${d}`, ts: ts + 60_000, accountId: a, orderId: `o${i}-${d}`, symbol: '7203', side: 'buy', orderType: 'limit', quantity: 100, price: 3000, status: 'new', currency: 'JPY', sessionId: `s${i}-${d}` }, out);
  }
  if (i % 200_000 === 0 && i) process.stderr.write(`memory: ${i.toLocaleString('en-US')} accounts\n`);
}
const perAccount = (heap() - before) / N;
// the stage must still be alive when measured
if (stage.accountCount !== N) throw new Error(`stage holds ${stage.accountCount} accounts, expected ${N}`);
console.log(JSON.stringify({ accounts: N, bytesPerAccount: Math.round(perAccount), baselineBytesPerAccount: Math.round(baseline), ratio: Number((perAccount / baseline).toFixed(2)) }));
