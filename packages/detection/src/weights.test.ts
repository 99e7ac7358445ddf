import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, Hold, InputEvent } from '@kanshi/contract';
import { DEFAULT_DETECTION_CONFIG, InvalidConfig, resolveDetectionConfig, type DetectionOverrides } from './config.js';
import { DetectionEngine } from './engine.js';
import { history, login, order, reference } from './test-fixtures.js';
import { DEFAULT_WEIGHTS } from './weights.js';

function run(events: InputEvent[], accounts: string[], detection?: DetectionOverrides) {
  const engine = new DetectionEngine(reference(accounts), { detection });
  const out = { findings: [] as Finding[], holds: [] as Hold[] };
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) engine.process(e, out);
  engine.flush(out);
  return out;
}

/** A new device on a new network, then a sell-off: one takeover_liquidation, whose login risk is the new device's. */
function newDeviceSellOff(a: string): InputEvent[] {
  const l = login(a, 0, { deviceId: 'other-pc', ip: '60.1.2.3', asn: 4713, ipType: 'residential', authMethod: 'password' });
  const s = l.sessionId!;
  return [
    ...history(a), l,
    { type: 'account_event', eventId: `ae-${a}`, ts: l.ts + 60_000, accountId: a, action: 'email_change', sessionId: s },
    order(a, 2, { symbol: '7203', side: 'sell', quantity: 1000, orderType: 'market', price: null, sessionId: s }),
    order(a, 3, { symbol: '6758', side: 'sell', quantity: 200, orderType: 'market', price: null, sessionId: s }),
    order(a, 4, { symbol: '9984', side: 'sell', quantity: 300, orderType: 'market', price: null, sessionId: s }),
  ];
}

const liquidation = (fs: Finding[]) => fs.filter((f) => f.kind === 'takeover_liquidation').at(-1);

test('weights: an override of one login weight changes the finding\'s score; no override changes nothing', () => {
  const evs = newDeviceSellOff('W1');
  const base = liquidation(run(evs, ['W1']).findings);
  assert.ok(base, 'the fixture reports a takeover_liquidation');
  assert.deepEqual(run(evs, ['W1'], { weights: {} }), run(evs, ['W1']), 'an empty override is the defaults');
  const heavier = liquidation(run(evs, ['W1'], { weights: { login: { newDevice: 0.6 } } }).findings);
  assert.ok(heavier && heavier.score > base.score, `score ${heavier?.score} above ${base.score} with a heavier new device`);
  assert.ok(heavier.threat! > base.threat!);
  const lighter = run(evs, ['W1'], { weights: { login: { newDevice: 0.05, newNetwork: 0.05 } } }).findings;
  assert.ok((liquidation(lighter)?.score ?? 0) < base.score, 'a lighter new device lowers it (or reports nothing)');
});

test('weights: a partial override is deep-merged over the defaults, which stay frozen and unchanged', () => {
  const cfg = resolveDetectionConfig({ weights: { login: { newDevice: 0.4 } }, campaignMinAccounts: 4 });
  assert.equal(cfg.weights.login.newDevice, 0.4);
  assert.equal(cfg.weights.login.newDeviceKnownNetwork, DEFAULT_WEIGHTS.login.newDeviceKnownNetwork, 'the rest of the group is the default');
  assert.equal(cfg.weights.control, DEFAULT_WEIGHTS.control, 'untouched groups are the defaults');
  assert.equal(cfg.campaignMinAccounts, 4);
  assert.equal(DEFAULT_DETECTION_CONFIG.weights.login.newDevice, 0.35);
  assert.ok(Object.isFrozen(DEFAULT_WEIGHTS) && Object.isFrozen(DEFAULT_WEIGHTS.login) && Object.isFrozen(cfg.weights.login));
  assert.equal(resolveDetectionConfig().weights, DEFAULT_WEIGHTS);
  assert.equal(resolveDetectionConfig({ weights: { thinBuy: { unusualSizeNoteMultiple: 10 } } }).weights.thinBuy.unusualSizeNoteMultiple, 10, 'a multiple may exceed 1');
});

test('weights: a bad override is refused naming its path', () => {
  const refused = (o: unknown, option: string, reason: RegExp) => assert.throws(
    () => resolveDetectionConfig(o as DetectionOverrides),
    (e: unknown) => e instanceof InvalidConfig && e.option === option && reason.test(e.message),
    `${JSON.stringify(o)} refused as ${option}`,
  );
  refused({ weights: { login: { newDevise: 0.4 } } }, 'weights.login.newDevise', /^detection option weights\.login\.newDevise: is not an option$/);
  refused({ weights: { logins: { newDevice: 0.4 } } }, 'weights.logins', /is not an option/);
  refused({ weights: { login: { toString: 0.4 } } }, 'weights.login.toString', /is not an option/);
  refused({ weights: { login: { newDevice: Number.NaN } } }, 'weights.login.newDevice', /finite non-negative/);
  refused({ weights: { login: { newDevice: Number.POSITIVE_INFINITY } } }, 'weights.login.newDevice', /finite non-negative/);
  refused({ weights: { control: { bankAccountChange: -0.1 } } }, 'weights.control.bankAccountChange', /finite non-negative/);
  refused({ weights: { control: { bankAccountChange: '0.5' } } }, 'weights.control.bankAccountChange', /finite non-negative/);
  refused({ weights: { incident: { thinBuyBar: 1.2 } } }, 'weights.incident.thinBuyBar', /is a share and must be within 0\.\.1, got 1\.2/);
  refused({ weights: { score: { impactFromLog10Jpy: 9 } } }, 'weights.score.impactToLog10Jpy', /must be above weights\.score\.impactFromLog10Jpy/);
  refused({ weights: { login: 0.3 } }, 'weights.login', /must be an object/);
  refused({ weights: [] }, 'weights', /must be an object/);
  refused({ criticalPoints: 1 }, 'highPoints', /must rise/);
});
