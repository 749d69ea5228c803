/**
 * The body of a successful invocation, in the request's format. The outputs document comes
 * already encoded from the codec; the run's details are put around it without decoding or
 * copying it again: JSON as text around the outputs' text, msgpack as a map header, then
 * key/value pairs whose `outputs` value is the encoded bytes as they are (msgpack maps are a
 * header followed by their entries, so pieces concatenate into one valid map).
 */
import { packForPython } from '../../wire/ndarray-msgpack.js';
import type { EncodedDocument } from './codec.js';

/** The details of a run that sit beside `outputs` in a result (and beside `error` in an error). */
export type RunDetails = Record<string, unknown>;

/** The result body: `{outputs, ...details}`, JSON text or msgpack bytes. */
export function resultBody(outputs: EncodedDocument, details: RunDetails): Buffer {
  if (outputs.format === 'json') {
    const rest = JSON.stringify(details);
    return Buffer.concat([
      Buffer.from('{"outputs":', 'utf8'),
      outputs.bytes,
      Buffer.from(rest === '{}' ? '}' : `,${rest.slice(1)}`, 'utf8'),
    ]);
  }
  const entries = Object.entries(details).filter(([, v]) => v !== undefined);
  const pieces: Uint8Array[] = [mapHeader(entries.length + 1), packForPython('outputs'), outputs.bytes];
  // JSON-shaped details only (null for a missing value, never undefined, which Python cannot read).
  for (const [k, v] of entries) pieces.push(packForPython(k), packForPython(JSON.parse(JSON.stringify(v))));
  return Buffer.concat(pieces);
}

/** A msgpack map header for n entries (fixmap, map16 or map32). */
function mapHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x80 | n);
  if (n < 0x10000) return Uint8Array.of(0xde, n >> 8, n & 0xff);
  const b = Buffer.alloc(5);
  b[0] = 0xdf;
  b.writeUInt32BE(n, 1);
  return b;
}
