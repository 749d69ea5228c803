/**
 * Reading pixel data, given a header from the scan (which says where it is).
 *
 * Every syntax gives the same layout: a typed array of the stored values in the image's signedness
 * (PixelRepresentation) and width (BitsAllocated 8, 16 or 32; Float32Array / Float64Array for
 * Float Pixel Data and Double Float Pixel Data), in the host's byte order, frame-major, then rows,
 * columns, samples — colour samples interleaved whatever PlanarConfiguration says. Compressed
 * syntaxes berth has a codec for (codecs/index.ts) are decoded; native YBR_FULL_422 is expanded to
 * three samples a pixel (YBR_FULL); YBR_FULL is converted to RGB on request. No rescale, no LUT.
 * Syntaxes berth cannot decode (video, JPEG 2000 Part 2) give each frame's compressed bytes.
 */
import { BerthError } from '../errors.js';
import { openRegularHandle } from '../tree/open-regular.js';
import {
  canDecode,
  CodecError,
  frameCodec,
  UnsupportedCodestreamError,
  type FrameCodec,
  type PixelInfo,
} from './codecs/index.js';
import { readFrames } from './encapsulated.js';
import { expandYbr422, planarToInterleaved, ybrFullToRgb } from './pixel-layout.js';
import { dicomError } from './errors.js';
import { checkInflateReach, inflateBudget, inflateFileRange, type InflateOptions } from './inflate.js';
import { expectedPixelBytes, type DicomHeader } from './scan.js';

/** A typed array of pixel values. */
export type PixelArray =
  Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** Pixels as values: `frames × rows × columns × samplesPerPixel` of them, samples interleaved. */
export interface NativePixels {
  readonly kind: 'native';
  /** For BitsAllocated 1: the bits packed eight to a byte, as stored. */
  readonly data: PixelArray;
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly frames: number;
  /** 1, 8, 16, 32, or 64 (Double Float Pixel Data). */
  readonly bitsAllocated: number;
  readonly pixelRepresentation: number;
  /**
   * What the values are: the data set's PhotometricInterpretation, or what decoding made of it
   * (`RGB` after a JPEG or JPEG 2000 colour transform, `YBR_FULL` from YBR_FULL_422, `RGB` when
   * asked for with `ybrToRgb`).
   */
  readonly photometricInterpretation: string | undefined;
  /** The compressed syntax the values were decoded from, when they were. */
  readonly decodedFrom?: string;
}

/** Encapsulated pixels berth cannot decode: one byte string per frame, still compressed. */
export interface EncapsulatedPixels {
  readonly kind: 'encapsulated';
  readonly transferSyntaxUid: string;
  readonly frames: Uint8Array[];
}

/** How to read pixels. */
export interface PixelOptions extends InflateOptions {
  /** Convert YBR_FULL (and YBR_FULL_422) 8-bit colour to RGB. Default false. */
  readonly ybrToRgb?: boolean;
  /** Decode compressed syntaxes. Default true; false gives the compressed frames. */
  readonly decode?: boolean;
}

/** The most decoded pixel data one instance may give: 1 GiB (a 2048² × 3 × 16-bit image is 24 MiB). */
export const MAX_DECODED_BYTES = 1024 ** 3;

const FLOAT_PIXEL_DATA = 0x7fe00008;
const DOUBLE_FLOAT_PIXEL_DATA = 0x7fe00009;

/**
 * Reads the pixel data of a scanned file (see the module comment for the layout).
 * @throws {@link BerthError} BERTH_E_MISSING_ATTRIBUTE (no pixel data or image attributes),
 * BERTH_E_PIXEL_LENGTH, BERTH_E_TRUNCATED, BERTH_E_DICOM_PARSE (a corrupt codestream too),
 * BERTH_E_TRANSCODE_UNSUPPORTED (a valid codestream berth has no decoder for, e.g. progressive JPEG).
 */
export async function readPixels(
  path: string,
  header: DicomHeader,
  options: PixelOptions = {},
): Promise<NativePixels | EncapsulatedPixels> {
  const pixel = header.pixelData;
  if (!pixel) {
    const float = readFloatPixels(path, header);
    if (float) return float;
    throw dicomError(
      'BERTH_E_MISSING_ATTRIBUTE',
      path,
      'The data set has no Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009)',
      'pixel data',
    );
  }
  if (pixel.encapsulated) {
    if (options.decode === false || !canDecode(header.TransferSyntaxUID)) {
      return {
        kind: 'encapsulated',
        transferSyntaxUid: header.TransferSyntaxUID,
        frames: await readFrames(path, header),
      };
    }
    return withRgb(await decodePixels(path, header), options);
  }
  return withRgb(await readNative(path, header, options), options);
}

/** The attributes of the image a codec needs. */
export function pixelInfo(path: string, header: DicomHeader): PixelInfo {
  const { Rows: rows, Columns: columns, BitsAllocated: bits } = header;
  if (rows === undefined || columns === undefined || bits === undefined) {
    throw dicomError('BERTH_E_MISSING_ATTRIBUTE', path, 'The image has no Rows, Columns or BitsAllocated');
  }
  if (bits !== 8 && bits !== 16) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `Compressed pixel data with BitsAllocated ${bits}`,
      '8 or 16',
    );
  }
  return {
    rows,
    columns,
    bitsAllocated: bits,
    bitsStored: header.BitsStored ?? bits,
    samplesPerPixel: header.SamplesPerPixel ?? 1,
    pixelRepresentation: header.PixelRepresentation ?? 0,
    photometricInterpretation: header.PhotometricInterpretation ?? 'MONOCHROME2',
  };
}

/** Decodes one compressed frame, turning codec failures into BerthErrors about `path`. */
export async function decodeFrame(
  path: string,
  uid: string,
  frame: Uint8Array,
  info: PixelInfo,
  index: number,
): Promise<{ bytes: Uint8Array; photometricInterpretation: string }> {
  const codec = await loadCodec(path, uid);
  try {
    return codec.decode(frame, info);
  } catch (e) {
    if (e instanceof UnsupportedCodestreamError) {
      throw new BerthError('BERTH_E_TRANSCODE_UNSUPPORTED', `Frame ${index + 1}: ${e.message}`, { path });
    }
    if (e instanceof CodecError) {
      throw dicomError(
        'BERTH_E_DICOM_PARSE',
        path,
        `Frame ${index + 1} cannot be decoded: ${e.message}`,
        `a valid ${uid} codestream`,
      );
    }
    throw e;
  }
}

/** The codec of `uid`, or BERTH_E_TRANSCODE_UNSUPPORTED when it has none or cannot load (no WASM). */
export async function loadCodec(path: string, uid: string): Promise<FrameCodec> {
  try {
    const codec = await frameCodec(uid);
    if (codec) return codec;
  } catch (e) {
    throw new BerthError(
      'BERTH_E_TRANSCODE_UNSUPPORTED',
      `The codec of ${uid} cannot be loaded: ${(e as Error).message}`,
      {
        path,
        cause: e,
      },
    );
  }
  throw new BerthError('BERTH_E_TRANSCODE_UNSUPPORTED', `berth has no codec for ${uid}`, { path });
}

async function decodePixels(path: string, header: DicomHeader): Promise<NativePixels> {
  const info = pixelInfo(path, header);
  const frames = await readFrames(path, header);
  const frameBytes = info.rows * info.columns * info.samplesPerPixel * (info.bitsAllocated / 8);
  if (frameBytes * frames.length > MAX_DECODED_BYTES) {
    // A few bytes of codestream can claim a huge image: refuse before anything is allocated.
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `${frames.length} frames of ${info.rows} × ${info.columns} × ${info.samplesPerPixel} samples decode to ${frameBytes * frames.length} bytes`,
      `at most ${MAX_DECODED_BYTES} bytes of decoded pixel data`,
    );
  }
  const all = new Uint8Array(new ArrayBuffer(frameBytes * frames.length));
  let photometric = info.photometricInterpretation;
  for (const [i, frame] of frames.entries()) {
    const decoded = await decodeFrame(path, header.TransferSyntaxUID, frame, info, i);
    all.set(decoded.bytes.subarray(0, frameBytes), i * frameBytes);
    photometric = decoded.photometricInterpretation;
  }
  return {
    kind: 'native',
    data: typed(all.buffer, info.bitsAllocated, info.pixelRepresentation === 1),
    rows: info.rows,
    columns: info.columns,
    samplesPerPixel: info.samplesPerPixel,
    frames: frames.length,
    bitsAllocated: info.bitsAllocated,
    pixelRepresentation: info.pixelRepresentation,
    photometricInterpretation: photometric,
    decodedFrom: header.TransferSyntaxUID,
  };
}

/** A typed view of native little-endian (host order) bytes. */
function typed(ab: ArrayBuffer, bits: number, signed: boolean): PixelArray {
  if (bits === 16) return signed ? new Int16Array(ab) : new Uint16Array(ab);
  if (bits === 32) return signed ? new Int32Array(ab) : new Uint32Array(ab);
  return bits === 8 && signed ? new Int8Array(ab) : new Uint8Array(ab);
}

/** YBR_FULL to RGB when asked. */
function withRgb(px: NativePixels, options: PixelOptions): NativePixels {
  if (!options.ybrToRgb || px.photometricInterpretation !== 'YBR_FULL' || px.samplesPerPixel !== 3) return px;
  if (!(px.data instanceof Uint8Array || px.data instanceof Uint16Array)) return px;
  ybrFullToRgb(px.data, px.bitsAllocated);
  return { ...px, photometricInterpretation: 'RGB' };
}

/** Float Pixel Data / Double Float Pixel Data (parametric maps): values from the header's bytes. */
function readFloatPixels(path: string, header: DicomHeader): NativePixels | undefined {
  const elements = header.elements();
  const el = elements.get(FLOAT_PIXEL_DATA) ?? elements.get(DOUBLE_FLOAT_PIXEL_DATA);
  if (!el || el.length === undefined) return undefined;
  const width = el.tag === FLOAT_PIXEL_DATA ? 4 : 8;
  const { Rows: rows, Columns: columns } = header;
  if (rows === undefined || columns === undefined) {
    throw dicomError('BERTH_E_MISSING_ATTRIBUTE', path, 'The image has no Rows or Columns');
  }
  const samples = header.SamplesPerPixel ?? 1;
  const need = rows * columns * samples * header.frames * width;
  if (el.length < need) {
    throw dicomError(
      'BERTH_E_PIXEL_LENGTH',
      path,
      `The float pixel data is ${el.length} bytes; the image needs ${need}`,
      `${need} bytes`,
    );
  }
  const copy = Buffer.from(header.bytes.subarray(el.offset, el.offset + need));
  if (!header.transferSyntax.littleEndian) {
    if (width === 4) copy.swap32();
    else copy.swap64();
  }
  const ab = new Uint8Array(copy).buffer;
  return {
    kind: 'native',
    data: width === 4 ? new Float32Array(ab) : new Float64Array(ab),
    rows,
    columns,
    samplesPerPixel: samples,
    frames: header.frames,
    bitsAllocated: width * 8,
    pixelRepresentation: 0,
    photometricInterpretation: header.PhotometricInterpretation,
  };
}

async function readNative(path: string, header: DicomHeader, options: InflateOptions): Promise<NativePixels> {
  const pixel = header.pixelData!;
  const { Rows: rows, Columns: columns, BitsAllocated: bits } = header;
  if (rows === undefined || columns === undefined || bits === undefined) {
    throw dicomError('BERTH_E_MISSING_ATTRIBUTE', path, 'The image has no Rows, Columns or BitsAllocated');
  }
  if (bits !== 1 && bits !== 8 && bits !== 16 && bits !== 32) {
    throw dicomError('BERTH_E_DICOM_PARSE', path, `BitsAllocated ${bits} is not supported`, '1, 8, 16 or 32');
  }
  const need = expectedPixelBytes(header)!;
  if (pixel.length === undefined || pixel.length < need) {
    throw dicomError(
      'BERTH_E_PIXEL_LENGTH',
      path,
      `The pixel data is ${pixel.length ?? 'of undefined length'} bytes; the image needs ${need}`,
      `${need} bytes`,
    );
  }
  const big = !header.transferSyntax.littleEndian;
  // Big endian 8-bit OW is swapped in 16-bit words: an odd count needs its pad byte to swap the last word.
  const wordSwap = big && bits === 8 && pixel.vr === 'OW';
  const read = wordSwap && need % 2 === 1 && pixel.length > need ? need + 1 : need;
  // A deflated image is refused before its buffer is allocated when it would pass its budget.
  if (pixel.inDeflatedStream) checkInflateReach(path, pixel.offset + read, inflateBudget(need, options));
  // A fresh ArrayBuffer (offset 0) so 16- and 32-bit views are aligned.
  let bytes: Uint8Array = new Uint8Array(new ArrayBuffer(read));
  if (pixel.inDeflatedStream) await inflateRange(path, header, bytes, options);
  else await readRange(path, pixel.offset, bytes);
  if (big) {
    const view = Buffer.from(bytes.buffer, 0, read - (read % 2));
    if (bits === 16 || wordSwap) view.swap16();
    else if (bits === 32) view.swap32();
  }
  if (read !== need) bytes = new Uint8Array(bytes.buffer.slice(0, need));
  let samples = header.SamplesPerPixel ?? 1;
  let photometric = header.PhotometricInterpretation;
  const bytesPerSample = bits / 8;
  if (bits >= 8 && samples > 1 && photometric === 'YBR_FULL_422') {
    bytes = expandYbr422(bytes, rows * columns * header.frames, bytesPerSample);
    photometric = 'YBR_FULL';
  } else if (bits >= 8 && samples > 1 && header.getNumbers('(0028,0006)')?.[0] === 1) {
    bytes = planarToInterleaved(bytes, header.frames, rows * columns, samples, bytesPerSample);
  }
  samples = header.SamplesPerPixel ?? 1;
  return {
    kind: 'native',
    data: typed(bytes.buffer as ArrayBuffer, bits, header.PixelRepresentation === 1),
    rows,
    columns,
    samplesPerPixel: samples,
    frames: header.frames,
    bitsAllocated: bits,
    pixelRepresentation: header.PixelRepresentation ?? 0,
    photometricInterpretation: photometric,
  };
}

async function readRange(path: string, offset: number, into: Uint8Array): Promise<void> {
  const fh = await openRegularHandle(path);
  try {
    let n = 0;
    while (n < into.length) {
      const { bytesRead } = await fh.read(into, n, into.length - n, offset + n);
      if (bytesRead === 0) {
        throw dicomError(
          'BERTH_E_PIXEL_LENGTH',
          path,
          `The file ends ${n} bytes into the pixel data; the image needs ${into.length}`,
          `${into.length} bytes of pixel data`,
        );
      }
      n += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** Inflates the deflated data set only as far as the pixel data goes, within its budget. */
async function inflateRange(
  path: string,
  header: DicomHeader,
  into: Uint8Array,
  options: InflateOptions,
): Promise<void> {
  const offset = header.pixelData!.offset;
  const budget = inflateBudget(expectedPixelBytes(header), options);
  const pos = await inflateFileRange(path, header.dataSetOffset, offset, into, budget);
  if (pos < offset + into.length) {
    throw dicomError(
      'BERTH_E_PIXEL_LENGTH',
      path,
      `The inflated data set ends ${Math.max(0, pos - offset)} bytes into the pixel data; the image needs ${into.length}`,
      `${into.length} bytes of pixel data`,
    );
  }
}

/**
 * {@link readPixels} for callers that need values: pixel data of a compressed syntax berth has no
 * codec for (video, JPEG 2000 Part 2) is BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX.
 */
export async function readNativePixels(path: string, header: DicomHeader): Promise<NativePixels> {
  const px = await readPixels(path, header);
  if (px.kind !== 'native') {
    throw new BerthError(
      'BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX',
      `The pixel data is compressed in ${px.transferSyntaxUid}, which berth cannot decode`,
      { path, expected: 'pixel data of a syntax berth decodes' },
    );
  }
  return px;
}
