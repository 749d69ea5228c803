/**
 * Byte-level readers for DICOM element headers, named for what they read (after dicomParser's
 * `readTag`, `readDicomElementExplicit`, `readSequenceItem`).
 *
 * They work on a {@link ByteWindow}: a buffer that may hold only a prefix of the data. Reading past
 * the end of an incomplete window throws {@link NeedMoreBytes} (the caller reads more and starts
 * again); past the end of a complete one it is a BERTH_E_TRUNCATED error. Nothing here allocates in
 * proportion to a length read from the file, and every loop advances by at least 8 bytes, so
 * garbage lengths can neither exhaust memory nor hang.
 */
import { dicomError } from './errors.js';
import { formatTag } from './dictionary.js';

/** A buffer holding bytes `[0, end)` of a file or of an inflated data set. */
export interface ByteWindow {
  readonly buf: Buffer;
  /** Number of valid bytes in `buf`. */
  readonly end: number;
  /** True when `[0, end)` is everything there is (the whole file or the whole inflated stream). */
  readonly complete: boolean;
  /** The file, for error messages. */
  readonly path: string;
  /** Positions count bytes of the inflated data set, not of the file (for error messages). */
  readonly inflated: boolean;
}

/** Thrown (not an Error: it is control flow) when a prefix window is too short. */
export class NeedMoreBytes {
  constructor(readonly end: number) {}
}

/** An element header as read; `vr` is the two VR letters as one number (0 for implicit VR and items). */
export interface ElementHeader {
  tag: number;
  vr: number;
  length: number;
  /** Offset of the first value byte. */
  valueOffset: number;
}

/** A fresh header to be filled by {@link readElementHeader}. */
export function newElementHeader(): ElementHeader {
  return { tag: 0, vr: 0, length: 0, valueOffset: 0 };
}

export const UNDEFINED_LENGTH = 0xffffffff;
export const ITEM = 0xfffee000;
export const ITEM_DELIMITATION = 0xfffee00d;
export const SEQUENCE_DELIMITATION = 0xfffee0dd;
export const PIXEL_DATA = 0x7fe00010;

/** The two VR letters as the number {@link ElementHeader.vr} holds. */
export function vrCode(vr: string): number {
  return (vr.charCodeAt(0) << 8) | vr.charCodeAt(1);
}

/** The VR letters of a {@link vrCode}. */
export function vrText(code: number): string {
  return String.fromCharCode(code >> 8, code & 0xff);
}

export const VR_SQ = vrCode('SQ');
export const VR_UN = vrCode('UN');
export const VR_OB = vrCode('OB');
export const VR_OW = vrCode('OW');

export const VR_US = vrCode('US');

/**
 * Per {@link vrCode}: 0 = not a VR, 1 = 2-byte length, 2 = reserved bytes + 4-byte length. A flat
 * table so the hot loop checks a VR with one array load.
 */
export const VR_KIND = new Uint8Array(65536);
for (const vr of ['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL']) {
  VR_KIND[vrCode(vr)] = 1;
}
for (const vr of ['SS', 'ST', 'TM', 'UI', 'UL', 'US']) VR_KIND[vrCode(vr)] = 1;
for (const vr of ['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']) {
  VR_KIND[vrCode(vr)] = 2;
}

/** Describes a position in a window for error messages. */
export function where(w: ByteWindow, pos: number): string {
  return w.inflated ? `byte ${pos} of the inflated data set` : `byte ${pos}`;
}

/**
 * Throws unless `[0, end)` is in the window: NeedMoreBytes for a prefix, BERTH_E_TRUNCATED
 * otherwise. `what` is a description, or the tag whose value it is (formatted only on failure:
 * this check runs for every element).
 */
export function need(w: ByteWindow, end: number, what: string | number): void {
  if (end <= w.end) return;
  if (typeof what === 'number') what = `the value of element ${formatTag(what)}`;
  if (!w.complete) throw new NeedMoreBytes(end);
  throw dicomError(
    'BERTH_E_TRUNCATED',
    w.path,
    `The DICOM file ends (${where(w, w.end)}) inside ${what}, which needs ${end - w.end} more bytes`,
    'a complete DICOM file',
  );
}

/** Reads an unsigned 16-bit integer. */
export function readUint16(b: Buffer, pos: number, little: boolean): number {
  return little ? b[pos]! | (b[pos + 1]! << 8) : (b[pos]! << 8) | b[pos + 1]!;
}

/** Reads an unsigned 32-bit integer. */
export function readUint32(b: Buffer, pos: number, little: boolean): number {
  return little
    ? (b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16)) + b[pos + 3]! * 0x1000000
    : b[pos]! * 0x1000000 + ((b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!);
}

/** Reads a tag (group, element) as one number `group << 16 | element`. */
export function readTag(b: Buffer, pos: number, little: boolean): number {
  return readUint16(b, pos, little) * 0x10000 + readUint16(b, pos + 2, little);
}

/**
 * Reads the element header at `pos` into `out`. Explicit VR: tag, VR, then a 2-byte length or two
 * reserved bytes and a 4-byte length; implicit VR and item/delimiter tags: tag and a 4-byte length.
 */
export function readElementHeader(
  w: ByteWindow,
  pos: number,
  little: boolean,
  explicit: boolean,
  out: ElementHeader,
): void {
  need(w, pos + 8, 'an element header');
  const b = w.buf;
  const tag = readTag(b, pos, little);
  out.tag = tag;
  if (!explicit || tag >= 0xfffe0000) {
    out.vr = 0;
    out.length = readUint32(b, pos + 4, little);
    out.valueOffset = pos + 8;
    return;
  }
  const vr = (b[pos + 4]! << 8) | b[pos + 5]!;
  const kind = VR_KIND[vr];
  if (kind === 1) {
    out.vr = vr;
    out.length = readUint16(b, pos + 6, little);
    out.valueOffset = pos + 8;
  } else if (kind === 2) {
    need(w, pos + 12, 'an element header');
    out.vr = vr;
    out.length = readUint32(b, pos + 8, little);
    out.valueOffset = pos + 12;
  } else {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      w.path,
      `Element ${formatTag(tag)} at ${where(w, pos)} has no valid VR (bytes 0x${vr.toString(16).padStart(4, '0')})`,
      'two VR letters such as UI, CS or OB in an explicit VR data set',
    );
  }
}

/**
 * Refuses an item or delimiter tag (FFFE,xxxx) where a data element must stand; `context` says
 * where that is (`among data elements`, `outside any sequence`).
 */
export function checkDataElementTag(w: ByteWindow, tag: number, pos: number, context: string): void {
  if (tag >= 0xfffe0000 && tag < 0xffff0000) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      w.path,
      `Found the item or delimiter tag ${formatTag(tag)} at ${where(w, pos)} ${context}`,
      'a data element',
    );
  }
}

const MAX_DEPTH = 64;

/**
 * Refuses sequences nested deeper than 64 (`depth` as the caller counts it): every reader that
 * recurses into items checks this, so a crafted file cannot exhaust the stack.
 */
export function checkNesting(w: ByteWindow, pos: number, depth: number): void {
  if (depth > MAX_DEPTH) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      w.path,
      `Sequences nest deeper than ${MAX_DEPTH} at ${where(w, pos)}`,
    );
  }
}

/**
 * Skips the value of an element of undefined length whose header is `h`: a sequence (SQ, any
 * implicit VR element, or UN — whose content is implicit VR little endian by CP-246) or nested
 * encapsulated pixel data. Returns the offset just after its sequence delimiter.
 */
export function skipUndefinedLength(
  w: ByteWindow,
  h: ElementHeader,
  little: boolean,
  explicit: boolean,
  depth = 0,
): number {
  if (!explicit) return skipSequenceItems(w, h.valueOffset, little, false, depth + 1);
  if (h.vr === VR_UN) return skipSequenceItems(w, h.valueOffset, true, false, depth + 1);
  if (h.vr === VR_SQ || h.vr === VR_OB || h.vr === VR_OW) {
    return skipSequenceItems(w, h.valueOffset, little, explicit, depth + 1);
  }
  throw dicomError(
    'BERTH_E_DICOM_PARSE',
    w.path,
    `Element ${formatTag(h.tag)} (VR ${vrText(h.vr)}) at ${where(w, h.valueOffset)} has undefined length`,
    'undefined length only on sequences (SQ, UN) and encapsulated pixel data',
  );
}

/**
 * Skips the items of a sequence of undefined length starting at `pos` (the first item tag, as
 * dicomParser's `readSequenceItem` reads it) and returns the offset after the sequence delimiter.
 */
export function skipSequenceItems(
  w: ByteWindow,
  pos: number,
  little: boolean,
  explicit: boolean,
  depth: number,
): number {
  checkNesting(w, pos, depth);
  for (;;) {
    const length = itemLength(w, pos, undefined, little);
    if (length < 0) return pos + 8;
    pos += 8;
    pos = length === UNDEFINED_LENGTH ? skipItemElements(w, pos, little, explicit, depth + 1) : pos + length;
  }
}

/** Skips the elements of an item of undefined length; returns the offset after its item delimiter. */
function skipItemElements(
  w: ByteWindow,
  pos: number,
  little: boolean,
  explicit: boolean,
  depth: number,
): number {
  const h = newElementHeader();
  for (;;) {
    readElementHeader(w, pos, little, explicit, h);
    if (h.tag === ITEM_DELIMITATION) return h.valueOffset;
    pos =
      h.length === UNDEFINED_LENGTH
        ? skipUndefinedLength(w, h, little, explicit, depth)
        : h.valueOffset + h.length;
  }
}

/**
 * Reads the elements of one data set or item, from `pos` to `end` — or to its item delimiter
 * when `end` is undefined (an item of undefined length). For each element `onElement` gets its
 * header (reused: copy what you keep) and its VR (`vrOf` names it in implicit VR) and returns the
 * offset after the element: it reads or skips the value as it likes. A value of defined length
 * must end inside the item. Returns the offset after the item (after its delimiter, if any).
 * Every tree reader of berth (the de-identifier's element tree, the SDK's sequence items) reads
 * with this one function.
 */
export function readItemElements(
  w: ByteWindow,
  pos: number,
  end: number | undefined,
  s: { readonly little: boolean; readonly explicit: boolean },
  vrOf: (tag: number, undefinedLength: boolean) => string,
  onElement: (h: ElementHeader, vr: string) => number,
): number {
  const h = newElementHeader();
  while (end === undefined || pos < end) {
    readElementHeader(w, pos, s.little, s.explicit, h);
    if (h.tag === ITEM_DELIMITATION) {
      if (end !== undefined) {
        throw dicomError(
          'BERTH_E_DICOM_PARSE',
          w.path,
          `Item delimiter inside an item of defined length at ${where(w, pos)}`,
          'an item delimiter only after an item of undefined length',
        );
      }
      return h.valueOffset;
    }
    const undef = h.length === UNDEFINED_LENGTH;
    const valueEnd = h.valueOffset + h.length;
    if (!undef && end !== undefined && valueEnd > end && end < w.end) {
      throw dicomError(
        'BERTH_E_DICOM_PARSE',
        w.path,
        `Element ${formatTag(h.tag)} at ${where(w, pos)} runs past the item or data set that holds it (${h.length} bytes)`,
        'elements that end inside their item',
      );
    }
    if (!undef) need(w, valueEnd, h.tag);
    const vr = s.explicit && h.vr !== 0 ? vrText(h.vr) : vrOf(h.tag, undef);
    pos = onElement(h, vr);
  }
  return pos;
}

/**
 * The length of the sequence item whose header is at `pos` (UNDEFINED_LENGTH for an item of
 * undefined length), or −1 for the sequence delimiter. Throws for anything else, and for an item
 * that runs past `end`, the end of a sequence of defined length: the one item rule of the skipper
 * and {@link readSequenceItems}.
 */
function itemLength(w: ByteWindow, pos: number, end: number | undefined, little: boolean): number {
  need(w, pos + 8, 'a sequence item');
  const tag = readTag(w.buf, pos, little);
  const length = readUint32(w.buf, pos + 4, little);
  if (tag === SEQUENCE_DELIMITATION) return -1;
  if (tag !== ITEM) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      w.path,
      `Found ${formatTag(tag)} at ${where(w, pos)} where a sequence item was expected`,
      'an item (FFFE,E000) or the sequence delimiter (FFFE,E0DD)',
    );
  }
  if (length !== UNDEFINED_LENGTH && end !== undefined && pos + 8 + length > end) {
    throw dicomError(
      'BERTH_E_DICOM_PARSE',
      w.path,
      `The item at ${where(w, pos)} runs past its sequence (${length} bytes)`,
      'items that end inside their sequence',
    );
  }
  return length;
}

/**
 * Reads the items of a sequence whose value starts at `pos`: to `end` (defined length), or to its
 * sequence delimiter. `onItem` gets the start of each item's elements and its end (undefined for
 * an item of undefined length) and returns the offset after the item. Returns the offset after
 * the sequence.
 */
export function readSequenceItems(
  w: ByteWindow,
  pos: number,
  end: number | undefined,
  little: boolean,
  onItem: (start: number, end: number | undefined) => number,
): number {
  while (end === undefined || pos < end) {
    const length = itemLength(w, pos, end, little);
    if (length < 0) return pos + 8;
    const start = pos + 8;
    pos = onItem(start, length === UNDEFINED_LENGTH ? undefined : start + length);
  }
  return pos;
}
