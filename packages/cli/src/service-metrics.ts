/** What each service shows on /metrics: the figures an operator watches at the market open. */
import type { RunningAlerter } from '@kanshi/alerter';
import type { RunningDetector } from '@kanshi/detector';
import type { RunningIngest } from '@kanshi/ingest';
import type { Metric } from './ops.js';
import { RateGauge } from './ops.js';

type Lag = { topic: string; partition: number; lag: number }[];

const lagMetric = (lags: Lag): Metric => ({
  name: 'kanshi_consumer_lag', help: 'records not yet processed, per topic partition (a kanshi.events record can hold many events)', type: 'gauge',
  samples: lags.map((l) => ({ labels: { topic: l.topic, partition: l.partition }, value: l.lag })),
});
/**
 * Series one labelled counter may have. Its labels come from closed lists (reason codes, finding
 * kinds), but a label value an input chose (a forged finding's kind) must not add series without
 * end: past this many, the rest are counted under `other`.
 */
export const MAX_SERIES_PER_COUNTER = 64;

const byLabel = (name: string, help: string, label: string, counts: Record<string, number>): Metric => {
  const entries = Object.entries(counts);
  const kept = entries.slice(0, MAX_SERIES_PER_COUNTER - 1);
  const rest = entries.slice(MAX_SERIES_PER_COUNTER - 1);
  if (rest.length === 1) kept.push(rest[0]);
  else if (rest.length > 1) kept.push(['other', rest.reduce((n, [, v]) => n + v, 0)]);
  return { name, help, type: 'counter', samples: kept.map(([k, v]) => ({ labels: { [label]: k }, value: v })) };
};
const one = (name: string, help: string, type: Metric['type'], value: number): Metric => ({ name, help, type, samples: [{ value }] });

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

export function detectorMetrics(r: RunningDetector, ends: (topic: string) => Promise<Map<number, bigint>>) {
  const rate = new RateGauge();
  return async (): Promise<Metric[]> => {
    const s = r.stats();
    const lags: Lag = [];
    const endsByTopic = new Map<string, Map<number, bigint>>();
    for (const p of r.positions()) {
      if (!endsByTopic.has(p.topic)) endsByTopic.set(p.topic, await ends(p.topic));
      const end = endsByTopic.get(p.topic)!.get(p.partition) ?? p.next;
      lags.push({ topic: p.topic, partition: p.partition, lag: Number(end > p.next ? end - p.next : 0n) });
    }
    return [
      one('kanshi_events_total', 'events processed by stage 1', 'counter', s.events),
      one('kanshi_events_per_second', 'events processed per second, last minute', 'gauge', rate.rate(s.events)),
      byLabel('kanshi_findings_total', 'findings (revisions) emitted, by kind', 'kind', s.findingsByKind),
      one('kanshi_pending_events', 'events held for ordering', 'gauge', s.pendingEvents),
      one('kanshi_pending_signals', 'trade signals held for ordering', 'gauge', s.pendingSignals),
      lagMetric(lags),
    ];
  };
}

export function alerterMetrics(r: RunningAlerter, lag: () => Promise<Lag>) {
  return async (): Promise<Metric[]> => {
    const s = r.stats();
    return [
      byLabel('kanshi_findings_total', 'new finding revisions received, by kind', 'kind', s.findingsByKind),
      one('kanshi_findings_rejected_total', 'findings refused (not Avro, or not the contract) and dead-lettered', 'counter', s.rejected),
      one('kanshi_alerts_total', 'alerts published', 'counter', s.alerts),
      one('kanshi_holds_total', 'hold commands published', 'counter', s.holds),
      one('kanshi_circuit_breaker_open', '1 while the hold circuit breaker is open', 'gauge', s.breakerOpen ? 1 : 0),
      one('kanshi_webhook_deliveries_total', 'webhook deliveries that succeeded', 'counter', s.webhooksDelivered),
      one('kanshi_webhook_failures_total', 'webhook deliveries given up', 'counter', s.webhooksFailed),
      lagMetric(await lag()),
    ];
  };
}
