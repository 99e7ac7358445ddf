import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { connectionSecurity, securitySummary } from './connection-config.js';
import { UsageError } from './usage.js';
import { serviceLogger } from './log.js';

const SECRET = 'Kafka-S3cret-Passw0rd';
const CA = '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEkey\n-----END PRIVATE KEY-----\n';
const files: Record<string, string> = { '/ca.pem': CA, '/client.pem': CERT, '/client.key': KEY, '/pw': `${SECRET}\n`, '/empty': '', '/junk': 'not pem' };
const read = (p: string) => {
  if (!(p in files)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  return files[p];
};

/** The UsageError a config gives, checked to name `variable` and never to show the secret. */
function refused(env: NodeJS.ProcessEnv, variable: RegExp): void {
  assert.throws(() => connectionSecurity(env, read), (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, variable);
    assert.ok(!e.message.includes(SECRET), e.message);
    return true;
  }, JSON.stringify(env));
}

test('SASL_SSL with SCRAM-SHA-512, a CA and a client certificate, from variables and files', () => {
  const s = connectionSecurity({
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'kanshi', KAFKA_SASL_PASSWORD_FILE: '/pw',
    KAFKA_SSL_CA_FILE: '/ca.pem', KAFKA_SSL_CERT_FILE: '/client.pem', KAFKA_SSL_KEY_FILE: '/client.key',
  }, read);
  assert.deepEqual(s.kafka, { protocol: 'SASL_SSL', sasl: { mechanism: 'SCRAM-SHA-512', username: 'kanshi', password: SECRET }, tls: { ca: CA, cert: CERT, key: KEY } });
  assert.deepEqual(connectionSecurity({}, read).kafka, { protocol: 'PLAINTEXT', sasl: undefined, tls: undefined });
  for (const m of ['PLAIN', 'SCRAM-SHA-256', 'scram-sha-512']) {
    assert.equal(connectionSecurity({ KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_SASL_MECHANISM: m, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: SECRET }, read).kafka.sasl?.mechanism, m.toUpperCase());
  }
  assert.equal(connectionSecurity({ KAFKA_SECURITY_PROTOCOL: 'SSL' }, read).kafka.tls !== undefined, true, 'SSL with the system CAs');
  const summary = JSON.stringify(securitySummary(s));
  assert.ok(!summary.includes(SECRET) && !summary.includes('MII'), summary);
});

test('bad combinations are config errors naming the variable, never echoing the secret', () => {
  refused({ KAFKA_SECURITY_PROTOCOL: 'TLS' }, /KAFKA_SECURITY_PROTOCOL must be one of/);
  refused({ KAFKA_SASL_PASSWORD: SECRET }, /KAFKA_SASL_PASSWORD is set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: SECRET, KAFKA_SSL_CA_FILE: '/ca.pem' }, /KAFKA_SSL_CA_FILE is set but KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_USERNAME/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_PASSWORD: SECRET }, /KAFKA_SASL_USERNAME must be set/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_PASSWORD \(or KAFKA_SASL_PASSWORD_FILE\) must be set/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: SECRET, KAFKA_SASL_PASSWORD_FILE: '/pw' }, /KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: '/empty' }, /KAFKA_SASL_PASSWORD_FILE: \/empty is empty/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'GSSAPI', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: SECRET }, /KAFKA_SASL_MECHANISM must be one of PLAIN\|SCRAM-SHA-256\|SCRAM-SHA-512/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: '/missing.pem' }, /KAFKA_SSL_CA_FILE: cannot read \/missing.pem \(ENOENT\)/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: '/junk' }, /KAFKA_SSL_CA_FILE: \/junk is not a PEM certificate/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: '/client.pem' }, /KAFKA_SSL_CERT_FILE is set without KAFKA_SSL_KEY_FILE/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_KEY_FILE: '/client.key' }, /KAFKA_SSL_KEY_FILE is set without KAFKA_SSL_CERT_FILE/);
  refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_KEY_FILE: '/client.pem', KAFKA_SSL_CERT_FILE: '/client.pem' }, /KAFKA_SSL_KEY_FILE: \/client.pem is not a PEM private key/);
  refused({ SCHEMA_REGISTRY_PASSWORD: SECRET }, /SCHEMA_REGISTRY_PASSWORD is set without SCHEMA_REGISTRY_USERNAME/);
  refused({ SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: SECRET, SCHEMA_REGISTRY_URL: `http://a:${SECRET}@r:1` }, /SCHEMA_REGISTRY_URL carries credentials/);
  refused({ CLICKHOUSE_PASSWORD: SECRET, CLICKHOUSE_URL: `http://a:${SECRET}@c:1` }, /CLICKHOUSE_URL carries credentials/);
  refused({ CLICKHOUSE_CA_FILE: '/ca.pem', CLICKHOUSE_URL: 'http://c:8123' }, /CLICKHOUSE_CA_FILE is set but CLICKHOUSE_URL is not https/);
  refused({ CLICKHOUSE_CERT_FILE: '/client.pem' }, /CLICKHOUSE_CERT_FILE and CLICKHOUSE_KEY_FILE go together/);
});

test('registry basic auth and CA, ClickHouse user, password and CA, from variables', () => {
  const s = connectionSecurity({
    SCHEMA_REGISTRY_USERNAME: 'reg', SCHEMA_REGISTRY_PASSWORD_FILE: '/pw', SCHEMA_REGISTRY_CA_FILE: '/ca.pem',
    CLICKHOUSE_URL: 'https://c:8443', CLICKHOUSE_USER: 'kanshi', CLICKHOUSE_PASSWORD: SECRET, CLICKHOUSE_CA_FILE: '/ca.pem',
  }, read);
  assert.deepEqual(s.registry, { basicAuth: { username: 'reg', password: SECRET }, ca: CA });
  assert.deepEqual(s.clickhouse, { username: 'kanshi', password: SECRET, ca: CA });
  assert.deepEqual(connectionSecurity({ CLICKHOUSE_PASSWORD: SECRET }, read).clickhouse, { username: 'default', password: SECRET });
});

test('the services\' logger redacts at any depth: config objects, errors with causes, message text', () => {
  let out = '';
  const sink = new Writable({ write(chunk, _enc, done) { out += chunk; done(); } });
  const log = serviceLogger('t', 'info', sink);
  const cause = Object.assign(new Error(`401 from https://kanshi:${SECRET}@registry:8081/subjects`), { config: { headers: { Authorization: `Basic ${SECRET}` } } });
  log.info({ config: { security: { kafka: { sasl: { mechanism: 'SCRAM-SHA-512', username: 'kanshi', password: SECRET } } } }, deep: { a: { b: { c: { d: { secret: SECRET } } } } } }, 'starting');
  log.warn({ err: new Error('could not start', { cause }) }, `registry at http://kanshi:${SECRET}@registry:8081 refused`);
  log.child({ url: `http://u:${SECRET}@h` }).info({ key: KEY }, 'child');
  assert.equal(out.trim().split('\n').length, 3, out);
  assert.ok(!out.includes(SECRET), out);
  assert.ok(!out.includes('MIIEkey'), out);
  assert.match(out, /"username":"kanshi"/);
  assert.match(out, /could not start/);
  assert.match(out, /registry at http:\/\/kanshi:\[redacted\]@registry:8081/);
});
