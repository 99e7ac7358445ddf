import type { Finding, Hold, InputEvent } from '@kanshi/contract';
import { AccountStage, type StageOutput } from './account-stage.js';
import { resolveDetectionConfig, type DetectionConfig } from './config.js';
import { EventIdDeduper } from './dedupe.js';
import { DEFAULT_HOLD_POLICY, HoldPolicy, type HoldPolicyConfig } from './hold-policy.js';
import type { ReferenceData } from './reference.js';
import { EventTimeReorderBuffer } from './reorder.js';
import { SymbolStage } from './symbol-stage.js';

export interface EngineOptions {
  detection?: Partial<DetectionConfig>;
  holdPolicy?: Partial<HoldPolicyConfig>;
  /** how late (event time) an event may arrive and still be put in order (ms) */
  maxLatenessMs?: number;
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
 * run. The services run the same stages, split across Kafka consumer groups.
 */
export class DetectionEngine {
  readonly cfg: DetectionConfig;
  private readonly accounts: AccountStage;
  private readonly symbols: SymbolStage;
  private readonly policy: HoldPolicy;
  private readonly dedupe: EventIdDeduper;
  private readonly reorder: EventTimeReorderBuffer<InputEvent>;
  private readonly stage: StageOutput = { findings: [], trades: [] };
  private readonly released: InputEvent[] = [];
  private counts = { events: 0, duplicates: 0, findings: 0, holds: 0 };

  constructor(ref: ReferenceData, opts: EngineOptions = {}) {
    this.cfg = resolveDetectionConfig(opts.detection);
    this.accounts = new AccountStage(ref, this.cfg);
    this.symbols = new SymbolStage(ref, this.cfg);
    this.policy = new HoldPolicy({ ...DEFAULT_HOLD_POLICY, ...opts.holdPolicy });
    this.dedupe = new EventIdDeduper(this.cfg.dedupeWindowMs);
    this.reorder = new EventTimeReorderBuffer<InputEvent>(opts.maxLatenessMs ?? 0, (e) => e.ts, (e) => e.eventId);
  }

  /** Feed one validated event; returns what became known because of it (and of earlier held ones). */
  process(ev: InputEvent, out: EngineOutput = { findings: [], holds: [] }): EngineOutput {
    // per stream, as the detector's partitions must: they read the three streams at their own paces
    if (!this.dedupe.firstSighting(ev.eventId, ev.ts, ev.type)) {
      this.counts.duplicates++;
      return out;
    }
    this.released.length = 0;
    for (const e of this.reorder.push(ev, this.released)) this.step(e, out);
    return out;
  }

  /** End of input: process everything still waiting for lateness. */
  flush(out: EngineOutput = { findings: [], holds: [] }): EngineOutput {
    this.released.length = 0;
    for (const e of this.reorder.drain(this.released)) this.step(e, out);
    return out;
  }

  stats(): EngineStats {
    return {
      ...this.counts,
      late: this.reorder.late,
      accounts: this.accounts.accountCount,
      thinSymbolsWatched: this.symbols.symbolCount,
    };
  }

  private step(ev: InputEvent, out: EngineOutput): void {
    this.counts.events++;
    const st = this.stage;
    st.findings.length = 0;
    st.trades.length = 0;
    this.accounts.process(ev, st);
    for (const t of st.trades) this.symbols.process(t, st.findings);
    for (const f of st.findings) {
      out.findings.push(f);
      this.counts.findings++;
      const d = this.policy.evaluate(f);
      for (const h of d.holds) out.holds.push(h);
      this.counts.holds += d.holds.length;
      if (d.breaker) out.findings.push(d.breaker);
    }
  }
}
