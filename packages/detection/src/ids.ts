import { createHash } from 'node:crypto';

/**
 * Deterministic ids: the same evidence always gives the same id, so a replay or a restart
 * re-emits the same finding instead of a new one, and the store's ReplacingMergeTree folds it.
 */
export function deterministicId(prefix: string, ...parts: (string | number)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p)).update('\u0000');
  return `${prefix}_${h.digest('hex').slice(0, 24)}`;
}

/** 32-bit FNV-1a: compact keys for learned devices and networks, so per-account state stays small. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
