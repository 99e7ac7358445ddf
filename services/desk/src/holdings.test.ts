import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccountSnapshot, InputEvent, LoginEvent } from '@kanshi/contract';
import { holdingsAround, holdingsChart } from './holdings.js';
import { infraProbe, prefixesOf, sharedBy } from './related-infra.js';

const T0 = Date.UTC(2026, 10, 30, 5, 0);
const XSS = `"'><script>alert(1)</script>`;
const snapshot: AccountSnapshot = { accountId: 'A', openedAt: 0, homeCountry: 'JP', mfa: 'sms', holdingsJpy: 0, positions: [{ symbol: '7203', quantity: 1000 }, { symbol: '6758', quantity: 200 }] };
const fill = (eventId: string, symbol: string, side: 'buy' | 'sell', min: number, q: number, p: number): InputEvent => ({
  type: 'order', eventId, ts: T0 + min * 60_000, accountId: 'A', orderId: eventId, symbol, side, orderType: 'market', quantity: q, status: 'filled', fillQuantity: q, fillPrice: p, currency: 'JPY',
});

test('holdings: the snapshot is before; fills from the incident on move it to after, valued at the account\'s own prices', () => {
  const timeline = [
    fill('o0', '7203', 'buy', -60, 10, 2900), // before the incident: a price, no change to before
    fill('o1', '7203', 'sell', 5, 1000, 2800), fill('o2', '6758', 'sell', 6, 200, 13_000), fill('o3', XSS, 'buy', 7, 50_000, 40),
    { type: 'order', eventId: 'o4', ts: T0 + 8 * 60_000, accountId: 'A', orderId: 'o4', symbol: '9999', side: 'buy', orderType: 'limit', quantity: 5, price: 1, status: 'rejected', currency: 'JPY' },
  ] as InputEvent[];
  const h = holdingsAround(snapshot, timeline, T0);
  assert.deepEqual(h.map((x) => [x.symbol, x.before, x.after, x.priceBefore, x.priceAfter]), [
    ['7203', 1000, 0, 2900, 2800], ['6758', 200, 0, 13_000, 13_000], [XSS, 0, 50_000, 40, 40],
  ], 'the biggest moves first; an unfilled order moves nothing');
  const svg = holdingsChart(h, 'c').text;
  assert.equal(svg.match(/class="bar bar-before"/g)?.length, 3, 'an empty side is a zero bar, still drawn');
  assert.ok(!svg.includes('<script>') && svg.includes('&lt;script&gt;'), 'a symbol is text in the SVG');
});

test('shared infrastructure: /24 and /48, an ASN only within its /16, a device; what is shared named', () => {
  assert.deepEqual(prefixesOf('198.51.100.7'), { narrow: '198.51.100.', wide: '198.51.', narrowLabel: '198.51.100.0/24', wideLabel: '198.51.0.0/16' });
  assert.equal(prefixesOf('2001:db8:1:5::1')?.narrowLabel, '2001:db8:1::/48');
  assert.equal(prefixesOf(`1.2.3.4${XSS}`), null, 'not an address: no prefix');
  const login = (ip: string, asn: number, deviceId: string): LoginEvent => ({ eventId: ip + deviceId, ts: T0, accountId: 'A', result: 'success', authMethod: 'password', channel: 'web', ip, asn, deviceId });
  const mine = [login('198.51.100.7', 64500, 'd1')];
  assert.deepEqual(infraProbe(mine), { devices: ['d1'], prefixes: ['198.51.100.'], asnPrefixes: [{ asn: 64500, prefix: '198.51.' }] });
  assert.deepEqual(sharedBy(mine, login('198.51.100.9', 1, 'x')), ['IP prefix 198.51.100.0/24']);
  assert.deepEqual(sharedBy(mine, login('198.51.7.9', 64500, 'd1')), ['device d1', 'AS64500 in 198.51.0.0/16']);
  assert.deepEqual(sharedBy(mine, login('203.0.113.1', 64500, 'x')), [], 'the same ASN elsewhere is no relation');
});
