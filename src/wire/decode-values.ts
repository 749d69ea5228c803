/**
 * The decode walk's leaf values (./case-decode.ts), the format's side of them: text values through
 * their kind's text form and the value-file size rule, ndarrays in either format's form. What is
 * kind-specific (a percentage's text, a file's MIME check, an ndarray's dtype) is the kind's `wire`.
 */
import type { Property } from '../kinds/property.js';
import { kindOf } from '../kinds/registry.js';
import type { ValueProblem } from '../kinds/value.js';
import type { NdArray } from '../ndarray/ndarray.js';
import { MAX_TEXT_BYTES } from '../tree/read-text.js';
import { describe, isPlainObject, record, report, type Decoded, type Walk } from './decode-walk.js';
import { decodeNdarrayJson, isNdarrayJson } from './ndarray-json.js';
import { decodeNdarrayMsgpack, isNdarrayMsgpack } from './ndarray-msgpack.js';
import { textFormOf } from '../kinds/kind.js';

/**
 * A value for its kind's text form (after the kind's own conversion), checked by that text form
 * with every keyword and by the value-file size rule, as the writer will check it.
 */
export function decodeScalar(walk: Walk, p: Property, value: unknown, pointer: string): Decoded {
  const outcome = textFormOf(kindOf(p.kind))!.format(value, p);
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

/**
 * An array in either format's form (msgpack-numpy, or the JSON `NumpyArrayField` form in either);
 * its kind checks dtype and shape.
 */
export function decodeTensor(walk: Walk, p: Property, v: unknown, pointer: string): NdArray | undefined {
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
  return arr;
}
