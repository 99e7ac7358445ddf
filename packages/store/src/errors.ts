import { redactText } from '@kanshi/contract';

/**
 * What can go wrong with the store, as types a caller routes on (`instanceof`, `retriable`)
 * rather than message text.
 */

/** ClickHouse did not answer (refused, timed out, DNS): retry later, nothing was written. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
  readonly retriable = true;
  constructor(readonly target: string, cause: unknown) {
    super(`ClickHouse at ${target} did not answer: ${redactText((cause as Error)?.message ?? String(cause))}`, { cause });
  }
}

/** ClickHouse answered with an error for a statement of ours: retrying the same thing will not help. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly retriable = false;
  constructor(readonly operation: string, cause: unknown) {
    super(`${operation} failed: ${redactText((cause as Error)?.message ?? String(cause))}`, { cause });
  }
}

/** A store option is missing or wrong; raised by `openStore` before anything is contacted. */
export class StoreConfigError extends Error {
  override readonly name = 'StoreConfigError';
  readonly retriable = false;
  constructor(readonly option: string, message: string) {
    super(`store option ${option}: ${message}`);
  }
}

/**
 * The database records a migration whose statements differ from this build's: someone edited
 * an applied migration (or runs a build from another branch). Start-up stops rather than guess.
 */
export class MigrationMismatch extends Error {
  override readonly name = 'MigrationMismatch';
  readonly retriable = false;
  constructor(readonly version: number, readonly migration: string, recorded: string, expected: string) {
    super(`migration ${version} (${migration}) was applied with checksum ${recorded} but this build has ${expected}: ` +
      'applied migrations must not be edited; add a new migration instead');
  }
}

// Node's socket errors and @clickhouse/client's own "Timeout error." for request_timeout.
const UNAVAILABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|socket hang up|Timeout error|timed out/i;

/** Sorts a client error into "not there" and "said no". */
export function classify(operation: string, target: string, e: unknown): Error {
  const text = `${(e as Error)?.message ?? ''} ${(e as { code?: string })?.code ?? ''}`;
  return UNAVAILABLE.test(text) ? new StoreUnavailable(target, e) : new StoreError(operation, e);
}
