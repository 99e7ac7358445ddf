// The endpoints a Kafka bench runs against: the environment first, then ~/.kanshi/endpoints.env
// (npm run infra:up writes it). Without Kafka a bench prints why it skipped, for run.mjs, and exits 0.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function kafkaEnvOrSkip() {
  const env = { ...process.env };
  const file = path.join(env.KANSHI_HOME ?? path.join(os.homedir(), '.kanshi'), 'endpoints.env');
  if (existsSync(file)) for (const m of readFileSync(file, 'utf8').matchAll(/^([A-Z_]+)=(.*)$/gm)) env[m[1]] ??= m[2];
  if (!env.KAFKA_BROKERS || !env.SCHEMA_REGISTRY_URL) {
    console.log(JSON.stringify({ skipped: 'no Kafka: set KAFKA_BROKERS and SCHEMA_REGISTRY_URL or run npm run infra:up' }));
    process.exit(0);
  }
  return env;
}
