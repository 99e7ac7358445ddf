/**
 * Stopping and starting the project's own local services, for the outage tests. Only when the
 * endpoints in use are the ones infra/local/up.sh started: given endpoints and containers belong
 * to someone else, and those tests then say loudly why they are skipped.
 *
 * A stop is proved, not assumed: the script must have found the process running and seen it
 * exit (KANSHI_STOP_STRICT=1: "not running" is a failure), and the endpoint must refuse
 * connections afterwards; a start must leave it answering.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './pipeline-harness.js';
import type { IntegrationEndpoints } from './harness.js';

export type LocalService = 'kafka' | 'clickhouse';

export interface LocalServices {
  stop(s: LocalService): Promise<void>;
  start(s: LocalService): Promise<void>;
  /** whether the service's endpoint answers now: the broker accepts a TCP connection, ClickHouse says Ok. to /ping */
  answers(s: LocalService): Promise<boolean>;
}

/** Control of the local services, or the reason there is none. */
export function localServices(ep: IntegrationEndpoints): LocalServices | string {
  const home = process.env.KANSHI_HOME ?? path.join(os.homedir(), '.kanshi');
  const file = path.join(home, 'endpoints.env');
  if (!existsSync(file)) return `no ${file}: the services are not the project's local ones (Docker, or endpoints given)`;
  const env = Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
  if (env.KAFKA_BROKERS !== ep.kafkaBrokers.join(',') || env.CLICKHOUSE_URL !== ep.clickhouseUrl) {
    return `the endpoints in use (${ep.kafkaBrokers.join(',')}, ${ep.clickhouseUrl}) are not the ones infra/local/up.sh started (${file}); stopping them is not this test's to do`;
  }
  const script = (s: LocalService, verb: 'up' | 'down') => new Promise<void>((resolve, reject) => {
    const c = spawn('bash', [path.join(REPO, 'infra/local', `${s}.sh`), verb], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, KANSHI_HOME: home, KANSHI_STOP_STRICT: '1' } });
    const timer = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`infra/local/${s}.sh ${verb} took over 180 s`)); }, 180_000);
    c.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`infra/local/${s}.sh ${verb} exited ${code}${code === 3 ? ': it was not running, so nothing was stopped' : ''}`));
    });
  });
  const answers = (s: LocalService) => (s === 'kafka' ? tcpAccepts(ep.kafkaBrokers[0]) : clickhousePings(ep.clickhouseUrl));
  return {
    answers,
    async stop(s) {
      if (!(await answers(s))) throw new Error(`${s} did not answer before it was stopped: no outage can be proved`);
      await script(s, 'down');
      if (await answers(s)) throw new Error(`${s} still answers after infra/local/${s}.sh down: the outage did not happen`);
    },
    async start(s) {
      await script(s, 'up');
      if (!(await answers(s))) throw new Error(`${s} does not answer after infra/local/${s}.sh up`);
    },
  };
}

function tcpAccepts(hostPort: string, timeoutMs = 2_000): Promise<boolean> {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve) => {
    const sock = net.connect({ host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) });
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

async function clickhousePings(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const r = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    return r.ok && (await r.text()).trim() === 'Ok.';
  } catch {
    return false;
  }
}
