import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectedEvent } from './errors.js';
import { ipBits, maskBits, networkOf, parsePrefix } from './ip.js';
import { validateListEntry } from './validate-list.js';

const good = {
  entryId: 'L1', list: 'block', target: 'device', value: 'dev-9', author: 'analyst1', reason: 'device of confirmed takeover f-1',
  createdAt: '2026-03-01T00:00:00Z', expiresAt: '2026-06-01T00:00:00Z',
};

test('a block-listed device is an entry, times in epoch ms, optional fields null', () => {
  const e = validateListEntry(good);
  assert.ok(!(e instanceof RejectedEvent), String(e));
  assert.equal(e.createdAt, Date.parse('2026-03-01T00:00:00Z'));
  assert.equal(e.accountId, null);
  assert.equal(e.removedAt, null);
});

const refused: [string, Record<string, unknown>, string][] = [
  ['no reason', { reason: '' }, 'reason'],
  ['an unknown list', { list: 'grey' }, 'list'],
  ['an unknown target', { target: 'email' }, 'target'],
  ['an address that is none', { target: 'ip', value: '300.1.1.1' }, 'value'],
  ['a prefix broader than /8', { target: 'prefix', value: '10.0.0.0/4' }, 'value'],
  ['a prefix without length', { target: 'prefix', value: '10.0.0.0' }, 'value'],
  ['an ASN that is no number', { target: 'asn', value: 'AS-X' }, 'value'],
  ['expiry before creation', { expiresAt: '2026-02-01T00:00:00Z' }, 'expiresAt'],
  ['an expiry years away', { expiresAt: '2030-03-01T00:00:00Z' }, 'expiresAt'],
  ['an account on a block entry', { accountId: 'A1' }, 'accountId'],
  ['an allowed device without its account', { list: 'allow' }, 'accountId'],
  ['a reason beyond the bound', { reason: 'x'.repeat(1025) }, 'reason'],
  ['no author', { author: undefined }, 'author'],
];
for (const [what, change, field] of refused) {
  test(`refused, naming the field: ${what}`, () => {
    const e = validateListEntry({ ...good, ...change });
    assert.ok(e instanceof RejectedEvent, `${what} is refused`);
    assert.equal(e.field, field);
  });
}

test('an ASN is kept as digits; an allowed device carries its account', () => {
  const asn = validateListEntry({ ...good, target: 'asn', value: 'AS64500' });
  assert.ok(!(asn instanceof RejectedEvent));
  assert.equal(asn.value, '64500');
  const dev = validateListEntry({ ...good, list: 'allow', accountId: 'A1' });
  assert.ok(!(dev instanceof RejectedEvent));
  assert.equal(dev.accountId, 'A1');
});

test('addresses compare as numbers: one v6 address written two ways, a v4 inside its prefix', () => {
  assert.equal(ipBits('2001:db8::1')?.bits, ipBits('2001:0DB8:0:0::1')?.bits);
  assert.equal(ipBits('::ffff:192.0.2.1')?.bits, (0xffffn << 32n) | 0xc0000201n);
  const p = parsePrefix('203.0.113.0/24');
  const ip = ipBits('203.0.113.77');
  assert.ok(p && ip);
  assert.equal(maskBits(ip, p.length), p.bits);
  assert.notEqual(maskBits(ipBits('203.0.114.1')!, 24), p.bits);
  assert.equal(ipBits('fe80::1%eth0'), null);
});

test('an address\'s network: the /24 of IPv4, the /48 of IPv6 in one spelling, null for no address', () => {
  assert.equal(networkOf('198.51.100.7'), '198.51.100.0/24');
  assert.equal(networkOf('185.220.101.33'), '185.220.101.0/24');
  assert.equal(networkOf('2001:db8:77:1::9'), '2001:db8:77::/48');
  assert.equal(networkOf('2001:db8:1:2::9'), '2001:db8:1::/48');
  // compressed zeros and leading zeros are one network, not three
  assert.equal(networkOf('2400:4050::1'), '2400:4050:0::/48');
  assert.equal(networkOf('2400:4050:0000:0::9'), '2400:4050:0::/48');
  assert.equal(networkOf('2001:0DB8:77::1'), '2001:db8:77::/48');
  assert.equal(networkOf('not an ip'), null);
});
