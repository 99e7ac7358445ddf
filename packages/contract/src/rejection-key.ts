import type { RejectedEvent } from './errors.js';
import { SCHEMA_NAMES, schemaFieldNames } from './schemas.js';

let contractFields: ReadonlySet<string> | null = null;

/**
 * What rejections are counted by, in metrics and summaries: the field (a name of the contract,
 * or `other`) and the reason code, never the refused value. Both come from closed lists, so
 * however many distinct bad values arrive, the number of keys stays bounded (a field of the
 * contract times a code of `REJECT_CODES`).
 */
export function rejectionKey(r: RejectedEvent): string {
  if (!r.field) return r.code;
  contractFields ??= new Set(['type', ...SCHEMA_NAMES.flatMap((s) => schemaFieldNames(s))]);
  // `positions[3]` or `evidence.symbol` count under their top-level field
  const top = /^[A-Za-z_][A-Za-z0-9_]*/.exec(r.field)?.[0] ?? '';
  return `${contractFields.has(top) ? top : 'other'}: ${r.code}`;
}
