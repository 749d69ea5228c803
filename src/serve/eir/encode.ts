/**
 * Values as EIR decodes them (notes/wire-formats.md A.7): float32 little-endian C-order bytes for
 * arrays, one byte per element for omics, standard padded base64, tabular cells as strings
 * (categorical) or numbers (continuous).
 */
import type { JsonValue } from '../../manifest/document.js';
import { float16ToNumber } from '../../ndarray/dtype.js';
import { asBuffer, type NdArray } from '../../ndarray/ndarray.js';

/**
 * The array's elements as float32 in C order, little-endian (berth keeps arrays in C order and
 * native byte order, and every platform it runs on is little-endian), base64: what
 * `np.frombuffer(b64decode(s), dtype=np.float32).reshape(shape)` reads back. Other real dtypes
 * are converted element by element as numpy's `astype(np.float32)` does (round to nearest): exact
 * for bool, 8- and 16-bit integers and float16; wider integers and float64 may round.
 * Complex arrays are refused before this is reached (no EIR modality).
 */
export function float32Base64(arr: NdArray): string {
  if (arr.dtype === 'float32') return asBuffer(arr).toString('base64');
  const n = arr.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  switch (arr.dtype) {
    case 'float16':
      for (let i = 0; i < n; i++) out[i] = float16ToNumber(arr.data[i]!);
      break;
    case 'int64':
    case 'uint64':
      for (let i = 0; i < n; i++) out[i] = Number(arr.data[i]!);
      break;
    case 'complex64':
    case 'complex128':
      throw new TypeError('complex arrays have no float32 form');
    default:
      out.set(arr.data);
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('base64');
}

/** A bool array as numpy's `tobytes()`: one byte per element, 0 or 1, C order; base64. */
export function omicsBase64(arr: NdArray): string {
  return asBuffer(arr).toString('base64');
}

/**
 * One tabular cell: numbers stay numbers (continuous columns), strings stay strings and booleans
 * become `"true"` / `"false"` (categorical columns: EIR label-encodes the values it saw, so the
 * same text must come every time), an absent nullable member is `null` (NaN to pandas).
 */
export function tabularCell(value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'string') return value;
  // The planner only lets primitive kinds through; anything else is a bug, not user input.
  throw new TypeError(`not a tabular cell: ${typeof value}`);
}
