import { shardOf } from '@kanshi/detection';

const KEY = '"accountId":"';

/**
 * The shard of a raw line without parsing it: the reader must not pay for the JSON the shards
 * parse. The scan is trusted only where it cannot be wrong: one object (no `{` after the first
 * character), no backslash (so no escaped key or id), and `"accountId"` exactly once, spelled
 * `"accountId":"…"`. Inside a JSON string every quote is escaped, so that spelling is then the
 * top-level key. Anything else is parsed; a line with no account id goes to shard 0, which
 * rejects it with its reason.
 */
export function shardOfLine(line: string, shards: number): number {
  if (shards === 1) return 0;
  const at = line.indexOf(KEY);
  if (at !== -1 && line.indexOf('"accountId"') === at && line.indexOf('"accountId"', at + 1) === -1 && line.indexOf('{', 1) === -1 && line.indexOf('\\') === -1) {
    const from = at + KEY.length;
    const end = line.indexOf('"', from);
    if (end !== -1) return shardOf(line.slice(from, end), shards);
  }
  try {
    const o = JSON.parse(line) as { accountId?: unknown } | null;
    return o !== null && typeof o === 'object' && typeof o.accountId === 'string' ? shardOf(o.accountId, shards) : 0;
  } catch {
    return 0;
  }
}
