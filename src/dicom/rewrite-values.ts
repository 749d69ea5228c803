/**
 * Element values between byte orders: the unit each VR swaps by (pixel data by BitsAllocated), and
 * the value copied and swapped when the byte order changes.
 */
import { formatTag } from './dictionary.js';
import { dicomError } from './errors.js';
import { PIXEL_DATA, type ByteWindow } from './read-element.js';
import type { VrContext } from './vr-lookup.js';

const SWAP_UNIT: Readonly<Record<string, 2 | 4 | 8>> = {
  US: 2,
  SS: 2,
  OW: 2,
  AT: 2,
  UL: 4,
  SL: 4,
  FL: 4,
  OF: 4,
  OL: 4,
  FD: 8,
  OD: 8,
  SV: 8,
  UV: 8,
  OV: 8,
};

/** The unit a value is swapped by between byte orders (1: not swapped). */
export function swapUnit(tag: number, vr: string, depth: number, ctx: VrContext): number {
  if (tag === PIXEL_DATA && depth === 0 && vr === 'OW') {
    const bits = ctx.bitsAllocated ?? 16;
    return bits === 32 ? 4 : bits === 64 ? 8 : 2;
  }
  return SWAP_UNIT[vr] ?? 1;
}

/** The value of an element in the target byte order: the source bytes, or a swapped copy. */
export function convertValue(
  w: ByteWindow,
  start: number,
  length: number,
  unit: number,
  swap: boolean,
  tag: number,
): Buffer {
  const value = w.buf.subarray(start, start + length);
  if (!swap || unit === 1) return value;
  if (length % unit !== 0) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      w.path,
      `Element ${formatTag(tag)} is ${length} bytes, not a whole number of ${unit}-byte values`,
      `a length that is a multiple of ${unit}`,
    );
  }
  const copy = Buffer.from(value);
  if (unit === 2) copy.swap16();
  else if (unit === 4) copy.swap32();
  else copy.swap64();
  return copy;
}
