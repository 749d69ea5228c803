/**
 * The walk of a data set's top level: element headers read one after the other up to Pixel Data
 * (7FE0,0010), sequences of undefined length skipped, the core slots noted (and every element kept
 * when asked). Explicit and implicit VR little endian, the syntaxes of nearly every file, take a
 * fast path with the element headers read inline.
 */
import { entryByTag } from './dictionary.js';
import {
  checkDataElementTag,
  newElementHeader,
  need,
  PIXEL_DATA,
  readElementHeader,
  skipUndefinedLength,
  UNDEFINED_LENGTH,
  VR_KIND,
  vrText,
  type ByteWindow,
  type ElementHeader,
} from './read-element.js';
import type { TransferSyntax } from './transfer-syntax.js';
import { SLOT } from './core-slots.js';

/** A raw element of the data set: VR, and value position in {@link DicomHeader.bytes}. */
export interface ElementRef {
  readonly tag: number;
  readonly vr: string;
  readonly offset: number;
  /** Undefined for sequences of undefined length (their content is not kept apart). */
  readonly length: number | undefined;
}

/** The pixel data element as the walk found it: value offset, length (undefined: undefined length), VR code. */
export interface RawPixel {
  offset: number;
  length: number | undefined;
  vr: number;
}

/**
 * Walks the data set top level from `start`, recording core slots (and every element into `all`
 * when given), until the pixel data element or the end of the window.
 */
export function walkDataSet(
  w: ByteWindow,
  start: number,
  ts: TransferSyntax,
  slots: Float64Array | undefined,
  all: Map<number, ElementRef> | undefined,
): { end: number; pixel: RawPixel | undefined } {
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
    checkDataElementTag(w, tag, pos, 'outside any sequence');
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

/** A window over file bytes (not inflated). */
export function fileWindow(buf: Buffer, end: number, complete: boolean, path: string): ByteWindow {
  return { buf, end, complete, path, inflated: false };
}
