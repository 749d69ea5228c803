/**
 * Writes an element tree (tree.ts) back as a Part 10 file, as a list of chunks for one `writev`:
 * a first pass measures every sequence and item, a second writes every header and small value
 * into one buffer of the exact size, and large values (pixel data, fragments) stay the slices of
 * the input they are, never copied. Elements are written sorted by tag, sequences and items with
 * defined lengths, odd values padded (UI, OB and UN with NUL, others with a space).
 */
import zlib from 'node:zlib';
import { BerthError } from '../../errors.js';
import { formatTag } from '../dictionary.js';
import { ITEM, UNDEFINED_LENGTH, VR_KIND, vrCode } from '../read-element.js';
import type { HeaderSyntax } from '../write.js';
import { isSequence, swapWords, wordSize, type DataSetNode, type ParsedFile } from './tree.js';

/** Values of at least this many bytes are written from where they are, not copied. */
export const LARGE_VALUE_BYTES = 4096;

const META_SYNTAX: HeaderSyntax = { little: true, explicit: true };
const PREAMBLE_AND_GROUP_LENGTH = 128 + 4 + 12;

function headerBytes(vr: string, s: HeaderSyntax): number {
  return s.explicit && VR_KIND[vrCode(vr)] === 2 ? 12 : 8;
}

function padOf(vr: string): number {
  return vr === 'UI' || vr === 'OB' || vr === 'UN' ? 0 : 0x20;
}

/** True when a value goes out as its own chunk (no copy; no swap needed, or swapped once). */
function isLarge(length: number): boolean {
  return length >= LARGE_VALUE_BYTES;
}

/** Elements sorted by tag: the list itself when it already is (the usual case), else a sorted copy. */
function sortedByTag(nodes: DataSetNode): DataSetNode {
  for (let i = 1; i < nodes.length; i++) {
    if (nodes[i - 1]!.tag > nodes[i]!.tag) return [...nodes].sort((a, b) => a.tag - b.tag);
  }
  return nodes;
}

/** The measurements of pass 1, consumed in the same order by pass 2. */
interface Plan {
  readonly lists: DataSetNode[];
  readonly lengths: number[];
  /** Bytes of the small buffer (headers, small values, pads). */
  small: number;
}

/** Pass 1: the encoded length of a data set; records sorted lists and sequence/item lengths in preorder. */
function measure(nodes: DataSetNode, s: HeaderSyntax, plan: Plan): number {
  const sorted = sortedByTag(nodes);
  plan.lists.push(sorted);
  let total = 0;
  for (const n of sorted) {
    const head = headerBytes(n.vr, s);
    plan.small += head;
    if (isSequence(n)) {
      const at = plan.lengths.push(0) - 1;
      let length = 0;
      for (const item of n.items) {
        const itemAt = plan.lengths.push(0) - 1;
        plan.small += 8;
        const itemLength = measure(item, s, plan);
        plan.lengths[itemAt] = itemLength;
        length += 8 + itemLength;
      }
      plan.lengths[at] = length;
      total += head + length;
      continue;
    }
    const length = n.bytes.length;
    if (!n.encapsulated && length > 0xffff && head === 8 && s.explicit) {
      throw new BerthError(
        'BERTH_E_USAGE',
        `Element ${formatTag(n.tag)} (${n.vr}) is ${length} bytes, over 65535`,
      );
    }
    const pad = length & 1;
    if (n.encapsulated) {
      if (!s.little || !s.explicit) {
        throw new BerthError('BERTH_E_INTERNAL', 'Encapsulated pixel data outside explicit VR little endian');
      }
      if (!isLarge(length)) plan.small += length;
    } else plan.small += (isLarge(length) ? 0 : length) + pad;
    total += head + length + (n.encapsulated ? 0 : pad);
  }
  return total;
}

/** Pass 2 state: the small buffer, where it is filled to, and the chunks so far. */
interface Out {
  readonly small: Buffer;
  pos: number;
  /** Start of the part of `small` not yet pushed as a chunk. */
  flushed: number;
  readonly chunks: Buffer[];
  list: number;
  length: number;
}

function u16(o: Out, v: number, little: boolean): void {
  if (little) o.small.writeUInt16LE(v, o.pos);
  else o.small.writeUInt16BE(v, o.pos);
  o.pos += 2;
}

function u32(o: Out, v: number, little: boolean): void {
  if (little) o.small.writeUInt32LE(v >>> 0, o.pos);
  else o.small.writeUInt32BE(v >>> 0, o.pos);
  o.pos += 4;
}

function header(o: Out, tag: number, vr: string | undefined, length: number, s: HeaderSyntax): void {
  u16(o, tag >>> 16, s.little);
  u16(o, tag & 0xffff, s.little);
  if (vr === undefined || !s.explicit) return u32(o, length, s.little);
  o.small[o.pos++] = vr.charCodeAt(0);
  o.small[o.pos++] = vr.charCodeAt(1);
  if (VR_KIND[vrCode(vr)] === 2) {
    u16(o, 0, s.little);
    u32(o, length, s.little);
  } else u16(o, length, s.little);
}

/** Pushes a large value as its own chunk, after the small bytes written before it. */
function pushLarge(o: Out, b: Buffer): void {
  if (o.pos > o.flushed) o.chunks.push(o.small.subarray(o.flushed, o.pos));
  o.flushed = o.pos;
  o.chunks.push(b);
}

function value(o: Out, vr: string, b: Buffer, s: HeaderSyntax): void {
  if (isLarge(b.length)) pushLarge(o, s.little ? b : swapWords(b, vr));
  else {
    b.copy(o.small, o.pos);
    if (!s.little && wordSize(vr) > 1 && b.length % wordSize(vr) === 0) {
      const w = o.small.subarray(o.pos, o.pos + b.length);
      if (wordSize(vr) === 2) w.swap16();
      else if (wordSize(vr) === 4) w.swap32();
      else w.swap64();
    }
    o.pos += b.length;
  }
  if (b.length & 1) o.small[o.pos++] = padOf(vr);
}

/** Pass 2: writes the data set measured by {@link measure}. */
function emit(o: Out, plan: Plan, s: HeaderSyntax): void {
  const sorted = plan.lists[o.list++]!;
  for (const n of sorted) {
    if (isSequence(n)) {
      header(o, n.tag, 'SQ', plan.lengths[o.length++]!, s);
      for (let i = 0; i < n.items.length; i++) {
        header(o, ITEM, undefined, plan.lengths[o.length++]!, s);
        emit(o, plan, s);
      }
    } else if (n.encapsulated) {
      header(o, n.tag, n.vr, UNDEFINED_LENGTH, s);
      if (isLarge(n.bytes.length)) pushLarge(o, n.bytes);
      else o.pos += n.bytes.copy(o.small, o.pos);
    } else {
      header(o, n.tag, n.vr, n.bytes.length + (n.bytes.length & 1), s);
      value(o, n.vr, n.bytes, s);
    }
  }
}

function encodeChunks(parts: [DataSetNode, HeaderSyntax][], prefix: number): { chunks: Buffer[]; o: Out } {
  const plan: Plan = { lists: [], lengths: [], small: prefix };
  const totals = parts.map(([nodes, s]) => measure(nodes, s, plan));
  const o: Out = {
    small: Buffer.alloc(plan.small),
    pos: prefix,
    flushed: 0,
    chunks: [],
    list: 0,
    length: 0,
  };
  parts.forEach(([, s], i) => {
    if (i === 0 && prefix > 0) {
      // The meta group length comes first, once the meta is measured.
      o.small.write('DICM', 128, 'latin1');
      o.pos = 132;
      header(o, 0x00020000, 'UL', 4, META_SYNTAX);
      u32(o, totals[0]!, true);
    }
    emit(o, plan, s);
  });
  if (o.pos > o.flushed) o.chunks.push(o.small.subarray(o.flushed, o.pos));
  return { chunks: o.chunks, o };
}

/** Encodes a data set in a syntax, as chunks (concatenate them, or write them with one writev). */
export function encodeNodeChunks(nodes: DataSetNode, s: HeaderSyntax): Buffer[] {
  return encodeChunks([[nodes, s]], 0).chunks;
}

/** Encodes a data set in a syntax as one buffer. */
export function encodeNodes(nodes: DataSetNode, s: HeaderSyntax): Buffer {
  const chunks = encodeNodeChunks(nodes, s);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** A parsed file written back as chunks: preamble, DICM, meta (with its group length), data set. */
export function encodeFileChunks(file: ParsedFile): Buffer[] {
  const meta = file.meta.filter((n) => n.tag !== 0x00020000);
  if (file.deflated) {
    const head = encodeChunks([[meta, META_SYNTAX]], PREAMBLE_AND_GROUP_LENGTH).chunks;
    return [...head, zlib.deflateRawSync(encodeNodes(file.dataSet, file.syntax))];
  }
  return encodeChunks(
    [
      [meta, META_SYNTAX],
      [file.dataSet, file.syntax],
    ],
    PREAMBLE_AND_GROUP_LENGTH,
  ).chunks;
}

/** A parsed file written back as one buffer. */
export function encodeFile(file: ParsedFile): Buffer {
  const chunks = encodeFileChunks(file);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
