/**
 * The detector's internal topics read as untrusted bytes: a message of kanshi.events or
 * kanshi.symbol-signals is taken only in the shape the tasks read, else refused with a reason
 * (dead-lettered by the service). Anyone who can write to a topic can write anything to it, and
 * one message that makes a task throw would stop its partition: the groups re-read the batch
 * for ever, the watermark freezes, and stage 2 waits on it for every symbol.
 */
import type { EventsMessage } from '@kanshi/bus';
import { EVENT_TYPES, RejectedEvent, validateEvent, type EventType } from '@kanshi/contract';
import type { TradeSignal } from '@kanshi/detection';
import type { SymbolMessage } from './tasks.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isMark = (v: unknown) => v === null || (typeof v === 'number' && !Number.isNaN(v));
const refuse = (what: string) => new RejectedEvent(what, { code: 'bad_shape' });

/**
 * A kanshi.events message as stage 1 reads it. The event is validated as ingest validated it
 * (~0.4 µs): its fields reach the detection code, which trusts the contract's types.
 */
export function readEventsMessage(v: unknown): EventsMessage | RejectedEvent {
  if (!isObject(v)) return refuse('a kanshi.events message must be an object');
  if (v.kind === 'watermark') {
    if (!(EVENT_TYPES as readonly unknown[]).includes(v.source) || !isMark(v.ts)) return refuse('a watermark needs a stream name and a numeric or null ts');
    if (v.covers === undefined) return { kind: 'watermark', source: v.source as EventType, ts: v.ts as number | null };
    const covers = v.covers;
    if (v.ts !== null || !isObject(covers) || !Object.entries(covers).every(([k, o]) => k !== v.source && (EVENT_TYPES as readonly string[]).includes(k) && typeof o === 'string' && /^\d{1,19}$/.test(o))) {
      return refuse('a caught-up watermark\'s covers must give the other streams\' log ends in decimal');
    }
    return { kind: 'watermark', source: v.source as EventType, ts: null, covers: covers as Partial<Record<EventType, string>> };
  }
  if (v.kind !== 'event') return refuse('a kanshi.events message is an event or a watermark');
  if (v.rawOffset !== undefined && (typeof v.rawOffset !== 'string' || !/^\d{1,19}$/.test(v.rawOffset))) return refuse('rawOffset must be an offset in decimal');
  const event = validateEvent(v.event);
  if (event instanceof RejectedEvent) return event;
  return { kind: 'event', event, rawOffset: v.rawOffset as string | undefined };
}

const SIGNAL_STRINGS = ['symbol', 'accountId', 'eventId', 'orderId', 'side', 'status'] as const;
const SIGNAL_NUMBERS = ['ts', 'quantity', 'fillQuantity', 'valueJpy', 'accountRisk', 'heldBefore', 'device', 'network', 'asn'] as const;

/** A kanshi.symbol-signals message as stage 2 reads it. */
export function readSymbolMessage(v: unknown): SymbolMessage | RejectedEvent {
  if (!isObject(v) || !isCount(v.from)) return refuse('a kanshi.symbol-signals message must be an object with a partition number `from`');
  if (v.kind === 'watermark') {
    if (!isMark(v.ts)) return refuse('a watermark needs a numeric or null ts');
    if (v.idle !== undefined && typeof v.idle !== 'boolean') return refuse('a watermark\'s idle must be true or false');
    const numbered = v.base !== undefined || v.seq !== undefined || v.flips !== undefined;
    if (numbered && (typeof v.base !== 'string' || !isCount(v.seq) || !isCount(v.flips))) return refuse('a numbered watermark needs base, seq and flips');
    return { kind: 'watermark', from: v.from, ts: v.ts as number | null, idle: v.idle as boolean | undefined, base: v.base as string | undefined, seq: v.seq as number | undefined, flips: v.flips as number | undefined };
  }
  if (v.kind !== 'trade') return refuse('a kanshi.symbol-signals message is a trade or a watermark');
  if (typeof v.base !== 'string' || !isCount(v.seq) || !isObject(v.signal)) return refuse('a trade needs base, seq and signal');
  const s = v.signal;
  for (const f of SIGNAL_STRINGS) if (typeof s[f] !== 'string') return refuse(`signal.${f} must be a string`);
  for (const f of SIGNAL_NUMBERS) if (typeof s[f] !== 'number' || !Number.isFinite(s[f])) return refuse(`signal.${f} must be a finite number`);
  if (s.price !== null && (typeof s.price !== 'number' || !Number.isFinite(s.price))) return refuse('signal.price must be a number or null');
  if (s.activeSymbols !== undefined && !isCount(s.activeSymbols)) return refuse('signal.activeSymbols must be a count');
  if (s.novelExit !== undefined && typeof s.novelExit !== 'boolean') return refuse('signal.novelExit must be true or false');
  if (s.fundedBySale !== undefined && typeof s.fundedBySale !== 'boolean') return refuse('signal.fundedBySale must be true or false');
  if (s.openedAt !== undefined && (typeof s.openedAt !== 'number' || !Number.isFinite(s.openedAt))) return refuse('signal.openedAt must be a finite number');
  return { kind: 'trade', from: v.from, base: v.base, seq: v.seq, signal: s as unknown as TradeSignal };
}
