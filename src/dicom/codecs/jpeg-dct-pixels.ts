/**
 * From DCT coefficients to samples for the DCT JPEG decoder (jpeg-dct.ts): the inverse DCT of one
 * 8×8 block (ITU T.81 A.3.3, in floating point, rounded once) and the upsampling of subsampled
 * components to the image size — the "fancy" triangle filter for 2:1 horizontal and 2:1 both ways
 * (what libjpeg, and so dcmtk and GDCM, do by default), replication for other factors.
 */
import { UnsupportedCodestreamError } from './types.js';

/** A component's decoded samples: `stride` per line, whole blocks. */
export interface ComponentPlane {
  readonly h: number;
  readonly v: number;
  readonly stride: number;
  readonly samples: Uint16Array;
}

/** COS[x * 8 + u] = C(u)/2 · cos((2x + 1)uπ/16), C(0) = 1/√2, else 1. */
const COS = new Float64Array(64);
for (let x = 0; x < 8; x++) {
  for (let u = 0; u < 8; u++) {
    COS[x * 8 + u] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
}

/** A block with only its DC coefficient: every sample DC/8 (rounded half up, as integer IDCTs do). */
export function flatBlock(
  dc: number,
  dst: Uint16Array,
  offset: number,
  stride: number,
  level: number,
  max: number,
): void {
  const v = Math.round(dc / 8) + level;
  const value = v < 0 ? 0 : v > max ? max : v;
  for (let y = 0; y < 8; y++) dst.fill(value, offset + y * stride, offset + y * stride + 8);
}

/**
 * One 8-point inverse DCT from `src` (`step` apart from `at`) into `dst` (same): the even terms
 * (u = 0, 2, 4, 6) are symmetric in x ↔ 7 − x and the odd ones antisymmetric, so 32 products.
 */
function idct8(
  src: Float64Array | Int32Array,
  at: number,
  step: number,
  dst: Float64Array,
  to: number,
): void {
  const f0 = src[at]!;
  const f1 = src[at + step]!;
  const f2 = src[at + 2 * step]!;
  const f3 = src[at + 3 * step]!;
  const f4 = src[at + 4 * step]!;
  const f5 = src[at + 5 * step]!;
  const f6 = src[at + 6 * step]!;
  const f7 = src[at + 7 * step]!;
  for (let x = 0; x < 4; x++) {
    const r = x * 8;
    const even = COS[r]! * f0 + COS[r + 2]! * f2 + COS[r + 4]! * f4 + COS[r + 6]! * f6;
    const odd = COS[r + 1]! * f1 + COS[r + 3]! * f3 + COS[r + 5]! * f5 + COS[r + 7]! * f7;
    dst[to + x * step] = even + odd;
    dst[to + (7 - x) * step] = even - odd;
  }
}

/**
 * Inverse DCT of `coef` (natural order, dequantized) into `dst` at `offset` (8 lines of `stride`),
 * level-shifted by `level` and clamped to 0..max; `tmp` is scratch of 64.
 */
export function idctBlock(
  coef: Int32Array,
  tmp: Float64Array,
  dst: Uint16Array,
  offset: number,
  stride: number,
  level: number,
  max: number,
): void {
  for (let v = 0; v < 8; v++) {
    const r = v * 8;
    let zero = true;
    for (let u = 1; u < 8; u++) if (coef[r + u] !== 0) zero = false;
    if (zero)
      tmp.fill(coef[r]! * COS[0]!, r, r + 8); // only the DC term: a constant row
    else idct8(coef, r, 1, tmp, r);
  }
  for (let x = 0; x < 8; x++) idct8(tmp, x, 8, tmp, x);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const value = Math.round(tmp[y * 8 + x]!) + level;
      dst[offset + y * stride + x] = value < 0 ? 0 : value > max ? max : value;
    }
  }
}

/** A component's samples at the image size (`width` × `height`), upsampled when subsampled. */
export function upsample(
  c: ComponentPlane,
  width: number,
  height: number,
  hmax: number,
  vmax: number,
): Uint16Array {
  const fx = hmax / c.h;
  const fy = vmax / c.v;
  if (!Number.isInteger(fx) || !Number.isInteger(fy)) {
    throw new UnsupportedCodestreamError(
      `JPEG sampling ${c.h}×${c.v} of ${hmax}×${vmax} is not an integer ratio`,
    );
  }
  const out = new Uint16Array(width * height);
  const src = c.samples;
  const stride = c.stride;
  if (fx === 2 && (fy === 1 || fy === 2)) {
    const dw = Math.ceil(width / 2);
    const dh = Math.ceil(height / fy);
    const sums = new Int32Array(dw);
    for (let y = 0; y < height; y++) {
      const near = Math.floor(y / fy);
      // 2:1 vertically: 3/4 of the nearer input line and 1/4 of the other (edges repeat).
      const far = fy === 1 ? near : Math.min(Math.max(y % 2 === 0 ? near - 1 : near + 1, 0), dh - 1);
      for (let i = 0; i < dw; i++) {
        sums[i] = fy === 1 ? src[near * stride + i]! : 3 * src[near * stride + i]! + src[far * stride + i]!;
      }
      // 2:1 horizontally: 3/4 of the nearer sample and 1/4 of its other neighbour, libjpeg's rounding.
      const [bias0, bias1, shift] = fy === 1 ? [1, 2, 2] : [8, 7, 4];
      const o = y * width;
      for (let i = 0; i < dw; i++) {
        const s = 3 * sums[i]!;
        out[o + 2 * i] = (s + sums[Math.max(i - 1, 0)]! + bias0) >> shift;
        if (2 * i + 1 < width) out[o + 2 * i + 1] = (s + sums[Math.min(i + 1, dw - 1)]! + bias1) >> shift;
      }
    }
    return out;
  }
  for (let y = 0; y < height; y++) {
    const line = Math.floor(y / fy) * stride;
    if (fx === 1) out.set(src.subarray(line, line + width), y * width);
    else for (let x = 0; x < width; x++) out[y * width + x] = src[line + Math.floor(x / fx)]!;
  }
  return out;
}
