/**
 * The DICOM header scan: the hot path of every dicom-image, dicom-series and dicom-study input.
 *
 * It reads a bounded prefix of the file (16 KB by default), checks the preamble and `DICM`, reads
 * the file meta group, then walks the top level of the data set up to Pixel Data (7FE0,0010),
 * noting where the attributes berth needs are and building no object for any other element. The
 * prefix grows (×4, or to just past what is needed) only when the header is longer; a deflated
 * data set is inflated from a prefix with a sync flush, so only its start is inflated. Pixel data
 * is never read.
 */
import fs from 'node:fs';
import { isBerthError } from '../errors.js';
import { openRegularSync } from '../tree/open-regular.js';
import { dicomError } from './errors.js';
import { NeedMoreBytes, vrText, type ByteWindow } from './read-element.js';
import { inflateRawBounded } from './inflate.js';
import { readPart10Header, type Part10Header } from './read-part10.js';
import {
  AT,
  SLOTS,
  sameOrOwn,
  slotInt,
  slotNumbers,
  slotUid,
  str,
  textCharset,
  tuple,
} from './core-slots.js';
import { DicomHeader, type HeaderFields, type PixelDataLocation } from './header.js';
import { checkPixelLength, checkUids } from './header-checks.js';
import { fstatAsync, ioError, nextSize, openAsync, readAsync, readFully } from './scan-prefix.js';
import { fileWindow, walkDataSet, type RawPixel } from './walk-data-set.js';

export { DicomHeader, type HeaderFields, type PixelDataLocation, type ElementRef } from './header.js';
export { expectedPixelBytes } from './header-checks.js';

/** Options of a header scan. */
export interface ScanOptions {
  /** Bytes read first; the prefix grows only when the header is longer. Default 16384. */
  prefixBytes?: number;
  /** Largest header (everything before the pixel data) berth reads. Default 64 MiB. */
  maxHeaderBytes?: number;
  /**
   * Check that native pixel data is as long as Rows × Columns × BitsAllocated/8 × SamplesPerPixel ×
   * NumberOfFrames and fits in the file. Default true.
   */
  checkPixelLength?: boolean;
  /**
   * Require SOPInstanceUID, SOPClassUID, StudyInstanceUID, SeriesInstanceUID and the file meta UIDs,
   * and MediaStorageSOPInstanceUID = SOPInstanceUID. Default true.
   */
  requireUids?: boolean;
}

interface RawScan {
  window: ByteWindow;
  meta: Part10Header;
  /** Where the data set starts in `window.buf`. */
  dataStart: number;
  /** Where the pixel data element header starts (or the end of the data set). */
  dataEnd: number;
  /** Per core slot: value offset, length, VR code (offset -1 = absent). */
  slots: Float64Array;
  pixel: RawPixel | undefined;
  /** The meta group bytes when the data set was inflated (it lives in another buffer). */
  metaBytes: Buffer | undefined;
}

/** Attempts the whole scan on one window; throws NeedMoreBytes when the window is too short. */
function scanWindow(w: ByteWindow, fileSize: number, maxHeader: number): RawScan {
  const meta = readPart10Header(w, fileSize);
  const slots = SLOTS.fill(-1);
  if (!meta.transferSyntax.deflated) {
    const { end, pixel } = walkDataSet(w, meta.metaEnd, meta.transferSyntax, slots, undefined);
    return { window: w, meta, dataStart: meta.metaEnd, dataEnd: end, slots, pixel, metaBytes: undefined };
  }
  const inflated = inflatePrefix(w, meta.metaEnd, maxHeader);
  const dw: ByteWindow = {
    buf: inflated,
    end: inflated.length,
    complete: w.complete,
    path: w.path,
    inflated: true,
  };
  try {
    const { end, pixel } = walkDataSet(dw, 0, meta.transferSyntax, slots, undefined);
    return {
      window: dw,
      meta,
      dataStart: 0,
      dataEnd: end,
      slots,
      pixel,
      metaBytes: w.buf.subarray(0, meta.metaEnd),
    };
  } catch (e) {
    // More inflated bytes need more compressed bytes: ask for a longer file prefix.
    if (e instanceof NeedMoreBytes) throw new NeedMoreBytes(w.end * 4);
    throw e;
  }
}

/** Inflates the raw deflate stream after the meta group, as far as the window's bytes go. */
function inflatePrefix(w: ByteWindow, start: number, maxOutput: number): Buffer {
  return inflateRawBounded(w.buf.subarray(start, w.end), maxOutput, w.path, {
    prefix: true,
    expected: 'a header within maxHeaderBytes (a scan option)',
  });
}

let scratch = Buffer.allocUnsafe(16384);

/**
 * Scans the header of one DICOM file synchronously. The fastest way to index many warm files.
 * @throws {@link BerthError} with a DICOM code (or BERTH_E_NOT_FOUND / BERTH_E_IO).
 */
export function scanHeaderSync(path: string, options: ScanOptions = {}): DicomHeader {
  const prefix = Math.max(options.prefixBytes ?? 16384, 1);
  const max = options.maxHeaderBytes ?? 64 * 1024 * 1024;
  let fd: number;
  try {
    fd = openRegularSync(path).fd;
  } catch (e) {
    throw ioError(e, path);
  }
  try {
    if (scratch.length < prefix) scratch = Buffer.allocUnsafe(prefix);
    // Most files of a series are read whole by the first read; only a longer one needs its size.
    const first = fs.readSync(fd, scratch, 0, prefix, 0);
    const fileSize = first < prefix ? first : fs.fstatSync(fd).size;
    let want = Math.min(fileSize, prefix);
    let n = first;
    for (;;) {
      if (n < 0) {
        if (scratch.length < want) scratch = Buffer.allocUnsafe(want);
        n = readFully(fd, scratch, want);
      }
      const w = fileWindow(scratch, n, n >= fileSize || n < want, path);
      try {
        return finish(scanWindow(w, fileSize, max), path, fileSize, options);
      } catch (e) {
        if (!(e instanceof NeedMoreBytes)) throw e;
        want = nextSize(want, e.end, fileSize, max, path);
        n = -1;
      }
    }
  } catch (e) {
    throw isBerthError(e) ? e : ioError(e, path);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Scans the header of one DICOM file without blocking the event loop (see {@link scanHeaderSync}).
 */
export async function scanHeader(path: string, options: ScanOptions = {}): Promise<DicomHeader> {
  const prefix = options.prefixBytes ?? 16384;
  const max = options.maxHeaderBytes ?? 64 * 1024 * 1024;
  let fd: number;
  try {
    fd = await openAsync(path);
  } catch (e) {
    throw ioError(e, path);
  }
  try {
    const fileSize = await fstatAsync(fd);
    let want = Math.min(fileSize, prefix);
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.max(want, 1));
      let n = 0;
      while (n < want) {
        const got = await readAsync(fd, buf, n, want - n);
        if (got === 0) break;
        n += got;
      }
      const w = fileWindow(buf, n, n >= fileSize || n < want, path);
      try {
        return finish(scanWindow(w, fileSize, max), path, fileSize, options);
      } catch (e) {
        if (!(e instanceof NeedMoreBytes)) throw e;
        want = nextSize(want, e.end, fileSize, max, path);
      }
    }
  } catch (e) {
    throw isBerthError(e) ? e : ioError(e, path);
  } finally {
    await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
  }
}

/**
 * Scans a header from bytes already in memory (the whole file, or a prefix with `fileSize` the
 * real size). `path` is used in error messages only.
 */
export function scanHeaderBytes(
  bytes: Uint8Array,
  path: string,
  options: ScanOptions & { fileSize?: number } = {},
): DicomHeader {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fileSize = options.fileSize ?? buf.length;
  const max = options.maxHeaderBytes ?? 64 * 1024 * 1024;
  // Growing windows, as for files: a deflated data set is inflated only as far as its header needs,
  // never whole (a large deflated image would pass maxHeaderBytes of inflated bytes).
  let want = Math.min(buf.length, Math.max(options.prefixBytes ?? 16384, 1));
  for (;;) {
    const w = fileWindow(buf, want, want >= fileSize, path);
    try {
      return finish(scanWindow(w, fileSize, max), path, fileSize, options);
    } catch (e) {
      if (!(e instanceof NeedMoreBytes)) throw e;
      if (want >= buf.length) {
        throw dicomError(
          'BERTH_E_TRUNCATED',
          path,
          `The given bytes end before the header does`,
          'more bytes',
        );
      }
      want = Math.min(buf.length, nextSize(want, e.end, fileSize, max, path));
    }
  }
}

/** Validates the raw scan and turns it into a {@link DicomHeader} that keeps only header bytes. */
function finish(raw: RawScan, path: string, fileSize: number, options: ScanOptions): DicomHeader {
  const { window: w, meta, slots } = raw;
  const b = w.buf;
  const little = meta.transferSyntax.littleEndian;
  const utf8 =
    slots[AT.SpecificCharacterSet * 3]! >= 0
      ? textCharset(str(b, slots, AT.SpecificCharacterSet, false))
      : undefined;
  const fields: HeaderFields = {
    TransferSyntaxUID: meta.transferSyntaxUid,
    MediaStorageSOPClassUID: meta.mediaStorageSopClassUid,
    MediaStorageSOPInstanceUID: meta.mediaStorageSopInstanceUid,
    SOPClassUID: sameOrOwn(meta.mediaStorageSopClassUid, slotUid(b, slots, AT.SOPClassUID)) ?? '',
    SOPInstanceUID: sameOrOwn(meta.mediaStorageSopInstanceUid, slotUid(b, slots, AT.SOPInstanceUID)) ?? '',
    StudyInstanceUID: slotUid(b, slots, AT.StudyInstanceUID) ?? '',
    SeriesInstanceUID: slotUid(b, slots, AT.SeriesInstanceUID) ?? '',
    FrameOfReferenceUID: slotUid(b, slots, AT.FrameOfReferenceUID),
    Modality: str(b, slots, AT.Modality, utf8),
    StudyDescription: str(b, slots, AT.StudyDescription, utf8),
    SeriesDescription: str(b, slots, AT.SeriesDescription, utf8),
    InstanceNumber: slotInt(b, slots, AT.InstanceNumber, little),
    ImagePositionPatient: tuple(slotNumbers(b, slots, AT.ImagePositionPatient, little), 3),
    ImageOrientationPatient: tuple(slotNumbers(b, slots, AT.ImageOrientationPatient, little), 6),
    Rows: slotInt(b, slots, AT.Rows, little),
    Columns: slotInt(b, slots, AT.Columns, little),
    BitsAllocated: slotInt(b, slots, AT.BitsAllocated, little),
    BitsStored: slotInt(b, slots, AT.BitsStored, little),
    PixelRepresentation: slotInt(b, slots, AT.PixelRepresentation, little),
    SamplesPerPixel: slotInt(b, slots, AT.SamplesPerPixel, little),
    NumberOfFrames: slotInt(b, slots, AT.NumberOfFrames, little),
    PhotometricInterpretation: str(b, slots, AT.PhotometricInterpretation, utf8),
  };
  const ts = meta.transferSyntax;
  const pixel: PixelDataLocation | undefined = raw.pixel && {
    offset: raw.pixel.offset,
    length: raw.pixel.length,
    vr:
      raw.pixel.vr === 0
        ? ts.encapsulated
          ? 'OB'
          : fields.BitsAllocated === 8
            ? 'OB'
            : 'OW'
        : vrText(raw.pixel.vr),
    encapsulated: ts.encapsulated,
    inDeflatedStream: ts.deflated,
  };
  const warnings = (options.requireUids ?? true) ? checkUids(fields, path, meta.warnings) : meta.warnings;
  if (pixel && (options.checkPixelLength ?? true)) checkPixelLength(fields, pixel, ts, fileSize, path);

  // Keep only the header bytes: meta + data set up to the pixel data element (usually 1-3 KB).
  let bytes: Buffer;
  if (raw.metaBytes) bytes = Buffer.concat([raw.metaBytes, b.subarray(raw.dataStart, raw.dataEnd)]);
  else {
    // Uint8Array#set is one memmove; Buffer#copy and Buffer.from(subarray) run JS first.
    bytes = Buffer.allocUnsafe(raw.dataEnd);
    bytes.set(new Uint8Array(b.buffer, b.byteOffset, raw.dataEnd));
  }
  const dataStart = raw.metaBytes ? raw.metaBytes.length : raw.dataStart;
  return new DicomHeader(path, fileSize, ts, fields, pixel, bytes, dataStart, utf8, warnings);
}
