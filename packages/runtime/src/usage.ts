/**
 * A command or service started with a bad flag or setting: its message names the flag or
 * variable (never a secret's value) and the process exits 2, so a supervisor's log says what to
 * fix and does not look like a crash.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
