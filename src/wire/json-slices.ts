/**
 * Parsing large JSON documents without `JSON.parse` touching their large strings.
 *
 * A request that carries files holds a few huge base64 strings in a small skeleton. `JSON.parse`
 * scans every character of them (escapes, UTF-8) and yields strings that Node decodes from base64
 * three to four times slower than flat one-byte strings; strict UTF-8 decoding of the whole body
 * costs as much again. Here long string *values* without escapes are cut out of the body before
 * parsing: each becomes a placeholder string carrying a random nonce (so no document can forge
 * one), and keeps its byte range, decoded only when the schema says what it is — base64 bytes
 * (checked against the alphabet) or text. A string is cut only when it is valid UTF-8 without raw
 * control characters (checked natively, far cheaper than decoding it): any other is left in the
 * skeleton, where the parse refuses it exactly as a full parse would (path `''`).
 *
 * Cutting never changes the document's structure: a string token is replaced by a string token,
 * so the skeleton parses exactly when the body would, except for what the cut strings hold, which
 * is checked when they are used.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { BerthError, boundedText } from '../errors.js';

/** Strings shorter than this stay in the skeleton (the saving is in the large ones). */
export const SLICE_MIN_BYTES = 4096;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The strings cut out of a JSON body, by placeholder. */
export class JsonSlices {
  constructor(
    /** Every placeholder starts with this: NUL, a random nonce, a colon. */
    readonly prefix: string,
    readonly body: Buffer,
    /** Byte ranges of the cut strings' contents (without quotes), by placeholder number. */
    readonly ranges: readonly (readonly [number, number])[],
  ) {}

  /** The range a placeholder stands for, or undefined when `v` is not a placeholder. */
  rangeOf(v: unknown): readonly [number, number] | undefined {
    if (typeof v !== 'string' || !v.startsWith(this.prefix)) return undefined;
    return this.ranges[Number(v.slice(this.prefix.length))];
  }

  /** The range's bytes as a one-byte string (for base64: bytes beyond ASCII fail the alphabet check). */
  latin1(range: readonly [number, number]): string {
    return this.body.toString('latin1', range[0], range[1]);
  }

  /** The range as JSON string content: strict UTF-8, no raw control characters. */
  text(range: readonly [number, number]): string {
    let s: string;
    try {
      s = STRICT_UTF8.decode(this.body.subarray(range[0], range[1]));
    } catch (e) {
      throw new BerthError('BERTH_E_NOT_UTF8', 'The string is not valid UTF-8', {
        cause: e,
        expected: 'UTF-8 text',
      });
    }
    // Control characters are exactly what JSON forbids raw in strings.
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f]/.test(s)) {
      throw new BerthError('BERTH_E_JSON_SYNTAX', 'The string holds a raw control character', {
        expected: 'control characters escaped (\\n, \\u0000 …)',
      });
    }
    return s;
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A parsed body: the skeleton's value, and the strings cut out of it (undefined when none were). */
export interface LazyJson {
  readonly doc: unknown;
  readonly slices: JsonSlices | undefined;
}

/**
 * True when bytes `from`..`to` are string content a full parse accepts as it is: valid UTF-8
 * without raw control characters. Only such strings are cut out; any other stays in the
 * skeleton and fails the parse there, as in a full parse — so whether a string is refused, and
 * with which code and path, never depends on its length.
 */
function isJsonStringContent(body: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (body[i]! < 0x20) return false;
  return isUtf8(body.subarray(from, to));
}

/** The next byte after `at` that is not JSON whitespace. */
function nextToken(body: Buffer, at: number): number | undefined {
  for (let i = at; i < body.length; i++) {
    const b = body[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return undefined;
}

/**
 * Parses a JSON body (UTF-8 bytes; a leading BOM is skipped) with its long string values cut out.
 * Throws `BERTH_E_NOT_UTF8` or `BERTH_E_JSON_SYNTAX` (path `''`) as a full parse would.
 */
export function parseJsonLazily(bytes: Uint8Array): LazyJson {
  const body = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  const prefix = `\u0000${randomBytes(8).toString('hex')}:`;
  const placeholder = (i: number): string => `"\\u0000${prefix.slice(1)}${i}"`;
  const ranges: [number, number][] = [];
  const parts: string[] = [];
  let copied = start;
  let pos = start;
  const skeleton = (from: number, to: number): string => {
    try {
      return STRICT_UTF8.decode(body.subarray(from, to));
    } catch (e) {
      throw new BerthError('BERTH_E_NOT_UTF8', 'The JSON document is not valid UTF-8', {
        path: '',
        expected: 'UTF-8 text',
        cause: e,
      });
    }
  };
  for (;;) {
    const open = body.indexOf(QUOTE, pos);
    if (open < 0) break;
    // The closing quote is the next one not escaped by an odd run of backslashes.
    let close = open + 1;
    for (;;) {
      close = body.indexOf(QUOTE, close);
      if (close < 0) break;
      let run = 0;
      while (body[close - 1 - run] === BACKSLASH) run++;
      if (run % 2 === 0) break;
      close++;
    }
    if (close < 0) break; // unterminated: JSON.parse will say so
    const length = close - open - 1;
    if (length >= SLICE_MIN_BYTES && nextToken(body, close + 1) !== 0x3a /* a value, not a key */) {
      const escape = body.indexOf(BACKSLASH, open + 1);
      if ((escape < 0 || escape > close) && isJsonStringContent(body, open + 1, close)) {
        parts.push(skeleton(copied, open), placeholder(ranges.length));
        ranges.push([open + 1, close]);
        copied = close + 1;
      }
    }
    pos = close + 1;
  }
  parts.push(skeleton(copied, body.length));
  let doc: unknown;
  try {
    doc = JSON.parse(parts.join('')) as unknown;
  } catch (e) {
    throw new BerthError('BERTH_E_JSON_SYNTAX', `The document is not valid JSON: ${boundedText(e)}`, {
      path: '',
      expected: 'a JSON object',
      cause: e,
    });
  }
  return { doc, slices: ranges.length > 0 ? new JsonSlices(prefix, body, ranges) : undefined };
}
