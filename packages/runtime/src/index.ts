/**
 * @kanshi/runtime: what the three services share, once: the config table and its loader, the
 * logger, health and the ops server, connecting to the bus and the store, and the stop sequence.
 */
export { UsageError } from './usage.js';
export { configTableMarkdown, defaultCell, loadConfig, readersCell, optionsOf, HOLD_MODES, OPS_PORTS, OPTIONS, type ConfigOf, type OptionSpec, type ProcessName } from './config.js';
export { connectionSecurity, envSecret, securitySummary, type ClickHouseAuth, type ConnectionSecurity, type RegistryAuth } from './connection-config.js';
export { serviceLogger } from './log.js';
export { ServiceHealth, type HealthLog, type Readiness, type ServiceHealthOptions } from './health.js';
export { prometheusText, RateGauge, startOpsServer, type Metric, type OpsServer } from './ops.js';
export { byLabel, lagMetric, one, MAX_SERIES_PER_COUNTER, type Lag } from './metrics.js';
export { connect, exitCodeOf, failureExit, openServiceStore, opsServer, runIfMain, serviceHealth, serviceMain, settleExit, stopInOrder, untilSignal, STOP_TIMEOUT_MS, type Closer, type ServiceStart } from './service.js';
