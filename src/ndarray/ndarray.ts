/**
 * berth's n-dimensional array value: a dtype, a shape and a typed array of elements in C order
 * (last index fastest), native little-endian byte order.
 *
 * Arrays are plain objects so they cross module and worker boundaries without classes; the
 * helpers here build them from bytes with as few copies as the bytes allow.
 */
import { constants as bufferConstants } from 'node:buffer';
import { BerthError } from '../errors.js';
import type { Code, ErrorDetails } from '../errors.js';
import { DTYPES, isDtypeName, numberToFloat16 } from './dtype.js';
import type { ByteOrder, DtypeName, DtypeStorage, TypedArray } from './dtype.js';

/** An array of one dtype `D`. `data` holds `size(shape)` elements (twice that for complex). */
export interface NdArrayOf<D extends DtypeName> {
  dtype: D;
  shape: number[];
  data: DtypeStorage[D];
}

/** An array of any supported dtype; narrowing on `dtype` narrows `data`. */
export type NdArray = { [D in DtypeName]: NdArrayOf<D> }[DtypeName];

/** {@link NdArrayOf} distributed over a union of dtypes: `NdArrayFor<DtypeName>` is {@link NdArray}. */
export type NdArrayFor<D extends DtypeName> = D extends DtypeName ? NdArrayOf<D> : never;

/** Where a value came from and which code to raise, for the validation helpers. */
export interface NdCheckOptions extends Pick<ErrorDetails, 'path' | 'property'> {
  /** The code of errors raised (default `BERTH_E_NPY_SHAPE`). */
  code?: Code;
}

function fail(options: NdCheckOptions, detail: string, expected?: string): never {
  throw new BerthError(options.code ?? 'BERTH_E_NPY_SHAPE', detail, {
    path: options.path,
    property: options.property,
    expected,
  });
}

/**
 * The most dimensions of an array: numpy 1.x's NPY_MAXDIMS, so every array berth reads, decodes
 * or writes loads in numpy. One limit for readers, checks, wire decoders and writers (all go
 * through {@link shapeSize}); it also keeps a written .npy header far below the header limit.
 */
export const MAX_NDIM = 32;

/**
 * The number of elements of a shape, after checking it is a list of at most {@link MAX_NDIM}
 * non-negative safe integers whose product is a safe integer. A 0-d shape `[]` has one element.
 */
export function shapeSize(shape: unknown, options: NdCheckOptions = {}): number {
  if (!Array.isArray(shape))
    fail(options, `The shape ${describe(shape)} is not a list`, 'a list of integers');
  if (shape.length > MAX_NDIM)
    fail(options, `The shape has ${shape.length} dimensions`, `at most ${MAX_NDIM} (as numpy)`);
  let size = 1;
  for (const dim of shape as unknown[]) {
    const n =
      typeof dim === 'bigint' && dim >= 0n && dim <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(dim) : dim;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      fail(options, `The shape ${describe(shape)} has a dimension that is not a non-negative integer`);
    }
    size *= n;
    if (!Number.isSafeInteger(size)) fail(options, `The shape ${describe(shape)} has too many elements`);
  }
  return size;
}

/** The shape as plain numbers (bigint dimensions from msgpack become numbers), checked. */
export function normaliseShape(shape: unknown, options: NdCheckOptions = {}): number[] {
  shapeSize(shape, options);
  return (shape as (number | bigint)[]).map(Number);
}

/** Bytes an array of this dtype and shape occupies. */
export function byteLengthOf(dtype: DtypeName, shape: readonly number[]): number {
  return shapeSize(shape) * DTYPES[dtype].itemSize;
}

/** The array's bytes (C order, little-endian) as a view on the same memory: no copy. */
export function asBytes(arr: NdArray): Uint8Array {
  const d = arr.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** The array's bytes as a Node Buffer view (for `toString('base64')`, writes): no copy. */
export function asBuffer(arr: NdArray): Buffer {
  const d = arr.data;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

/**
 * Checks that `arr` is a well-formed {@link NdArray}: a supported dtype, a valid shape and a
 * typed array of the dtype's storage type holding exactly the shape's elements.
 */
export function checkNdArray(arr: unknown, options: NdCheckOptions = {}): asserts arr is NdArray {
  if (typeof arr !== 'object' || arr === null) fail(options, 'The array is not an object');
  const { dtype, shape, data } = arr as { dtype?: unknown; shape?: unknown; data?: unknown };
  if (!isDtypeName(dtype)) fail(options, `The array has an unsupported dtype ${describe(dtype)}`);
  const size = shapeSize(shape, options);
  const d = DTYPES[dtype];
  if (!(data instanceof d.storage)) {
    fail(options, `The ${dtype} array's data is not a ${d.storage.name}`);
  }
  const have = (data as TypedArray).length;
  const want = size * d.lanes;
  if (have !== want) {
    fail(
      options,
      `The ${dtype} array's data holds ${have} entries but shape ${describe(shape)} needs ${want}` +
        (have > want ? ' (data longer than the shape)' : ' (data shorter than the shape)'),
    );
  }
}

/** Options of {@link fromBytes}. */
export interface FromBytesOptions extends NdCheckOptions {
  /** The byte order of `bytes` (default little). */
  byteOrder?: ByteOrder;
  /**
   * True when the caller hands `bytes` over: big-endian data is then swapped in place instead
   * of into a copy. Leave false for bytes someone else still reads (a message, a user buffer).
   */
  owned?: boolean;
  /** Always copy, so the array never aliases `bytes`. */
  copy?: boolean;
}

/**
 * Builds an array from its serialised bytes (C order), after checking the byte length matches
 * the shape exactly (longer and shorter data are both refused, naming which).
 *
 * The array is a view on `bytes` — no copy — unless one is needed:
 * - the bytes are big-endian and multi-byte: copied while swapping (swapped in place if `owned`);
 * - `bytes.byteOffset` is not a multiple of the element lane size (typed arrays need alignment,
 *   which msgpack payloads and pooled Buffers rarely give): copied into fresh aligned memory;
 * - `copy` is set.
 */
export function fromBytes<D extends DtypeName>(
  dtype: D,
  shape: readonly number[],
  bytes: Uint8Array,
  options: FromBytesOptions = {},
): NdArrayFor<D> {
  const d = DTYPES[dtype];
  const size = shapeSize(shape, options);
  const want = size * d.itemSize;
  if (bytes.byteLength !== want) {
    fail(
      options,
      bytes.byteLength > want
        ? `The data is longer than the shape: ${bytes.byteLength} bytes, shape ${describe(shape)} of ${dtype} needs ${want}`
        : `The data is shorter than the shape: ${bytes.byteLength} bytes, shape ${describe(shape)} of ${dtype} needs ${want}`,
      `${want} bytes`,
    );
  }
  const swap = options.byteOrder === 'big' && d.laneSize > 1;
  const aligned = bytes.byteOffset % d.laneSize === 0;
  let view = bytes;
  if (options.copy || !aligned || (swap && !options.owned)) {
    view = allocBytes(want, options);
    view.set(bytes);
  }
  if (swap) swapLanes(view, d.laneSize);
  const data = new d.storage(view.buffer, view.byteOffset, size * d.lanes);
  return { dtype, shape: shape.map(Number), data } as NdArrayOf<D> as NdArrayFor<D>;
}

/** Reverses the byte order of every `laneSize`-byte unit of `bytes`, in place. */
export function swapLanes(bytes: Uint8Array, laneSize: 1 | 2 | 4 | 8): void {
  if (laneSize === 1 || bytes.byteLength === 0) return;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (laneSize === 2) b.swap16();
  else if (laneSize === 4) b.swap32();
  else b.swap64();
}

/**
 * Fresh, zero-offset memory (so any typed-array view on it is aligned), never from Node's
 * shared pool. Refuses sizes Node cannot allocate with BERTH_E_TOO_LARGE.
 */
export function allocBytes(byteLength: number, where: Pick<ErrorDetails, 'path' | 'property'> = {}): Buffer {
  if (byteLength > bufferConstants.MAX_LENGTH) {
    throw new BerthError(
      'BERTH_E_TOO_LARGE',
      `The array needs ${byteLength} bytes; this Node.js allocates at most ${bufferConstants.MAX_LENGTH}`,
      where,
    );
  }
  return Buffer.allocUnsafeSlow(byteLength);
}

/**
 * Builds an array from values, or zero-filled when `values` is omitted. Numbers go into bigint
 * dtypes as BigInt, float16 values are rounded to half precision, complex values are given as
 * interleaved real, imaginary pairs.
 */
export function ndarray<D extends DtypeName>(
  dtype: D,
  shape: readonly number[],
  values?: ArrayLike<number | bigint | boolean>,
): NdArrayFor<D> {
  const d = DTYPES[dtype];
  const size = shapeSize(shape, { code: 'BERTH_E_NDARRAY_SHAPE' });
  const data = new d.storage(size * d.lanes);
  if (values !== undefined) {
    if (values.length !== data.length) {
      throw new BerthError(
        'BERTH_E_NDARRAY_SHAPE',
        `${values.length} values given for shape ${describe(shape)} of ${dtype}, which needs ${data.length}`,
      );
    }
    const big = dtype === 'int64' || dtype === 'uint64';
    const out = data as unknown as { [i: number]: number | bigint };
    for (let i = 0; i < data.length; i++) {
      const v = values[i] as number | bigint | boolean;
      if (big) out[i] = typeof v === 'bigint' ? v : BigInt(Number(v));
      else if (dtype === 'float16') out[i] = numberToFloat16(Number(v));
      else if (dtype === 'bool') out[i] = v ? 1 : 0;
      else out[i] = Number(v);
    }
  }
  return { dtype, shape: shape.map(Number), data } as NdArrayOf<D> as NdArrayFor<D>;
}

/**
 * Reorders Fortran-order (first index fastest) bytes into C order (last index fastest), the
 * order berth keeps. Always copies (returns `bytes` itself only for 0-d and 1-d arrays, where
 * both orders are the same).
 */
export function fortranToC(bytes: Uint8Array, shape: readonly number[], itemSize: number): Uint8Array {
  const n = shape.length;
  const size = shapeSize(shape);
  if (n < 2 || size <= 1) return bytes;
  let src = bytes;
  const unit = itemSize % 4 === 0 ? 4 : itemSize % 2 === 0 ? 2 : 1;
  if (src.byteOffset % unit !== 0) {
    src = allocBytes(src.byteLength);
    src.set(bytes);
  }
  const out = allocBytes(size * itemSize);
  const U = itemSize / unit;
  const mk = (b: Uint8Array): Uint8Array | Uint16Array | Uint32Array =>
    unit === 4
      ? new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4)
      : unit === 2
        ? new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2)
        : b;
  const s = mk(src);
  const o = mk(out);
  // Fortran strides, in units: axis 0 is contiguous.
  const strides: number[] = [];
  let acc = U;
  for (let k = 0; k < n; k++) {
    strides.push(acc);
    acc *= shape[k] ?? 0;
  }
  const idx = new Array<number>(n).fill(0);
  const last = shape[n - 1] ?? 0;
  const lastStride = strides[n - 1] ?? 0;
  let base = 0;
  let w = 0;
  const total = size * U;
  while (w < total) {
    let r = base;
    if (U === 1) {
      for (let j = 0; j < last; j++, r += lastStride) o[w++] = s[r] ?? 0;
    } else {
      for (let j = 0; j < last; j++, r += lastStride) for (let u = 0; u < U; u++) o[w++] = s[r + u] ?? 0;
    }
    for (let k = n - 2; k >= 0; k--) {
      const dim = shape[k] ?? 0;
      const st = strides[k] ?? 0;
      base += st;
      if (++idx[k]! < dim) break;
      base -= st * dim;
      idx[k] = 0;
    }
  }
  return out;
}

/** True when two arrays have the same dtype, shape and bytes (NaN payloads compared bitwise). */
export function sameNdArray(a: NdArray, b: NdArray): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length) return false;
  if (a.shape.some((v, i) => v !== b.shape[i])) return false;
  return asBuffer(a).equals(asBytes(b));
}

function describe(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  } catch {
    return String(v);
  }
}
