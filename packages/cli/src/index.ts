/** The CLI's building blocks, for benchmarks and tools that drive them without a shell. */
export { defaultWorkers, runDetect, type DetectOptions, type DetectSummary } from './detect.js';
export { readLineBatches, readLines, type LineBatch } from './ndjson.js';
export { publishEvents, replayFile, serviceConfig, type ReplayFiles, type ReplayResult, type ServiceConfig } from './services.js';
export { kafkaAdminHelpers } from './kafka-admin.js';
export { ServiceHealth, type ServiceHealthOptions, type Readiness } from './health.js';
export { startOpsServer, type Metric, type OpsServer } from './ops.js';
