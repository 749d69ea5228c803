/**
 * DICOM pixel data compared and rendered. Native pixel data compares stored values (no rescale,
 * no LUT) pixel by pixel: a pixel differs when any of its samples differs by more than `abs`.
 * Encapsulated (compressed) pixel data is not decoded: its frames compare byte for byte.
 */
import type { EncapsulatedPixels, NativePixels } from '../../dicom/pixels.js';
import type { DicomHeader } from '../../dicom/scan.js';
import type { Raster } from './raster.js';

/** Pixel data as read, or undefined when the instance has none. */
export type Pixels = NativePixels | EncapsulatedPixels | undefined;

/** What comparing the pixels of one pair of instances found. */
export interface PixelComparison {
  /** Why the pixels could not be compared value by value (sizes, encodings differ). */
  problem?: string;
  differingPixels: number;
  maxAbsDiff: number;
  /** Encapsulated pixel data: frames whose bytes differ. */
  differingFrames: number;
}

/** Stored sample `i` of native pixels (BitsAllocated 1 unpacked, least significant bit first). */
export function sampleReader(px: NativePixels): (i: number) => number {
  const d = px.data;
  if (px.bitsAllocated === 1) return (i) => (d[i >> 3]! >> (i & 7)) & 1;
  return (i) => d[i]!;
}

function sameFrames(e: EncapsulatedPixels, a: EncapsulatedPixels): number {
  let differing = Math.abs(e.frames.length - a.frames.length);
  const n = Math.min(e.frames.length, a.frames.length);
  for (let f = 0; f < n; f++) {
    if (!Buffer.from(e.frames[f]!).equals(Buffer.from(a.frames[f]!))) differing++;
  }
  return differing;
}

/**
 * Compares the pixel data of two instances. `differs`, when given, receives one byte per pixel of
 * frame `frame` (1 where it differs), for the diff picture.
 */
export function comparePixels(
  e: Pixels,
  a: Pixels,
  abs: number,
  mask?: { frame: number; differs: Uint8Array },
): PixelComparison {
  const result: PixelComparison = { differingPixels: 0, maxAbsDiff: 0, differingFrames: 0 };
  if (!e || !a) {
    if (e || a) result.problem = `${e ? 'only the expected' : 'only the actual'} instance has pixel data`;
    return result;
  }
  if (e.kind === 'encapsulated' || a.kind === 'encapsulated') {
    if (e.kind !== a.kind) {
      result.problem = 'one instance has native and the other compressed pixel data';
      return result;
    }
    result.differingFrames = sameFrames(e as EncapsulatedPixels, a as EncapsulatedPixels);
    return result;
  }
  const dims = (p: NativePixels) => `${p.frames} × ${p.rows} × ${p.columns} × ${p.samplesPerPixel}`;
  if (dims(e) !== dims(a)) {
    result.problem = `the pixel data differs in size (frames × rows × columns × samples): ${dims(e)} expected, ${dims(a)} actual`;
    return result;
  }
  const ge = sampleReader(e);
  const ga = sampleReader(a);
  const spp = e.samplesPerPixel;
  const perFrame = e.rows * e.columns;
  const pixels = e.frames * perFrame;
  for (let p = 0; p < pixels; p++) {
    let worst = 0;
    for (let s = 0; s < spp; s++) {
      const d = Math.abs(ga(p * spp + s) - ge(p * spp + s));
      if (d > worst) worst = d;
    }
    if (worst > result.maxAbsDiff) result.maxAbsDiff = worst;
    if (worst > abs) {
      result.differingPixels++;
      if (mask && Math.floor(p / perFrame) === mask.frame) mask.differs[p % perFrame] = 1;
    }
  }
  return result;
}

function firstNumber(h: DicomHeader, keyword: string): number | undefined {
  const v = h.getNumbers(keyword)?.[0];
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

/**
 * Renders one frame of native pixels as an 8-bit picture: greyscale through the modality rescale
 * and the first WindowCenter/WindowWidth (or the frame's min–max when there is no window),
 * MONOCHROME1 inverted; colour (3 samples) shown as RGB. Undefined for anything else.
 */
export function renderFrame(px: NativePixels, h: DicomHeader, frame: number): Raster | undefined {
  const n = px.rows * px.columns;
  const get = sampleReader(px);
  const out = new Uint8Array(n * 4);
  if (px.samplesPerPixel === 3) {
    // readPixels gives colour interleaved whatever PlanarConfiguration says.
    const max = px.bitsAllocated === 16 ? 65535 : 255;
    const base = frame * n * 3;
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < 3; s++) {
        const v = get(base + i * 3 + s);
        out[i * 4 + s] = Math.round((v * 255) / max);
      }
      out[i * 4 + 3] = 255;
    }
    return { width: px.columns, height: px.rows, data: out, maxValue: 255 };
  }
  if (px.samplesPerPixel !== 1) return undefined;
  const slope = firstNumber(h, 'RescaleSlope') ?? 1;
  const intercept = firstNumber(h, 'RescaleIntercept') ?? 0;
  const base = frame * n;
  const values = new Float64Array(n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = get(base + i) * slope + intercept;
    values[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const centre = firstNumber(h, 'WindowCenter');
  const width = firstNumber(h, 'WindowWidth');
  // The linear window of PS3.3 C.11.2.1.2; without one, the frame's own range.
  const [lo, span] =
    centre !== undefined && width !== undefined && width >= 1
      ? [centre - 0.5 - (width - 1) / 2, width - 1]
      : [min, max - min];
  const invert = h.PhotometricInterpretation === 'MONOCHROME1';
  for (let i = 0; i < n; i++) {
    let g = span > 0 ? ((values[i]! - lo) / span) * 255 : values[i]! > lo ? 255 : 0;
    g = Math.max(0, Math.min(255, Math.round(g)));
    if (invert) g = 255 - g;
    out[i * 4] = g;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = g;
    out[i * 4 + 3] = 255;
  }
  return { width: px.columns, height: px.rows, data: out, maxValue: 255 };
}
