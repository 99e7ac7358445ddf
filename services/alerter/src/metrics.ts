/** What the alerter shows on /metrics: findings in, alerts, holds and webhooks out, the breaker. */
import { byLabel, lagMetric, one, type Lag, type Metric } from '@kanshi/runtime';
import type { RunningAlerter } from './service.js';

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
