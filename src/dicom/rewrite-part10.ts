/**
 * The engine of transcoding and deriving (transcode.ts, derive.ts, transcode-pixels.ts): a Part 10
 * file rewritten element by element into another syntax, as transcode.ts's module comment describes.
 * Over 400 lines on purpose: one element walk and the byte-order and VR rules it applies, which
 * read best side by side.
 */
import zlib from 'node:zlib';
import { BerthError } from '../errors.js';
import { formatTag, hasLongLength } from './dictionary.js';
import { inflateDataSet } from './deflated.js';
import { dicomError } from './errors.js';
import type { InflateOptions } from './inflate.js';
import {
  ITEM,
  ITEM_DELIMITATION,
  newElementHeader,
  need,
  PIXEL_DATA,
  readElementHeader,
  readTag,
  readUint16,
  readUint32,
  SEQUENCE_DELIMITATION,
  skipUndefinedLength,
  UNDEFINED_LENGTH,
  vrText,
  where,
  type ByteWindow,
} from './read-element.js';
import { hasDicmPrefix, readPart10Header, type Part10Header } from './read-part10.js';
import { scanHeaderBytes } from './scan.js';
import { transferSyntax, TS, type TransferSyntax } from './transfer-syntax.js';
import { BERTH_IMPLEMENTATION_CLASS_UID, BERTH_IMPLEMENTATION_VERSION } from './uid.js';
import { vrForImplicit, type VrContext } from './vr-lookup.js';
import { elementHeader, encodeDataSet, itemHeader, type WriteElement } from './write.js';

/** What a transcoding did. */
export interface TranscodeResult {
  readonly sourceTransferSyntaxUid: string;
  readonly targetTransferSyntaxUid: string;
  /** The target was the source: the bytes were copied unchanged. */
  readonly unchanged: boolean;
  readonly bytes: Buffer;
}

/**
 * Edits of the top level of the data set made while it is rewritten (used by derive.ts): elements
 * to set (replacing any with the same tag, or inserted in tag order), tags to drop, and meta values.
 * @internal
 */
export interface DataSetEdits {
  readonly set?: readonly WriteElement[];
  readonly drop?: ReadonlySet<number>;
  readonly mediaStorageSopInstanceUid?: string;
  readonly mediaStorageSopClassUid?: string;
}

interface Syntax {
  readonly little: boolean;
  readonly explicit: boolean;
}

interface Job {
  readonly path: string;
  readonly dst: Syntax;
  /** The non-deflated syntax elements are encoded in, for {@link encodeDataSet}. */
  readonly dstUid: string;
  readonly vr: VrContext;
}

/** The refusal of a conversion berth cannot do. */
export function unsupported(path: string, from: TransferSyntax, to: string): BerthError {
  const target = transferSyntax(to);
  const name = target ? `${target.name} (${to})` : JSON.stringify(to);
  return new BerthError(
    'BERTH_E_TRANSCODE_UNSUPPORTED',
    `Cannot convert ${from.name} (${from.uid}) to ${name}: berth converts among the native ` +
      'syntaxes, decodes the compressed syntaxes it has a codec for and writes lossless ones only ' +
      '(see the transfer syntax table of the README)',
    { path, expected: 'a syntax berth decodes, converted to a native or lossless syntax' },
  );
}

/**
 * The engine of transcoding and deriving: rewrites a Part 10 file into `targetUid`, applying `edits`
 * to the top level of the data set. Without edits, a target equal to the source copies the bytes.
 * @internal
 */
export function rewritePart10(
  bytes: Uint8Array,
  targetUid: string,
  path: string,
  edits: DataSetEdits | undefined,
  inflate: InflateOptions = {},
): TranscodeResult {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w: ByteWindow = { buf, end: buf.length, complete: true, path, inflated: false };
  const meta = readPart10Header(w, buf.length);
  const from = meta.transferSyntax;
  const to = transferSyntax(targetUid);
  const result = (out: Buffer, unchanged: boolean): TranscodeResult => ({
    sourceTransferSyntaxUid: from.uid,
    targetTransferSyntaxUid: targetUid,
    unchanged,
    bytes: out,
  });
  // A raw data set (no preamble, no meta) is never "unchanged": what berth writes is Part 10.
  const part10 = hasDicmPrefix(buf, buf.length);
  if (!edits && from.uid === targetUid && part10) return result(Buffer.from(buf), true);
  const replacesPixels = edits?.set?.some((e) => e.tag === PIXEL_DATA) ?? false;
  // Edits that replace the pixel data may start from a compressed file: its fragments are never read.
  if (!to || ((to.encapsulated || from.encapsulated) && !replacesPixels))
    throw unsupported(path, from, targetUid);

  let data: ByteWindow = { buf, end: buf.length, complete: true, path, inflated: false };
  let start = meta.metaEnd;
  if (from.deflated) {
    const inflated = inflateDataSet(buf, meta.metaEnd, path, inflate);
    data = { buf: inflated, end: inflated.length, complete: true, path, inflated: true };
    start = 0;
  }
  const dst: Syntax = { little: to.littleEndian, explicit: to.explicitVr };
  const job: Job = {
    path,
    dst,
    dstUid: !dst.explicit
      ? TS.ImplicitVRLittleEndian
      : dst.little
        ? TS.ExplicitVRLittleEndian
        : TS.ExplicitVRBigEndian,
    vr: {},
  };
  const body: Buffer[] = [];
  const src: Syntax = { little: from.littleEndian, explicit: from.explicitVr };
  rewriteElements(
    job,
    data,
    src,
    start,
    data.end,
    false,
    0,
    body,
    edits ? new TopEdits(job, edits) : undefined,
  );
  const bodyBytes = Buffer.concat(body);
  const out = Buffer.concat([
    // The source's preamble, or zeros: a raw data set's first 128 bytes are data, not a preamble.
    part10 ? buf.subarray(0, 128) : Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    rewriteMeta(buf, meta.metaEnd, targetUid, withMediaStorage(edits, meta, buf, path)),
    to.deflated ? zlib.deflateRawSync(bodyBytes) : bodyBytes,
  ]);
  return result(out, false);
}

// ---------------------------------------------------------------------------------------------
// The file meta group

/**
 * `edits` with the MediaStorage UIDs taken from the data set when the source's meta lacks them or
 * disagrees (a meta warning), unless the edits name them: what berth writes has a correct meta.
 */
function withMediaStorage(
  edits: DataSetEdits | undefined,
  meta: Part10Header,
  buf: Buffer,
  path: string,
): DataSetEdits | undefined {
  if (meta.warnings.length === 0) return edits;
  const h = scanHeaderBytes(buf, path);
  return {
    ...edits,
    mediaStorageSopInstanceUid: edits?.mediaStorageSopInstanceUid ?? h.SOPInstanceUID,
    mediaStorageSopClassUid: edits?.mediaStorageSopClassUid ?? h.SOPClassUID,
  };
}

function uidBytes(uid: string): Buffer {
  const b = Buffer.from(uid, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.alloc(1)]);
}

function textBytes(text: string): Buffer {
  const b = Buffer.from(text, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from(' ')]);
}

/** Rewrites the meta group (explicit VR little endian): new syntax, implementation and group length. */
function rewriteMeta(
  buf: Buffer,
  metaEnd: number,
  targetUid: string,
  edits: DataSetEdits | undefined,
): Buffer {
  const w: ByteWindow = { buf, end: metaEnd, complete: true, path: '', inflated: false };
  const h = newElementHeader();
  const values = new Map<number, { vr: string; value: Buffer }>();
  for (let pos = 132; pos < metaEnd;) {
    readElementHeader(w, pos, true, true, h);
    values.set(h.tag, { vr: vrText(h.vr), value: buf.subarray(h.valueOffset, h.valueOffset + h.length) });
    pos = h.valueOffset + h.length;
  }
  values.delete(0x00020000);
  values.set(0x00020010, { vr: 'UI', value: uidBytes(targetUid) });
  values.set(0x00020012, { vr: 'UI', value: uidBytes(BERTH_IMPLEMENTATION_CLASS_UID) });
  values.set(0x00020013, { vr: 'SH', value: textBytes(BERTH_IMPLEMENTATION_VERSION) });
  if (!values.has(0x00020001)) values.set(0x00020001, { vr: 'OB', value: Buffer.from([0, 1]) });
  if (edits?.mediaStorageSopInstanceUid !== undefined) {
    values.set(0x00020003, { vr: 'UI', value: uidBytes(edits.mediaStorageSopInstanceUid) });
  }
  if (edits?.mediaStorageSopClassUid !== undefined) {
    values.set(0x00020002, { vr: 'UI', value: uidBytes(edits.mediaStorageSopClassUid) });
  }
  const le: Syntax = { little: true, explicit: true };
  const parts: Buffer[] = [];
  for (const tag of [...values.keys()].sort((a, b) => a - b)) {
    const { vr, value } = values.get(tag)!;
    parts.push(elementHeader(tag, vr, value.length, le), value);
  }
  const body = Buffer.concat(parts);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  return Buffer.concat([elementHeader(0x00020000, 'UL', 4, le), length, body]);
}

// ---------------------------------------------------------------------------------------------
// Values

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
function swapUnit(tag: number, vr: string, depth: number, ctx: VrContext): number {
  if (tag === PIXEL_DATA && depth === 0 && vr === 'OW') {
    const bits = ctx.bitsAllocated ?? 16;
    return bits === 32 ? 4 : bits === 64 ? 8 : 2;
  }
  return SWAP_UNIT[vr] ?? 1;
}

function convertValue(
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

// ---------------------------------------------------------------------------------------------
// The element walk

const MAX_DEPTH = 64;

/** The top-level edits, consumed in tag order as the walk passes them. */
class TopEdits {
  private readonly pending: WriteElement[];
  constructor(
    private readonly job: Job,
    private readonly edits: DataSetEdits,
  ) {
    this.pending = [...(edits.set ?? [])].sort((a, b) => a.tag - b.tag);
  }
  /** Writes the set elements ordered before `tag`; true when `tag` itself is replaced or dropped. */
  before(tag: number, out: Buffer[]): boolean {
    while (this.pending.length > 0 && this.pending[0]!.tag < tag) this.write(this.pending.shift()!, out);
    if (this.pending[0]?.tag === tag) {
      this.write(this.pending.shift()!, out);
      return true;
    }
    return this.edits.drop?.has(tag) ?? false;
  }
  /** Writes what is left (tags after the last element of the source). */
  finish(out: Buffer[]): void {
    for (const el of this.pending.splice(0)) this.write(el, out);
  }
  private write(el: WriteElement, out: Buffer[]): void {
    out.push(encodeDataSet([el], { transferSyntaxUid: this.job.dstUid }));
  }
}

/**
 * Rewrites the elements from `pos`: up to `end`, or (`untilDelimiter`) up to and including an item
 * delimiter. Returns the position after the last byte consumed.
 */
function rewriteElements(
  job: Job,
  w: ByteWindow,
  src: Syntax,
  pos: number,
  end: number,
  untilDelimiter: boolean,
  depth: number,
  out: Buffer[],
  top: TopEdits | undefined,
): number {
  if (depth > MAX_DEPTH) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      w.path,
      `Sequences nest deeper than ${MAX_DEPTH} at ${where(w, pos)}`,
    );
  }
  const h = newElementHeader();
  const dst = job.dst;
  const swap = src.little !== dst.little;
  for (;;) {
    if (!untilDelimiter && pos >= end) break;
    readElementHeader(w, pos, src.little, src.explicit, h);
    const tag = h.tag;
    if (untilDelimiter && tag === ITEM_DELIMITATION) return h.valueOffset;
    if (tag >= 0xfffe0000 && tag < 0xffff0000) {
      throw dicomError(
        'BERTH_E_DICOM_PARSE',
        w.path,
        `Found the item or delimiter tag ${formatTag(tag)} at ${where(w, pos)} among data elements`,
        'a data element',
      );
    }
    const undefinedLength = h.length === UNDEFINED_LENGTH;
    const valueEnd = undefinedLength ? -1 : h.valueOffset + h.length;
    if (!undefinedLength) need(w, valueEnd, tag);
    if (top?.before(tag, out)) {
      pos = undefinedLength ? skipUndefinedLength(w, h, src.little, src.explicit) : valueEnd;
      continue;
    }
    if ((tag & 0xffff) === 0) {
      // Group lengths are retired and would be wrong after rewriting: drop them.
      pos = undefinedLength ? skipUndefinedLength(w, h, src.little, src.explicit) : valueEnd;
      continue;
    }
    let vr = src.explicit ? vrText(h.vr) : vrForImplicit(tag, undefinedLength, job.vr);
    if (tag === PIXEL_DATA && depth === 0 && undefinedLength) {
      // Encapsulated pixel data: only ever copied into the same (explicit little endian) layout.
      if (!dst.explicit || !dst.little) {
        throw new BerthError('BERTH_E_TRANSCODE_UNSUPPORTED', 'Encapsulated pixel data cannot be rewritten', {
          path: w.path,
        });
      }
      const after = skipUndefinedLength(w, h, src.little, src.explicit);
      out.push(elementHeader(tag, vr, UNDEFINED_LENGTH, dst), w.buf.subarray(h.valueOffset, after));
      pos = after;
      continue;
    }
    if (undefinedLength && vr === 'UN') {
      // CP-246: a UN of undefined length is a sequence encoded in implicit VR little endian.
      pos = rewriteSequence(
        job,
        w,
        { little: true, explicit: false },
        tag,
        h.valueOffset,
        undefined,
        depth,
        out,
      );
      continue;
    }
    if (vr === 'SQ' || (undefinedLength && !src.explicit)) {
      pos = rewriteSequence(
        job,
        w,
        src,
        tag,
        h.valueOffset,
        undefinedLength ? undefined : h.length,
        depth,
        out,
      );
      continue;
    }
    if (undefinedLength) {
      throw dicomError(
        'BERTH_E_DICOM_PARSE',
        w.path,
        `Element ${formatTag(tag)} (VR ${vr}) at ${where(w, pos)} has undefined length`,
        'undefined length only on sequences and encapsulated pixel data',
      );
    }
    if (depth === 0) noteImageAttribute(job.vr, tag, w, h.valueOffset, h.length, src.little);
    const value = convertValue(w, h.valueOffset, h.length, swapUnit(tag, vr, depth, job.vr), swap, tag);
    if (dst.explicit && !hasLongLength(vr) && value.length > 0xffff) vr = 'UN';
    out.push(elementHeader(tag, vr, value.length, dst), value);
    pos = valueEnd;
  }
  top?.finish(out);
  return pos;
}

/** Remembers BitsAllocated and PixelRepresentation: they settle the VR and byte swap of pixel data. */
function noteImageAttribute(
  ctx: VrContext,
  tag: number,
  w: ByteWindow,
  start: number,
  length: number,
  little: boolean,
): void {
  if (length < 2) return;
  if (tag === 0x00280100) ctx.bitsAllocated = readUint16(w.buf, start, little);
  else if (tag === 0x00280103) ctx.pixelRepresentation = readUint16(w.buf, start, little);
}

/**
 * Rewrites a sequence whose value starts at `start` (`length` undefined: up to its delimiter),
 * keeping defined or undefined lengths as they were. Returns the position after the sequence.
 */
function rewriteSequence(
  job: Job,
  w: ByteWindow,
  src: Syntax,
  tag: number,
  start: number,
  length: number | undefined,
  depth: number,
  out: Buffer[],
): number {
  const dst = job.dst;
  const body: Buffer[] = [];
  let pos = start;
  const end = length === undefined ? Infinity : start + length;
  for (;;) {
    if (length !== undefined && pos >= end) break;
    need(w, pos + 8, 'a sequence item');
    const itemTag = readTag(w.buf, pos, src.little);
    const itemLength = readUint32(w.buf, pos + 4, src.little);
    if (length === undefined && itemTag === SEQUENCE_DELIMITATION) {
      pos += 8;
      break;
    }
    if (itemTag !== ITEM) {
      throw dicomError(
        'BERTH_E_DICOM_PARSE',
        w.path,
        `Found ${formatTag(itemTag)} at ${where(w, pos)} inside the sequence ${formatTag(tag)}`,
        'an item (FFFE,E000) or the sequence delimiter (FFFE,E0DD)',
      );
    }
    pos += 8;
    const content: Buffer[] = [];
    if (itemLength === UNDEFINED_LENGTH) {
      pos = rewriteElements(job, w, src, pos, Infinity, true, depth + 1, content, undefined);
      body.push(itemHeader(ITEM, UNDEFINED_LENGTH, dst), ...content, itemHeader(ITEM_DELIMITATION, 0, dst));
    } else {
      need(w, pos + itemLength, 'a sequence item');
      pos = rewriteElements(job, w, src, pos, pos + itemLength, false, depth + 1, content, undefined);
      const bytes = Buffer.concat(content);
      body.push(itemHeader(ITEM, bytes.length, dst), bytes);
    }
  }
  if (length === undefined) {
    out.push(
      elementHeader(tag, 'SQ', UNDEFINED_LENGTH, dst),
      ...body,
      itemHeader(SEQUENCE_DELIMITATION, 0, dst),
    );
  } else {
    const bytes = Buffer.concat(body);
    out.push(elementHeader(tag, 'SQ', bytes.length, dst), bytes);
  }
  return pos;
}
