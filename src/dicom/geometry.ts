/**
 * Image geometry and the modality rescale, from scanned headers: what a machine needs to turn a
 * series into a volume in patient space and its stored values into Hounsfield units.
 *
 * Conventions, written once here:
 * - `PixelSpacing` is `[row spacing, column spacing]` in mm, as DICOM writes it: the distance
 *   between the centres of adjacent rows (along y), then of adjacent columns (along x).
 * - A volume is indexed `(z, y, x)`: slice, row, column. Its `spacing` and `direction` are given in
 *   that order too: `spacing = [slice, row, column]` in mm, `direction = [normal, column
 *   direction, row direction]`, where the row direction is ImageOrientationPatient's first
 *   triplet (x grows along a row), the column direction its second (y grows down the columns) and
 *   the normal their cross product. `origin` is the ImagePositionPatient of slice 0 (the centre of
 *   its first pixel), so voxel (z, y, x) lies at `origin + z·s₀·d₀ + y·s₁·d₁ + x·s₂·d₂`.
 * - The slice spacing is measured, never read from SliceThickness or SpacingBetweenSlices (they
 *   are often wrong): the positions projected on the normal, sorted, must step evenly — every gap
 *   within 1 % (and 0.001 mm) of their mean — else BERTH_E_DICOM_GEOMETRY. A single slice has no
 *   gap: its spacing is SpacingBetweenSlices, else SliceThickness, else BERTH_E_DICOM_GEOMETRY.
 * - Every slice must have ImagePositionPatient and ImageOrientationPatient (else
 *   BERTH_E_MISSING_ATTRIBUTE) and the same orientation (within 1e-4) and size (else
 *   BERTH_E_DICOM_GEOMETRY). Per-frame geometry of enhanced multi-frame objects (functional
 *   group sequences) is not read: multi-frame instances are refused.
 * - The modality rescale is RescaleSlope (default 1) and RescaleIntercept (default 0) of the
 *   instance, applied alike to every frame; `toHounsfield` returns an Int16Array when every result
 *   is a whole number in −32768…32767 (CT with slope 1 and a whole intercept), else a Float32Array.
 */
import { BerthError } from '../errors.js';
import type { NativePixels } from './pixels.js';
import type { DicomHeader } from './header.js';

/** A point or direction in patient space (mm, LPS). */
export type Vec3 = [number, number, number];

/** Where a volume's voxels lie in patient space; every triple is in the volume's axis order (z, y, x). */
export interface VolumeGeometry {
  /** The position of voxel (0, 0, 0): ImagePositionPatient of the first slice. */
  readonly origin: Vec3;
  /** mm between slices, rows, columns. */
  readonly spacing: Vec3;
  /** Unit vectors along z (slice normal), y (down a column), x (along a row). */
  readonly direction: [Vec3, Vec3, Vec3];
  /** Each slice's position along the normal (mm), in volume order. */
  readonly slicePositions: number[];
}

/** Relative tolerance of a slice gap against the mean gap. */
const GAP_TOLERANCE = 0.01;
/** Orientations closer than this (per cosine) are the same. */
const ORIENTATION_TOLERANCE = 1e-4;

function geometryError(path: string, message: string, expected: string): BerthError {
  return new BerthError('BERTH_E_DICOM_GEOMETRY', message, { path, expected });
}

function missing(h: DicomHeader, keyword: string, why: string): BerthError {
  return new BerthError('BERTH_E_MISSING_ATTRIBUTE', `The instance has no ${keyword}; ${why}`, {
    path: h.path,
    expected: `${keyword} in every instance`,
  });
}

/** `PixelSpacing` as `[row spacing, column spacing]` in mm. */
export function pixelSpacingOf(h: DicomHeader): [number, number] {
  const v = h.getNumbers('PixelSpacing');
  if (!v) throw missing(h, 'PixelSpacing', 'the pixel size is unknown');
  if (v.length !== 2 || !v.every((x) => Number.isFinite(x) && x > 0)) {
    throw geometryError(h.path, `PixelSpacing is ${v.join('\\')}`, 'two positive numbers (row\\column, mm)');
  }
  return [v[0]!, v[1]!];
}

/** The unit normal of an ImageOrientationPatient (row direction × column direction). */
export function sliceNormal(iop: readonly number[]): Vec3 {
  const n: Vec3 = [
    iop[1]! * iop[5]! - iop[2]! * iop[4]!,
    iop[2]! * iop[3]! - iop[0]! * iop[5]!,
    iop[0]! * iop[4]! - iop[1]! * iop[3]!,
  ];
  const length = Math.hypot(...n);
  return n.map((x) => x / (length || 1) + 0) as Vec3; // + 0: no -0 in results
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}

/** Slices with their position along the normal, sorted; every check of the module comment. */
function placedSlices(headers: readonly DicomHeader[]): { h: DicomHeader; at: number }[] {
  const first = headers[0];
  if (!first) throw new BerthError('BERTH_E_DICOM_EMPTY', 'A volume needs at least one slice');
  const iop = first.ImageOrientationPatient;
  if (!iop) throw missing(first, 'ImageOrientationPatient', 'the slice orientation is unknown');
  const normal = sliceNormal(iop);
  const placed = headers.map((h) => {
    if (h.frames > 1) {
      throw geometryError(h.path, `The instance has ${h.frames} frames`, 'single-frame instances');
    }
    const p = h.ImagePositionPatient;
    if (!p) throw missing(h, 'ImagePositionPatient', 'the slice cannot be placed');
    const o = h.ImageOrientationPatient;
    if (!o) throw missing(h, 'ImageOrientationPatient', 'the slice orientation is unknown');
    if (o.some((x, i) => Math.abs(x - iop[i]!) > ORIENTATION_TOLERANCE)) {
      throw geometryError(
        h.path,
        `The orientation ${o.join('\\')} differs from ${iop.join('\\')}`,
        'one orientation',
      );
    }
    if (h.Rows !== first.Rows || h.Columns !== first.Columns) {
      throw geometryError(
        h.path,
        `The slice is ${h.Rows} × ${h.Columns}, the first ${first.Rows} × ${first.Columns}`,
        'one image size',
      );
    }
    return { h, at: dot(p, normal) };
  });
  return placed.sort((a, b) => a.at - b.at);
}

/** The even step between sorted slice positions (see the module comment). */
function evenStep(placed: readonly { h: DicomHeader; at: number }[]): number {
  if (placed.length === 1) {
    const h = placed[0]!.h;
    const v = h.getNumbers('SpacingBetweenSlices')?.[0] ?? h.getNumbers('SliceThickness')?.[0];
    if (v === undefined || !(v > 0)) {
      throw geometryError(
        h.path,
        'One slice, and no SpacingBetweenSlices or SliceThickness',
        'a slice spacing',
      );
    }
    return v;
  }
  const gaps = placed.slice(1).map((s, i) => s.at - placed[i]!.at);
  const mean = (placed[placed.length - 1]!.at - placed[0]!.at) / gaps.length;
  for (const [i, gap] of gaps.entries()) {
    if (!(mean > 0) || Math.abs(gap - mean) > GAP_TOLERANCE * mean + 1e-3) {
      throw geometryError(
        placed[i + 1]!.h.path,
        `The slices are not evenly spaced: ${gap.toFixed(4)} mm after ${placed[i]!.h.path}, ` +
          `${mean.toFixed(4)} mm on average`,
        `even gaps (within ${GAP_TOLERANCE * 100} %)`,
      );
    }
  }
  return mean;
}

/** The headers in volume order (along the normal) and their geometry. */
export function volumeGeometry(headers: readonly DicomHeader[]): {
  order: DicomHeader[];
  geometry: VolumeGeometry;
} {
  const placed = placedSlices(headers);
  const first = placed[0]!.h;
  const iop = first.ImageOrientationPatient!;
  const [rowSpacing, columnSpacing] = pixelSpacingOf(first);
  const geometry: VolumeGeometry = {
    origin: [...first.ImagePositionPatient!],
    spacing: [evenStep(placed), rowSpacing, columnSpacing],
    direction: [sliceNormal(iop), [iop[3], iop[4], iop[5]], [iop[0], iop[1], iop[2]]],
    slicePositions: placed.map((s) => s.at),
  };
  return { order: placed.map((s) => s.h), geometry };
}

/** The slice spacing of a series in mm (measured from positions; see the module comment). */
export function sliceSpacingOf(headers: readonly DicomHeader[]): number {
  return evenStep(placedSlices(headers));
}

/** RescaleSlope and RescaleIntercept of an instance (1 and 0 when absent). */
export function modalityRescale(h: DicomHeader): { slope: number; intercept: number } {
  const slope = h.getNumbers('RescaleSlope')?.[0] ?? 1;
  const intercept = h.getNumbers('RescaleIntercept')?.[0] ?? 0;
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) {
    throw geometryError(h.path, `RescaleSlope ${slope}, RescaleIntercept ${intercept}`, 'finite numbers');
  }
  return { slope, intercept };
}

/** True when values rescaled this way can be held in an Int16Array (see the module comment). */
export function rescaleFitsInt16(min: number, max: number, slope: number, intercept: number): boolean {
  if (!Number.isInteger(slope) || !Number.isInteger(intercept)) return false;
  const a = min * slope + intercept;
  const b = max * slope + intercept;
  return Math.min(a, b) >= -32768 && Math.max(a, b) <= 32767;
}

/**
 * The stored values of native pixels in modality units (Hounsfield units for CT): every frame,
 * `value × RescaleSlope + RescaleIntercept`.
 */
export function toHounsfield(pixels: NativePixels, h: DicomHeader): Int16Array | Float32Array {
  if (pixels.bitsAllocated === 1 || pixels.samplesPerPixel !== 1) {
    throw geometryError(h.path, 'The image is not one grayscale sample per pixel', 'grayscale pixels');
  }
  const { slope, intercept } = modalityRescale(h);
  const data = pixels.data;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const out = rescaleFitsInt16(min, max, slope, intercept)
    ? new Int16Array(data.length)
    : new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * slope + intercept;
  return out;
}
