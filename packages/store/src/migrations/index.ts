/**
 * The ClickHouse schema as ordered, append-only migrations, one module each (`NNN_name.ts`).
 * Never edit an applied one: add the next. Every statement must run on ClickHouse 18.16
 * (Debian) and on current ClickHouse (chdb), so:
 * - no DateTime64 (18.16 lacks it): an instant is DateTime('UTC') plus a UInt16 of milliseconds;
 * - no TTL, CODEC, Map, JSON/Object types, and no LowCardinality (experimental in 18.16);
 * - the `ENGINE = X(...) PARTITION BY ... ORDER BY ...` form: both parse it, while the old
 *   `MergeTree(date, key, 8192)` form is deprecated (refused by default) in current versions;
 * - `IF NOT EXISTS` on every CREATE, so a run that died before recording its version can
 *   simply run again.
 */
import { init } from './001_init.js';
import { desk } from './002_desk.js';
import { cases } from './003_cases.js';
import { accounts } from './004_accounts.js';

export interface Migration {
  version: number;
  name: string;
  /** statements for database `db` (already a checked identifier), run in order */
  statements(db: string): string[];
}

export const MIGRATIONS: readonly Migration[] = [init, desk, cases, accounts];

/** The tracking table itself; created before anything else is read. */
export function migrationsTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.kanshi_migrations (
    version UInt32, name String, checksum String, applied_at DateTime('UTC')
  ) ENGINE = MergeTree() ORDER BY version`;
}

/**
 * A fingerprint of what a migration does (whitespace-insensitive FNV-1a), so an edited applied
 * migration is noticed at start-up. Recorded in every database already migrated: changing the
 * algorithm would make each of them look edited.
 */
export function checksumOf(m: Migration): string {
  let h = 0x811c9dc5;
  for (const ch of m.statements('db').join(';').replace(/\s+/g, ' ')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Refuses a list that is out of order or repeats a version: the order is the contract. */
export function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version < 1 || (i > 0 && m.version <= migrations[i - 1].version)) {
      throw new RangeError(`migration versions must be positive integers in increasing order; ${m.version} (${m.name}) is not`);
    }
  });
}
