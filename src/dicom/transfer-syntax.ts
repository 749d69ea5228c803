/**
 * The transfer syntaxes berth knows, and how each one encodes a data set.
 *
 * berth reads the headers of every syntax listed here. It reads and writes the pixels of the four
 * native ones (implicit VR little endian, explicit VR little endian, explicit VR big endian and
 * deflated explicit VR little endian); the encapsulated ones are decoded and encoded by the frame
 * codecs of codecs/index.ts where berth has one (see {@link canConvert}).
 */

import { canDecode, canEncode } from './codecs/index.js';

/** How a transfer syntax lays out the data set that follows the file meta group. */
export interface TransferSyntax {
  readonly uid: string;
  readonly name: string;
  /** Explicit VR (two VR letters in every element header) or implicit VR (VR from the dictionary). */
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** The data set after the file meta group is a raw deflate stream (RFC 1951). */
  readonly deflated: boolean;
  /** Pixel data is a sequence of fragments (compressed, or encapsulated uncompressed). */
  readonly encapsulated: boolean;
  /** Retired by DICOM (still readable). */
  readonly retired?: boolean;
}

/** UIDs of the native transfer syntaxes, the ones berth can write. */
export const TS = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  RLELossless: '1.2.840.10008.1.2.5',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
} as const;

function native(uid: string, name: string, explicitVr: boolean, littleEndian: boolean, deflated = false) {
  return { uid, name, explicitVr, littleEndian, deflated, encapsulated: false };
}
function encapsulated(uid: string, name: string, retired = false): TransferSyntax {
  return { uid, name, explicitVr: true, littleEndian: true, deflated: false, encapsulated: true, retired };
}

const ALL: readonly TransferSyntax[] = [
  native(TS.ImplicitVRLittleEndian, 'Implicit VR Little Endian', false, true),
  native(TS.ExplicitVRLittleEndian, 'Explicit VR Little Endian', true, true),
  native(TS.DeflatedExplicitVRLittleEndian, 'Deflated Explicit VR Little Endian', true, true, true),
  { ...native(TS.ExplicitVRBigEndian, 'Explicit VR Big Endian', true, false), retired: true },
  encapsulated('1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian'),
  encapsulated(TS.RLELossless, 'RLE Lossless'),
  encapsulated(TS.JPEGBaseline8Bit, 'JPEG Baseline (Process 1)'),
  encapsulated('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)'),
  encapsulated('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)'),
  encapsulated('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction'),
  encapsulated('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless'),
  encapsulated('1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless)'),
  encapsulated('1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)'),
  encapsulated('1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression'),
  encapsulated('1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component (Lossless Only)'),
  encapsulated('1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component'),
  encapsulated('1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level'),
  encapsulated('1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level'),
  encapsulated('1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1'),
  encapsulated('1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1'),
  encapsulated('1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video'),
  encapsulated('1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video'),
  encapsulated('1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2'),
  encapsulated('1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1'),
  encapsulated('1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1'),
  encapsulated('1.2.840.10008.1.2.4.110', 'JPEG XL Lossless'),
  encapsulated('1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression'),
  encapsulated('1.2.840.10008.1.2.4.112', 'JPEG XL'),
  encapsulated('1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)'),
  encapsulated('1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)'),
  encapsulated('1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000 Image Compression'),
  encapsulated('1.2.840.10008.1.2.8.1', 'Deflated Image Frame Compression'),
];

const BY_UID = new Map(ALL.map((ts) => [ts.uid, ts]));

/** The transfer syntax with this UID, or undefined when berth does not know it. */
export function transferSyntax(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid);
}

/** Every transfer syntax berth reads headers of. */
export function knownTransferSyntaxes(): readonly TransferSyntax[] {
  return ALL;
}

/** The four syntaxes whose pixels berth reads and writes natively. */
export const NATIVE_TRANSFER_SYNTAXES: readonly string[] = [
  TS.ImplicitVRLittleEndian,
  TS.ExplicitVRLittleEndian,
  TS.DeflatedExplicitVRLittleEndian,
  TS.ExplicitVRBigEndian,
];

/**
 * True when berth converts pixel data in syntax `from` to syntax `to`: the same syntax, any native
 * one to another, or through native values when berth decodes `from` (codecs/index.ts) and writes
 * `to` — which it does for native and lossless syntaxes only (lossy targets are refused). Given the
 * instance's BitsStored, it also says no where no codec decodes that width (over 16 bits).
 */
export function canConvert(from: string, to: string, bitsStored?: number): boolean {
  const a = BY_UID.get(from);
  const b = BY_UID.get(to);
  if (!a || !b) return false;
  if (from === to) return true;
  return (!a.encapsulated || canDecode(from, bitsStored)) && (!b.encapsulated || canEncode(to));
}
