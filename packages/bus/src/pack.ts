import type { KafkaMessage } from 'kafkajs';
import { decodeJsonBytes, RejectedEvent } from '@kanshi/contract';
import type { BusMessage, Delivery } from './bus.js';
import { BusError } from './errors.js';

/** Header of a record that carries several JSON messages of one partition (see {@link packRuns}). */
const PACK_HEADER = 'kanshi-pack';
/** A packed record's most bytes: well under message.max.bytes, and a fetch still holds several. */
const PACK_BYTES = 256 * 1024;

/** A record as handed to the kafkajs producer. */
export type OutRecord = { key: string | null; value: Buffer | null; partition?: number; headers?: Record<string, string> };

export function isPacked(m: Pick<KafkaMessage, 'headers'>): boolean {
  return m.headers?.[PACK_HEADER] !== undefined;
}

/**
 * Internal JSON topics (kanshi.events above all) carry one message per event, and kafkajs
 * spends ~25 µs of CPU producing and ~10 µs consuming each record whatever its size, more than
 * the detection itself. So a run of consecutive messages for the same explicit partition
 * travels as one record, a JSON array of [key, value], marked by a header; the subscriber hands
 * them on as the separate deliveries they were, in order, sharing the record's offset. A
 * partition's order is kept, and a record is delivered (and redelivered) whole.
 */
export function packRuns(messages: readonly BusMessage<unknown>[]): OutRecord[] {
  const out: OutRecord[] = [];
  let run: { key: string | null; json: string }[] = [];
  let runBytes = 0;
  let runPartition: number | undefined;
  const close = () => {
    if (run.length === 1) out.push({ key: run[0].key, value: Buffer.from(run[0].json), partition: runPartition });
    else if (run.length > 1) {
      const body = run.map((r) => `[${JSON.stringify(r.key)},${r.json}]`).join(',');
      out.push({ key: null, value: Buffer.from(`[${body}]`), partition: runPartition, headers: { [PACK_HEADER]: String(run.length) } });
    }
    run = [];
    runBytes = 0;
  };
  for (const m of messages) {
    if (m.value === null || m.value === undefined) throw new BusError('encode_failed', 'a null value is a tombstone, which internal topics do not take');
    const json = JSON.stringify(m.value);
    if (m.partition === undefined) {
      close();
      out.push({ key: m.key, value: Buffer.from(json) });
      continue;
    }
    // bytes, not characters: a name in kanji is three bytes a character
    const bytes = Buffer.byteLength(json) + (m.key === null ? 4 : Buffer.byteLength(m.key)) + 8;
    if (m.partition !== runPartition || runBytes + bytes > PACK_BYTES) close();
    runPartition = m.partition;
    run.push({ key: m.key, json });
    runBytes += bytes;
  }
  close();
  return out;
}

export function unpack<V>(topic: string, partition: number, m: Pick<KafkaMessage, 'offset' | 'timestamp' | 'value'>, into: Delivery<V>[]): void {
  const base = { topic, partition, offset: m.offset, timestamp: Number(m.timestamp) };
  // bounded like any value: the depth and size limits hold for the whole record
  const entries = decodeJsonBytes(m.value ?? Buffer.alloc(0));
  if (!Array.isArray(entries)) {
    const why = entries instanceof RejectedEvent ? entries : new RejectedEvent('a packed record that is not a JSON array of [key, value]', { code: 'bad_packing' });
    into.push({ ...base, key: null, value: why as Delivery<V>['value'] });
    return;
  }
  for (const e of entries) {
    const ok = Array.isArray(e) && e.length === 2 && e[1] !== undefined && e[1] !== null;
    const [key, value] = ok ? (e as [unknown, unknown]) : [null, new RejectedEvent('a packed entry that is not [key, value]', { code: 'bad_packing' })];
    into.push({ ...base, key: typeof key === 'string' ? key : null, value: value as Delivery<V>['value'] });
  }
}

