/**
 * The decode walk's leaf values (./case-decode.ts): primitives through their kind's text form,
 * files through the MIME check, ndarrays in either format's form.
 */
import { contentProblem } from '../kinds/file.js';
import { MAGIC_PREFIX_BYTES } from '../kinds/file-handle.js';
import { ndarrayProblem } from '../kinds/ndarray.js';
import type { Property } from '../kinds/property.js';
import { kindOf } from '../kinds/registry.js';
import type { ValueProblem } from '../kinds/value.js';
import type { NdArray } from '../ndarray/ndarray.js';
import { MAX_TEXT_BYTES } from '../tree/read-text.js';
import { bytesOf, describe, isPlainObject, record, report, type Decoded, type Walk } from './decode-walk.js';
import { decodeNdarrayJson, isNdarrayJson } from './ndarray-json.js';
import { decodeNdarrayMsgpack, isNdarrayMsgpack } from './ndarray-msgpack.js';
import { textFormOf } from '../kinds/kind.js';
import { mimeTypeOf } from '../kinds/file.js';

/** Truss' msgpack datetime: `{b"__dt_datetime_iso__": True, b"data": "2024-01-02T03:04:05Z"}`. */
function trussDateTime(v: unknown): string | undefined {
  if (!(v instanceof Map) || v.size !== 2) return undefined;
  let flag: unknown;
  let data: unknown;
  for (const [k, value] of v) {
    const name =
      typeof k === 'string' ? k : k instanceof Uint8Array ? Buffer.from(k).toString('latin1') : undefined;
    if (name === '__dt_datetime_iso__') flag = value;
    else if (name === 'data') data = value;
  }
  return flag === true && typeof data === 'string' ? data : undefined;
}

/** Primitive kinds: the value the kind's text form takes, checked by that text form. */
export function decodePrimitive(walk: Walk, p: Property, v: unknown, pointer: string): Decoded {
  const text = textFormOf(kindOf(p.kind))!;
  let value: unknown = v;
  if (p.kind === 'percentage' && typeof v === 'string') {
    // `"85%"` is accepted too: the percentage's own text form, read as the SDK reads a file.
    const parsed = text.parse(v, p);
    if (!parsed.ok)
      return report(walk, parsed.problem.code, parsed.problem.message, pointer, p, parsed.problem.expected);
    value = parsed.value;
  } else if (p.kind === 'date-time' && walk.format === 'msgpack') {
    // Python datetimes: Truss packs them as its ISO map, msgpack's `datetime=True` as a timestamp
    // (which msgpackr reads as a Date).
    value = trussDateTime(v) ?? v;
  } else if (p.kind === 'number' && typeof v === 'bigint') {
    value = Number(v);
  }
  const outcome = text.format(value, p);
  if (!outcome.ok)
    return report(walk, outcome.problem.code, outcome.problem.message, pointer, p, outcome.problem.expected);
  const problem = textFileProblem(outcome.value);
  if (problem) return report(walk, problem.code, problem.message, pointer, p, problem.expected);
  return value;
}

/**
 * The one size rule for the text a value file will hold, whatever the format and the string's
 * length: no larger than the readers read ({@link MAX_TEXT_BYTES}), so the decoder never writes a
 * tree its own check refuses. (Lone surrogates are the string kind's own refusal.)
 */
function textFileProblem(text: string): ValueProblem | undefined {
  // Each UTF-16 unit is at most 3 UTF-8 bytes: count exactly only near the limit.
  if (text.length * 3 > MAX_TEXT_BYTES) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_TEXT_BYTES) {
      return {
        code: 'BERTH_E_VALUE_TOO_LARGE',
        message: `The text is ${bytes} bytes in UTF-8`,
        expected: `at most ${MAX_TEXT_BYTES} bytes (what berth reads from a value file)`,
      };
    }
  }
  return undefined;
}

export async function decodeFile(walk: Walk, p: Property, v: unknown, pointer: string): Promise<Decoded> {
  const bytes = bytesOf(walk, p, v, pointer, `The file ${p.name}`);
  if (!bytes) return undefined;
  const prefix = bytes.subarray(0, MAGIC_PREFIX_BYTES);
  const { problem } = await contentProblem(mimeTypeOf(p) ?? 'application/octet-stream', prefix);
  if (problem) return report(walk, problem.code, problem.message, pointer, p, problem.expected);
  return bytes;
}

/** A msgpack map with str keys as a plain object (for the JSON array form sent inside msgpack). */
function strKeyed(v: unknown): unknown {
  if (!(v instanceof Map)) return v;
  const out = record();
  for (const [k, value] of v) {
    if (typeof k !== 'string') return v;
    out[k] = value;
  }
  return out;
}

/** The JSON array form with a cut-out `data_b64` put back as one-byte text. */
function resolveDataB64(walk: Walk, v: unknown): unknown {
  if (!walk.slices || !isPlainObject(v)) return v;
  const range = walk.slices.rangeOf(v['data_b64']);
  return range ? { ...v, data_b64: walk.slices.latin1(range) } : v;
}

export function decodeNdarray(walk: Walk, p: Property, v: unknown, pointer: string): Decoded {
  const where = { path: pointer, property: p.path };
  let arr: NdArray;
  if (walk.format === 'json') arr = decodeNdarrayJson(resolveDataB64(walk, v), where);
  else if (isNdarrayMsgpack(v)) arr = decodeNdarrayMsgpack(v, where);
  // Chains' validator also takes the JSON form inside msgpack; so does berth.
  else if (isNdarrayJson(strKeyed(v))) arr = decodeNdarrayJson(strKeyed(v), where);
  else {
    return report(
      walk,
      'BERTH_E_WIRE_NDARRAY',
      `The ndarray ${p.name} is ${describe(v)}, not a msgpack-numpy map`,
      pointer,
      p,
      "msgpack-numpy's map {nd, type, kind, shape, data} or {data_b64, shape, dtype}",
    );
  }
  const problem = ndarrayProblem(arr.dtype, arr.shape, p);
  if (problem) return report(walk, problem.code, problem.message, pointer, p, problem.expected);
  return arr;
}
