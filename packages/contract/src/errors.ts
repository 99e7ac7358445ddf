/**
 * Why an input was refused, as a code from a closed list: what rejections are counted by (metric
 * labels, summaries), because the reason text carries the refused value and a label per value
 * is a new series per bad input. The first group is about the bytes, the second about a record.
 */
export const REJECT_CODES = [
  'empty_value', 'too_large', 'too_deep', 'bad_encoding', 'not_json', 'bad_frame', 'unknown_schema', 'bad_avro', 'bad_packing', 'line_too_long', 'unreadable',
  'not_object', 'bad_shape', 'missing', 'wrong_type', 'empty', 'too_long', 'not_allowed', 'bad_time', 'out_of_range', 'inconsistent', 'unknown_symbol',
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

/** Why an input was refused. Expected, so it is carried as data, not thrown across the pipeline. */
export class RejectedEvent extends Error {
  override readonly name = 'RejectedEvent';
  readonly reason: string;
  readonly field: string | null;
  readonly eventId: string | null;
  readonly code: RejectCode;

  constructor(reason: string, where: { field?: string | null; eventId?: string | null; code?: RejectCode } = {}) {
    super(where.field ? `${where.field}: ${reason}` : reason);
    this.reason = reason;
    this.field = where.field ?? null;
    this.eventId = where.eventId ?? null;
    this.code = where.code ?? (this.field ? 'bad_shape' : 'unreadable');
  }
}

/** Bytes that are not a record of the contract (Avro decode failure, unknown schema id, not JSON). */
export const MAX_RAW_KEPT = 2048;

export function truncateRaw(raw: string): string {
  return raw.length > MAX_RAW_KEPT ? `${raw.slice(0, MAX_RAW_KEPT)}…(${raw.length} chars)` : raw;
}
