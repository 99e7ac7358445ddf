/** Why an input was refused. Expected, so it is carried as data, not thrown across the pipeline. */
export class RejectedEvent extends Error {
  override readonly name = 'RejectedEvent';
  readonly reason: string;
  readonly field: string | null;
  readonly eventId: string | null;

  constructor(reason: string, where: { field?: string | null; eventId?: string | null } = {}) {
    super(where.field ? `${where.field}: ${reason}` : reason);
    this.reason = reason;
    this.field = where.field ?? null;
    this.eventId = where.eventId ?? null;
  }
}

/** Bytes that are not a record of the contract (Avro decode failure, unknown schema id, not JSON). */
export const MAX_RAW_KEPT = 2048;

export function truncateRaw(raw: string): string {
  return raw.length > MAX_RAW_KEPT ? `${raw.slice(0, MAX_RAW_KEPT)}…(${raw.length} chars)` : raw;
}
