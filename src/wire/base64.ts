/**
 * Strict base64 for the wire: the standard alphabet, padded, nothing else — exactly what Python's
 * `base64.b64encode` writes and what `b64decode` reads back to the same bytes.
 *
 * Node's own decoder is lenient: it skips whitespace and stray characters, accepts the URL-safe
 * alphabet and missing padding, and ignores non-zero bits after the last byte. Such text would decode
 * differently (or not at all) in Python, so berth refuses it rather than guess. The checks cost one
 * pass of Node's native decoder plus a look at the last four characters.
 */
import { BerthError } from '../errors.js';
import type { Code, ErrorDetails } from '../errors.js';
import { allocBytes } from '../ndarray/ndarray.js';

/** What standard padded base64 looks like, for `expected` in messages. */
export const BASE64_EXPECTED = 'standard padded base64 (A–Z a–z 0–9 + /, = padding, no whitespace)';

/**
 * The number of bytes padded standard base64 text decodes to, or -1 when its length cannot be
 * padded base64 (not a multiple of 4).
 */
export function base64ByteLength(text: string): number {
  if (text.length % 4 !== 0) return -1;
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  return (text.length / 4) * 3 - pad;
}

/** The 6-bit value of a standard base64 letter, or -1. */
function sextet(c: number): number {
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 71; // a-z
  if (c >= 48 && c <= 57) return c + 4; // 0-9
  if (c === 43) return 62; // +
  if (c === 47) return 63; // /
  return -1;
}

/**
 * Decodes `text` into `out` (which must be exactly {@link base64ByteLength} bytes) and returns why
 * the text is not canonical standard base64, or undefined when it is and `out` holds its bytes.
 */
export function decodeBase64Into(text: string, out: Uint8Array): string | undefined {
  // Node's decoder reads the URL-safe letters as if they were + and /: refuse them outright.
  if (text.includes('-') || text.includes('_')) return 'uses URL-safe base64 letters (- or _)';
  const buf = Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  const written = out.byteLength === 0 ? 0 : buf.write(text, 0, 'base64');
  // A skipped character (whitespace, a stray letter, padding in the middle) shows up as fewer
  // bytes written than the length promised.
  if (written !== out.byteLength) return 'has characters outside the base64 alphabet';
  // The bits after the last byte must be zero, else several texts decode to the same bytes.
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (pad > 0) {
    const last = sextet(text.charCodeAt(text.length - 1 - pad));
    if (last < 0 || (last & (pad === 2 ? 0x0f : 0x03)) !== 0)
      return 'is not canonical (non-zero bits after the last byte)';
  }
  return undefined;
}

/**
 * Decodes canonical standard base64 text into a fresh Buffer (zero offset, not from Node's pool),
 * or throws a {@link BerthError} with `code` (default `BERTH_E_WIRE_BASE64`) saying what is wrong.
 */
export function decodeBase64(
  text: string,
  where: Pick<ErrorDetails, 'path' | 'property'> = {},
  code: Code = 'BERTH_E_WIRE_BASE64',
): Buffer {
  const length = base64ByteLength(text);
  if (length < 0) {
    throw new BerthError(
      code,
      `The base64 text is not padded (its length ${text.length} is not a multiple of 4)`,
      {
        ...where,
        expected: BASE64_EXPECTED,
      },
    );
  }
  const out = allocBytes(length, where);
  const problem = decodeBase64Into(text, out);
  if (problem)
    throw new BerthError(code, `The base64 text ${problem}`, { ...where, expected: BASE64_EXPECTED });
  return out;
}

/** Encodes bytes as standard padded base64 (throws `BERTH_E_TOO_LARGE` beyond the engine's string limit). */
export function encodeBase64(bytes: Uint8Array, where: Pick<ErrorDetails, 'path' | 'property'> = {}): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return buf.toString('base64');
  } catch (e) {
    throw new BerthError('BERTH_E_TOO_LARGE', `${bytes.byteLength} bytes are too many for base64 text`, {
      ...where,
      cause: e,
    });
  }
}
