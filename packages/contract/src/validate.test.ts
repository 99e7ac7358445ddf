import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectedEvent } from './errors.js';
import { parseEventLine, validateAccount, validateEvent, validateInstrument } from './validate.js';

const good = {
  type: 'order', eventId: 'e1', ts: '2026-03-27T01:26:28.878Z', accountId: 'A1', orderId: 'o1', symbol: '1234', side: 'buy',
  orderType: 'limit', quantity: 100, price: 400, status: 'new', currency: 'JPY',
};

function rejected(v: unknown): RejectedEvent {
  assert.ok(v instanceof RejectedEvent, `expected a rejection, got ${JSON.stringify(v)}`);
  return v;
}

test('a valid order line maps onto the contract type, ISO time to epoch ms', () => {
  const ev = parseEventLine(JSON.stringify(good));
  assert.ok(!(ev instanceof RejectedEvent));
  assert.equal(ev.type, 'order');
  assert.equal(ev.ts, Date.UTC(2026, 2, 27, 1, 26, 28, 878));
  assert.equal((validateEvent({ ...good, ts: 1774574788878 }) as { ts: number }).ts, 1774574788878, 'epoch ms accepted');
});

test('rejections name the field and the reason', () => {
  const cases: [unknown, string | null, RegExp][] = [
    [{ ...good, quantity: -5 }, 'quantity', /> 0/],
    [{ ...good, quantity: '100' }, 'quantity', /finite number/],
    [{ ...good, quantity: 1e15 }, 'quantity', /plausible maximum/],
    [{ ...good, side: 'short' }, 'side', /buy\|sell/],
    [{ ...good, ts: '2999-01-01T00:00:00Z' }, 'ts', /outside the plausible range/],
    [{ ...good, ts: 'yesterday' }, 'ts', /ISO-8601/],
    [{ ...good, accountId: undefined }, 'accountId', /required/],
    [{ ...good, accountId: 'x'.repeat(1_000_000) }, 'accountId', /more than 256/],
    [{ ...good, price: undefined }, 'price', /limit order/],
    [{ ...good, fillQuantity: 500 }, 'fillQuantity', /more than the ordered/],
    [{ ...good, type: 'trade' }, 'type', /login\|order\|account_event/],
    [[1, 2], null, /JSON object/],
  ];
  for (const [input, field, reason] of cases) {
    const r = rejected(validateEvent(input));
    assert.equal(r.field, field, JSON.stringify(input).slice(0, 80));
    assert.match(r.reason, reason);
  }
  assert.equal(rejected(validateEvent({ ...good, side: 'x' })).eventId, 'e1', 'eventId kept when readable');
});

test('invalid JSON and unknown symbols are rejected with a reason', () => {
  assert.match(rejected(parseEventLine('{"type":"login",')).reason, /invalid JSON/);
  const r = rejected(validateEvent(good, { knownSymbol: () => false }));
  assert.equal(r.field, 'symbol');
  assert.match(r.reason, /unknown symbol/);
});

test('reference lines are validated too', () => {
  assert.equal(rejected(validateInstrument({ symbol: 'X', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 1, adv20Jpy: 'lots', prevClose: 1 })).field, 'adv20Jpy');
  assert.equal(rejected(validateAccount({ accountId: 'A', openedAt: '2020-01-01T00:00:00Z', homeCountry: 'JP', mfa: 'fingerprint', holdingsJpy: 0, positions: [] })).field, 'mfa');
  const ok = validateAccount({ accountId: 'A', openedAt: '2020-01-01T00:00:00Z', homeCountry: 'JP', mfa: 'sms', holdingsJpy: 5, positions: [{ symbol: 'X', quantity: 1 }] });
  assert.ok(!(ok instanceof RejectedEvent) && ok.openedAt === Date.UTC(2020, 0, 1));
});
