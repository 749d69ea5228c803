/**
 * A small DICOM Part 10 writer for berth's own files (synthetic data, organised outputs).
 *
 * It writes the four native transfer syntaxes — explicit VR little endian, implicit VR little
 * endian, explicit VR big endian (every multi-byte value swapped, pixel data by its sample width)
 * and deflated explicit VR little endian (the data set as one raw deflate stream) — and, in
 * explicit VR little endian, encapsulated pixel data from fragments it is given (it compresses
 * nothing). dcmjs is not used because it cannot write the big endian or deflated syntaxes.
 */
import os from 'node:os';
import zlib from 'node:zlib';
import { BerthError } from '../errors.js';
import { entryByKeyword, formatTag, hasLongLength, type Vr } from './dictionary.js';
import { transferSyntax, TS } from './transfer-syntax.js';
import { BERTH_IMPLEMENTATION_CLASS_UID, BERTH_IMPLEMENTATION_VERSION } from './uid.js';

/** Pixel or binary data as a typed array; its element width is what big endian swaps. */
export type BinaryValue =
  Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** Encapsulated pixel data: fragments as they go into the file, and the basic offset table. */
export interface EncapsulatedValue {
  readonly encapsulated: true;
  readonly fragments: readonly Uint8Array[];
  /** Byte offsets of each frame's first fragment, relative to the first fragment; empty for none. */
  readonly offsetTable: readonly number[];
}

/** The value of an element to write. Sequences are lists of items (each a list of elements). */
export type WriteValue =
  | string
  | number
  | readonly (string | number)[]
  | BinaryValue
  | readonly WriteElement[][]
  | EncapsulatedValue;

/** One element to write. */
export interface WriteElement {
  readonly tag: number;
  readonly vr: Vr;
  readonly value: WriteValue;
}

/** Options of {@link encodePart10}. */
export interface EncodeOptions {
  /** One of the four native syntaxes, or an encapsulated one (written as explicit VR LE). */
  transferSyntaxUid: string;
  /** Write sequences and items with undefined length (delimiters) instead of defined lengths. */
  undefinedLengthSequences?: boolean;
  /** Overrides for the file meta group (for deliberately broken test files); null omits it. */
  meta?: {
    MediaStorageSOPClassUID?: string | null;
    MediaStorageSOPInstanceUID?: string | null;
    TransferSyntaxUID?: string | null;
  };
}

/** An element by keyword, its VR taken from the dictionary. */
export function element(keyword: string, value: WriteValue): WriteElement {
  const entry = entryByKeyword(keyword);
  if (!entry) throw new BerthError('BERTH_E_USAGE', `Unknown DICOM keyword ${JSON.stringify(keyword)}`);
  return { tag: entry.tag, vr: entry.vr, value };
}

const HOST_LITTLE = os.endianness() === 'LE';

/** Formats a number as a DS value (at most 16 characters). */
export function formatDS(x: number): string {
  if (!Number.isFinite(x)) throw new BerthError('BERTH_E_USAGE', `DS value ${x} is not finite`);
  const plain = String(x);
  if (plain.length <= 16) return plain;
  // Fewer significant digits until it fits, in plain or exponent form, whichever fits first.
  for (let p = 15; p > 0; p--) {
    for (const candidate of [String(Number(x.toPrecision(p))), x.toExponential(p - 1)]) {
      if (candidate.length <= 16) return candidate;
    }
  }
  return x.toExponential(0);
}

function pad(bytes: Buffer, padByte: number): Buffer {
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from([padByte])]);
}

function isBinary(v: WriteValue): v is BinaryValue {
  return ArrayBuffer.isView(v);
}

function binaryBytes(v: BinaryValue, little: boolean, width: number): Buffer {
  const copy = Buffer.from(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  if (little !== HOST_LITTLE && width > 1) {
    if (width === 2) copy.swap16();
    else if (width === 4) copy.swap32();
    else copy.swap64();
  }
  return copy;
}

function numbersOf(tag: number, value: WriteValue): number[] {
  const list = typeof value === 'number' ? [value] : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (!list || list.some((x) => typeof x !== 'number')) {
    throw new BerthError('BERTH_E_USAGE', `Element ${formatTag(tag)} needs numbers`);
  }
  return list as number[];
}

type NumberWriter = (this: Buffer, value: number, offset: number) => number;
const B = Buffer.prototype;
// [little endian, big endian] writers of each binary numeric VR.
const NUMBER_WRITERS: Record<'US' | 'SS' | 'UL' | 'SL' | 'FL' | 'FD', [NumberWriter, NumberWriter]> = {
  US: [B.writeUInt16LE, B.writeUInt16BE],
  SS: [B.writeInt16LE, B.writeInt16BE],
  UL: [B.writeUInt32LE, B.writeUInt32BE],
  SL: [B.writeInt32LE, B.writeInt32BE],
  FL: [B.writeFloatLE, B.writeFloatBE],
  FD: [B.writeDoubleLE, B.writeDoubleBE],
};

/** Encodes one value (without its element header) in the given byte order. */
export function encodeValue(tag: number, vr: Vr, value: WriteValue, little: boolean): Buffer {
  if (isBinary(value)) {
    // Swap by the sample width (as pydicom reads big endian pixels: '>i2', '>u4'); bytes given for OW
    // are taken as little endian 16-bit words.
    const width = vr === 'OB' || vr === 'UN' ? 1 : Math.max(2, value.BYTES_PER_ELEMENT);
    return pad(binaryBytes(value, little, width), 0);
  }
  switch (vr) {
    case 'US':
    case 'SS':
    case 'UL':
    case 'SL':
    case 'FL':
    case 'FD': {
      const nums = numbersOf(tag, value);
      const size = vr === 'US' || vr === 'SS' ? 2 : vr === 'FD' ? 8 : 4;
      const b = Buffer.alloc(nums.length * size);
      const write = NUMBER_WRITERS[vr][little ? 0 : 1];
      nums.forEach((n, i) => write.call(b, n, i * size));
      return b;
    }
    case 'AT': {
      const nums = numbersOf(tag, value);
      const b = Buffer.alloc(nums.length * 4);
      nums.forEach((t, i) => {
        const g = t >>> 16;
        const e = t & 0xffff;
        if (little) {
          b.writeUInt16LE(g, i * 4);
          b.writeUInt16LE(e, i * 4 + 2);
        } else {
          b.writeUInt16BE(g, i * 4);
          b.writeUInt16BE(e, i * 4 + 2);
        }
      });
      return b;
    }
    default: {
      const parts =
        typeof value === 'string' || typeof value === 'number' ? [value] : (value as (string | number)[]);
      const text = parts
        .map((p) => (typeof p === 'number' ? (vr === 'DS' ? formatDS(p) : String(p)) : p))
        .join('\\');
      return pad(Buffer.from(text, 'utf8'), vr === 'UI' ? 0 : 0x20);
    }
  }
}

interface Syntax {
  little: boolean;
  explicit: boolean;
  undefinedSq: boolean;
}

/** Byte order and VR form of element headers. */
export interface HeaderSyntax {
  readonly little: boolean;
  readonly explicit: boolean;
}

function writeTag(tag: number, s: HeaderSyntax): Buffer {
  const b = Buffer.alloc(4);
  if (s.little) {
    b.writeUInt16LE(tag >>> 16, 0);
    b.writeUInt16LE(tag & 0xffff, 2);
  } else {
    b.writeUInt16BE(tag >>> 16, 0);
    b.writeUInt16BE(tag & 0xffff, 2);
  }
  return b;
}

function u32(n: number, little: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (little) b.writeUInt32LE(n, 0);
  else b.writeUInt32BE(n, 0);
  return b;
}

/**
 * The element header: tag, then VR and length (explicit) or a 4-byte length (implicit).
 * Shared by the writer and the transcoder.
 */
export function elementHeader(tag: number, vr: Vr | string, length: number, s: HeaderSyntax): Buffer {
  if (!s.explicit) return Buffer.concat([writeTag(tag, s), u32(length, s.little)]);
  if (hasLongLength(vr)) {
    return Buffer.concat([
      writeTag(tag, s),
      Buffer.from(vr, 'latin1'),
      Buffer.alloc(2),
      u32(length, s.little),
    ]);
  }
  if (length > 0xffff) {
    throw new BerthError('BERTH_E_USAGE', `Element ${formatTag(tag)} (${vr}) is ${length} bytes, over 65535`);
  }
  const len = Buffer.alloc(2);
  if (s.little) len.writeUInt16LE(length, 0);
  else len.writeUInt16BE(length, 0);
  return Buffer.concat([writeTag(tag, s), Buffer.from(vr, 'latin1'), len]);
}

/** An item or delimiter header: tag and 4-byte length, no VR in any syntax. */
export function itemHeader(tag: number, length: number, s: HeaderSyntax): Buffer {
  return Buffer.concat([writeTag(tag, s), u32(length, s.little)]);
}

const UNDEFINED = 0xffffffff;

function encodeElements(elements: readonly WriteElement[], s: Syntax, out: Buffer[]): void {
  const sorted = [...elements].sort((a, b) => a.tag - b.tag);
  for (let i = 0; i < sorted.length; i++) {
    const el = sorted[i]!;
    if (i > 0 && sorted[i - 1]!.tag === el.tag) {
      throw new BerthError('BERTH_E_USAGE', `Element ${formatTag(el.tag)} is given twice`);
    }
    encodeElement(el, s, out);
  }
}

function encodeElement(el: WriteElement, s: Syntax, out: Buffer[]): void {
  const v = el.value;
  if (typeof v === 'object' && v !== null && 'encapsulated' in v) {
    out.push(elementHeader(el.tag, 'OB', UNDEFINED, s));
    const table = Buffer.alloc(v.offsetTable.length * 4);
    v.offsetTable.forEach((o, i) => table.writeUInt32LE(o, i * 4));
    out.push(writeTag(0xfffee000, s), u32(table.length, s.little), table);
    for (const f of v.fragments) {
      const bytes = pad(Buffer.from(f.buffer, f.byteOffset, f.byteLength), 0);
      out.push(writeTag(0xfffee000, s), u32(bytes.length, s.little), bytes);
    }
    out.push(writeTag(0xfffee0dd, s), u32(0, s.little));
    return;
  }
  if (el.vr === 'SQ') {
    const items = v as readonly WriteElement[][];
    const body: Buffer[] = [];
    for (const item of items) {
      const content: Buffer[] = [];
      encodeElements(item, s, content);
      const bytes = Buffer.concat(content);
      if (s.undefinedSq) {
        body.push(
          writeTag(0xfffee000, s),
          u32(UNDEFINED, s.little),
          bytes,
          writeTag(0xfffee00d, s),
          u32(0, s.little),
        );
      } else {
        body.push(writeTag(0xfffee000, s), u32(bytes.length, s.little), bytes);
      }
    }
    if (s.undefinedSq) {
      body.push(writeTag(0xfffee0dd, s), u32(0, s.little));
      out.push(elementHeader(el.tag, 'SQ', UNDEFINED, s), ...body);
    } else {
      const bytes = Buffer.concat(body);
      out.push(elementHeader(el.tag, 'SQ', bytes.length, s), bytes);
    }
    return;
  }
  const bytes = encodeValue(el.tag, el.vr, v, s.little);
  out.push(elementHeader(el.tag, el.vr, bytes.length, s), bytes);
}

/** Encodes a data set (no meta, no preamble) in a transfer syntax; deflated data sets are deflated. */
export function encodeDataSet(elements: readonly WriteElement[], options: EncodeOptions): Buffer {
  const ts = transferSyntax(options.transferSyntaxUid);
  if (!ts) {
    throw new BerthError('BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX', `Cannot write ${options.transferSyntaxUid}`);
  }
  const s: Syntax = {
    little: ts.littleEndian,
    explicit: ts.explicitVr,
    undefinedSq: options.undefinedLengthSequences ?? false,
  };
  const out: Buffer[] = [];
  encodeElements(elements, s, out);
  const body = Buffer.concat(out);
  return ts.deflated ? zlib.deflateRawSync(body) : body;
}

/**
 * Encodes a complete Part 10 file: 128 zero bytes, `DICM`, the file meta group (explicit VR little
 * endian, MediaStorage UIDs from the data set's SOPClassUID and SOPInstanceUID), then the data set.
 */
export function encodePart10(elements: readonly WriteElement[], options: EncodeOptions): Buffer {
  const find = (tag: number): string | undefined => {
    const v = elements.find((e) => e.tag === tag)?.value;
    return typeof v === 'string' ? v : undefined;
  };
  const meta = options.meta ?? {};
  const pick = (override: string | null | undefined, fallback: string | undefined): string | undefined =>
    override === null ? undefined : (override ?? fallback);
  const metaValues: [number, Vr, WriteValue | undefined][] = [
    [0x00020001, 'OB', new Uint8Array([0, 1])],
    [0x00020002, 'UI', pick(meta.MediaStorageSOPClassUID, find(0x00080016))],
    [0x00020003, 'UI', pick(meta.MediaStorageSOPInstanceUID, find(0x00080018))],
    [0x00020010, 'UI', pick(meta.TransferSyntaxUID, options.transferSyntaxUid)],
    [0x00020012, 'UI', BERTH_IMPLEMENTATION_CLASS_UID],
    [0x00020013, 'SH', BERTH_IMPLEMENTATION_VERSION],
  ];
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    encodeFileMeta(metaValues),
    encodeDataSet(
      elements.filter((e) => e.tag >>> 16 !== 0x0002),
      options,
    ),
  ]);
}

/** The file meta group (explicit VR little endian) of these elements, group length first. */
function encodeFileMeta(metaValues: readonly [number, Vr, WriteValue | undefined][]): Buffer {
  const metaSyntax: Syntax = { little: true, explicit: true, undefinedSq: false };
  const metaOut: Buffer[] = [];
  for (const [tag, vr, value] of metaValues) {
    if (value !== undefined) encodeElement({ tag, vr, value }, metaSyntax, metaOut);
  }
  const metaBody = Buffer.concat(metaOut);
  const groupLength: Buffer[] = [];
  encodeElement({ tag: 0x00020000, vr: 'UL', value: metaBody.length }, metaSyntax, groupLength);
  return Buffer.concat([...groupLength, metaBody]);
}

/** What a repaired file meta names: the data set's own SOP class and instance, and its syntax. */
export interface MetaFacts {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
}

/**
 * A Part 10 file with a correct meta: a zero preamble, `DICM`, a meta group naming the data set's
 * SOP class, instance and transfer syntax, then the data set bytes (`dataSet`: everything after
 * the old meta, or the whole of a raw data set) unchanged. How berth repairs what it lays out.
 */
export function withRepairedMeta(dataSet: Uint8Array, facts: MetaFacts): Buffer {
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    encodeFileMeta([
      [0x00020001, 'OB', new Uint8Array([0, 1])],
      [0x00020002, 'UI', facts.sopClassUid],
      [0x00020003, 'UI', facts.sopInstanceUid],
      [0x00020010, 'UI', facts.transferSyntaxUid],
      [0x00020012, 'UI', BERTH_IMPLEMENTATION_CLASS_UID],
      [0x00020013, 'SH', BERTH_IMPLEMENTATION_VERSION],
    ]),
    dataSet,
  ]);
}

/** The transfer syntaxes {@link encodePart10} writes pixels of natively. */
export const WRITABLE_TRANSFER_SYNTAXES: readonly string[] = [
  TS.ExplicitVRLittleEndian,
  TS.ImplicitVRLittleEndian,
  TS.ExplicitVRBigEndian,
  TS.DeflatedExplicitVRLittleEndian,
];
