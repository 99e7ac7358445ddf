import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountChangeEvent, AccountSnapshot, Alert, Finding, Hold, Instrument, ListEntry, LoginEvent, OrderEvent } from './types.js';
import { avroType, schemaFieldNames, type SchemaName } from './schemas.js';

/*
 * Every value below is typed `Required<T>`: the compiler rejects a missing or an extra field, so
 * the key set is exactly the TypeScript type's. The test then demands that key set equal the
 * Avro schema's field names and that avsc accepts the value: types and schemas cannot drift.
 */
const login: Required<LoginEvent> = {
  eventId: 'e1', ts: 1_742_169_600_000, accountId: 'A1', result: 'success', authMethod: 'session_resume', channel: 'web',
  ip: '203.0.113.9', country: 'SG', asn: 20473, ipType: 'hosting', deviceId: 'd1', userAgent: 'UA', sessionId: 's1',
};
const order: Required<OrderEvent> = {
  eventId: 'e2', ts: 1_742_169_600_000, accountId: 'A1', orderId: 'o1', sessionId: 's1', channel: 'app', symbol: '1234',
  side: 'buy', orderType: 'limit', quantity: 100, price: 512.5, status: 'partially_filled', fillQuantity: 50, fillPrice: 512,
  currency: 'JPY',
};
const accountEvent: Required<AccountChangeEvent> = {
  eventId: 'e3', ts: 1_742_169_600_000, accountId: 'A1', action: 'bank_account_change', sessionId: 's1', ip: '203.0.113.9', deviceId: 'd1',
};
const instrument: Required<Instrument> = {
  symbol: '1234', name: 'X', market: 'XTKS', country: 'JP', currency: 'JPY', fxToJpy: 1, marketCapJpy: 3e9, adv20Jpy: 2e7, prevClose: 400,
};
const account: Required<AccountSnapshot> = {
  accountId: 'A1', openedAt: 1_500_000_000_000, homeCountry: 'JP', mfa: 'sms', holdingsJpy: 1e6, positions: [{ symbol: '1234', quantity: 10 }],
};
const finding: Required<Finding> = {
  findingId: 'f1', kind: 'hijacked_pump_buy', severity: 'critical', score: 0.9, accountIds: ['A1'], symbols: ['1234'],
  detectedAt: 1_742_169_600_000, evidence: ['e1', 'e2'], reasons: [{ code: 'c', detail: 'd' }], revision: 2, threat: 0.9, vulnerability: 1, impact: 0.4,
};
const alert: Required<Alert> = {
  alertId: 'a1', findingId: 'f1', kind: 'hijacked_pump_buy', severity: 'critical', score: 0.9, accountIds: ['A1'], symbols: ['1234'], at: 1, summary: 's',
};
const hold: Required<Hold> = {
  holdId: 'h1', accountId: 'A1', findingId: 'f1', at: 1, mode: 'enforce', reason: 'r', state: 'released', changeId: 'c1', changedAt: 2, changedBy: 'ana', changeReason: 'verified', approvedBy: 'sue',
};

const listEntry: Required<ListEntry> = {
  entryId: 'L1', list: 'allow', target: 'device', value: 'd1', accountId: 'A1', author: 'analyst1', reason: 'the customer\'s new phone, confirmed by call',
  createdAt: 1, expiresAt: 2, removedAt: 2, findingId: 'f1',
};

const samples: [SchemaName, object][] = [
  ['login', login], ['order', order], ['account_event', accountEvent], ['instrument', instrument],
  ['account', account], ['finding', finding], ['alert', alert], ['hold', hold], ['list_entry', listEntry],
];

for (const [name, value] of samples) {
  test(`TypeScript type and Avro schema agree: ${name}`, () => {
    assert.deepEqual(Object.keys(value).sort(), schemaFieldNames(name).sort());
    const type = avroType(name);
    assert.ok(type.isValid(value), `avsc accepts a full ${name}`);
    assert.deepEqual(JSON.parse(JSON.stringify(type.fromBuffer(type.toBuffer(value)))), value, 'round-trips through Avro');
  });
}

test('optional fields may be left out and come back as null', () => {
  const minimal = { eventId: 'e', ts: 1, accountId: 'A', result: 'failure', authMethod: 'password', channel: 'api', ip: '::1' };
  const type = avroType('login');
  const back = type.fromBuffer(type.toBuffer(minimal)) as Record<string, unknown>;
  assert.equal(back.country, null);
  assert.equal(back.deviceId, null);
});
