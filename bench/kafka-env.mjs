// The endpoints a bench runs against: the environment first, then ~/.kanshi/endpoints.env
// (npm run infra:up writes it). Without them a bench prints why it skipped, for run.mjs, and exits 0.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function endpointsEnv() {
  const env = { ...process.env };
  const file = path.join(env.KANSHI_HOME ?? path.join(os.homedir(), '.kanshi'), 'endpoints.env');
  if (existsSync(file)) for (const m of readFileSync(file, 'utf8').matchAll(/^([A-Z_]+)=(.*)$/gm)) env[m[1]] ??= m[2];
  return env;
}

export function kafkaEnvOrSkip() {
  const env = endpointsEnv();
  if (!env.KAFKA_BROKERS || !env.SCHEMA_REGISTRY_URL) {
    console.log(JSON.stringify({ skipped: 'no Kafka: set KAFKA_BROKERS and SCHEMA_REGISTRY_URL or run npm run infra:up' }));
    process.exit(0);
  }
  return env;
}

/** The ClickHouse server's URL, or the bench skips. */
export function clickhouseUrlOrSkip() {
  const url = endpointsEnv().CLICKHOUSE_URL;
  if (!url) {
    console.log(JSON.stringify({ skipped: 'no ClickHouse: set CLICKHOUSE_URL or run npm run infra:up' }));
    process.exit(0);
  }
  return url;
}
