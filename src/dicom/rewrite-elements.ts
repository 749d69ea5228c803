/**
 * The element walk of a rewrite: every element of a data set (sequences and items at any depth)
 * re-encoded in the target syntax, group lengths dropped, and the top-level edits applied in tag
 * order as the walk passes them.
 */
import { BerthError } from '../errors.js';
import { formatTag, hasLongLength } from './dictionary.js';
import { dicomError } from './errors.js';
import {
  checkDataElementTag,
  checkNesting,
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
  type ElementHeader,
} from './read-element.js';
import { convertValue, swapUnit } from './rewrite-values.js';
import { vrForImplicit, type VrContext } from './vr-lookup.js';
import { elementHeader, encodeDataSet, itemHeader, type WriteElement } from './write.js';

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

/** A byte order and VR encoding, of the source or of the target. */
export interface Syntax {
  readonly little: boolean;
  readonly explicit: boolean;
}

/** One rewrite: its file (for messages), its target, and what the walk learnt of the image. */
export interface Job {
  readonly path: string;
  readonly dst: Syntax;
  /** The non-deflated syntax elements are encoded in, for {@link encodeDataSet}. */
  readonly dstUid: string;
  readonly vr: VrContext;
}

/** The top-level edits, consumed in tag order as the walk passes them. */
export class TopEdits {
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
export function rewriteElements(
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
  checkNesting(w, pos, depth);
  const h = newElementHeader();
  for (;;) {
    if (!untilDelimiter && pos >= end) break;
    readElementHeader(w, pos, src.little, src.explicit, h);
    const tag = h.tag;
    if (untilDelimiter && tag === ITEM_DELIMITATION) return h.valueOffset;
    checkDataElementTag(w, tag, pos, 'among data elements');
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
    pos = rewriteElement(job, w, src, h, pos, depth, out);
  }
  top?.finish(out);
  return pos;
}

/**
 * Rewrites the one element whose header `h` was read at `pos` (not an item, not a group length, not
 * edited): a value converted to the target byte order, a sequence walked, encapsulated pixel data
 * copied. Returns the position after it.
 */
function rewriteElement(
  job: Job,
  w: ByteWindow,
  src: Syntax,
  h: ElementHeader,
  pos: number,
  depth: number,
  out: Buffer[],
): number {
  const dst = job.dst;
  const tag = h.tag;
  const undefinedLength = h.length === UNDEFINED_LENGTH;
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
    return after;
  }
  if (undefinedLength && vr === 'UN') {
    // CP-246: a UN of undefined length is a sequence encoded in implicit VR little endian.
    const implicitLittle = { little: true, explicit: false };
    return rewriteSequence(job, w, implicitLittle, tag, h.valueOffset, undefined, depth, out);
  }
  if (vr === 'SQ' || (undefinedLength && !src.explicit)) {
    const length = undefinedLength ? undefined : h.length;
    return rewriteSequence(job, w, src, tag, h.valueOffset, length, depth, out);
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
  const swap = src.little !== dst.little;
  const value = convertValue(w, h.valueOffset, h.length, swapUnit(tag, vr, depth, job.vr), swap, tag);
  if (dst.explicit && !hasLongLength(vr) && value.length > 0xffff) vr = 'UN';
  out.push(elementHeader(tag, vr, value.length, dst), value);
  return h.valueOffset + h.length;
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
