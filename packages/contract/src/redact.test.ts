import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeError, redactDeep, redactText, redactUrl } from './redact.js';

const SECRET = 'hunter2-Sup3r';

test('a URL keeps its user and host and loses its password and secret query values', () => {
  assert.equal(redactUrl(`https://kanshi:${SECRET}@registry.example:8081/apis/ccompat/v7`), 'https://kanshi:[redacted]@registry.example:8081/apis/ccompat/v7');
  assert.equal(redactUrl(`http://h:8123/?user=u&password=${SECRET}&database=k`), 'http://h:8123/?user=u&password=[redacted]&database=k');
  assert.equal(redactUrl(`https://hooks.example/x?token=${SECRET}`), 'https://hooks.example/x?token=[redacted]');
  assert.equal(redactUrl('http://127.0.0.1:8123'), 'http://127.0.0.1:8123', 'nothing to hide: unchanged');
  assert.equal(redactUrl(redactUrl(`http://u:${SECRET}@h:1/x`)), 'http://u:[redacted]@h:1/x', 'redacting twice changes nothing');
});

test('a URL that does not parse still loses its password', () => {
  const out = redactUrl(`http://admin:${SECRET}@exa mple.com:8123`);
  assert.ok(!out.includes(SECRET), out);
  assert.match(out, /^http:\/\/admin:\[redacted\]@exa mple\.com:8123$/);
  assert.ok(!redactUrl(`http://${SECRET}@bad host`).includes(SECRET));
});

test('texts, objects at any depth and errors with causes are redacted', () => {
  assert.equal(redactText(`could not reach https://u:${SECRET}@r:1/x: refused`), 'could not reach https://u:[redacted]@r:1/x: refused');
  assert.ok(!redactText(`key -----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----`).includes('MIIabc'));
  const logged = redactDeep({
    config: { kafka: { sasl: { mechanism: 'scram-sha-512', username: 'kanshi', password: SECRET } }, registry: { url: `http://u:${SECRET}@r` } },
    deep: [{ a: { b: { c: { webhookSecret: SECRET, authorization: `Basic ${SECRET}` } } } }],
    err: new Error(`open failed for http://u:${SECRET}@h`, { cause: Object.assign(new Error('401'), { config: { headers: { Authorization: `Basic ${SECRET}` } } }) }),
  });
  const text = JSON.stringify(logged);
  assert.ok(!text.includes(SECRET), text);
  assert.match(text, /"mechanism":"scram-sha-512"/);
  assert.match(text, /"username":"kanshi"/);
  const described = describeError(new Error(`registry http://a:${SECRET}@r:1 did not answer`, { cause: new Error(`GET http://a:${SECRET}@r:1/subjects`) }));
  assert.ok(!described.includes(SECRET), described);
  assert.match(described, /caused by Error: GET http:\/\/a:\[redacted\]@r:1\/subjects/);
});
