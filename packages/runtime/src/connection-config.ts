/**
 * How the services reach Kafka, the schema registry and ClickHouse when those need TLS and
 * credentials: read from the environment once, at start-up, with every file read and every
 * combination checked here, so a service never starts half-configured. A wrong setting is a
 * UsageError naming the variable; a secret's value is never part of a message.
 */
import { readFileSync } from 'node:fs';
import { BusError, validateKafkaSecurity, KAFKA_SASL_MECHANISMS, KAFKA_SECURITY_PROTOCOLS, type KafkaSaslMechanism, type KafkaSecurity, type KafkaSecurityProtocol, type KafkaTls } from '@kanshi/bus';
import { UsageError } from './usage.js';

export interface RegistryAuth {
  basicAuth?: { username: string; password: string };
  /** PEM */
  ca?: string;
}

export interface ClickHouseAuth {
  username?: string;
  password?: string;
  /** PEM */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface ConnectionSecurity {
  kafka: KafkaSecurity;
  registry: RegistryAuth;
  clickhouse: ClickHouseAuth;
}

type ReadFile = (path: string) => string;
const readUtf8: ReadFile = (p) => readFileSync(p, 'utf8');

/** The security of every connection a service opens, from its environment. */
export function connectionSecurity(env: NodeJS.ProcessEnv, read: ReadFile = readUtf8): ConnectionSecurity {
  const src = new EnvSource(env, read);
  return { kafka: kafkaSecurity(src), registry: registryAuth(src), clickhouse: clickhouseAuth(src) };
}

/**
 * A secret given as `<name>` or as a file in `<name>_FILE` (one of the two, so nobody wonders
 * which won); a trailing newline of the file is not part of it. Messages name the variable and
 * the file, never the secret.
 */
export function envSecret(env: NodeJS.ProcessEnv, name: string, read: ReadFile = readUtf8): string | undefined {
  const direct = env[name] || undefined;
  const file = env[`${name}_FILE`] || undefined;
  if (direct !== undefined && file !== undefined) throw new UsageError(`${name} and ${name}_FILE are both set: give the secret one way`);
  if (file === undefined) return direct;
  let text: string;
  try {
    text = read(file);
  } catch (e) {
    throw new UsageError(`${name}_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const s = text.replace(/\r?\n$/, '');
  if (s === '') throw new UsageError(`${name}_FILE: ${file} is empty`);
  return s;
}

class EnvSource {
  constructor(private readonly env: NodeJS.ProcessEnv, private readonly read: ReadFile) {}

  /** A plain setting; empty counts as unset. */
  value(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  /** The contents of the file `<name>` names (certificates, keys). */
  file(name: string): string | undefined {
    const p = this.value(name);
    if (p === undefined) return undefined;
    try {
      return this.read(p);
    } catch (e) {
      throw new UsageError(`${name}: cannot read ${p} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }

  /** A secret given as `<name>` or as a file in `<name>_FILE` (one of the two). */
  secret(name: string): string | undefined {
    return envSecret(this.env, name, this.read);
  }

  /** Names of the variables among `names` that are set (for "set but not used" errors). */
  setAmong(names: string[]): string[] {
    return names.filter((n) => this.value(n) !== undefined);
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function pem(src: EnvSource, name: string, kind: 'certificate' | 'key'): string | undefined {
  const text = src.file(name);
  if (text === undefined) return undefined;
  if (!(kind === 'certificate' ? PEM_CERT : PEM_KEY).test(text)) {
    throw new UsageError(`${name}: ${src.value(name)} is not a PEM ${kind === 'certificate' ? 'certificate (-----BEGIN CERTIFICATE-----)' : 'private key (-----BEGIN … PRIVATE KEY-----)'}`);
  }
  return text;
}

const SASL_VARS = ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'];
const TLS_VARS = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_KEY_PASSWORD', 'KAFKA_SSL_KEY_PASSWORD_FILE', 'KAFKA_SSL_SERVERNAME'];

function kafkaSecurity(src: EnvSource): KafkaSecurity {
  const protocol = (src.value('KAFKA_SECURITY_PROTOCOL') ?? 'PLAINTEXT').toUpperCase() as KafkaSecurityProtocol;
  if (!KAFKA_SECURITY_PROTOCOLS.includes(protocol)) {
    throw new UsageError(`KAFKA_SECURITY_PROTOCOL must be one of ${KAFKA_SECURITY_PROTOCOLS.join('|')}, got '${src.value('KAFKA_SECURITY_PROTOCOL')}'`);
  }
  const usesSasl = protocol.startsWith('SASL_');
  const usesTls = protocol.endsWith('SSL');
  const stray = [...(usesSasl ? [] : src.setAmong(SASL_VARS)), ...(usesTls ? [] : src.setAmong(TLS_VARS))];
  if (stray.length) throw new UsageError(`${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} set but KAFKA_SECURITY_PROTOCOL is ${protocol}, which does not use ${stray.length > 1 ? 'them' : 'it'} (SASL needs SASL_SSL or SASL_PLAINTEXT, TLS files SSL or SASL_SSL)`);
  const out: KafkaSecurity = { protocol };
  if (usesSasl) {
    const mechanism = (src.value('KAFKA_SASL_MECHANISM') ?? 'SCRAM-SHA-512').toUpperCase() as KafkaSaslMechanism;
    if (!KAFKA_SASL_MECHANISMS.includes(mechanism)) throw new UsageError(`KAFKA_SASL_MECHANISM must be one of ${KAFKA_SASL_MECHANISMS.join('|')}, got '${src.value('KAFKA_SASL_MECHANISM')}'`);
    const username = src.value('KAFKA_SASL_USERNAME');
    if (!username) throw new UsageError(`KAFKA_SASL_USERNAME must be set with KAFKA_SECURITY_PROTOCOL=${protocol}`);
    const password = src.secret('KAFKA_SASL_PASSWORD');
    if (!password) throw new UsageError(`KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) must be set with KAFKA_SECURITY_PROTOCOL=${protocol}`);
    out.sasl = { mechanism, username, password };
  }
  if (usesTls) {
    const tls: KafkaTls = {};
    const ca = pem(src, 'KAFKA_SSL_CA_FILE', 'certificate');
    const cert = pem(src, 'KAFKA_SSL_CERT_FILE', 'certificate');
    const key = pem(src, 'KAFKA_SSL_KEY_FILE', 'key');
    if ((cert === undefined) !== (key === undefined)) throw new UsageError(`${cert === undefined ? 'KAFKA_SSL_KEY_FILE is set without KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_CERT_FILE is set without KAFKA_SSL_KEY_FILE'}: a client certificate needs both`);
    const keyPassword = src.secret('KAFKA_SSL_KEY_PASSWORD');
    if (keyPassword !== undefined && key === undefined) throw new UsageError('KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY_FILE');
    const servername = src.value('KAFKA_SSL_SERVERNAME');
    Object.assign(tls, ca && { ca }, cert && { cert }, key && { key }, keyPassword && { keyPassword }, servername && { servername });
    out.tls = tls;
  }
  try {
    return validateKafkaSecurity(out);
  } catch (e) {
    // the checks above name the variables; this is the bus's own check, named by option
    if (e instanceof BusError) throw new UsageError(`Kafka security: ${e.message}`);
    throw e;
  }
}

function registryAuth(src: EnvSource): RegistryAuth {
  const username = src.value('SCHEMA_REGISTRY_USERNAME');
  const password = src.secret('SCHEMA_REGISTRY_PASSWORD');
  if ((username === undefined) !== (password === undefined)) {
    throw new UsageError(username === undefined ? 'SCHEMA_REGISTRY_PASSWORD is set without SCHEMA_REGISTRY_USERNAME' : 'SCHEMA_REGISTRY_USERNAME is set without SCHEMA_REGISTRY_PASSWORD (or _FILE)');
  }
  const url = src.value('SCHEMA_REGISTRY_URL');
  if (username !== undefined && url !== undefined && /^[a-z]+:\/\/[^/@]*@/i.test(url)) {
    throw new UsageError('SCHEMA_REGISTRY_URL carries credentials and SCHEMA_REGISTRY_USERNAME is set too: give them one way');
  }
  const ca = pem(src, 'SCHEMA_REGISTRY_CA_FILE', 'certificate');
  const out: RegistryAuth = {};
  if (username !== undefined && password !== undefined) out.basicAuth = { username, password };
  if (ca !== undefined) out.ca = ca;
  return out;
}

function clickhouseAuth(src: EnvSource): ClickHouseAuth {
  const out: ClickHouseAuth = {};
  const username = src.value('CLICKHOUSE_USER');
  const password = src.secret('CLICKHOUSE_PASSWORD');
  const url = src.value('CLICKHOUSE_URL');
  if ((username !== undefined || password !== undefined) && url !== undefined && /^[a-z]+:\/\/[^/@]*@/i.test(url)) {
    throw new UsageError('CLICKHOUSE_URL carries credentials and CLICKHOUSE_USER or CLICKHOUSE_PASSWORD is set too: give them one way');
  }
  if (password !== undefined && username === undefined) out.username = 'default';
  if (username !== undefined) out.username = username;
  if (password !== undefined) out.password = password;
  const ca = pem(src, 'CLICKHOUSE_CA_FILE', 'certificate');
  const cert = pem(src, 'CLICKHOUSE_CERT_FILE', 'certificate');
  const key = pem(src, 'CLICKHOUSE_KEY_FILE', 'key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('CLICKHOUSE_CERT_FILE and CLICKHOUSE_KEY_FILE go together: a client certificate needs both');
  if (cert !== undefined && ca === undefined) throw new UsageError('CLICKHOUSE_CERT_FILE needs CLICKHOUSE_CA_FILE too (the client library takes both together)');
  if ((ca !== undefined) && url !== undefined && !url.startsWith('https:')) throw new UsageError('CLICKHOUSE_CA_FILE is set but CLICKHOUSE_URL is not https:');
  Object.assign(out, ca && { ca }, cert && { cert }, key && { key });
  return out;
}

/** What a start-up log line says about the connections: protocols, users, which files are in use; no secret. */
export function securitySummary(s: ConnectionSecurity): Record<string, unknown> {
  return {
    kafka: { protocol: s.kafka.protocol, sasl: s.kafka.sasl && { mechanism: s.kafka.sasl.mechanism, username: s.kafka.sasl.username }, ca: Boolean(s.kafka.tls?.ca), clientCert: Boolean(s.kafka.tls?.cert) },
    registry: { username: s.registry.basicAuth?.username, ca: Boolean(s.registry.ca) },
    clickhouse: { username: s.clickhouse.username, ca: Boolean(s.clickhouse.ca), clientCert: Boolean(s.clickhouse.cert) },
  };
}
