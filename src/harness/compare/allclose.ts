/**
 * `allclose`: two ndarrays (`.npy`) match when dtype and shape are the same and every element is
 * close: `|a − e| ≤ abs + rel·|e|` (numpy's `allclose(actual, expected, rtol=rel, atol=abs)`),
 * NaN equal to NaN only when both are NaN, infinities equal only to themselves. Complex elements
 * compare by the modulus of their difference. No tolerance means every element equal.
 */
import { float16ToNumber } from '../../ndarray/dtype.js';
import type { NdArray } from '../../ndarray/ndarray.js';
import { readNpy } from '../../ndarray/npy.js';
import type { Comparison } from '../types.js';
import { baseOf, readBoth, type LeafPair } from './context.js';
import { withinAllowance } from './numeric.js';

/** Reads lane `i` of an array's storage as a number (float16 bits decoded; 64-bit ints rounded). */
export function laneReader(arr: NdArray): (i: number) => number {
  switch (arr.dtype) {
    case 'float16': {
      const d = arr.data;
      return (i) => float16ToNumber(d[i]!);
    }
    case 'int64':
    case 'uint64': {
      const d = arr.data;
      return (i) => Number(d[i]!);
    }
    default: {
      const d = arr.data;
      return (i) => d[i]!;
    }
  }
}

/** The element differences of two arrays of one dtype and shape. */
export interface CloseReport {
  /** Elements not close. */
  beyond: number;
  /** Largest |a − e| over elements where both are finite. */
  maxAbs: number;
  /** Largest |a − e| / |e| over elements where both are finite and e ≠ 0. */
  maxRel: number;
  /** Flat index of the first element not close, or -1. */
  first: number;
}

/** Compares every element; see the module comment for the rule. */
export function closeReport(e: NdArray, a: NdArray, abs: number, rel: number): CloseReport {
  const lanes = e.dtype === 'complex64' || e.dtype === 'complex128' ? 2 : 1;
  const n = e.data.length / lanes;
  const ge = laneReader(e);
  const ga = laneReader(a);
  // 64-bit integers: subtract as bigints so that equality is exact beyond 2^53.
  const big =
    (e.dtype === 'int64' || e.dtype === 'uint64') && (a.dtype === 'int64' || a.dtype === 'uint64')
      ? { e: e.data as BigInt64Array | BigUint64Array, a: a.data as BigInt64Array | BigUint64Array }
      : undefined;
  const report: CloseReport = { beyond: 0, maxAbs: 0, maxRel: 0, first: -1 };
  for (let i = 0; i < n; i++) {
    let diff: number;
    let mag: number;
    let ev: number;
    let av: number;
    if (lanes === 2) {
      const er = ge(2 * i);
      const ei = ge(2 * i + 1);
      const ar = ga(2 * i);
      const ai = ga(2 * i + 1);
      if (er === ar && ei === ai) continue;
      ev = Number.isNaN(er) || Number.isNaN(ei) ? NaN : Math.hypot(er, ei);
      av = Number.isNaN(ar) || Number.isNaN(ai) ? NaN : Math.hypot(ar, ai);
      diff = Math.hypot(ar - er, ai - ei);
      mag = ev;
    } else if (big) {
      const d = big.a[i]! - big.e[i]!;
      if (d === 0n) continue;
      diff = Math.abs(Number(d));
      ev = Number(big.e[i]!);
      av = Number(big.a[i]!);
      mag = Math.abs(ev);
    } else {
      ev = ge(i);
      av = ga(i);
      if (ev === av) continue;
      diff = Math.abs(av - ev);
      mag = Math.abs(ev);
    }
    if (Number.isNaN(ev) || Number.isNaN(av)) {
      if (Number.isNaN(ev) && Number.isNaN(av)) continue;
    } else if (Number.isFinite(diff)) {
      if (diff > report.maxAbs) report.maxAbs = diff;
      if (mag > 0 && diff / mag > report.maxRel) report.maxRel = diff / mag;
      if (withinAllowance(diff, abs + rel * mag, Math.max(mag, Math.abs(av)))) continue;
    }
    report.beyond++;
    if (report.first < 0) report.first = i;
  }
  return report;
}

/** A flat C-order index as a multi-index of `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(0);
  for (let k = shape.length - 1; k >= 0; k--) {
    const extent = shape[k]!;
    out[k] = extent === 0 ? 0 : flat % extent;
    flat = extent === 0 ? 0 : Math.floor(flat / extent);
  }
  return out;
}

/** `float32[3, 2]`. */
export function describeArray(arr: NdArray): string {
  return `${arr.dtype}[${arr.shape.join(', ')}]`;
}

/** Reads both `.npy` files of a pair; a failed comparison when either cannot be read. */
export function readPair(
  pair: LeafPair,
  method: 'allclose' | 'dice',
): Promise<{ e: NdArray; a: NdArray } | Comparison> {
  return readBoth(pair, method, 'array cannot be read', readNpy, describeArray);
}

/** Compares two `.npy` files element by element. */
export async function compareAllclose(pair: LeafPair): Promise<Comparison> {
  const read = await readPair(pair, 'allclose');
  if (!('e' in read)) return read;
  const { e, a } = read;
  const base = {
    ...baseOf(pair.property, pair.path, 'allclose', pair.tolerance),
    expected: describeArray(e),
    actual: describeArray(a),
  };
  if (e.dtype !== a.dtype) {
    return { ...base, passed: false, message: `The dtypes differ: ${e.dtype} expected, ${a.dtype} actual` };
  }
  if (e.shape.length !== a.shape.length || e.shape.some((n, i) => n !== a.shape[i])) {
    return {
      ...base,
      passed: false,
      message: `The shapes differ: [${e.shape.join(', ')}] expected, [${a.shape.join(', ')}] actual`,
    };
  }
  const abs = pair.tolerance.abs ?? 0;
  const rel = pair.tolerance.rel ?? 0;
  const r = closeReport(e, a, abs, rel);
  const size = e.shape.reduce((x, y) => x * y, 1);
  const c: Comparison = {
    ...base,
    passed: r.beyond === 0,
    metrics: { size, beyond: r.beyond, maxAbs: r.maxAbs, maxRel: r.maxRel },
  };
  if (r.first >= 0) {
    const at = unravel(r.first, e.shape);
    const lanes = e.dtype === 'complex64' || e.dtype === 'complex128' ? 2 : 1;
    const ge = laneReader(e);
    const ga = laneReader(a);
    const show = (g: (i: number) => number): string =>
      lanes === 2
        ? `${g(2 * r.first)}${g(2 * r.first + 1) < 0 ? '' : '+'}${g(2 * r.first + 1)}j`
        : String(g(r.first));
    c.metrics = { ...c.metrics, firstBeyond: { index: at, expected: show(ge), actual: show(ga) } };
    c.message = `${r.beyond} of ${size} elements differ by more than abs + rel·|expected| (abs ${abs}, rel ${rel}); first at [${at.join(', ')}]: ${show(ge)} expected, ${show(ga)} actual`;
  }
  return c;
}
