/**
 * Secrets out of what Kanshi says: every log line and every error message goes through these
 * before it leaves the process. Here, in the package every other one depends on, so the bus,
 * the store, the services and the CLI share one idea of what a secret looks like.
 */

const CENSOR = '[redacted]';

/** Query parameters whose value is a credential (`?password=`, `?access_token=`, `?sig=` …). */
const SECRET_PARAM = /^(pass(word)?|pwd|secret|token|access[_-]?token|api[_-]?key|apikey|key|sig|signature|auth|authorization|credentials?|session|x-amz-signature|x-amz-credential|x-goog-signature)$/i;

/** Object keys whose value is a credential, at any depth of a logged object. */
const SECRET_KEY = /^(pwd|secrets?|.*token|api[_-]?key|authorization|cookie|set-cookie|credentials?|user[_-]?info|private[_-]?key|key|x-clickhouse-key)$/i;

/** `scheme://user:pass@host…` anywhere in a text, for messages that quote a URL. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/** A key whose value is never logged (`password`, `sasl_password`, `webhookSecret`, `key` …). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || /(password|secret|passphrase)$/i.test(key);
}

/**
 * A URL with its userinfo's password (and any secret-looking query value) replaced by
 * `[redacted]`; the user name stays, being what an operator needs to tell two configs apart.
 * Text that is not a URL comes back with only its `user:pass@` part censored, so even a
 * malformed URL (the one an operator most needs to see in an error) never shows its password.
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // not parsable: censor anything between "//" and the last "@" of the authority
    return value.replace(/^([^:/?#\s]*:\/\/)([^/?#]*)@/, (_, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:${CENSOR}` : CENSOR}@`;
    });
  }
  const censored = encodeURIComponent(CENSOR);
  const params = [...url.searchParams].filter(([k, v]) => SECRET_PARAM.test(k) && v !== CENSOR);
  // nothing to hide: the text as given (re-serialising would add a slash, or split a text that runs on)
  if ((url.password === '' || url.password === censored) && params.length === 0) return value;
  if (url.password) url.password = CENSOR;
  for (const [k] of params) url.searchParams.set(k, CENSOR);
  // URL encodes the brackets; say it plainly
  return url.href.replaceAll(censored, CENSOR);
}

/** A text with every URL in it redacted and any PEM private key cut out. */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (u) => redactUrl(u)).replace(PEM_PRIVATE_KEY, CENSOR);
}

/**
 * A copy of `value` with secret keys censored and URLs in strings redacted, at every depth
 * (pino's own `redact` paths match a fixed depth only). Errors become plain objects with their
 * type, code, message and stack redacted and their cause followed; the cause's other fields
 * (an HTTP client's request config, with its Authorization header) are dropped.
 */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth > 12) return '[too deep]';
  seen.add(value);
  if (value instanceof Error) return redactError(value, depth, seen);
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen));
  if (value instanceof Map) return redactDeep(Object.fromEntries(value), depth, seen);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) && v !== undefined && v !== null ? CENSOR : redactDeep(v, depth + 1, seen);
  return out;
}

function redactError(e: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: e.name, message: redactText(e.message) };
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  const retriable = (e as { retriable?: unknown }).retriable;
  if (typeof retriable === 'boolean') out.retriable = retriable;
  if (e.stack) out.stack = redactText(e.stack);
  if (e.cause !== undefined) out.cause = redactDeep(e.cause, depth + 1, seen);
  if (e instanceof AggregateError) out.errors = e.errors.map((x) => redactDeep(x, depth + 1, seen));
  return out;
}

/**
 * One line for a person: an error's message and its causes' messages, redacted. What the CLI
 * prints when a command fails, instead of `console.error(e)`, whose inspection would show a
 * cause's every field.
 */
export function describeError(e: unknown, opts: { stack?: boolean } = {}): string {
  const parts: string[] = [];
  let at: unknown = e;
  for (let i = 0; at !== undefined && at !== null && i < 5; i++) {
    if (at instanceof Error) {
      const code = (at as { code?: unknown }).code;
      parts.push(`${at.name}${typeof code === 'string' ? ` (${code})` : ''}: ${redactText(at.message)}`);
      at = at.cause;
    } else {
      parts.push(redactText(String(at)));
      break;
    }
  }
  const frames = opts.stack && e instanceof Error && e.stack ? e.stack.split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 8) : [];
  return [parts.join('\n  caused by '), ...frames.map(redactText)].join('\n');
}
