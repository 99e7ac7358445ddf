/**
 * What the three services share between start and stop: the connection to the bus once the
 * deployment's topics are known to exist, the store (waited for), health and the ops server,
 * the stop sequence, and how a failure becomes an exit code. Each service's main.ts strings
 * these together; none of it reads the environment (the config object is built in main).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { AvroSerde, createKafka, KafkaBus, requireTopics, topicTable, untilDone } from '@kanshi/bus';
import { describeError, redactText } from '@kanshi/contract';
import { openStore, type Store } from '@kanshi/store';
import { loadConfig, type ConfigOf } from './config.js';
import { securitySummary, type ConnectionSecurity } from './connection-config.js';
import { serviceLogger } from './log.js';
import { ServiceHealth } from './health.js';
import { startOpsServer, type Metric, type OpsServer } from './ops.js';
import { UsageError } from './usage.js';

interface BusConfig {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  topicPrefix: string;
  security: ConnectionSecurity;
}

/**
 * The bus of a service or tool, once the deployment's topics are known to exist (a
 * `topic_missing` BusError names them and `kanshi topics create` otherwise). With `health`,
 * consumer crashes are logged through it and its readiness follows the bus's consumers.
 */
export async function connect(cfg: BusConfig, clientId: string, health?: ServiceHealth): Promise<KafkaBus> {
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId, logLevel: 'error', security: cfg.security.kafka });
  const serde = await AvroSerde.create({ registryUrl: cfg.schemaRegistryUrl, topics: topicTable(cfg.topicPrefix), ...cfg.security.registry });
  await requireTopics(kafka, cfg.topicPrefix, cfg.kafkaBrokers);
  const bus = new KafkaBus({ kafka, serde, onConsumerCrash: health ? (c) => health.consumerCrashed(c) : undefined });
  health?.watchConsumers(() => bus.consumerHealth());
  return bus;
}

/** A service's health: process-level handlers from the start, the watchdog once it runs. */
export function serviceHealth(cfg: { stallMs: number; unreadyExitMs: number }, log: Logger): ServiceHealth {
  const health = new ServiceHealth({ log, stallMs: cfg.stallMs, exitAfterMs: cfg.unreadyExitMs });
  health.installProcessHandlers();
  return health;
}

/** How long a service waits at start-up for a ClickHouse that does not answer yet. */
const STORE_STARTUP_WAIT_MS = 5 * 60_000;

/**
 * The service's store, migrated; null without CLICKHOUSE_URL. A server that does not answer yet
 * (both started together, or a restart during an outage) is waited for, up to five minutes.
 */
export async function openServiceStore(cfg: { clickhouseUrl: string | null; clickhouseDatabase: string; security: ConnectionSecurity }, log: Logger): Promise<Store | null> {
  const url = cfg.clickhouseUrl;
  if (!url) return null;
  const deadline = Date.now() + STORE_STARTUP_WAIT_MS;
  return untilDone('open ClickHouse', async () => {
    const store = await openStore({ url, database: cfg.clickhouseDatabase, ...cfg.security.clickhouse });
    try {
      const m = await store.migrate();
      log.info({ applied: m.applied }, 'ClickHouse migrated');
      return store;
    } catch (e) {
      await store.close();
      throw e;
    }
  }, { log, abandon: () => Date.now() > deadline });
}

/**
 * /livez, /readyz (and /healthz), /metrics on the configured host and port, with the two
 * figures every service has (consumer crashes, readiness) after its own; the watchdog starts
 * with it, once the service runs.
 */
export async function opsServer(cfg: { opsHost: string; opsPort: number }, metrics: () => Promise<Metric[]>, log: Logger, health: ServiceHealth, bus: KafkaBus): Promise<OpsServer> {
  process.once('SIGTERM', () => health.stop());
  const all = async (): Promise<Metric[]> => [
    ...await metrics(),
    { name: 'kanshi_consumer_crashes_total', help: 'consumer crashes (kafkajs restarts some, gives up on others)', type: 'counter', samples: [{ value: bus.consumerCrashes }] },
    { name: 'kanshi_ready', help: '1 while /readyz answers 200', type: 'gauge', samples: [{ value: health.readiness().ok ? 1 : 0 }] },
  ];
  const srv = await startOpsServer({ host: cfg.opsHost, port: cfg.opsPort }, all, () => health.readiness());
  health.startWatchdog();
  log.info({ port: srv.port }, 'serving /livez, /readyz, /healthz and /metrics');
  return srv;
}

/** How long a service may take to stop once signalled before it exits anyway. */
export const STOP_TIMEOUT_MS = 20_000;

/**
 * Resolves on SIGTERM or SIGINT, once. From then on the service has stopTimeoutMs to stop
 * cleanly: a kafkajs consumer caught restarting after a broker outage can hang its disconnect,
 * and a stop that never ends is worse than a SIGKILL, which loses nothing (offsets move only after
 * the writes). A second signal exits at once.
 */
export function untilSignal(log?: Pick<Logger, 'error'>, stopTimeoutMs = STOP_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve) => {
    let signalled = false;
    const on = (sig: NodeJS.Signals) => {
      if (signalled) process.exit(1);
      signalled = true;
      setTimeout(() => {
        log?.error({ timeoutMs: stopTimeoutMs }, 'did not stop in time; exiting without the rest of the clean stop');
        process.exit(1);
      }, stopTimeoutMs).unref();
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** One step of a stop: what it closes, and how. Null steps (an optional store) are skipped. */
export type Closer = readonly [what: string, close: () => Promise<unknown>] | null | undefined | false;

/**
 * Closes in the order given (the work first, so its last batch commits, then what it wrote
 * through, the bus last): each step waits for the one before. A step that fails is logged and
 * the rest still run, so one stuck client does not keep the others open; the exit code is 1 then.
 */
export async function stopInOrder(log: Pick<Logger, 'error'>, steps: Closer[]): Promise<number> {
  let code = 0;
  for (const step of steps) {
    if (!step) continue;
    try {
      await step[1]();
    } catch (e) {
      code = 1;
      log.error({ err: { name: (e as Error).name, message: (e as Error).message }, step: step[0] }, 'failed to stop cleanly');
    }
  }
  return code;
}

const STARTUP_ERRORS = ['BusError', 'StoreUnavailable', 'StoreConfigError', 'AuditJournalError'];

/**
 * How a failure of `command` is told on stderr and the exit code it gives; null for a failure
 * the caller knows better. A bad setting is a UsageError, exit 2; a service that cannot start
 * says why in one line with its code, exit 1, no stack trace and no secret.
 */
export function failureExit(command: string, e: unknown): number | null {
  if (e instanceof UsageError || (e as Error | undefined)?.name === 'UsageError' || (e as { code?: string } | undefined)?.code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${command}: ${(e as Error).message} (see '${command} --help')`);
    return 2;
  }
  if (STARTUP_ERRORS.includes((e as Error | undefined)?.name ?? '')) {
    const code = (e as { code?: string }).code;
    console.error(`${command}: ${code ? `[${code}] ` : ''}${redactText((e as Error).message)}`);
    return 1;
  }
  return null;
}

/** `command`'s exit code for any failure: the known ones in one line, the rest with a redacted stack. */
export function exitCodeOf(command: string, e: unknown): number {
  const known = failureExit(command, e);
  if (known !== null) return known;
  // not console.error(e): inspecting an error prints its causes' every field, an HTTP
  // client's request headers (Authorization) among them
  console.error(`${command}: ${describeError(e, { stack: true })}`);
  return 1;
}

/** Runs `main` when `moduleUrl` is the script node was started with (`node services/x/dist/main.js`). */
export function runIfMain(moduleUrl: string, main: (argv: string[], env: NodeJS.ProcessEnv) => Promise<number>): void {
  const script = process.argv[1];
  if (!script || pathToFileURL(script).href !== moduleUrl) return;
  main(process.argv.slice(2), process.env).then(settleExit, (e) => settleExit(exitCodeOf('kanshi', e)));
}

/** How long a failed command may take to end by itself before it is made to. */
const FAILED_EXIT_GRACE_MS = 2_000;

/**
 * The process's exit once its command has returned `code`. A failure exits even if something
 * still holds the event loop: a service whose start failed half-way (a subscription refused
 * after others were running) would otherwise stay up, consuming, with its failure printed and
 * no supervisor told. A success ends when its last handle closes, as before.
 */
export function settleExit(code: number): void {
  process.exitCode = code;
  if (code !== 0) setTimeout(() => process.exit(code), FAILED_EXIT_GRACE_MS).unref();
}

type ServiceName = 'ingest' | 'detector' | 'alerter' | 'desk';

/** What a service's wiring starts from: its config, its logger, its health. */
export interface ServiceStart<C> {
  cfg: C;
  log: Logger;
  health: ServiceHealth;
}

/**
 * A service's `main(argv, env)`: `--help`, then its config from the table (and `more`, what the
 * service reads beyond it, e.g. the alerter's webhook receivers), checked before anything is
 * connected; then `wire`, which owns the service's connections, signals and stop sequence. A
 * failure anywhere is one line and its exit code (2 for a bad setting).
 */
export function serviceMain<P extends ServiceName, X extends object = object>(
  name: P,
  help: string,
  wire: (s: ServiceStart<ConfigOf<P> & X>) => Promise<number>,
  more: (env: NodeJS.ProcessEnv) => X = () => ({}) as X,
): (argv: string[], env: NodeJS.ProcessEnv) => Promise<number> {
  return async (argv, env) => {
    try {
      const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', default: false } } });
      if (values.help) {
        console.log(help);
        return 0;
      }
      const table = loadConfig(name, env);
      // what every service reads, whichever P is (TypeScript does not resolve the table's keys for an open P)
      const common = table as unknown as { logLevel: string; stallMs?: number; unreadyExitMs?: number; security: ConnectionSecurity };
      const cfg = { ...table, ...more(env) };
      const log = serviceLogger(`kanshi-${name}`, common.logLevel);
      // the table's part only: what `more` reads may hold secrets of its own
      log.info({ config: { ...table, security: securitySummary(common.security) } }, 'starting');
      // the desk has no consumers to stall: the services' defaults stand in for it
      const health = serviceHealth({ stallMs: common.stallMs ?? 60_000, unreadyExitMs: common.unreadyExitMs ?? 120_000 }, log);
      return await wire({ cfg, log, health });
    } catch (e) {
      return exitCodeOf(`kanshi ${name}`, e);
    }
  };
}
