/**
 * SQL text from values. ClickHouse 18.16 has no query parameters, so every value that reaches
 * SQL passes through one of these: there is no other way in.
 */

/** A ClickHouse string literal: quotes, backslashes and control characters escaped. */
export function sqlString(value: string): string {
  let out = "'";
  for (const ch of value) {
    switch (ch) {
      case "'": out += "\\'"; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\0': out += '\\0'; break;
      default: {
        const code = ch.codePointAt(0)!;
        out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
      }
    }
  }
  return `${out}'`;
}

/** An array literal of strings. */
export function sqlStringArray(values: readonly string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export class UnsafeIdentifier extends Error {
  override readonly name = 'UnsafeIdentifier';
}

/**
 * A database or table name. Identifiers are not escaped but refused unless plain: they come
 * from configuration, and a name that needs quoting is a mistake worth hearing about.
 */
export function sqlIdent(name: string): string {
  if (!IDENT.test(name)) throw new UnsafeIdentifier(`not a plain identifier: ${JSON.stringify(name)} (letters, digits, _; not starting with a digit)`);
  return name;
}

/** A finite number for SQL text; anything else is a programming error. */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return String(value);
}

/** Epoch milliseconds as the (DateTime seconds, UInt16 milliseconds) pair the tables store. */
export function splitMillis(ms: number): { seconds: number; millis: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, millis: ms - seconds * 1000 };
}
