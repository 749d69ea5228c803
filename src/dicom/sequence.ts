/**
 * Sequences as nested data sets: `header.get('ReferencedImageSequence')` gives one
 * {@link DicomItem} per item, each with the same accessors as the header (`get`, `getString`,
 * `getNumbers`, `has`), nested sequences included. Items are read from the header bytes the scan
 * kept (everything before the pixel data) when asked for, never during the scan.
 */
import { BerthError } from '../errors.js';
import type { Charset } from './charset.js';
import { resolveTag } from './dictionary.js';
import {
  readItemElements,
  readSequenceItems,
  skipUndefinedLength,
  UNDEFINED_LENGTH,
  type ByteWindow,
} from './read-element.js';
import { vrForImplicit } from './vr-lookup.js';
import { decodeValue, type DicomValue } from './values.js';

/** Where one element's value is in the bytes it was read from. */
export interface ItemElement {
  readonly tag: number;
  readonly vr: string;
  readonly offset: number;
  /** Undefined for a nested sequence of undefined length (read on demand). */
  readonly length: number | undefined;
}

/** How the bytes of a data set are encoded, and what they are. */
export interface Encoding {
  readonly bytes: Buffer;
  readonly little: boolean;
  readonly explicit: boolean;
  readonly charset: boolean | Charset | undefined;
  readonly path: string;
}

/** A value as `header.get` gives it: decoded by VR, a sequence as its items. */
export type DicomGetValue = DicomValue | DicomItem[];

/** One item of a sequence: a nested data set. */
export class DicomItem {
  /** @internal Built by {@link readSequence}. */
  constructor(
    private readonly enc: Encoding,
    /** The item's elements by tag. */
    readonly elements: ReadonlyMap<number, ItemElement>,
  ) {}

  /** True when the item has this attribute (keyword or tag). */
  has(name: string): boolean {
    return this.elements.has(tagOf(name));
  }

  /** The value of an attribute (see `DicomHeader.get`); a sequence gives its items. */
  get(name: string): DicomGetValue | undefined {
    return valueOfElement(this.enc, this.elements.get(tagOf(name)));
  }

  /** The value as text (numbers as written), or undefined. */
  getString(name: string): string | undefined {
    return asString(this.get(name));
  }

  /** The value as numbers, or undefined when absent or not numeric. */
  getNumbers(name: string): number[] | undefined {
    return asNumbers(this.get(name));
  }
}

/** A keyword or tag as a tag number; BERTH_E_USAGE for neither. */
export function tagOf(name: string): number {
  const tag = resolveTag(name);
  if (tag === undefined) {
    throw new BerthError('BERTH_E_USAGE', `${JSON.stringify(name)} is neither a known keyword nor a tag`, {
      expected: 'a keyword of the PS3.6 data dictionary or a tag like (0018,0050)',
    });
  }
  return tag;
}

/** The value of one element: decoded by VR, a sequence as its items; undefined when absent or empty. */
export function valueOfElement(enc: Encoding, el: ItemElement | undefined): DicomGetValue | undefined {
  if (!el) return undefined;
  if (el.vr === 'SQ') return readSequence(enc, el);
  if (el.length === undefined || el.length === 0) return undefined;
  const little = el.tag >>> 16 === 0x0002 || enc.little;
  return decodeValue(enc.bytes, el.offset, el.length, el.vr, little, enc.charset);
}

/** A value as text (numbers as written), or undefined. */
export function asString(v: DicomGetValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.join('\\');
  return undefined;
}

/** A value as numbers, or undefined when not numeric. */
export function asNumbers(v: DicomGetValue | undefined): number[] | undefined {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return undefined;
}

/** The items of a sequence element (read with the one item reader, read-element.ts). */
export function readSequence(enc: Encoding, el: ItemElement): DicomItem[] {
  const w: ByteWindow = {
    buf: enc.bytes,
    end: enc.bytes.length,
    complete: true,
    path: enc.path,
    inflated: false,
  };
  const items: DicomItem[] = [];
  const end = el.length === undefined ? undefined : el.offset + el.length;
  readSequenceItems(w, el.offset, end, enc.little, (start, itemEnd) => {
    const elements = new Map<number, ItemElement>();
    const next = readItemElements(w, start, itemEnd, enc, implicitVr, (h, vr) => {
      if (h.length === UNDEFINED_LENGTH) {
        elements.set(h.tag, { tag: h.tag, vr, offset: h.valueOffset, length: undefined });
        return skipUndefinedLength(w, h, enc.little, enc.explicit);
      }
      elements.set(h.tag, { tag: h.tag, vr, offset: h.valueOffset, length: h.length });
      return h.valueOffset + h.length;
    });
    items.push(new DicomItem(enc, elements));
    return next;
  });
  return items;
}

/** The VR of an element of an implicit VR item: undefined length is a sequence, else the dictionary's. */
function implicitVr(tag: number, undefinedLength: boolean): string {
  return vrForImplicit(tag, undefinedLength, {});
}
