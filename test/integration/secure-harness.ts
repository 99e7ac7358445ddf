/**
 * What the secure-connection test stands on: the SASL_SSL broker of infra/local/secure-kafka.sh
 * (started here, stopped by the test), and TLS fronts for the shared registry and ClickHouse that
 * demand credentials, so every connection a service opens is authenticated and encrypted with
 * the CA the broker script made.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { KafkaSecurity } from '@kanshi/bus';
import { REPO } from './pipeline-harness.js';
import { withTimeout } from './harness.js';

const HOME = process.env.KANSHI_HOME ?? path.join(os.homedir(), '.kanshi');
export const SECURE_KAFKA_DIR = path.join(HOME, 'secure-kafka');
/** a cold start makes certificates and formats the log dir: a JVM start or two */
const SCRIPT_TIMEOUT_MS = 240_000;

export interface SecureKafka {
  /** the variables a service needs (client.env), the password as a file */
  env: Record<string, string>;
  brokers: string[];
  security: KafkaSecurity;
  ca: string;
  /** the broker's certificate and key, reused by the TLS fronts (it names 127.0.0.1) */
  serverCert: string;
  serverKey: string;
  /** every secret the broker setup has, for the leak check */
  secrets: string[];
}

function script(verb: 'up' | 'down'): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('bash', [path.join(REPO, 'infra/local/secure-kafka.sh'), verb], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, KANSHI_HOME: HOME } });
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      reject(new Error(`infra/local/secure-kafka.sh ${verb} took over ${SCRIPT_TIMEOUT_MS / 1000} s; its messages are above, the broker's log is in ${SECURE_KAFKA_DIR}/logs`));
    }, SCRIPT_TIMEOUT_MS);
    c.once('error', (e) => { clearTimeout(timer); reject(e); });
    c.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`infra/local/secure-kafka.sh ${verb} exited ${code}; its messages are above`));
    });
  });
}

/** Starts the SASL_SSL broker (idempotent) and reads what a client needs. */
export async function startSecureKafka(): Promise<SecureKafka> {
  await script('up');
  const env = Object.fromEntries(readFileSync(path.join(SECURE_KAFKA_DIR, 'client.env'), 'utf8').split('\n').filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
  const file = (p: string) => readFileSync(p, 'utf8');
  const password = file(env.KAFKA_SASL_PASSWORD_FILE).trim();
  const tls = path.join(SECURE_KAFKA_DIR, 'tls');
  const secretsDir = path.join(SECURE_KAFKA_DIR, 'secrets');
  return {
    env,
    brokers: env.KAFKA_BROKERS.split(','),
    security: {
      protocol: 'SASL_SSL',
      sasl: { mechanism: 'SCRAM-SHA-512', username: env.KAFKA_SASL_USERNAME, password },
      tls: { ca: file(env.KAFKA_SSL_CA_FILE), cert: file(env.KAFKA_SSL_CERT_FILE), key: file(env.KAFKA_SSL_KEY_FILE) },
    },
    ca: file(env.KAFKA_SSL_CA_FILE),
    serverCert: file(path.join(tls, 'broker.pem')),
    serverKey: file(path.join(tls, 'broker.key')),
    secrets: ['admin', 'kanshi', 'store'].map((n) => file(path.join(secretsDir, n)).trim()),
  };
}

export function stopSecureKafka(): Promise<void> {
  return withTimeout(script('down'), SCRIPT_TIMEOUT_MS + 5_000, 'the secure broker to stop');
}

export interface TlsFront {
  url: string;
  /** requests passed on / refused for lacking the right credentials */
  passed: number;
  refused: number;
  close(): Promise<void>;
}

/**
 * An https front for a plain-http service on this host that lets a request through only with
 * the given user and password, as HTTP basic auth or as ClickHouse's X-ClickHouse-User/Key
 * headers (what @clickhouse/client sends over TLS), and passes it on without them.
 */
export async function tlsFront(o: { target: string; cert: string; key: string; username: string; password: string }): Promise<TlsFront> {
  const target = new URL(o.target);
  const want = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`;
  const front: TlsFront = { url: '', passed: 0, refused: 0, close: async () => undefined };
  const srv = https.createServer({ cert: o.cert, key: o.key }, (req, res) => {
    const h = req.headers;
    const ok = h.authorization === want || (h['x-clickhouse-user'] === o.username && h['x-clickhouse-key'] === o.password);
    if (!ok) {
      front.refused++;
      req.resume();
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="kanshi-test"' }).end('credentials required');
      return;
    }
    front.passed++;
    const headers: http.OutgoingHttpHeaders = { ...h, host: target.host };
    delete headers.authorization;
    delete headers['x-clickhouse-user'];
    delete headers['x-clickhouse-key'];
    delete headers['x-clickhouse-ssl-certificate-auth'];
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => { if (!res.headersSent) res.writeHead(502); res.end(String(e)); });
    req.pipe(up);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  front.url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  front.close = () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); });
  return front;
}
