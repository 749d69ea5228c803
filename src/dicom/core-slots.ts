/**
 * The core slots of a header scan: the attributes every scan locates, as slots of one small table
 * (value offset, length and VR code per attribute), and the readers that decode a slot into the
 * typed field of a {@link DicomHeader} (UID, string, numbers, integer, charset).
 */
import { entryByTag } from './dictionary.js';
import { readUint16, VR_US, vrCode, vrText } from './read-element.js';
import { readUid } from './read-part10.js';
import { charsetOf, type Charset } from './charset.js';
import { decodeNumbers, decodeString, parseDecimalBytes } from './values.js';

// The attributes every scan locates, as slots of a small table; any other tag costs one Map miss.
export const CORE = [
  0x00080005, // SpecificCharacterSet
  0x00080016, // SOPClassUID
  0x00080018, // SOPInstanceUID
  0x00080060, // Modality
  0x00081030, // StudyDescription
  0x0008103e, // SeriesDescription
  0x0020000d, // StudyInstanceUID
  0x0020000e, // SeriesInstanceUID
  0x00200013, // InstanceNumber
  0x00200032, // ImagePositionPatient
  0x00200037, // ImageOrientationPatient
  0x00200052, // FrameOfReferenceUID
  0x00280002, // SamplesPerPixel
  0x00280004, // PhotometricInterpretation
  0x00280008, // NumberOfFrames
  0x00280010, // Rows
  0x00280011, // Columns
  0x00280100, // BitsAllocated
  0x00280101, // BitsStored
  0x00280103, // PixelRepresentation
] as const;
/** The slot of each core tag. */
export const SLOT = new Map<number, number>(CORE.map((tag, i) => [tag, i]));
// The slot of each core attribute by keyword (named property loads: cheap even before the JIT).
export const AT = {
  SpecificCharacterSet: 0,
  SOPClassUID: 1,
  SOPInstanceUID: 2,
  Modality: 3,
  StudyDescription: 4,
  SeriesDescription: 5,
  StudyInstanceUID: 6,
  SeriesInstanceUID: 7,
  InstanceNumber: 8,
  ImagePositionPatient: 9,
  ImageOrientationPatient: 10,
  FrameOfReferenceUID: 11,
  SamplesPerPixel: 12,
  PhotometricInterpretation: 13,
  NumberOfFrames: 14,
  Rows: 15,
  Columns: 16,
  BitsAllocated: 17,
  BitsStored: 18,
  PixelRepresentation: 19,
} as const;
// The VR of each core attribute in implicit VR data sets (all are in the dictionary).
const CORE_VR = CORE.map((tag) => vrCode(entryByTag(tag)?.vr ?? 'UN'));
const VR_DS = vrCode('DS');
const VR_IS = vrCode('IS');

// One table for every scan: scan.ts's `finish` reads it before the next scan starts (both are synchronous),
// and a typed array allocated per file showed up in the garbage collector's share of a 2,000-file index.
export const SLOTS = new Float64Array(CORE.length * 3);

/** The file meta's copy of a UID when equal: one string kept per header instead of two. */
export function sameOrOwn(meta: string | undefined, own: string | undefined): string | undefined {
  return meta !== undefined && meta === own ? meta : own;
}

export function slotUid(b: Buffer, slots: Float64Array, slot: number): string | undefined {
  const off = slots[slot * 3]!;
  return off < 0 ? undefined : readUid(b, off, slots[slot * 3 + 1]!) || undefined;
}

/** The VR code of a core slot: as written, or (implicit VR) the dictionary's. */
function slotVr(slots: Float64Array, slot: number): number {
  return slots[slot * 3 + 2] || CORE_VR[slot]!;
}

export function slotNumbers(
  b: Buffer,
  slots: Float64Array,
  slot: number,
  little: boolean,
): number[] | undefined {
  const off = slots[slot * 3]!;
  if (off < 0) return undefined;
  const code = slotVr(slots, slot);
  const values =
    code === VR_DS || code === VR_IS
      ? parseDecimalBytes(b, off, off + slots[slot * 3 + 1]!)
      : decodeNumbers(b, off, slots[slot * 3 + 1]!, vrText(code), little);
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return undefined;
  return values.length === 0 ? undefined : values;
}

export function slotInt(b: Buffer, slots: Float64Array, slot: number, little: boolean): number | undefined {
  // US, the VR of every core integer but InstanceNumber: one read, no array.
  const off = slots[slot * 3]!;
  if (off >= 0 && slotVr(slots, slot) === VR_US && slots[slot * 3 + 1]! >= 2) {
    return readUint16(b, off, little);
  }
  const v = slotNumbers(b, slots, slot, little)?.[0];
  return v !== undefined && Number.isInteger(v) ? v : undefined;
}

let lastCharsetText: string | undefined;
let lastCharset: boolean | Charset | undefined;

/** The charset of a SpecificCharacterSet value; `true` for plain UTF-8 (Buffer's decoder, fastest). */
export function textCharset(value: string | undefined): boolean | Charset | undefined {
  if (value === lastCharsetText) return lastCharset;
  lastCharsetText = value;
  lastCharset = value === 'ISO_IR 192' ? true : charsetOf(value);
  return lastCharset;
}

export function str(
  b: Buffer,
  slots: Float64Array,
  slot: number,
  utf8: boolean | Charset | undefined,
): string | undefined {
  const off = slots[slot * 3]!;
  if (off < 0) return undefined;
  const vr = vrText(slotVr(slots, slot));
  return decodeString(b, off, slots[slot * 3 + 1]!, vr, utf8) || undefined;
}

export function tuple<N extends 3 | 6>(
  values: number[] | undefined,
  n: N,
): (N extends 3 ? [number, number, number] : [number, number, number, number, number, number]) | undefined {
  if (!values || values.length !== n) return undefined;
  return values as never;
}
