/**
 * A whole Part 10 file as a tree of elements, for the de-identifier: read with berth's element
 * reader (read-element.ts, read-part10.ts) and written back with the writer's headers (write.ts).
 *
 * Values are held as their bytes in little endian order (big endian input is swapped by the VR's
 * word size on reading and back on writing), so a node can move between files of any syntax.
 * Untouched values go out byte for byte; sequences and items are written with defined lengths.
 * Encapsulated pixel data is kept as its raw fragments. A UN element of undefined length is read as
 * the sequence it is (implicit VR little endian, CP-246) and written as SQ.
 */
import zlib from 'node:zlib';
import { dicomError } from '../errors.js';
import { readPart10Header } from '../read-part10.js';
import {
  ITEM,
  ITEM_DELIMITATION,
  need,
  newElementHeader,
  PIXEL_DATA,
  readElementHeader,
  readTag,
  readUint32,
  SEQUENCE_DELIMITATION,
  skipUndefinedLength,
  UNDEFINED_LENGTH,
  vrText,
  VR_UN,
  type ByteWindow,
} from '../read-element.js';
import { vrForImplicit, type VrContext } from '../vr-lookup.js';
import type { HeaderSyntax } from '../write.js';

/** A value element: its bytes (little endian), or raw encapsulated fragments. */
export interface ValueNode {
  readonly tag: number;
  readonly vr: string;
  bytes: Buffer;
  readonly encapsulated?: boolean;
}

/** A sequence: a list of items, each a list of elements. */
export interface SequenceNode {
  readonly tag: number;
  readonly vr: 'SQ';
  items: DataSetNode[];
}

export type ElementNode = ValueNode | SequenceNode;
export type DataSetNode = ElementNode[];

/** A parsed file: its meta elements, its data set, and how the data set is encoded. */
export interface ParsedFile {
  readonly meta: DataSetNode;
  readonly dataSet: DataSetNode;
  readonly transferSyntaxUid: string;
  readonly syntax: HeaderSyntax;
  readonly deflated: boolean;
}

export function isSequence(n: ElementNode): n is SequenceNode {
  return n.vr === 'SQ';
}

const MAX_DEPTH = 64;
const MAX_INFLATED = 2 ** 31 - 1;

/** Bytes per word of a VR (what big endian swaps), 1 for byte and text VRs. */
export function wordSize(vr: string): number {
  switch (vr) {
    case 'US':
    case 'SS':
    case 'OW':
    case 'AT':
      return 2;
    case 'UL':
    case 'SL':
    case 'FL':
    case 'OF':
    case 'OL':
      return 4;
    case 'FD':
    case 'OD':
    case 'SV':
    case 'UV':
    case 'OV':
      return 8;
    default:
      return 1;
  }
}

/** A copy of `b` with its words swapped (between big and little endian); `b` itself when 1-byte. */
export function swapWords(b: Buffer, vr: string): Buffer {
  const size = wordSize(vr);
  if (size === 1 || b.length % size !== 0) return b;
  const copy = Buffer.from(b);
  if (size === 2) copy.swap16();
  else if (size === 4) copy.swap32();
  else copy.swap64();
  return copy;
}

interface ReadState {
  readonly w: ByteWindow;
  readonly ctx: VrContext;
}

/** Parses a Part 10 file held in memory; `path` names it in errors. */
export function parseFile(bytes: Buffer, path: string): ParsedFile {
  const w: ByteWindow = { buf: bytes, end: bytes.length, complete: true, path, inflated: false };
  const header = readPart10Header(w, bytes.length);
  const ts = header.transferSyntax;
  const meta = parseRange({ w, ctx: {} }, 132, header.metaEnd, { little: true, explicit: true }, 0);
  let body: ByteWindow = w;
  let start = header.metaEnd;
  if (ts.deflated) {
    let inflated: Buffer;
    try {
      inflated = zlib.inflateRawSync(bytes.subarray(header.metaEnd), { maxOutputLength: MAX_INFLATED });
    } catch (e) {
      throw dicomError('BERTH_E_DICOM_PARSE', path, 'The deflated data set does not inflate', undefined, e);
    }
    body = { buf: inflated, end: inflated.length, complete: true, path, inflated: true };
    start = 0;
  }
  const syntax = { little: ts.littleEndian, explicit: ts.explicitVr };
  const dataSet = parseRange({ w: body, ctx: {} }, start, body.end, syntax, 0);
  return { meta, dataSet, transferSyntaxUid: header.transferSyntaxUid, syntax, deflated: ts.deflated };
}

/** Parses elements from `pos` to `end`, or to an item delimiter when `end` is undefined. */
function parseRange(
  st: ReadState,
  pos: number,
  end: number | undefined,
  s: HeaderSyntax,
  depth: number,
): DataSetNode & { next?: number } {
  if (depth > MAX_DEPTH) {
    throw dicomError('BERTH_E_DICOM_PARSE', st.w.path, `Sequences nest deeper than ${MAX_DEPTH}`);
  }
  const out: DataSetNode & { next?: number } = [];
  const h = newElementHeader();
  while (end === undefined || pos < end) {
    readElementHeader(st.w, pos, s.little, s.explicit, h);
    if (h.tag === ITEM_DELIMITATION) {
      if (end !== undefined) {
        throw dicomError('BERTH_E_DICOM_PARSE', st.w.path, `Item delimiter outside an item at byte ${pos}`);
      }
      out.next = h.valueOffset;
      return out;
    }
    const undef = h.length === UNDEFINED_LENGTH;
    const vr = s.explicit && h.vr !== 0 ? vrText(h.vr) : vrForImplicit(h.tag, undef, st.ctx);
    if (h.tag === PIXEL_DATA && undef && vr !== 'SQ') {
      const after = skipUndefinedLength(st.w, h, s.little, s.explicit);
      out.push({ tag: h.tag, vr, bytes: st.w.buf.subarray(h.valueOffset, after), encapsulated: true });
      pos = after;
      continue;
    }
    if (vr === 'SQ' || (undef && h.vr === VR_UN)) {
      const inner = h.vr === VR_UN ? { little: true, explicit: false } : s;
      const [items, next] = parseItems(st, h.valueOffset, undef ? undefined : h.length, inner, depth + 1);
      out.push({ tag: h.tag, vr: 'SQ', items });
      pos = next;
      continue;
    }
    if (undef) {
      throw dicomError('BERTH_E_DICOM_PARSE', st.w.path, `Element at byte ${pos} has undefined length`);
    }
    need(st.w, h.valueOffset + h.length, h.tag);
    const raw = st.w.buf.subarray(h.valueOffset, h.valueOffset + h.length);
    const bytes = s.little ? raw : swapWords(raw, vr);
    if (depth === 0 && h.tag === 0x00280100 && bytes.length >= 2)
      st.ctx.bitsAllocated = bytes.readUInt16LE(0);
    if (depth === 0 && h.tag === 0x00280103 && bytes.length >= 2) {
      st.ctx.pixelRepresentation = bytes.readUInt16LE(0);
    }
    out.push({ tag: h.tag, vr, bytes });
    pos = h.valueOffset + h.length;
  }
  out.next = pos;
  return out;
}

/** Parses the items of a sequence; returns them and the offset after the sequence. */
function parseItems(
  st: ReadState,
  pos: number,
  length: number | undefined,
  s: HeaderSyntax,
  depth: number,
): [DataSetNode[], number] {
  const end = length === undefined ? undefined : pos + length;
  const items: DataSetNode[] = [];
  while (end === undefined || pos < end) {
    need(st.w, pos + 8, 'a sequence item');
    const tag = readTag(st.w.buf, pos, s.little);
    const itemLength = readUint32(st.w.buf, pos + 4, s.little);
    if (tag === SEQUENCE_DELIMITATION) return [items, pos + 8];
    if (tag !== ITEM) {
      throw dicomError(
        'BERTH_E_DICOM_PARSE',
        st.w.path,
        `Expected an item at byte ${pos}, found another tag`,
      );
    }
    const undef = itemLength === UNDEFINED_LENGTH;
    const item = parseRange(st, pos + 8, undef ? undefined : pos + 8 + itemLength, s, depth);
    items.push(item);
    pos = item.next ?? pos + 8 + itemLength;
  }
  return [items, pos];
}
