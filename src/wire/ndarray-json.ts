/**
 * The JSON form of an array used by Baseten Chains' `NumpyArrayField`:
 * `{"data_b64": "<base64 of the C-order bytes>", "shape": [d0, ...], "dtype": "<str(dtype)>"}`.
 *
 * Chains writes `str(arr.dtype)` — numpy's *name* form (`float64`, `bool`, `complex64`) for
 * native little-endian arrays, the str form with a marker (`>i4`) for big-endian ones — and
 * reads any text `np.dtype()` accepts. berth writes the name form (its arrays are always
 * little-endian) and reads name and str forms, big-endian bytes swapped to native.
 */
import { BerthError } from '../errors.js';
import type { ErrorDetails } from '../errors.js';
import { DTYPES, parseDtype } from '../ndarray/dtype.js';
import { base64ByteLength, decodeBase64Into } from './base64.js';
import {
  allocBytes,
  asBuffer,
  checkNdArray,
  fromBytes,
  normaliseShape,
  shapeSize,
} from '../ndarray/ndarray.js';
import type { NdArray } from '../ndarray/ndarray.js';

/** A `NumpyArrayField` in JSON mode, keys in the order Chains writes them. */
export interface NdarrayJson {
  data_b64: string;
  shape: number[];
  dtype: string;
}

/** Where a wire value sits, for error messages. */
export type WireWhere = Pick<ErrorDetails, 'path' | 'property'>;

const EXPECTED = '{"data_b64": <base64>, "shape": [<int>, ...], "dtype": <numpy dtype>}';

function wireError(detail: string, where: WireWhere, expected = EXPECTED): BerthError {
  return new BerthError('BERTH_E_WIRE_NDARRAY', detail, { ...where, expected });
}

/**
 * True when `value` looks like a `NumpyArrayField` JSON value: an object having the keys
 * `data_b64`, `shape` and `dtype` (others are ignored, as Chains does).
 */
export function isNdarrayJson(
  value: unknown,
): value is { data_b64: unknown; shape: unknown; dtype: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    'data_b64' in value &&
    'shape' in value &&
    'dtype' in value
  );
}

/**
 * Encodes an array in the JSON form, byte-compatible with Chains: base64 of the C-order
 * little-endian bytes and `dtype` as numpy's `str(dtype)` name. Throws `BERTH_E_TOO_LARGE` when
 * the base64 text would exceed the engine's string limit (about 512 MB of text).
 */
export function encodeNdarrayJson(arr: NdArray): NdarrayJson {
  checkNdArray(arr, { code: 'BERTH_E_WIRE_NDARRAY' });
  let data_b64: string;
  try {
    data_b64 = asBuffer(arr).toString('base64');
  } catch (e) {
    throw new BerthError(
      'BERTH_E_TOO_LARGE',
      `The array's ${arr.data.byteLength} bytes are too many for base64 text`,
      {
        cause: e,
      },
    );
  }
  return { data_b64, shape: [...arr.shape], dtype: arr.dtype };
}

/**
 * Decodes the JSON form into an array. The dtype may be a name (`float64`, `bool`) or a str
 * form of either byte order (`<f8`, `>i4`); the shape is never trusted: the data must hold
 * exactly the bytes it calls for. Object and structured dtypes are `BERTH_E_WIRE_UNSAFE`,
 * everything else malformed `BERTH_E_WIRE_NDARRAY`. Extra keys are ignored, as Chains does.
 *
 * The base64 text must be standard, padded base64 (what Python's `b64encode` writes): text
 * Node's lenient decoder would accept but Python's would not (URL-safe letters, missing
 * padding, stray characters) is refused.
 */
export function decodeNdarrayJson(value: unknown, where: WireWhere = {}): NdArray {
  if (!isNdarrayJson(value)) {
    throw wireError('The ndarray is not an object with data_b64, shape and dtype', where);
  }
  const { data_b64, shape, dtype } = value;
  if (typeof dtype !== 'string') throw wireError('The ndarray dtype is not a string', where);
  if (typeof data_b64 !== 'string') throw wireError('The ndarray data_b64 is not a string', where);
  const parsed = parseDtype(dtype, {
    code: 'BERTH_E_WIRE_NDARRAY',
    unsafeCode: 'BERTH_E_WIRE_UNSAFE',
    ...where,
  });
  const dims = normaliseShape(shape, { code: 'BERTH_E_WIRE_NDARRAY', ...where });
  const want = shapeSize(dims) * DTYPES[parsed.dtype].itemSize;
  const have = base64ByteLength(data_b64);
  if (have < 0) {
    throw wireError(
      `The ndarray data_b64 is not padded base64 (length ${data_b64.length})`,
      where,
      'standard base64',
    );
  }
  if (have !== want) {
    throw wireError(
      `The ndarray data is ${have > want ? 'longer' : 'shorter'} than its shape: ${have} bytes, ` +
        `shape ${JSON.stringify(dims)} of ${parsed.dtype} needs ${want}`,
      where,
      `${want} bytes`,
    );
  }
  // The same strictness as every base64 value on the wire (./base64.ts): no URL-safe letters,
  // no skipped characters, no bits after the last byte.
  const bytes = allocBytes(want, where);
  const problem = decodeBase64Into(data_b64, bytes);
  if (problem) throw wireError(`The ndarray data_b64 ${problem}`, where, 'standard base64');
  return fromBytes(parsed.dtype, dims, bytes, {
    byteOrder: parsed.byteOrder,
    owned: true,
    code: 'BERTH_E_WIRE_NDARRAY',
    ...where,
  });
}
