/** @kanshi/detector: the detection stages as Kafka consumer groups. */
export { AccountTask, SymbolTask, type SymbolMessage } from './tasks.js';
export { startDetector, type AccountSource, type DetectorOptions, type RunningDetector, type DetectorLog } from './service.js';
export { PartitionedAccounts, type AccountsOptions } from './accounts.js';
export { loadReference, type EndOffsets, type LoadedReference } from './reference.js';
export { followLists, type FollowedLists } from './lists.js';
