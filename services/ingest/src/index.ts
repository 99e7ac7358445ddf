/** @kanshi/ingest: validate, de-duplicate, archive and reject the brokerage's raw streams. */
export { Ingestor, type RawRecord, type IngestDecision, type IngestStats, type IngestorOptions } from './ingest.js';
export { startIngest, type IngestServiceOptions, type RunningIngest, type DeadLetter, type IngestLog } from './service.js';
