/** What the detector shows on /metrics: throughput, findings, what waits for ordering, lag. */
import { byLabel, lagMetric, one, RateGauge, type Lag, type Metric } from '@kanshi/runtime';
import type { EndOffsets } from '@kanshi/bus';
import type { RunningDetector } from './service.js';

export function detectorMetrics(r: RunningDetector, ends: EndOffsets, accounts?: { readonly count: number; readonly partitions: number[] }) {
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
      ...(accounts ? [
        one('kanshi_reference_accounts', 'account snapshots held: those of the stage-1 partitions this instance owns', 'gauge', accounts.count),
        one('kanshi_reference_account_partitions', 'stage-1 partitions whose account snapshots are held', 'gauge', accounts.partitions.length),
      ] : []),
      ...(s.checkpoints ? [
        one('kanshi_checkpoints_written_total', 'partition snapshots written to kanshi.detector-changelog', 'counter', s.checkpoints.writes),
        one('kanshi_checkpoint_bytes_total', 'bytes of the snapshots written', 'counter', s.checkpoints.writtenBytes),
        one('kanshi_checkpoints_restored_total', 'partitions restored from a snapshot instead of rebuilt from the log', 'counter', s.checkpoints.restored),
        one('kanshi_checkpoints_refused_total', 'partitions whose snapshots were refused (corrupt, truncated, another layout or config): rebuilt', 'counter', s.checkpoints.refused),
      ] : []),
    ];
  };
}
