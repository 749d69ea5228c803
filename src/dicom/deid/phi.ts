/**
 * Identifying values: collected from the originals while de-identifying (with the attribute each
 * came from), and turned into byte patterns the leak check and the Clean Descriptors option search.
 *
 * Search rules (so that short or common values give no false positives):
 * - values are split at `\` (multiplicity) and trimmed of padding; a value under 4 bytes is not searched;
 * - CS (coded terms), AS, TM (times are kept under Modified Dates) and binary VRs are not searched;
 * - IS and DS values under 6 characters are not searched;
 * - UIDs of the standard (`1.2.840.10008.*`) are not searched;
 * - a DA value is not searched when it is also a shifted date of the outputs (it would be ambiguous);
 * - names (PN) are searched as the whole value, and also case-insensitively as the whole value and as
 *   each `^`/`=`-separated component of 3 characters or more, at word boundaries; in binary data such a
 *   case-insensitive hit counts only inside a run of at least 8 printable characters.
 */
import { isStandardUid } from './pseudonyms.js';

/** One identifying value of an original input. */
export interface PhiValue {
  /** The value, as its bytes read as latin-1 (so any character set round-trips). */
  readonly text: string;
  readonly vr: string;
  /** The attribute it came from: keyword (or tag) path, e.g. `ReferencedImageSequence[0].ReferencedSOPInstanceUID`. */
  readonly attribute: string;
  /** The input file it came from. */
  readonly source: string;
  /** True when the de-identification let it through to the machine (keep list, an option, a kept private block). */
  readonly kept: boolean;
}

/** A byte pattern to search for. `folded` patterns are lower-case ASCII, matched case-insensitively. */
export interface Needle {
  readonly bytes: Buffer;
  readonly folded: boolean;
  readonly value: PhiValue;
}

const NOT_SEARCHED_VRS = new Set([
  'CS',
  'AS',
  'TM',
  'US',
  'SS',
  'UL',
  'SL',
  'FL',
  'FD',
  'AT',
  'SV',
  'UV',
  'SQ',
]);
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW']);
export const MIN_VALUE_BYTES = 4;
export const MIN_NUMBER_CHARS = 6;
export const MIN_NAME_COMPONENT = 3;

/** Splits a collected value into its searchable single values (see the module rules). */
export function searchableParts(v: PhiValue, ambiguousDates: ReadonlySet<string> = new Set()): string[] {
  if (NOT_SEARCHED_VRS.has(v.vr) || BINARY_VRS.has(v.vr)) return [];
  const parts = ['LT', 'ST', 'UT', 'UN'].includes(v.vr) ? [v.text] : v.text.split('\\');
  return parts
    .map((p) => p.replace(/^[ \0]+|[ \0]+$/g, ''))
    .filter((p) => Buffer.byteLength(p, 'latin1') >= MIN_VALUE_BYTES)
    .filter((p) => !((v.vr === 'IS' || v.vr === 'DS') && p.length < MIN_NUMBER_CHARS))
    .filter((p) => !(v.vr === 'UI' && isStandardUid(p)))
    .filter((p) => !(v.vr === 'DA' && ambiguousDates.has(p)));
}

/** ASCII lower case of bytes (other bytes unchanged). */
export function foldAscii(b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let i = 0; i < out.length; i++) {
    const c = out[i]!;
    if (c >= 0x41 && c <= 0x5a) out[i] = c | 0x20;
  }
  return out;
}

/** The patterns of a list of values, duplicates (same bytes and folding) dropped. */
export function needlesOf(values: readonly PhiValue[], ambiguousDates?: ReadonlySet<string>): Needle[] {
  const seen = new Set<string>();
  const out: Needle[] = [];
  const add = (text: string, folded: boolean, value: PhiValue): void => {
    const key = `${folded ? 'f' : 'e'}:${text}`;
    if (seen.has(key)) return;
    seen.add(key);
    const bytes = Buffer.from(text, 'latin1');
    out.push({ bytes: folded ? foldAscii(bytes) : bytes, folded, value });
  };
  for (const v of values) {
    for (const part of searchableParts(v, ambiguousDates)) {
      add(part, false, v);
      if (v.vr !== 'PN') continue;
      add(part, true, v);
      for (const c of part.split(/[\^=]/)) {
        const t = c.trim();
        if (t.length >= MIN_NAME_COMPONENT) add(t, true, v);
      }
    }
  }
  return out;
}

function isWordByte(c: number | undefined): boolean {
  return (
    c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a))
  );
}

function isPrintable(c: number | undefined): boolean {
  return c !== undefined && c >= 0x20 && c < 0x7f;
}

/**
 * True when a folded hit at `at` in `folded` (the folded text) counts: word boundaries on both sides,
 * and, in binary data, inside a printable run of at least 8 characters.
 */
export function foldedHitCounts(folded: Buffer, at: number, length: number, binary: boolean): boolean {
  if (isWordByte(folded[at - 1]) || isWordByte(folded[at + length])) return false;
  if (!binary) return true;
  let start = at;
  while (start > 0 && isPrintable(folded[start - 1]) && at - start < 8) start--;
  let end = at + length;
  while (end < folded.length && isPrintable(folded[end]) && end - at - length < 8) end++;
  return end - start >= 8;
}

/** The first needle found in a text value (for Clean Descriptors); undefined when none is. */
export function findInText(text: Buffer, needles: readonly Needle[]): Needle | undefined {
  let folded: Buffer | undefined;
  for (const n of needles) {
    if (!n.folded) {
      if (text.includes(n.bytes)) return n;
      continue;
    }
    folded ??= foldAscii(text);
    for (let at = folded.indexOf(n.bytes); at >= 0; at = folded.indexOf(n.bytes, at + 1)) {
      if (foldedHitCounts(folded, at, n.bytes.length, false)) return n;
    }
  }
  return undefined;
}
