/** Deterministic sample arrays and fast-check arbitraries for the ndarray codec tests. */
import fc from 'fast-check';
import { DTYPES, DTYPE_NAMES } from '../../src/ndarray/dtype.js';
import type { DtypeName } from '../../src/ndarray/dtype.js';
import { fromBytes, shapeSize } from '../../src/ndarray/ndarray.js';
import type { NdArray } from '../../src/ndarray/ndarray.js';

/** Shapes every codec is tried on: 0-d, empty, 1-D, 2-D, 3-D, and empty inside n-D. */
export const SAMPLE_SHAPES: number[][] = [[], [0], [1], [7], [3, 4], [2, 3, 4], [2, 0, 3]];

/** Pseudo-random bytes from a seed (xorshift), so failures reproduce. */
export function seededBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** An array of `dtype` and `shape` filled with seeded bytes (bools 0 or 1, like numpy's). */
export function sampleArray(dtype: DtypeName, shape: number[], seed = 1): NdArray {
  const bytes = seededBytes(shapeSize(shape) * DTYPES[dtype].itemSize, seed);
  if (dtype === 'bool') for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] ?? 0) & 1;
  return fromBytes(dtype, shape, bytes);
}

/** Every dtype crossed with every sample shape. */
export function allSamples(): { name: string; arr: NdArray }[] {
  const out: { name: string; arr: NdArray }[] = [];
  let seed = 1;
  for (const dtype of DTYPE_NAMES) {
    for (const shape of SAMPLE_SHAPES) {
      out.push({ name: `${dtype}_${shape.join('x') || 'scalar'}`, arr: sampleArray(dtype, shape, seed++) });
    }
  }
  return out;
}

/** fast-check arbitrary over arrays of any dtype, up to 4 dimensions of up to 5. */
export const arbNdArray: fc.Arbitrary<NdArray> = fc
  .record({
    dtype: fc.constantFrom(...DTYPE_NAMES),
    shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }),
  })
  .chain(({ dtype, shape }) => {
    const n = shapeSize(shape) * DTYPES[dtype].itemSize;
    return fc.uint8Array({ minLength: n, maxLength: n }).map((bytes) => {
      if (dtype === 'bool') for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] ?? 0) & 1;
      return fromBytes(dtype, shape, bytes);
    });
  });
