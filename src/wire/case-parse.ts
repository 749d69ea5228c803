/**
 * Document bytes → a parsed value, with the size and format checks that come before any schema:
 * JSON (strict UTF-8, long strings cut out by ./json-slices.ts when bytes are given) and msgpack
 * (checked before parsing by ./msgpack-scan.ts). Errors are BerthErrors whose path is `''` (the
 * document) or a JSON pointer.
 */
import { BerthError, boundedText, type Code } from '../errors.js';
import { wireLimits, type WireLimits } from './case-format.js';
import { unpackCheckedMap } from './msgpack-scan.js';

/** A document-level error (not about one value): path `''`, the document itself. */
function documentError(code: Code, detail: string, expected?: string, cause?: unknown): BerthError {
  return new BerthError(code, detail, {
    path: '',
    ...(expected === undefined ? {} : { expected }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Refuses a document longer than `maxBytes`: `BERTH_E_TOO_LARGE`, path `''`. */
export function checkSize(length: number, limits: Required<WireLimits>): void {
  if (length > limits.maxBytes) {
    throw documentError(
      'BERTH_E_TOO_LARGE',
      `The document is ${length} bytes; berth accepts at most ${limits.maxBytes}`,
      `at most ${limits.maxBytes} bytes`,
    );
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses JSON document text or bytes (UTF-8, an optional BOM), after checking its size. Throws
 * `BERTH_E_TOO_LARGE`, `BERTH_E_NOT_UTF8` or `BERTH_E_JSON_SYNTAX` (path `''`).
 */
export function parseJsonDocument(body: Uint8Array | string, limits: WireLimits = {}): unknown {
  const l = wireLimits(limits);
  let text: string;
  if (typeof body === 'string') {
    checkSize(body.length, l);
    text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  } else {
    checkSize(body.byteLength, l);
    try {
      // The decoder drops a leading BOM (ignoreBOM: false), which JSON.parse would refuse.
      text = UTF8.decode(body);
    } catch (e) {
      if (e instanceof RangeError)
        throw documentError('BERTH_E_TOO_LARGE', 'The document is too long for one string', undefined, e);
      throw documentError('BERTH_E_NOT_UTF8', 'The JSON document is not valid UTF-8', 'UTF-8 text', e);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw documentError(
      'BERTH_E_JSON_SYNTAX',
      `The document is not valid JSON: ${boundedText(e)}`,
      'a JSON object',
      e,
    );
  }
}

/**
 * Parses msgpack document bytes (one msgpack map, nothing after it), after checking their size
 * and, before any parsing, their grammar (./msgpack-scan.ts: a map first, valid UTF-8 in every
 * str, no ext type but in-range timestamps, bounded nesting). Maps become `Map`s, bin becomes
 * Buffer views on `bytes`. Throws `BERTH_E_TOO_LARGE`, `BERTH_E_TOO_DEEP`, `BERTH_E_NOT_UTF8`,
 * `BERTH_E_VALUE_TYPE` (not a map) or `BERTH_E_WIRE_FORMAT`, with a JSON pointer as path.
 */
export function parseMsgpackDocument(bytes: Uint8Array, limits: WireLimits = {}): unknown {
  const l = wireLimits(limits);
  checkSize(bytes.byteLength, l);
  // Two levels beyond the schema's: an ndarray's map and its shape list.
  return unpackCheckedMap(bytes, l.maxDepth + 2);
}
