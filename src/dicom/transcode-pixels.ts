/**
 * Transcoding into or out of compressed syntaxes: the pixel data is decoded to native values
 * (pixels.ts and the frame codecs) and, for a compressed target, encoded frame by frame; every
 * other element is rewritten by the transcoder's element walk (transcode.ts) and so kept byte for
 * byte. What the conversion changes is updated:
 *
 * - PixelData: native (OW for 16-bit, OB for 8-bit) or encapsulated (OB, one fragment per frame,
 *   a Basic Offset Table); the Extended Offset Table and its lengths are dropped (they would be wrong);
 * - PhotometricInterpretation: what decoding gives (`RGB` after a JPEG or JPEG 2000 colour
 *   transform, `YBR_FULL` from native YBR_FULL_422), and PlanarConfiguration 0 (interleaved);
 * - LossyImageCompression `01` when the source was lossy (it stays lossy after decoding).
 *
 * berth encodes lossless syntaxes only: a lossy target is refused with BERTH_E_TRANSCODE_UNSUPPORTED.
 */
import { BerthError } from '../errors.js';
import { isLosslessSyntax, type PixelInfo } from './codecs/index.js';
import { dicomError } from './errors.js';
import { loadCodec, readPixels, type NativePixels } from './pixels.js';
import { PIXEL_DATA } from './read-element.js';
import type { DicomHeader } from './header.js';
import { transferSyntax } from './transfer-syntax.js';
import { rewritePart10, type TranscodeResult } from './rewrite-part10.js';
import { element, type BinaryValue, type WriteElement } from './write.js';

const EXTENDED_OFFSET_TABLE = 0x7fe00001;
const EXTENDED_OFFSET_TABLE_LENGTHS = 0x7fe00002;

function pixelValue(px: NativePixels): BinaryValue {
  return px.data;
}

/** Encodes every frame of native pixels with the codec of `targetUid`. */
async function encodeFrames(
  path: string,
  px: NativePixels,
  targetUid: string,
  info: PixelInfo,
): Promise<WriteElement> {
  const codec = await loadCodec(path, targetUid);
  if (!codec.encode) {
    throw new BerthError('BERTH_E_TRANSCODE_UNSUPPORTED', `berth does not write ${targetUid}`, { path });
  }
  const data = px.data;
  const all = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const frameBytes = all.length / px.frames;
  const fragments: Uint8Array[] = [];
  const offsetTable: number[] = [];
  let offset = 0;
  for (let f = 0; f < px.frames; f++) {
    let encoded: Uint8Array;
    try {
      encoded = codec.encode(all.subarray(f * frameBytes, (f + 1) * frameBytes), info);
    } catch (e) {
      throw new BerthError(
        'BERTH_E_TRANSCODE_UNSUPPORTED',
        `Frame ${f + 1} cannot be encoded: ${(e as Error).message}`,
        {
          path,
          cause: e,
        },
      );
    }
    fragments.push(encoded);
    offsetTable.push(offset);
    offset += 8 + encoded.length + (encoded.length % 2);
  }
  return { tag: PIXEL_DATA, vr: 'OB', value: { encapsulated: true, fragments, offsetTable } };
}

/**
 * Converts a scanned file (`bytes` its content) to `targetUid` through native pixel values.
 * @throws {@link BerthError} BERTH_E_TRANSCODE_UNSUPPORTED, or the read and decode codes of pixels.ts.
 */
export async function transcodeThroughPixels(
  path: string,
  header: DicomHeader,
  bytes: Buffer,
  targetUid: string,
): Promise<TranscodeResult> {
  const to = transferSyntax(targetUid)!;
  const px = await readPixels(path, header);
  if (px.kind !== 'native' || px.data instanceof Float32Array || px.data instanceof Float64Array) {
    throw new BerthError('BERTH_E_TRANSCODE_UNSUPPORTED', `berth cannot decode ${header.TransferSyntaxUID}`, {
      path,
    });
  }
  const photometric = px.photometricInterpretation ?? 'MONOCHROME2';
  const info: PixelInfo = {
    rows: px.rows,
    columns: px.columns,
    samplesPerPixel: px.samplesPerPixel,
    bitsAllocated: px.bitsAllocated,
    bitsStored: header.BitsStored ?? px.bitsAllocated,
    pixelRepresentation: px.pixelRepresentation,
    photometricInterpretation: photometric,
  };
  if (to.encapsulated && px.bitsAllocated !== 8 && px.bitsAllocated !== 16) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `BitsAllocated ${px.bitsAllocated} cannot be compressed`,
      '8 or 16',
    );
  }
  const pixels: WriteElement = to.encapsulated
    ? await encodeFrames(path, px, targetUid, info)
    : { tag: PIXEL_DATA, vr: px.bitsAllocated === 8 ? 'OB' : 'OW', value: pixelValue(px) };
  const set: WriteElement[] = [pixels, element('PhotometricInterpretation', photometric)];
  if (px.samplesPerPixel > 1) set.push(element('PlanarConfiguration', 0));
  const from = header.TransferSyntaxUID;
  if (transferSyntax(from)?.encapsulated && !isLosslessSyntax(from))
    set.push(element('LossyImageCompression', '01'));
  return rewritePart10(bytes, targetUid, path, {
    set,
    drop: new Set([EXTENDED_OFFSET_TABLE, EXTENDED_OFFSET_TABLE_LENGTHS]),
  });
}
