/**
 * Whole cases and output trees on the wire: one entry point for callers (the HTTP gateway,
 * `berth pack` / `berth unpack`). A tree becomes a document and a document a tree, always through
 * one side's schema; the formats are described in the README, "Wire formats".
 *
 * ```ts
 * const body = await encodeTree('msgpack', definition.outputs, outputDir); // response body
 * await decodeTree('json', definition.inputs, requestBody, inputDir);       // request body
 * ```
 */
import type { Property } from '../kinds/property.js';
import { encodeTreeJsonBytes, encodeTreeMsgpack, type EncodeTreeOptions } from './case-encode.js';
import { decodeTreeJsonBytes, decodeTreeValue, type DecodeTreeOptions } from './case-decode.js';
import { parseJsonDocument, parseMsgpackDocument } from './case-parse.js';
import type { WireFormat, WireLimits } from './case-format.js';

export {
  DEFAULT_MAX_ARRAY_ITEMS,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_ENTRIES,
  WIRE_FORMATS,
  WIRE_MEDIA_TYPE,
  isWireFormat,
  pointerTo,
  sniffWireFormat,
  wireFormatOfPath,
  wireLimits,
  type WireFormat,
  type WireLimits,
} from './case-format.js';
export {
  WireDecodeError,
  decodeTreeJson,
  decodeTreeJsonBytes,
  decodeTreeMsgpack,
  decodeTreeValue,
  type DecodeTreeOptions,
} from './case-decode.js';
export { parseJsonDocument, parseMsgpackDocument } from './case-parse.js';
export {
  encodeTreeJson,
  encodeTreeJsonBytes,
  encodeTreeMsgpack,
  encodeTreeValue,
  type EncodeTreeOptions,
} from './case-encode.js';

/**
 * Encodes one side's tree at `dir` as a document's bytes: UTF-8 JSON text or msgpack. Throws the
 * SDK readers' BerthErrors for a tree that does not read, and `BERTH_E_TOO_LARGE` beyond
 * `maxBytes`.
 */
export async function encodeTree(
  format: WireFormat,
  props: readonly Property[],
  dir: string,
  options: EncodeTreeOptions = {},
): Promise<Buffer> {
  return format === 'json'
    ? encodeTreeJsonBytes(props, dir, options)
    : encodeTreeMsgpack(props, dir, options);
}

/**
 * Parses a document's bytes (or JSON text) in `format`, with the size and depth limits, into the
 * value {@link decodeTreeValue} takes.
 */
export function parseDocument(
  format: WireFormat,
  body: Uint8Array | string,
  limits: WireLimits = {},
): unknown {
  if (format === 'json') return parseJsonDocument(body, limits);
  return parseMsgpackDocument(typeof body === 'string' ? Buffer.from(body, 'latin1') : body, limits);
}

/**
 * Decodes a document's bytes into a tree at `dir` (absent or empty): parse with the limits, check
 * every value against the schema, write through the SDK's writers. Throws a `WireDecodeError`
 * listing every problem (each with a JSON pointer as `path`), or another BerthError for a
 * document that does not parse (`BERTH_E_JSON_SYNTAX`, `BERTH_E_WIRE_FORMAT`, `BERTH_E_TOO_LARGE`,
 * `BERTH_E_TOO_DEEP`, path `''`), a non-empty `dir` or an I/O failure. Nothing is left in `dir`
 * when it throws. msgpack bins are written from views on `body`: keep it unchanged until settled.
 */
export async function decodeTree(
  format: WireFormat,
  props: readonly Property[],
  body: Uint8Array | string,
  dir: string,
  options: DecodeTreeOptions = {},
): Promise<void> {
  if (format === 'json') return decodeTreeJsonBytes(props, body, dir, options);
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  await decodeTreeValue(format, props, parseMsgpackDocument(bytes, options), dir, options);
}
