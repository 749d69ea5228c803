/**
 * `image`: PNG and JPEG files compared by decoded pixels. Same size required; a pixel differs when
 * any of its RGBA samples differs by more than `abs` (default 0); the images match when at most
 * `maxDiffPixels` (default 0) pixels differ.
 */
import type { Comparison } from '../types.js';
import { attachImages } from './assets.js';
import { baseOf, readBoth, type LeafPair } from './context.js';
import { decodeImageFile, to8Bit, type DecodedImage, type Raster } from './raster.js';

/** What a pixel comparison measured. */
export interface PixelDiff {
  differingPixels: number;
  /** The largest difference of any one sample. */
  maxAbsDiff: number;
  /** One byte per pixel: 1 where it differs beyond `abs`. */
  differs: Uint8Array;
}

/**
 * Compares two rasters of the same size sample by sample (`samples` per pixel). Rasters of
 * different bit depths are compared at 8 bits.
 */
export function diffRasters(e: Raster, a: Raster, abs: number, samples = 4): PixelDiff {
  const [x, y] = e.maxValue === a.maxValue ? [e, a] : [to8Bit(e), to8Bit(a)];
  const n = x.width * x.height;
  const differs = new Uint8Array(n);
  let differingPixels = 0;
  let maxAbsDiff = 0;
  for (let i = 0; i < n; i++) {
    let worst = 0;
    for (let s = 0; s < samples; s++) {
      const d = Math.abs(x.data[i * samples + s]! - y.data[i * samples + s]!);
      if (d > worst) worst = d;
    }
    if (worst > maxAbsDiff) maxAbsDiff = worst;
    if (worst > abs) {
      differs[i] = 1;
      differingPixels++;
    }
  }
  return { differingPixels, maxAbsDiff, differs };
}

function describe(img: DecodedImage): string {
  return `${img.width}×${img.height} ${img.format}${img.maxValue > 255 ? ' (16-bit)' : ''}`;
}

/** Compares two image files by pixels, writing expected, actual and diff pictures when asked. */
export async function compareImage(pair: LeafPair): Promise<Comparison> {
  const read = await readBoth(pair, 'image', 'image cannot be decoded', decodeImageFile, describe);
  if (!('e' in read)) return read;
  const { e, a } = read;
  const base = {
    ...baseOf(pair.property, pair.path, 'image', pair.tolerance),
    expected: describe(e),
    actual: describe(a),
  };
  if (e.width !== a.width || e.height !== a.height) {
    const c: Comparison = {
      ...base,
      passed: false,
      metrics: { expectedSize: [e.width, e.height], actualSize: [a.width, a.height] },
      message: `The images differ in size: ${e.width}×${e.height} expected, ${a.width}×${a.height} actual`,
    };
    await attachImages(c, pair.assets, e, a);
    return c;
  }
  const abs = pair.tolerance.abs ?? 0;
  const allowed = pair.tolerance.maxDiffPixels ?? 0;
  const diff = diffRasters(e, a, abs);
  const passed = diff.differingPixels <= allowed;
  const c: Comparison = {
    ...base,
    passed,
    metrics: {
      width: e.width,
      height: e.height,
      differingPixels: diff.differingPixels,
      maxAbsDiff: diff.maxAbsDiff,
      maxDiffPixels: allowed,
    },
  };
  if (!passed) {
    c.message = `${diff.differingPixels} pixels differ by more than ${abs} (at most ${allowed} may); the largest difference is ${diff.maxAbsDiff}`;
  }
  await attachImages(c, pair.assets, e, a, diff.differs);
  return c;
}
