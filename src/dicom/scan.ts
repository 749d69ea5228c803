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
import { BerthError, isBerthError } from '../errors.js';
import { openRegular, openRegularSync } from '../tree/open-regular.js';
import { entryByTag, formatTag } from './dictionary.js';
import { dicomError } from './errors.js';
import {
  NeedMoreBytes,
  newElementHeader,
  need,
  PIXEL_DATA,
  readElementHeader,
  readUint16,
  skipUndefinedLength,
  UNDEFINED_LENGTH,
  VR_KIND,
  VR_US,
  vrCode,
  vrText,
  where,
  type ByteWindow,
  type ElementHeader,
} from './read-element.js';
import { inflateRawBounded } from './inflate.js';
import { readPart10Header, readUid, type MetaWarning, type Part10Header } from './read-part10.js';
import type { TransferSyntax } from './transfer-syntax.js';
import { charsetOf, type Charset } from './charset.js';
import { asNumbers, asString, tagOf, valueOfElement, type DicomGetValue } from './sequence.js';
import { decodeNumbers, decodeString, parseDecimalBytes } from './values.js';

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

/** Where the pixel data is. */
export interface PixelDataLocation {
  /**
   * Offset of the first value byte: in the file, or for the deflated syntax in the inflated data
   * set (see `inDeflatedStream`).
   */
  readonly offset: number;
  /** Value length in bytes; undefined for encapsulated pixel data (undefined length). */
  readonly length: number | undefined;
  /** `OB` or `OW` (or as found; implicit VR: `OW`). */
  readonly vr: string;
  readonly encapsulated: boolean;
  /** The offset counts bytes of the inflated data set, not of the file. */
  readonly inDeflatedStream: boolean;
}

/** A raw element of the data set: VR, and value position in {@link DicomHeader.bytes}. */
export interface ElementRef {
  readonly tag: number;
  readonly vr: string;
  readonly offset: number;
  /** Undefined for sequences of undefined length (their content is not kept apart). */
  readonly length: number | undefined;
}

// The attributes every scan locates, as slots of a small table; any other tag costs one Map miss.
const CORE = [
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
const SLOT = new Map<number, number>(CORE.map((tag, i) => [tag, i]));
// The slot of each core attribute by keyword (named property loads: cheap even before the JIT).
const AT = {
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

// One table for every scan: `finish` reads it before the next scan starts (both are synchronous),
// and a typed array allocated per file showed up in the garbage collector's share of a 2,000-file index.
const SLOTS = new Float64Array(CORE.length * 3);

interface RawScan {
  window: ByteWindow;
  meta: Part10Header;
  /** Where the data set starts in `window.buf`. */
  dataStart: number;
  /** Where the pixel data element header starts (or the end of the data set). */
  dataEnd: number;
  /** Per core slot: value offset, length, VR code (offset -1 = absent). */
  slots: Float64Array;
  pixel: { offset: number; length: number | undefined; vr: number } | undefined;
  /** The meta group bytes when the data set was inflated (it lives in another buffer). */
  metaBytes: Buffer | undefined;
}

/**
 * Walks the data set top level from `start`, recording core slots (and every element into `all`
 * when given), until the pixel data element or the end of the window.
 */
function walkDataSet(
  w: ByteWindow,
  start: number,
  ts: TransferSyntax,
  slots: Float64Array | undefined,
  all: Map<number, ElementRef> | undefined,
): { end: number; pixel: RawScan['pixel'] } {
  const little = ts.littleEndian;
  const explicit = ts.explicitVr;
  const h = newElementHeader();
  let pos = start;
  if (slots !== undefined && all === undefined && little) {
    pos = explicit ? skimExplicitLittle(w, pos, slots, h) : skimImplicitLittle(w, pos, slots, h);
  }
  for (;;) {
    if (w.complete && pos >= w.end) return { end: pos, pixel: undefined };
    readElementHeader(w, pos, little, explicit, h);
    const tag = h.tag;
    if (tag === PIXEL_DATA) {
      return {
        end: pos,
        pixel: {
          offset: h.valueOffset,
          length: h.length === UNDEFINED_LENGTH ? undefined : h.length,
          vr: h.vr,
        },
      };
    }
    if (tag >= 0xfffe0000 && tag < 0xffff0000) {
      throw dicomError(
        'BERTH_E_DICOM_PARSE',
        w.path,
        `Found the item or delimiter tag ${formatTag(tag)} at ${where(w, pos)} outside any sequence`,
        'a data element',
      );
    }
    if (h.length === UNDEFINED_LENGTH) {
      const next = skipUndefinedLength(w, h, little, explicit);
      all?.set(tag, { tag, vr: vrOf(h.vr, tag), offset: h.valueOffset, length: undefined });
      pos = next;
      continue;
    }
    const end = h.valueOffset + h.length;
    if (end > w.end) need(w, end, tag);
    if (slots !== undefined) {
      const slot = SLOT.get(tag);
      if (slot !== undefined) {
        slots[slot * 3] = h.valueOffset;
        slots[slot * 3 + 1] = h.length;
        slots[slot * 3 + 2] = h.vr;
      }
    }
    all?.set(tag, { tag, vr: vrOf(h.vr, tag), offset: h.valueOffset, length: h.length });
    pos = end;
  }
}

/**
 * The fast path of {@link walkDataSet} for explicit VR little endian, the syntax of nearly every
 * file: one loop reading the element headers inline, with no call per element. Berth indexes
 * thousands of small files per process, so this code runs mostly before the JIT has optimised
 * it, where each call and each allocation counts. Returns the position of the first element it
 * leaves to the general loop: pixel data, an item tag, a bad VR, or one the window does not hold.
 */
function skimExplicitLittle(w: ByteWindow, pos: number, slots: Float64Array, h: ElementHeader): number {
  const b = w.buf;
  const end = w.end;
  while (pos + 12 <= end) {
    const tag = (b[pos]! | (b[pos + 1]! << 8)) * 0x10000 + (b[pos + 2]! | (b[pos + 3]! << 8));
    if (tag === PIXEL_DATA || tag >= 0xfffe0000) return pos;
    const vr = (b[pos + 4]! << 8) | b[pos + 5]!;
    const kind = VR_KIND[vr];
    let length: number;
    let valueOffset: number;
    if (kind === 1) {
      length = b[pos + 6]! | (b[pos + 7]! << 8);
      valueOffset = pos + 8;
    } else if (kind === 2) {
      length = (b[pos + 8]! | (b[pos + 9]! << 8) | (b[pos + 10]! << 16)) + b[pos + 11]! * 0x1000000;
      valueOffset = pos + 12;
    } else return pos;
    if (length === UNDEFINED_LENGTH) {
      h.tag = tag;
      h.vr = vr;
      h.length = length;
      h.valueOffset = valueOffset;
      pos = skipUndefinedLength(w, h, true, true);
      continue;
    }
    const next = valueOffset + length;
    if (next > end) return pos;
    const slot = SLOT.get(tag);
    if (slot !== undefined) {
      slots[slot * 3] = valueOffset;
      slots[slot * 3 + 1] = length;
      slots[slot * 3 + 2] = vr;
    }
    pos = next;
  }
  return pos;
}

/** {@link skimExplicitLittle} for implicit VR little endian. */
function skimImplicitLittle(w: ByteWindow, pos: number, slots: Float64Array, h: ElementHeader): number {
  const b = w.buf;
  const end = w.end;
  while (pos + 8 <= end) {
    const tag = (b[pos]! | (b[pos + 1]! << 8)) * 0x10000 + (b[pos + 2]! | (b[pos + 3]! << 8));
    if (tag === PIXEL_DATA || tag >= 0xfffe0000) return pos;
    const length = (b[pos + 4]! | (b[pos + 5]! << 8) | (b[pos + 6]! << 16)) + b[pos + 7]! * 0x1000000;
    if (length === UNDEFINED_LENGTH) {
      h.tag = tag;
      h.vr = 0;
      h.length = length;
      h.valueOffset = pos + 8;
      pos = skipUndefinedLength(w, h, true, false);
      continue;
    }
    const next = pos + 8 + length;
    if (next > end) return pos;
    const slot = SLOT.get(tag);
    if (slot !== undefined) {
      slots[slot * 3] = pos + 8;
      slots[slot * 3 + 1] = length;
      slots[slot * 3 + 2] = 0;
    }
    pos = next;
  }
  return pos;
}

/** The VR of an element: as written (explicit), else from the dictionary and the rules of PS3.5 7.8.1. */
function vrOf(code: number, tag: number): string {
  if (code !== 0) return vrText(code);
  const known = entryByTag(tag)?.vr;
  if (known) return known;
  const element = tag & 0xffff;
  if (element === 0) return 'UL'; // group length
  if (tag & 0x10000 && element >= 0x0010 && element <= 0x00ff) return 'LO'; // private creator
  return 'UN';
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

function fileWindow(buf: Buffer, end: number, complete: boolean, path: string): ByteWindow {
  return { buf, end, complete, path, inflated: false };
}

function nextSize(current: number, needEnd: number, fileSize: number, max: number, path: string): number {
  if (current >= max) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `The header runs past ${max} bytes without reaching the pixel data`,
      'a header within maxHeaderBytes (a scan option)',
    );
  }
  return Math.min(fileSize, max, Math.max(current * 4, needEnd + 16384));
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

function readFully(fd: number, buf: Buffer, want: number): number {
  let n = 0;
  while (n < want) {
    const got = fs.readSync(fd, buf, n, want - n, n);
    if (got === 0) break;
    n += got;
  }
  return n;
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

// The callback API: about twice as fast per file as fs.promises' FileHandle, which matters when
// the whole job is a few small reads per file.
function openAsync(path: string): Promise<number> {
  return openRegular(path).then((o) => o.fd);
}
function fstatAsync(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (e, st) => (e ? reject(e) : resolve(st.size))));
}
function readAsync(fd: number, buf: Buffer, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buf, offset, length, offset, (e, n) => (e ? reject(e) : resolve(n))),
  );
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

function ioError(e: unknown, path: string): BerthError {
  if (isBerthError(e)) return e; // a symlink, FIFO or device refused by the opener
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return new BerthError('BERTH_E_NOT_FOUND', `No such file`, { path, cause: e });
  return new BerthError('BERTH_E_IO', `Cannot read the file: ${(e as Error).message}`, { path, cause: e });
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

/** The file meta's copy of a UID when equal: one string kept per header instead of two. */
function sameOrOwn(meta: string | undefined, own: string | undefined): string | undefined {
  return meta !== undefined && meta === own ? meta : own;
}

function slotUid(b: Buffer, slots: Float64Array, slot: number): string | undefined {
  const off = slots[slot * 3]!;
  return off < 0 ? undefined : readUid(b, off, slots[slot * 3 + 1]!) || undefined;
}

/** The VR code of a core slot: as written, or (implicit VR) the dictionary's. */
function slotVr(slots: Float64Array, slot: number): number {
  return slots[slot * 3 + 2] || CORE_VR[slot]!;
}

function slotNumbers(b: Buffer, slots: Float64Array, slot: number, little: boolean): number[] | undefined {
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

function slotInt(b: Buffer, slots: Float64Array, slot: number, little: boolean): number | undefined {
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
function textCharset(value: string | undefined): boolean | Charset | undefined {
  if (value === lastCharsetText) return lastCharset;
  lastCharsetText = value;
  lastCharset = value === 'ISO_IR 192' ? true : charsetOf(value);
  return lastCharset;
}

function str(
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

function tuple<N extends 3 | 6>(
  values: number[] | undefined,
  n: N,
): (N extends 3 ? [number, number, number] : [number, number, number, number, number, number]) | undefined {
  if (!values || values.length !== n) return undefined;
  return values as never;
}

/**
 * Throws when the data set lacks a UID berth needs; returns the meta defects it reads past as
 * warnings (the data set is authoritative, as in dcmtk and pydicom): a missing MediaStorage UID,
 * or one that differs from the data set's.
 */
function checkUids(
  f: HeaderFields,
  path: string,
  metaWarnings: readonly MetaWarning[],
): readonly MetaWarning[] {
  if (!(f.SOPInstanceUID && f.SOPClassUID && f.StudyInstanceUID && f.SeriesInstanceUID)) {
    const missing = (
      [
        ['SOPInstanceUID', f.SOPInstanceUID],
        ['SOPClassUID', f.SOPClassUID],
        ['StudyInstanceUID', f.StudyInstanceUID],
        ['SeriesInstanceUID', f.SeriesInstanceUID],
      ] as const
    )
      .filter(([, v]) => !v)
      .map(([k]) => k);
    throw dicomError(
      'BERTH_E_MISSING_ATTRIBUTE',
      path,
      `The DICOM file has no ${missing.join(', ')}`,
      `${missing.join(', ')} present and non-empty`,
    );
  }
  if (
    metaWarnings.length === 0 &&
    f.MediaStorageSOPInstanceUID === f.SOPInstanceUID &&
    f.MediaStorageSOPClassUID === f.SOPClassUID
  ) {
    return metaWarnings; // the well-formed file: nothing allocated
  }
  return [...metaWarnings, ...metaUidWarnings(f)];
}

function metaUidWarnings(f: HeaderFields): MetaWarning[] {
  const out: MetaWarning[] = [];
  const pairs = [
    ['MediaStorageSOPInstanceUID', f.MediaStorageSOPInstanceUID, 'SOPInstanceUID', f.SOPInstanceUID],
    ['MediaStorageSOPClassUID', f.MediaStorageSOPClassUID, 'SOPClassUID', f.SOPClassUID],
  ] as const;
  for (const [metaName, metaValue, ownName, own] of pairs) {
    if (metaValue === undefined || metaValue === '') {
      out.push({
        code: 'BERTH_E_DICOM_META_MISSING',
        message: `The file meta group has no ${metaName}; the data set's ${ownName} ${own} is used`,
      });
    } else if (metaValue !== own) {
      out.push({
        code: 'BERTH_E_DICOM_META_MISMATCH',
        message: `${metaName} ${metaValue} differs from ${ownName} ${own}; the data set's is used`,
      });
    }
  }
  return out;
}

/**
 * Bytes of native pixel data the image attributes call for; undefined when they are missing.
 * YBR_FULL_422 stores two samples a pixel (PS3.3 C.7.6.3.1.2: Y Y Cb Cr for each pair).
 */
export function expectedPixelBytes(f: {
  Rows?: number;
  Columns?: number;
  BitsAllocated?: number;
  SamplesPerPixel?: number;
  NumberOfFrames?: number;
  PhotometricInterpretation?: string;
}): number | undefined {
  if (f.Rows === undefined || f.Columns === undefined || f.BitsAllocated === undefined) return undefined;
  const samples = f.SamplesPerPixel ?? 1;
  const perPixel = f.PhotometricInterpretation === 'YBR_FULL_422' && samples === 3 ? 2 : samples;
  const bits = f.Rows * f.Columns * perPixel * (f.NumberOfFrames ?? 1) * f.BitsAllocated;
  return Math.ceil(bits / 8);
}

function checkPixelLength(
  f: HeaderFields,
  pixel: PixelDataLocation,
  ts: TransferSyntax,
  fileSize: number,
  path: string,
): void {
  if (ts.encapsulated) return;
  if (pixel.length === undefined) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      path,
      `Pixel data has undefined length in the native transfer syntax ${ts.name}`,
      'a defined length for native pixel data',
    );
  }
  if (f.Rows === undefined || f.Columns === undefined || f.BitsAllocated === undefined) {
    const missing = (['Rows', 'Columns', 'BitsAllocated'] as const).filter((k) => f[k] === undefined);
    throw dicomError(
      'BERTH_E_MISSING_ATTRIBUTE',
      path,
      `The image has pixel data but no ${missing.join(', ')}`,
      'Rows, Columns and BitsAllocated with pixel data',
    );
  }
  const expected = expectedPixelBytes(f)!;
  if (pixel.length < expected) {
    const dims = `${f.Rows} × ${f.Columns} × ${f.BitsAllocated}/8 × ${f.SamplesPerPixel ?? 1} × ${f.NumberOfFrames ?? 1}`;
    throw dicomError(
      'BERTH_E_PIXEL_LENGTH',
      path,
      `The pixel data is ${pixel.length} bytes, shorter than Rows × Columns × BitsAllocated/8 × SamplesPerPixel × NumberOfFrames = ${dims} = ${expected}`,
      `at least ${expected} bytes of pixel data`,
    );
  }
  if (!ts.deflated && pixel.offset + pixel.length > fileSize) {
    throw dicomError(
      'BERTH_E_PIXEL_LENGTH',
      path,
      `The file ends ${fileSize - pixel.offset} bytes into the pixel data, which declares ${pixel.length} bytes`,
      `a file of ${pixel.offset + pixel.length} bytes`,
    );
  }
}

/** The attributes every scan decodes (named by their DICOM keywords). */
export interface HeaderFields {
  readonly TransferSyntaxUID: string;
  readonly MediaStorageSOPClassUID: string | undefined;
  readonly MediaStorageSOPInstanceUID: string | undefined;
  /** Empty only when the scan ran with `requireUids: false`. */
  readonly SOPClassUID: string;
  /** Empty only when the scan ran with `requireUids: false`. */
  readonly SOPInstanceUID: string;
  /** Empty only when the scan ran with `requireUids: false`. */
  readonly StudyInstanceUID: string;
  /** Empty only when the scan ran with `requireUids: false`. */
  readonly SeriesInstanceUID: string;
  readonly FrameOfReferenceUID: string | undefined;
  readonly Modality: string | undefined;
  readonly StudyDescription: string | undefined;
  readonly SeriesDescription: string | undefined;
  readonly InstanceNumber: number | undefined;
  readonly ImagePositionPatient: [number, number, number] | undefined;
  readonly ImageOrientationPatient: [number, number, number, number, number, number] | undefined;
  readonly Rows: number | undefined;
  readonly Columns: number | undefined;
  readonly BitsAllocated: number | undefined;
  readonly BitsStored: number | undefined;
  readonly PixelRepresentation: number | undefined;
  readonly SamplesPerPixel: number | undefined;
  /** As found; undefined when absent (one frame). */
  readonly NumberOfFrames: number | undefined;
  readonly PhotometricInterpretation: string | undefined;
}

/**
 * The header of one DICOM file: the attributes berth needs as typed fields (DICOM keywords as
 * names), where the pixel data is, and any other top-level attribute on demand with {@link get}.
 *
 * It keeps the header bytes (file meta and data set up to the pixel data, typically 1–3 KB) and
 * nothing else; values beyond the pixel data (trailing padding, signatures) are not available.
 */
export class DicomHeader implements HeaderFields {
  readonly TransferSyntaxUID!: string;
  readonly MediaStorageSOPClassUID!: string | undefined;
  readonly MediaStorageSOPInstanceUID!: string | undefined;
  readonly SOPClassUID!: string;
  readonly SOPInstanceUID!: string;
  readonly StudyInstanceUID!: string;
  readonly SeriesInstanceUID!: string;
  readonly FrameOfReferenceUID!: string | undefined;
  readonly Modality!: string | undefined;
  readonly StudyDescription!: string | undefined;
  readonly SeriesDescription!: string | undefined;
  readonly InstanceNumber!: number | undefined;
  readonly ImagePositionPatient!: [number, number, number] | undefined;
  readonly ImageOrientationPatient!: [number, number, number, number, number, number] | undefined;
  readonly Rows!: number | undefined;
  readonly Columns!: number | undefined;
  readonly BitsAllocated!: number | undefined;
  readonly BitsStored!: number | undefined;
  readonly PixelRepresentation!: number | undefined;
  readonly SamplesPerPixel!: number | undefined;
  readonly NumberOfFrames!: number | undefined;
  readonly PhotometricInterpretation!: string | undefined;

  #elements: Map<number, ElementRef> | undefined;

  /** @internal Built by the scan functions. */
  constructor(
    /** The file scanned. */
    readonly path: string,
    /** Its size in bytes. */
    readonly fileSize: number,
    /** The transfer syntax the data set is encoded in. */
    readonly transferSyntax: TransferSyntax,
    fields: HeaderFields,
    /** Where the pixel data is; undefined when the data set has none. */
    readonly pixelData: PixelDataLocation | undefined,
    /** File meta and data set bytes up to the pixel data element (data set inflated if deflated). */
    readonly bytes: Buffer,
    /** Where the data set starts in {@link bytes}. */
    readonly dataSetOffset: number,
    /** How text decodes (SpecificCharacterSet): `true` UTF-8, a {@link Charset}, or Latin-1. */
    readonly charset: boolean | Charset | undefined,
    /**
     * File meta defects read past (a missing or disagreeing MediaStorage UID, no TransferSyntaxUID,
     * no meta at all): `berth validate` reports each as a warning. Empty for a well-formed file.
     */
    readonly warnings: readonly MetaWarning[] = [],
  ) {
    Object.assign(this, fields);
  }

  /** Text decodes as UTF-8 (SpecificCharacterSet ISO_IR 192). */
  get utf8(): boolean {
    return this.charset === true;
  }

  /** NumberOfFrames, or 1 when absent. */
  get frames(): number {
    return this.NumberOfFrames ?? 1;
  }

  /** The raw element (VR and value position in {@link bytes}) of a keyword or tag, if present. */
  element(name: string): ElementRef | undefined {
    return this.elements().get(tagOf(name));
  }

  /** True when the header has this attribute at its top level. */
  has(name: string): boolean {
    return this.element(name) !== undefined;
  }

  /**
   * The value of a top-level attribute by keyword (`PatientName`, any keyword of PS3.6) or tag
   * (`(0010,0010)`): text for string VRs (decoded in the SpecificCharacterSet), a number or
   * number[] for numeric VRs (IS and DS included), bytes for OB/OW/UN, and for a sequence its
   * items as {@link DicomItem}s (nested data sets with the same accessors). Undefined when absent
   * or empty.
   */
  get(name: string): DicomGetValue | undefined {
    return valueOfElement(
      {
        bytes: this.bytes,
        little: this.transferSyntax.littleEndian,
        explicit: this.transferSyntax.explicitVr,
        charset: this.charset,
        path: this.path,
      },
      this.element(name),
    );
  }

  /** The value as text (numbers as written), or undefined. */
  getString(name: string): string | undefined {
    return asString(this.get(name));
  }

  /** The value as numbers, or undefined when absent or not numeric. */
  getNumbers(name: string): number[] | undefined {
    return asNumbers(this.get(name));
  }

  /** Every top-level element (file meta included), indexed on first use. */
  elements(): ReadonlyMap<number, ElementRef> {
    if (!this.#elements) {
      const all = new Map<number, ElementRef>();
      const w = fileWindow(this.bytes, this.bytes.length, true, this.path);
      const metaTs = { ...this.transferSyntax, explicitVr: true, littleEndian: true };
      // The meta group: explicit VR little endian; stop at the data set.
      const metaWindow = fileWindow(
        this.bytes.subarray(0, this.dataSetOffset),
        this.dataSetOffset,
        true,
        this.path,
      );
      walkDataSet(metaWindow, 132, metaTs, undefined, all);
      walkDataSet(w, this.dataSetOffset, this.transferSyntax, undefined, all);
      this.#elements = all;
    }
    return this.#elements;
  }
}
