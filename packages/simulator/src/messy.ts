import type { InputEvent } from '@kanshi/contract';
import type { Rng } from './rng.js';

export interface MessCounts {
  duplicates: number;
  late: number;
  malformed: number;
}

/** A line as written: the event's JSON, and when the feed delivers it. */
export interface Line {
  deliverAt: number;
  seq: number;
  text: string;
}

// What real feeds do now and then: re-send an event, deliver one a minute or two late, or
// emit a line a schema change or a bug broke. The consumer must cope with all three.
const DUPLICATE = 0.0005;
const LATE = 0.002;
const MALFORMED = 0.00003;

const BREAKAGES: ((e: Record<string, unknown>) => void)[] = [
  (e) => delete e.accountId,
  (e) => { e.ts = 'yesterday'; },
  (e) => { e.type = 'trade'; },
  (e) => { if (e.type === 'order') e.quantity = -Number(e.quantity); else e.result = 'maybe'; },
  (e) => { if (e.type === 'login') e.authMethod = 'magic_link'; else e.eventId = ''; },
];

export function serialise(e: InputEvent): string {
  return JSON.stringify(e, (_k, v) => (v === null ? undefined : v));
}

/** The day's events as lines in delivery order, with the feed's imperfections when `messy`. */
export function deliver(rng: Rng, events: InputEvent[], messy: boolean, counts: MessCounts): string[] {
  const lines: Line[] = [];
  let seq = 0;
  for (const e of events) {
    const text = serialise(e);
    if (!messy) {
      lines.push({ deliverAt: e.ts, seq: seq++, text });
      continue;
    }
    const late = rng.chance(LATE);
    if (late) counts.late++;
    lines.push({ deliverAt: e.ts + (late ? rng.int(5_000, 120_000) : 0), seq: seq++, text });
    if (rng.chance(DUPLICATE)) {
      counts.duplicates++;
      lines.push({ deliverAt: e.ts + rng.int(0, 300_000), seq: seq++, text });
    }
    if (rng.chance(MALFORMED)) {
      counts.malformed++;
      const broken = JSON.parse(text) as Record<string, unknown>;
      rng.pick(BREAKAGES)(broken);
      lines.push({ deliverAt: e.ts, seq: seq++, text: rng.chance(0.2) ? JSON.stringify(broken).slice(0, -7) : JSON.stringify(broken) });
    }
  }
  lines.sort((a, b) => a.deliverAt - b.deliverAt || a.seq - b.seq);
  return lines.map((l) => l.text);
}
