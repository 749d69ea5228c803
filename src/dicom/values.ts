/**
 * Decoding element values by VR: text, numbers (binary and decimal strings), tags and bytes.
 *
 * Text is decoded as latin-1 unless SpecificCharacterSet includes `ISO_IR 192` (UTF-8). ISO 2022
 * code extensions (escape sequences for Japanese, Korean, ...) are not interpreted.
 */
import { formatTag } from './dictionary.js';
import { readUint16, readUint32 } from './read-element.js';

/** A decoded element value: text, one number, several numbers, or raw bytes. */
export type DicomValue = string | number | number[] | Uint8Array;

const TEXT_VRS = new Set(['LT', 'ST', 'UT']); // leading spaces significant: trim the end only
const UTF8_VRS = new Set(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);
const STRING_VRS = new Set([
  'AE',
  'AS',
  'CS',
  'DA',
  'DT',
  'LO',
  'LT',
  'PN',
  'SH',
  'ST',
  'TM',
  'UC',
  'UI',
  'UR',
  'UT',
]);
const BYTE_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN', 'SQ']);

/** True for VRs decoded as text. */
export function isStringVr(vr: string): boolean {
  return STRING_VRS.has(vr);
}

/** Decodes a string value, trimming padding (NUL and spaces) as the VR allows. */
export function decodeString(b: Buffer, start: number, length: number, vr: string, utf8: boolean): string {
  let end = start + length;
  while (end > start && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--;
  let s = start;
  if (!TEXT_VRS.has(vr)) while (s < end && b[s] === 0x20) s++;
  return b.toString(utf8 && UTF8_VRS.has(vr) ? 'utf8' : 'latin1', s, end);
}

/** Parses a backslash-separated IS or DS value; a component that is not a number becomes NaN. */
export function parseDecimalStrings(text: string): number[] {
  if (text === '') return [];
  return text.split('\\').map((part) => {
    const t = part.trim();
    return t === '' ? NaN : Number(t);
  });
}

/** Decodes the numbers of a binary numeric VR (US, SS, UL, SL, FL, FD, SV, UV) or of IS/DS. */
export function decodeNumbers(
  b: Buffer,
  start: number,
  length: number,
  vr: string,
  little: boolean,
): number[] {
  const out: number[] = [];
  switch (vr) {
    case 'US':
      for (let p = start; p + 2 <= start + length; p += 2) out.push(readUint16(b, p, little));
      return out;
    case 'SS':
      for (let p = start; p + 2 <= start + length; p += 2) out.push((readUint16(b, p, little) << 16) >> 16);
      return out;
    case 'UL':
      for (let p = start; p + 4 <= start + length; p += 4) out.push(readUint32(b, p, little));
      return out;
    case 'SL':
      for (let p = start; p + 4 <= start + length; p += 4) out.push(readUint32(b, p, little) | 0);
      return out;
    case 'FL':
      for (let p = start; p + 4 <= start + length; p += 4)
        out.push(little ? b.readFloatLE(p) : b.readFloatBE(p));
      return out;
    case 'FD':
      for (let p = start; p + 8 <= start + length; p += 8)
        out.push(little ? b.readDoubleLE(p) : b.readDoubleBE(p));
      return out;
    case 'SV':
      for (let p = start; p + 8 <= start + length; p += 8) {
        out.push(Number(little ? b.readBigInt64LE(p) : b.readBigInt64BE(p)));
      }
      return out;
    case 'UV':
      for (let p = start; p + 8 <= start + length; p += 8) {
        out.push(Number(little ? b.readBigUInt64LE(p) : b.readBigUInt64BE(p)));
      }
      return out;
    case 'IS':
    case 'DS':
      return parseDecimalStrings(decodeString(b, start, length, vr, false));
    default:
      return out;
  }
}

/**
 * Decodes a value by its VR: strings for text VRs, a number (one value) or number[] (several) for
 * numeric VRs, `(gggg,eeee)` text for AT, and a copy of the bytes for OB/OW/UN and the like.
 */
export function decodeValue(
  b: Buffer,
  start: number,
  length: number,
  vr: string,
  little: boolean,
  utf8: boolean,
): DicomValue {
  if (STRING_VRS.has(vr)) return decodeString(b, start, length, vr, utf8);
  if (BYTE_VRS.has(vr)) return new Uint8Array(b.subarray(start, start + length));
  if (vr === 'AT') {
    const tags: string[] = [];
    for (let p = start; p + 4 <= start + length; p += 4) {
      tags.push(formatTag(readUint16(b, p, little) * 0x10000 + readUint16(b, p + 2, little)));
    }
    return tags.join('\\');
  }
  const numbers = decodeNumbers(b, start, length, vr, little);
  return numbers.length === 1 ? numbers[0]! : numbers;
}
