/**
 * The shapes every service's /metrics is built from; what each service counts lives with the
 * service (services/<name>/src/metrics.ts).
 */
import type { Metric } from './ops.js';

export type Lag = { topic: string; partition: number; lag: number }[];

export const lagMetric = (lags: Lag): Metric => ({
  name: 'kanshi_consumer_lag', help: 'records not yet processed, per topic partition (a kanshi.events record can hold many events)', type: 'gauge',
  samples: lags.map((l) => ({ labels: { topic: l.topic, partition: l.partition }, value: l.lag })),
});
/**
 * Series one labelled counter may have. Its labels come from closed lists (reason codes, finding
 * kinds), but a label value an input chose (a forged finding's kind) must not add series without
 * end: past this many, the rest are counted under `other`.
 */
export const MAX_SERIES_PER_COUNTER = 64;

export const byLabel = (name: string, help: string, label: string, counts: Record<string, number>): Metric => {
  const entries = Object.entries(counts);
  const kept = entries.slice(0, MAX_SERIES_PER_COUNTER - 1);
  const rest = entries.slice(MAX_SERIES_PER_COUNTER - 1);
  if (rest.length === 1) kept.push(rest[0]);
  else if (rest.length > 1) kept.push(['other', rest.reduce((n, [, v]) => n + v, 0)]);
  return { name, help, type: 'counter', samples: kept.map(([k, v]) => ({ labels: { [label]: k }, value: v })) };
};
export const one = (name: string, help: string, type: Metric['type'], value: number): Metric => ({ name, help, type, samples: [{ value }] });

