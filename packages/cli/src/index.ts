/** The CLI's building blocks, for benchmarks and tools that drive them without a shell. */
export { defaultWorkers, runDetect, type DetectOptions, type DetectSummary } from './detect.js';
export { readLineBatches, readLines, type LineBatch } from './ndjson.js';
export { publishEvents, replayFile, type ReplayFiles, type ReplayResult } from './replay.js';
