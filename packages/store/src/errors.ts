/** ClickHouse did not answer (refused, timed out, DNS): retry later, nothing was written. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
  constructor(readonly target: string, cause: unknown) {
    super(`ClickHouse at ${target} did not answer: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** ClickHouse answered with an error for a statement of ours. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(readonly operation: string, cause: unknown) {
    super(`${operation} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

const UNAVAILABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|socket hang up|Timeout error|timed out/i;

/** Sorts a client error into "not there" and "said no". */
export function classify(operation: string, target: string, e: unknown): Error {
  const text = `${(e as Error)?.message ?? ''} ${(e as { code?: string })?.code ?? ''}`;
  return UNAVAILABLE.test(text) ? new StoreUnavailable(target, e) : new StoreError(operation, e);
}
