/**
 * A whole Part 10 file as a tree of elements, for the de-identifier: read with berth's one item
 * reader (`readItemElements`/`readSequenceItems` of read-element.ts, which the SDK's sequence items
 * use too) and written back by encode-tree.ts.
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
  checkNesting,
  need,
  PIXEL_DATA,
  readItemElements,
  readSequenceItems,
  skipUndefinedLength,
  UNDEFINED_LENGTH,
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
  const [meta] = parseRange({ w, ctx: {} }, 132, header.metaEnd, { little: true, explicit: true }, 0);
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
  const [dataSet] = parseRange({ w: body, ctx: {} }, start, body.end, syntax, 0);
  return { meta, dataSet, transferSyntaxUid: header.transferSyntaxUid, syntax, deflated: ts.deflated };
}

/** Parses elements from `pos` to `end`, or to an item delimiter when `end` is undefined; and where they end. */
function parseRange(
  st: ReadState,
  pos: number,
  end: number | undefined,
  s: HeaderSyntax,
  depth: number,
): [DataSetNode, number] {
  checkNesting(st.w, pos, depth);
  const out: DataSetNode = [];
  const { w, ctx } = st;
  const next = readItemElements(
    w,
    pos,
    end,
    s,
    (tag, undef) => vrForImplicit(tag, undef, ctx),
    (h, vr) => {
      const undef = h.length === UNDEFINED_LENGTH;
      if (h.tag === PIXEL_DATA && undef && vr !== 'SQ') {
        const after = skipUndefinedLength(w, h, s.little, s.explicit);
        out.push({ tag: h.tag, vr, bytes: w.buf.subarray(h.valueOffset, after), encapsulated: true });
        return after;
      }
      if (vr === 'SQ' || (undef && h.vr === VR_UN)) {
        const inner = h.vr === VR_UN ? { little: true, explicit: false } : s;
        const items: DataSetNode[] = [];
        const seqEnd = undef ? undefined : h.valueOffset + h.length;
        const after = readSequenceItems(w, h.valueOffset, seqEnd, inner.little, (start, itemEnd) => {
          const [item, itemNext] = parseRange(st, start, itemEnd, inner, depth + 1);
          items.push(item);
          return itemNext;
        });
        out.push({ tag: h.tag, vr: 'SQ', items });
        return after;
      }
      if (undef) {
        throw dicomError(
          'BERTH_E_DICOM_PARSE',
          w.path,
          `Element at byte ${h.valueOffset} has undefined length`,
        );
      }
      need(w, h.valueOffset + h.length, h.tag);
      const raw = w.buf.subarray(h.valueOffset, h.valueOffset + h.length);
      const bytes = s.little ? raw : swapWords(raw, vr);
      if (depth === 0 && h.tag === 0x00280100 && bytes.length >= 2) ctx.bitsAllocated = bytes.readUInt16LE(0);
      if (depth === 0 && h.tag === 0x00280103 && bytes.length >= 2) {
        ctx.pixelRepresentation = bytes.readUInt16LE(0);
      }
      out.push({ tag: h.tag, vr, bytes });
      return h.valueOffset + h.length;
    },
  );
  return [out, next];
}
