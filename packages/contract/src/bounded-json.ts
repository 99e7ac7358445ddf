import { isUtf8 } from 'node:buffer';
import { RejectedEvent } from './errors.js';

/**
 * The limits on one untrusted value before it is decoded. Contract records nest four or five
 * levels (a packed kanshi.events record: array, entry, message, event); 64 leaves room and
 * keeps every recursive walk (conversions, JSON.stringify) far from the stack's end, which a
 * 10 KB value nested 5,000 deep reaches.
 */
export const MAX_VALUE_DEPTH = 64;
/** Kafka's default message.max.bytes is about this; a value above it is not one Kanshi wrote. */
export const MAX_VALUE_BYTES = 1 << 20;

/** Why a value of `bytes` bytes is refused unread, or null when it is within the bound. */
export function oversize(bytes: number, maxBytes = MAX_VALUE_BYTES): RejectedEvent | null {
  return bytes > maxBytes ? new RejectedEvent(`${bytes} bytes is more than the ${maxBytes} a value may have`, { code: 'too_large' }) : null;
}

/**
 * Whether JSON text nests arrays and objects deeper than `max`, found without parsing it.
 * Strings are skipped with indexOf (most of a record is strings), so the scan costs a small
 * part of JSON.parse; brackets inside strings do not count.
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  // most values open fewer brackets in all than the bound: counting them is a few memchr calls
  if (opensAtMost(text, '{', opensAtMost(text, '[', max)) >= 0) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // to the closing quote: one preceded by an even run of backslashes
      let j = text.indexOf('"', i + 1);
      while (j !== -1) {
        let k = j - 1;
        while (text.charCodeAt(k) === 92) k--;
        if ((j - k) % 2 === 1) break;
        j = text.indexOf('"', j + 1);
      }
      if (j === -1) return false; // unterminated: JSON.parse says so
      i = j;
    } else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** `max` less the number of `ch` in `text`; negative once there are more. */
function opensAtMost(text: string, ch: string, max: number): number {
  let left = max;
  for (let i = text.indexOf(ch); i !== -1 && left >= 0; i = text.indexOf(ch, i + 1)) left--;
  return left;
}

/** JSON text parsed within the depth bound, or why not (`too_deep`, `not_json`). */
export function parseJsonBounded(text: string, maxDepth = MAX_VALUE_DEPTH): unknown {
  if (jsonDeeperThan(text, maxDepth)) return new RejectedEvent(`nests deeper than ${maxDepth} levels`, { code: 'too_deep' });
  try {
    return JSON.parse(text);
  } catch (e) {
    return new RejectedEvent(`invalid JSON: ${(e as Error).message}`, { code: 'not_json' });
  }
}

/**
 * JSON bytes from the wire parsed within the bounds: at most `maxBytes`, valid UTF-8 (decoding
 * would otherwise turn bad bytes into U+FFFD silently), at most `maxDepth` deep.
 */
export function decodeJsonBytes(payload: Uint8Array, maxBytes = MAX_VALUE_BYTES, maxDepth = MAX_VALUE_DEPTH): unknown {
  const big = oversize(payload.length, maxBytes);
  if (big) return big;
  const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8');
  const value = parseJsonBounded(text, maxDepth);
  // checked once it parses, so that binary (an Avro frame) is called what it is not: JSON. Bad
  // bytes always decode to U+FFFD, so only text holding one needs the full check
  if (!(value instanceof RejectedEvent) && text.includes('\uFFFD') && !isUtf8(payload)) return new RejectedEvent('is not valid UTF-8', { code: 'bad_encoding' });
  return value;
}
