import type { Finding, Hold, InputEvent } from '@kanshi/contract';
import { resolveDetectionConfig, type DetectionConfig, type DetectionOverrides } from './config.js';
import { DEFAULT_HOLD_POLICY, type HoldPolicyConfig } from './hold-policy.js';
import type { ReferenceData } from './reference.js';
import { AccountShard, ShardMerge, type StepRecord } from './shards.js';

export interface EngineOptions {
  detection?: DetectionOverrides;
  holdPolicy?: Partial<HoldPolicyConfig>;
  /** how late (event time) an event may arrive and still be put in order (ms) */
  maxLatenessMs?: number;
}

/** Engine options with every default filled in: one thread and N threads resolve them here alike. */
export interface ResolvedEngineOptions {
  detection: DetectionConfig;
  holdPolicy: HoldPolicyConfig;
  maxLatenessMs: number;
}

export function resolveEngineOptions(opts: EngineOptions = {}): ResolvedEngineOptions {
  return {
    detection: resolveDetectionConfig(opts.detection),
    holdPolicy: { ...DEFAULT_HOLD_POLICY, ...opts.holdPolicy },
    maxLatenessMs: opts.maxLatenessMs ?? 0,
  };
}

export interface EngineOutput {
  findings: Finding[];
  holds: Hold[];
}

export interface EngineStats {
  events: number;
  duplicates: number;
  late: number;
  accounts: number;
  thinSymbolsWatched: number;
  findings: number;
  holds: number;
}

/**
 * Both stages and the hold policy in one process: what `kanshi detect` and the embedded demo
 * run, as one account shard and its merge. The services run the same stages, split across Kafka
 * consumer groups; `kanshi detect --workers` splits the accounts across threads.
 */
export class DetectionEngine {
  readonly cfg: DetectionConfig;
  private readonly shard: AccountShard;
  private readonly merge: ShardMerge;
  private readonly records: StepRecord[] = [];

  constructor(ref: ReferenceData, opts: EngineOptions = {}) {
    const o = resolveEngineOptions(opts);
    this.cfg = o.detection;
    this.shard = new AccountShard(ref, o.detection, o.maxLatenessMs);
    this.merge = new ShardMerge(ref, o.detection, o.holdPolicy, 1);
  }

  /** Feed one validated event; returns what became known because of it (and of earlier held ones). */
  process(ev: InputEvent, out: EngineOutput = { findings: [], holds: [] }): EngineOutput {
    this.shard.push(ev, this.records);
    if (this.records.length) {
      this.merge.accept(0, this.records, this.shard.watermark, out);
      this.records.length = 0;
    }
    return out;
  }

  /** End of input: process everything still waiting for lateness. */
  flush(out: EngineOutput = { findings: [], holds: [] }): EngineOutput {
    this.shard.drain(this.records);
    this.merge.accept(0, this.records, this.shard.watermark, out);
    this.records.length = 0;
    this.merge.finish(out);
    return out;
  }

  stats(): EngineStats {
    return {
      events: this.shard.events,
      duplicates: this.shard.duplicates,
      late: this.shard.late,
      accounts: this.shard.accounts,
      thinSymbolsWatched: this.merge.symbolCount,
      findings: this.merge.findingCount,
      holds: this.merge.holdCount,
    };
  }
}
