/**
 * How Kanshi authenticates to a brokerage's Kafka: TLS (a CA to trust, a client certificate to
 * show) and SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), in the four `security.protocol`s the
 * Java client names. Validated once at start-up; the secrets stay in this object and never
 * reach a message.
 */
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { BusError } from './errors.js';

export const KAFKA_SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type KafkaSecurityProtocol = (typeof KAFKA_SECURITY_PROTOCOLS)[number];
export const KAFKA_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export interface KafkaTls {
  /** PEM of the CA(s) the broker's certificate must chain to; default the system's */
  ca?: string;
  /** PEM client certificate, for brokers that require one (`ssl.client.auth=required`) */
  cert?: string;
  /** PEM private key of `cert` */
  key?: string;
  /** passphrase of an encrypted `key` */
  keyPassword?: string;
  /** name to check the broker's certificate against, when it differs from the bootstrap host */
  servername?: string;
}

export interface KafkaSecurity {
  /** default `PLAINTEXT` */
  protocol: KafkaSecurityProtocol;
  /** SASL_PLAINTEXT and SASL_SSL only */
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
  /** SSL and SASL_SSL only */
  tls?: KafkaTls;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/**
 * The security options, checked; throws `BusError('invalid_config')` naming the option and
 * saying what is wrong, never what a secret is.
 */
export function validateKafkaSecurity(s: KafkaSecurity | undefined): KafkaSecurity {
  if (s === undefined) return { protocol: 'PLAINTEXT' };
  const bad = (option: string, why: string) => new BusError('invalid_config', `security.${option}: ${why}`);
  if (!KAFKA_SECURITY_PROTOCOLS.includes(s.protocol)) throw bad('protocol', `must be one of ${KAFKA_SECURITY_PROTOCOLS.join('|')}`);
  const usesSasl = s.protocol.startsWith('SASL_');
  const usesTls = s.protocol.endsWith('SSL');
  if (usesSasl && !s.sasl) throw bad('sasl', `${s.protocol} needs a SASL mechanism, username and password`);
  if (!usesSasl && s.sasl) throw bad('sasl', `SASL credentials are given but the protocol is ${s.protocol}; use SASL_SSL (or SASL_PLAINTEXT)`);
  if (!usesTls && s.tls) throw bad('tls', `TLS options are given but the protocol is ${s.protocol}; use SSL or SASL_SSL`);
  if (s.sasl) {
    if (!KAFKA_SASL_MECHANISMS.includes(s.sasl.mechanism)) throw bad('sasl.mechanism', `must be one of ${KAFKA_SASL_MECHANISMS.join('|')}`);
    if (typeof s.sasl.username !== 'string' || s.sasl.username === '') throw bad('sasl.username', 'is empty');
    if (typeof s.sasl.password !== 'string' || s.sasl.password === '') throw bad('sasl.password', 'is empty');
  }
  const t = s.tls;
  if (t) {
    if (t.ca !== undefined && !PEM_CERT.test(t.ca)) throw bad('tls.ca', 'is not a PEM certificate (-----BEGIN CERTIFICATE-----)');
    if (t.cert !== undefined && !PEM_CERT.test(t.cert)) throw bad('tls.cert', 'is not a PEM certificate (-----BEGIN CERTIFICATE-----)');
    if (t.key !== undefined && !PEM_KEY.test(t.key)) throw bad('tls.key', 'is not a PEM private key (-----BEGIN … PRIVATE KEY-----)');
    if ((t.cert === undefined) !== (t.key === undefined)) throw bad(t.cert === undefined ? 'tls.cert' : 'tls.key', 'a client certificate needs both the certificate and its key');
    if (t.keyPassword !== undefined && t.key === undefined) throw bad('tls.keyPassword', 'is given without a key');
  }
  return { protocol: s.protocol, sasl: s.sasl && { ...s.sasl }, tls: t && { ...t } };
}

/** The part of kafkajs's config that carries the security options. */
export function kafkajsSecurity(s: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (s.protocol.endsWith('SSL')) {
    const t = s.tls ?? {};
    const tls: ConnectionOptions = { rejectUnauthorized: true };
    if (t.ca) tls.ca = [t.ca];
    if (t.cert) tls.cert = t.cert;
    if (t.key) tls.key = t.key;
    if (t.keyPassword) tls.passphrase = t.keyPassword;
    if (t.servername) tls.servername = t.servername;
    out.ssl = tls;
  }
  if (s.sasl) {
    const mechanism = s.sasl.mechanism.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512';
    out.sasl = { mechanism, username: s.sasl.username, password: s.sasl.password } as SASLOptions;
  }
  return out;
}
