/** What ingest shows on /metrics: the figures an operator watches at the market open. */
import { byLabel, lagMetric, one, RateGauge, type Lag, type Metric } from '@kanshi/runtime';
import type { RunningIngest } from './service.js';

export function ingestMetrics(r: RunningIngest, lag: () => Promise<Lag>) {
  const rate = new RateGauge();
  return async (): Promise<Metric[]> => [
    one('kanshi_events_total', 'valid events accepted', 'counter', r.stats.accepted),
    one('kanshi_events_per_second', 'valid events accepted per second, last minute', 'gauge', rate.rate(r.stats.accepted)),
    one('kanshi_duplicates_total', 'events dropped as duplicates', 'counter', r.stats.duplicates),
    byLabel('kanshi_rejects_total', 'inputs rejected, by reason', 'reason', r.stats.rejectsByReason),
    lagMetric(await lag()),
  ];
}
