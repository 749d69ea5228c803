/**
 * Reading pixel data, given a header from the scan (which says where it is).
 *
 * Native syntaxes give a typed array of the stored values in the image's signedness
 * (PixelRepresentation) and width (BitsAllocated 8, 16 or 32), big endian swapped to the host's
 * order, samples and frames in file order (frame-major, then rows, columns, samples). No rescale,
 * no LUT is applied. Encapsulated syntaxes give each frame's compressed bytes: **decoding JPEG,
 * JPEG-LS, JPEG 2000, RLE or video is out of scope** — hand the bytes to a codec.
 */
import { openRegularHandle } from '../tree/open-regular.js';
import { BerthError } from '../errors.js';
import { dicomError } from './errors.js';
import { checkInflateReach, inflateBudget, inflateFileRange, type InflateOptions } from './inflate.js';
import { readTag, readUint32, ITEM, SEQUENCE_DELIMITATION } from './read-element.js';
import { expectedPixelBytes, type DicomHeader } from './scan.js';

/** A typed array of native pixel values. */
export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** Native pixels: stored values, `frames × rows × columns × samplesPerPixel` of them. */
export interface NativePixels {
  readonly kind: 'native';
  /** For BitsAllocated 1: the bits packed eight to a byte, as stored. */
  readonly data: PixelArray;
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly frames: number;
  readonly bitsAllocated: number;
  readonly pixelRepresentation: number;
}

/** Encapsulated pixels: one byte string per frame, still compressed. */
export interface EncapsulatedPixels {
  readonly kind: 'encapsulated';
  readonly transferSyntaxUid: string;
  readonly frames: Uint8Array[];
}

/**
 * Reads the pixel data of a scanned file: typed values for native syntaxes, compressed frames for
 * encapsulated ones (not decoded).
 * @throws {@link BerthError} BERTH_E_MISSING_ATTRIBUTE (no pixel data or image attributes),
 * BERTH_E_PIXEL_LENGTH, BERTH_E_TRUNCATED, BERTH_E_DICOM_PARSE, and for the deflated syntax
 * BERTH_E_DICOM_INFLATE_LIMIT past `maxInflatedBytes` (inflate.ts), before anything is inflated.
 */
export async function readPixels(
  path: string,
  header: DicomHeader,
  options: InflateOptions = {},
): Promise<NativePixels | EncapsulatedPixels> {
  const pixel = header.pixelData;
  if (!pixel) {
    throw dicomError(
      'BERTH_E_MISSING_ATTRIBUTE',
      path,
      'The data set has no Pixel Data (7FE0,0010)',
      'pixel data',
    );
  }
  if (pixel.encapsulated) return readEncapsulated(path, header);
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
  // A deflated image is refused before its buffer is allocated when it would pass its budget.
  if (pixel.inDeflatedStream) checkInflateReach(path, pixel.offset + need, inflateBudget(need, options));
  // A fresh ArrayBuffer (offset 0) so 16- and 32-bit views are aligned.
  const bytes = new Uint8Array(new ArrayBuffer(need));
  if (pixel.inDeflatedStream) await inflateRange(path, header, bytes, options);
  else await readRange(path, pixel.offset, bytes);
  if (!header.transferSyntax.littleEndian) {
    // Big endian: swap each sample; 8-bit samples sent as OW words are swapped in pairs.
    const view = Buffer.from(bytes.buffer, 0, need);
    if (bits === 16 || (bits === 8 && pixel.vr === 'OW' && need % 2 === 0)) view.swap16();
    else if (bits === 32) view.swap32();
  }
  const signed = header.PixelRepresentation === 1;
  const ab = bytes.buffer;
  const data: PixelArray =
    bits === 16
      ? signed
        ? new Int16Array(ab)
        : new Uint16Array(ab)
      : bits === 32
        ? signed
          ? new Int32Array(ab)
          : new Uint32Array(ab)
        : bits === 8 && signed
          ? new Int8Array(ab)
          : bytes;
  return {
    kind: 'native',
    data,
    rows,
    columns,
    samplesPerPixel: header.SamplesPerPixel ?? 1,
    frames: header.frames,
    bitsAllocated: bits,
    pixelRepresentation: header.PixelRepresentation ?? 0,
  };
}

/**
 * {@link readPixels} for callers that need values: compressed (encapsulated) pixel data is
 * BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX, since berth decodes no codec.
 */
export async function readNativePixels(path: string, header: DicomHeader): Promise<NativePixels> {
  const px = await readPixels(path, header);
  if (px.kind !== 'native') {
    throw new BerthError(
      'BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX',
      `The pixel data is compressed (${px.transferSyntaxUid}); berth decodes none`,
      { path, expected: 'native (uncompressed) pixel data' },
    );
  }
  return px;
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
 * Splits encapsulated pixel data into frames: fragments grouped by the basic offset table, or one
 * fragment per frame when the table is empty and the counts agree, or all fragments as one frame
 * for a single-frame image. The Extended Offset Table (7FE0,0001) is not used.
 */
async function readEncapsulated(path: string, header: DicomHeader): Promise<EncapsulatedPixels> {
  const pixel = header.pixelData!;
  const fh = await openRegularHandle(path);
  let buf: Buffer;
  try {
    const size = (await fh.stat()).size;
    buf = Buffer.allocUnsafe(Math.max(0, size - pixel.offset));
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, pixel.offset + n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    buf = buf.subarray(0, n);
  } finally {
    await fh.close();
  }
  const items: { pos: number; start: number; length: number }[] = [];
  let pos = 0;
  for (;;) {
    if (pos + 8 > buf.length) {
      if (pos === buf.length && items.length > 0) break; // no delimiter at end of file: accept
      throw dicomError(
        'BERTH_E_TRUNCATED',
        path,
        'The file ends inside the encapsulated pixel data',
        'fragments ending with a sequence delimiter (FFFE,E0DD)',
      );
    }
    const tag = readTag(buf, pos, true);
    const length = readUint32(buf, pos + 4, true);
    if (tag === SEQUENCE_DELIMITATION) break;
    if (tag !== ITEM || length === 0xffffffff) {
      throw dicomError(
        'BERTH_E_DICOM_PARSE',
        path,
        `Found tag ${tag.toString(16)} with length ${length} among the pixel data fragments`,
        'items of defined length (FFFE,E000)',
      );
    }
    if (pos + 8 + length > buf.length) {
      throw dicomError(
        'BERTH_E_TRUNCATED',
        path,
        `A pixel data fragment of ${length} bytes runs past the end of the file`,
        'complete fragments',
      );
    }
    items.push({ pos, start: pos + 8, length });
    pos += 8 + length;
  }
  const [table, ...fragments] = items;
  if (!table)
    throw dicomError('BERTH_E_DICOM_PARSE', path, 'The encapsulated pixel data has no offset table item');
  const offsets: number[] = [];
  for (let p = table.start; p + 4 <= table.start + table.length; p += 4)
    offsets.push(readUint32(buf, p, true));
  const frameCount = header.frames;
  const bytesOf = (group: typeof fragments): Uint8Array =>
    group.length === 1
      ? buf.subarray(group[0]!.start, group[0]!.start + group[0]!.length)
      : Buffer.concat(group.map((f) => buf.subarray(f.start, f.start + f.length)));
  let frames: Uint8Array[];
  if (offsets.length > 0) {
    const base = fragments[0]?.pos ?? 0;
    frames = offsets.map((start, i) => {
      const stop = offsets[i + 1] ?? Infinity;
      return bytesOf(fragments.filter((f) => f.pos - base >= start && f.pos - base < stop));
    });
  } else if (frameCount === 1) {
    frames = [bytesOf(fragments)];
  } else if (fragments.length === frameCount) {
    frames = fragments.map((f) => bytesOf([f]));
  } else {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `${fragments.length} fragments cannot be split into ${frameCount} frames without a basic offset table`,
      'a basic offset table, or one fragment per frame',
    );
  }
  return { kind: 'encapsulated', transferSyntaxUid: header.TransferSyntaxUID, frames };
}
