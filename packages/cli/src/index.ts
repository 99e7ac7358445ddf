/** The CLI's building blocks, for benchmarks and tools that drive them without a shell. */
export { defaultWorkers, runDetect, type DetectOptions, type DetectSummary } from './detect.js';
export { runBacktest, type BacktestOptions, type BacktestResult } from './backtest.js';
export { readLineBatches, readLines, type LineBatch } from './ndjson.js';
export { publishEvents, replayFile, type ReplayFiles, type ReplayResult } from './replay.js';
