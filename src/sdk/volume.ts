/**
 * A series as one volume: an `ndarray` indexed (z, y, x) with its geometry in patient space
 * (src/dicom/geometry.ts has the conventions), for machines that compute on the whole series and
 * write a mask over it.
 */
import { BerthError } from '../errors.js';
import { modalityRescale, rescaleFitsInt16, volumeGeometry, type VolumeGeometry } from '../dicom/geometry.js';
import { readNativePixels, type PixelArray } from '../dicom/pixels.js';
import type { DicomHeader } from '../dicom/scan.js';
import type { DtypeName } from '../ndarray/dtype.js';
import { ndarray, type NdArray } from '../ndarray/ndarray.js';

/** Voxels a volume may hold by default (2²⁸: 1 GiB as float32). */
export const MAX_VOLUME_VOXELS = 2 ** 28;

/** Options of {@link readVolume}. */
export interface VolumeOptions {
  /**
   * `true` (default): values in modality units (Hounsfield units for CT): `int16` when every value
   * is a whole number that fits, else `float32`. `false`: the stored values, in their own dtype.
   */
  rescale?: boolean;
  /** Refuse volumes of more voxels (default {@link MAX_VOLUME_VOXELS}): BERTH_E_TOO_LARGE. */
  maxVoxels?: number;
}

/** A volume and where it lies. */
export interface Volume {
  /** Shape `[slices, rows, columns]`. */
  readonly array: NdArray;
  readonly geometry: VolumeGeometry;
}

const STORED_DTYPE = new Map<string, DtypeName>([
  ['Uint8Array', 'uint8'],
  ['Int8Array', 'int8'],
  ['Uint16Array', 'uint16'],
  ['Int16Array', 'int16'],
  ['Uint32Array', 'uint32'],
  ['Int32Array', 'int32'],
]);

async function slicePixels(h: DicomHeader): Promise<PixelArray> {
  const pixels = await readNativePixels(h.path, h);
  if (pixels.bitsAllocated === 1 || pixels.samplesPerPixel !== 1) {
    throw new BerthError('BERTH_E_DICOM_GEOMETRY', 'The image is not one grayscale sample per pixel', {
      path: h.path,
      expected: 'grayscale pixels, 8, 16 or 32 bits',
    });
  }
  return pixels.data;
}

/**
 * Reads the instances of one series into a volume, slices sorted along their normal (whatever
 * the order given), one slice in memory besides the volume.
 * @throws {@link BerthError} BERTH_E_MISSING_ATTRIBUTE, BERTH_E_DICOM_GEOMETRY (see the geometry
 * module), BERTH_E_TOO_LARGE, BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX (compressed pixels) and the
 * pixel reading errors.
 */
export async function readVolume(
  headers: readonly DicomHeader[],
  options: VolumeOptions = {},
): Promise<Volume> {
  const { order, geometry } = volumeGeometry(headers);
  const rows = order[0]!.Rows ?? 0;
  const columns = order[0]!.Columns ?? 0;
  const shape = [order.length, rows, columns];
  const voxels = order.length * rows * columns;
  const max = options.maxVoxels ?? MAX_VOLUME_VOXELS;
  if (voxels > max) {
    throw new BerthError('BERTH_E_TOO_LARGE', `The volume ${shape.join(' × ')} has ${voxels} voxels`, {
      path: order[0]!.path,
      expected: `at most ${max} voxels (maxVoxels)`,
    });
  }
  const plane = rows * columns;
  if (options.rescale === false) {
    let stored: NdArray | undefined;
    for (const [z, h] of order.entries()) {
      const data = await slicePixels(h);
      stored ??= ndarray(STORED_DTYPE.get(data.constructor.name) ?? 'int32', shape);
      (stored.data as PixelArray).set(data.subarray(0, plane), z * plane);
    }
    return { array: stored!, geometry };
  }
  const floats = ndarray('float32', shape);
  const values = floats.data;
  let whole = true;
  let min = Infinity;
  let max16 = -Infinity;
  for (const [z, h] of order.entries()) {
    const data = await slicePixels(h);
    const { slope, intercept } = modalityRescale(h);
    if (!Number.isInteger(slope) || !Number.isInteger(intercept)) whole = false;
    for (let i = 0; i < plane; i++) {
      const v = data[i]! * slope + intercept;
      values[z * plane + i] = v;
      if (v < min) min = v;
      if (v > max16) max16 = v;
    }
  }
  if (whole && rescaleFitsInt16(min, max16, 1, 0)) {
    const array = ndarray('int16', shape);
    array.data.set(values);
    return { array, geometry };
  }
  return { array: floats, geometry };
}
