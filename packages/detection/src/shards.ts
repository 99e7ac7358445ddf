import type { Finding, InputEvent } from '@kanshi/contract';
import { AccountStage, type StageOutput } from './account-stage.js';
import type { DetectionConfig } from './config.js';
import { EventIdDeduper } from './dedupe.js';
import { hash32 } from './ids.js';
import { WatermarkMerge } from './heap.js';
import type { EngineOutput } from './engine.js';
import { HoldPolicy, type HoldPolicyConfig } from './hold-policy.js';
import type { ReferenceData } from './reference.js';
import { EventTimeReorderBuffer } from './reorder.js';
import { SymbolStage } from './symbol-stage.js';
import type { TradeSignal } from './signals.js';

/**
 * What stage 1 made of one event, when it made anything: its findings and its trades for stage 2.
 * Events that yield neither (nearly all) leave no record, so shards have little to hand over.
 */
export interface StepRecord {
  ts: number;
  eventId: string;
  findings: Finding[];
  trades: TradeSignal[];
}

/** Which of `shards` owns an account: every event of an account must meet its state. */
export function shardOf(accountId: string, shards: number): number {
  return hash32(accountId) % shards;
}

/**
 * Stage 1 over the accounts of one shard: de-duplication, event-time order within the lateness
 * allowance, and the account stage. Several shards over disjoint accounts, merged by
 * {@link ShardMerge}, find what one shard over all accounts finds, as long as no event is later
 * than the allowance (a late event is taken at once, so its place depends on its shard's pace).
 */
export class AccountShard {
  private readonly stage: AccountStage;
  private readonly dedupe: EventIdDeduper;
  private readonly reorder: EventTimeReorderBuffer<InputEvent>;
  private readonly scratch: StageOutput = { findings: [], trades: [] };
  /** where the records of the call in progress go */
  private records: StepRecord[] = [];
  private readonly step = (ev: InputEvent) => this.stepInto(ev, this.records);
  events = 0;
  duplicates = 0;

  constructor(ref: ReferenceData, cfg: DetectionConfig, latenessMs: number) {
    this.stage = new AccountStage(ref, cfg);
    this.dedupe = new EventIdDeduper(cfg.dedupeWindowMs);
    this.reorder = new EventTimeReorderBuffer<InputEvent>(latenessMs, (e) => e.ts, (e) => e.eventId);
  }

  /** Feed one validated event; records of the events it released are appended to `out`. */
  push(ev: InputEvent, out: StepRecord[]): void {
    // per stream, as the detector's partitions must: they read the three streams at their own paces
    if (!this.dedupe.firstSighting(ev.eventId, ev.ts, ev.type)) {
      this.duplicates++;
      return;
    }
    this.records = out;
    this.reorder.push(ev, this.step);
  }

  /** End of input: everything still waiting for lateness. */
  drain(out: StepRecord[]): void {
    this.records = out;
    this.reorder.drain(this.step);
  }

  /** Every event fed so far that is before this event time has been processed. */
  get watermark(): number {
    return this.reorder.watermark;
  }

  get late(): number {
    return this.reorder.late;
  }

  get accounts(): number {
    return this.stage.accountCount;
  }

  private stepInto(ev: InputEvent, out: StepRecord[]): void {
    this.events++;
    const s = this.scratch;
    this.stage.process(ev, s);
    // nearly every event yields nothing: the scratch is emptied only when it was used
    if (s.findings.length || s.trades.length) {
      out.push({ ts: ev.ts, eventId: ev.eventId, findings: [...s.findings], trades: [...s.trades] });
      s.findings.length = 0;
      s.trades.length = 0;
    }
  }
}

/**
 * Stage 2 and the hold policy over the records of several account shards. Records are taken in
 * event-time order before the lowest shard watermark, so the campaign logic and the policy see
 * the order a single shard would give them, however the shards raced. A shard that has had no
 * events holds the others' records back until it has; records are rare, so that costs memory
 * only for a shard that stays empty for a long stretch of the input.
 */
export class ShardMerge {
  private readonly symbols: SymbolStage;
  private readonly policy: HoldPolicy;
  private readonly merge: WatermarkMerge<StepRecord>;
  private readonly findings: Finding[] = [];
  /** findings of the stages (the breaker's aside) and holds, so far */
  findingCount = 0;
  holdCount = 0;

  constructor(ref: ReferenceData, cfg: DetectionConfig, policy: HoldPolicyConfig, shards: number) {
    this.symbols = new SymbolStage(ref, cfg);
    this.policy = new HoldPolicy(policy);
    this.merge = new WatermarkMerge<StepRecord>(shards, (r) => r.ts, (r) => r.eventId);
  }

  get symbolCount(): number {
    return this.symbols.symbolCount;
  }

  /** A shard's records (in its order) and how far it has got; what became known goes to `out`. */
  accept(shard: number, records: readonly StepRecord[], watermark: number, out: EngineOutput): void {
    for (const r of records) this.merge.push(r);
    this.merge.mark(shard, watermark);
    this.merge.release((r) => this.step(r, out));
  }

  /** Every shard has drained: take what is left. */
  finish(out: EngineOutput): void {
    this.merge.finish((r) => this.step(r, out));
  }

  private step(r: StepRecord, out: EngineOutput): void {
    const fs = this.findings;
    fs.length = 0;
    for (const f of r.findings) fs.push(f);
    for (const t of r.trades) this.symbols.process(t, fs);
    for (const f of fs) {
      out.findings.push(f);
      this.findingCount++;
      const d = this.policy.evaluate(f);
      for (const h of d.holds) out.holds.push(h);
      this.holdCount += d.holds.length;
      if (d.breaker) out.findings.push(d.breaker);
    }
  }
}
