/**
 * Transcoding among the four native transfer syntaxes: implicit VR little endian, explicit VR
 * little endian, explicit VR big endian and deflated explicit VR little endian.
 *
 * The data set is rewritten element by element with berth's own reader and writer — never decoded
 * into objects — so every element survives byte for byte except what the new syntax changes:
 *
 * - **Byte order**: every multi-byte binary value is swapped by its VR's unit (US/SS/OW/AT by 2,
 *   UL/SL/FL/OF/OL by 4, FD/OD/SV/UV/OV by 8), inside sequences too. Pixel data as OW is swapped by
 *   its sample width (BitsAllocated 16 → 2, 32 → 4), as pydicom and dcmtk read big endian pixels;
 *   pixel data as OB is never swapped. Text, OB and UN are bytes and stay as they are.
 * - **VRs**: implicit → explicit takes each VR from berth's dictionary, then dcmjs's full PS3.6
 *   dictionary (see vr-lookup.ts); ambiguous VRs follow BitsAllocated and PixelRepresentation.
 *   **Tags neither dictionary knows — private tags above all — become UN and keep their bytes.**
 *   A value too long for its VR's 2-byte length is written as UN too. Explicit → implicit drops
 *   the VRs, as that syntax does.
 * - **Lengths**: a sequence or item of undefined length stays undefined; a defined one gets its new
 *   length. A UN element of undefined length (a sequence in implicit VR little endian, CP-246)
 *   becomes an SQ. Group length elements (gggg,0000) of the data set are dropped: they are retired
 *   and their values would be wrong in the new syntax.
 * - **File meta**: rebuilt with the new TransferSyntaxUID, berth's ImplementationClassUID and
 *   ImplementationVersionName, and a new group length; every other meta element and the preamble
 *   are kept — except that a meta lacking or disagreeing with the data set's MediaStorage UIDs gets
 *   the data set's, and a raw data set (no preamble, no meta) gets a zero preamble and a whole meta
 *   (it is never "unchanged", even into its own syntax).
 *
 * Encapsulated (compressed) syntaxes pass through unchanged when the target is the source; other
 * conversions into or out of them decode and encode the pixel data (transcodeFile, through
 * transcode-pixels.ts); transcodeBytes refuses them with BERTH_E_TRANSCODE_UNSUPPORTED. The whole
 * file is read into memory (the pixel data must be copied and swapped anyway); nothing but the
 * output buffers is built.
 */
import { readFile } from 'node:fs/promises';
import { BerthError } from '../errors.js';
import { writeFileAtomic } from '../tree/atomic.js';
import type { InflateOptions } from './inflate.js';
import { readPart10Header } from './read-part10.js';
import { scanHeader } from './scan.js';
import { canConvert, transferSyntax, TS } from './transfer-syntax.js';
import { rewritePart10, unsupported, type TranscodeResult } from './rewrite-part10.js';

export type { DataSetEdits, TranscodeResult } from './rewrite-part10.js';

/** The syntaxes berth transcodes among. */
export const TRANSCODABLE_SYNTAXES: readonly string[] = [
  TS.ImplicitVRLittleEndian,
  TS.ExplicitVRLittleEndian,
  TS.ExplicitVRBigEndian,
  TS.DeflatedExplicitVRLittleEndian,
];

/**
 * True when berth can turn a file in syntax `from` into syntax `to`: among native syntaxes, and
 * into or out of every compressed syntax berth decodes or (lossless only) encodes; given the
 * instance's BitsStored, not from a width no codec decodes (over 16 bits).
 */
export function canTranscode(from: string, to: string, bitsStored?: number): boolean {
  return canConvert(from, to, bitsStored);
}

/**
 * Converts a Part 10 file in memory to `targetUid`. `path` names the source in error messages.
 * @throws {@link BerthError} BERTH_E_TRANSCODE_UNSUPPORTED for a conversion berth cannot do (into
 * or out of a compressed syntax, an unknown target), or the DICOM read codes for a broken source.
 */
export function transcodeBytes(
  bytes: Uint8Array,
  targetUid: string,
  path = '<bytes>',
  options: InflateOptions = {},
): TranscodeResult {
  return rewritePart10(bytes, targetUid, path, undefined, options);
}

/**
 * Converts the file `src` to `targetUid` and writes it to `dest` atomically (`dest` may be `src`).
 * Conversions into or out of compressed syntaxes go through native pixel values (transcode-pixels.ts).
 * @throws {@link BerthError} as {@link transcodeBytes} and readPixels, or BERTH_E_NOT_FOUND / BERTH_E_IO.
 */
export async function transcodeFile(
  src: string,
  dest: string,
  targetUid: string,
  options: InflateOptions = {},
): Promise<TranscodeResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(src);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new BerthError(code === 'ENOENT' ? 'BERTH_E_NOT_FOUND' : 'BERTH_E_IO', `Cannot read ${src}`, {
      path: src,
      cause: e,
    });
  }
  const from = readPart10Header(
    { buf: bytes, end: bytes.length, complete: true, path: src, inflated: false },
    bytes.length,
  ).transferSyntax;
  const to = transferSyntax(targetUid);
  let result: TranscodeResult;
  if (to && from.uid !== targetUid && (from.encapsulated || to.encapsulated)) {
    if (!canConvert(from.uid, targetUid)) throw unsupported(src, from, targetUid);
    const { transcodeThroughPixels } = await import('./transcode-pixels.js');
    result = await transcodeThroughPixels(src, await scanHeader(src), bytes, targetUid);
  } else result = transcodeBytes(bytes, targetUid, src, options);
  await writeFileAtomic(dest, result.bytes);
  return result;
}
