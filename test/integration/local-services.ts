/**
 * Stopping and starting the project's own local services, for the outage tests. Only when the
 * endpoints in use are the ones infra/local/up.sh started: given endpoints and containers belong
 * to someone else, and those tests then say why they are skipped.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './pipeline-harness.js';
import type { IntegrationEndpoints } from './harness.js';

export type LocalService = 'kafka' | 'clickhouse';

export interface LocalServices {
  stop(s: LocalService): Promise<void>;
  start(s: LocalService): Promise<void>;
}

/** Control of the local services, or the reason there is none. */
export function localServices(ep: IntegrationEndpoints): LocalServices | string {
  const home = process.env.KANSHI_HOME ?? path.join(os.homedir(), '.kanshi');
  const file = path.join(home, 'endpoints.env');
  if (!existsSync(file)) return `no ${file}: the services are not the project's local ones`;
  const env = Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
  if (env.KAFKA_BROKERS !== ep.kafkaBrokers.join(',') || env.CLICKHOUSE_URL !== ep.clickhouseUrl) {
    return 'the endpoints in use are not the ones infra/local/up.sh started; stopping them is not this test\'s to do';
  }
  const script = (s: LocalService, verb: 'up' | 'down') => new Promise<void>((resolve, reject) => {
    const c = spawn('bash', [path.join(REPO, 'infra/local', `${s}.sh`), verb], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
    const timer = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`infra/local/${s}.sh ${verb} took over 180 s`)); }, 180_000);
    c.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`infra/local/${s}.sh ${verb} exited ${code}`));
    });
  });
  return { stop: (s) => script(s, 'down'), start: (s) => script(s, 'up') };
}
