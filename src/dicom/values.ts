/**
 * Decoding element values by VR: text, numbers (binary and decimal strings), tags and bytes.
 *
 * Text is decoded in the value's character set (charset.ts: every term of PS3.3 C.12.1.1.2, ISO
 * 2022 code extensions included); `true` stands for UTF-8 and `false` or no charset for Latin-1.
 */
import { usesCharset, type Charset } from './charset.js';
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
export function decodeString(
  b: Buffer,
  start: number,
  length: number,
  vr: string,
  charset: boolean | Charset | undefined,
): string {
  let end = start + length;
  while (end > start && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--;
  let s = start;
  if (!TEXT_VRS.has(vr)) while (s < end && b[s] === 0x20) s++;
  if (typeof charset === 'object' && usesCharset(vr)) return charset.decode(b, s, end, vr);
  return b.toString(charset === true && UTF8_VRS.has(vr) ? 'utf8' : 'latin1', s, end);
}

/** One IS or DS component as text: trimmed, then `Number`; empty is NaN (`Number('')` is 0). */
function decimalOfText(text: string): number {
  const t = text.trim();
  return t === '' ? NaN : Number(t);
}

// Exact powers of ten: a double holds 10^0 … 10^22 without rounding.
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Parses a backslash-separated IS or DS value straight from its bytes, without making a string:
 * the header scan decodes ImagePositionPatient, ImageOrientationPatient and InstanceNumber of
 * every file, and building, splitting and trimming text for them cost more than the rest of the
 * scan. A component `[+-]digits[.digits][(e|E)[+-]digits]` with at most 15 significant digits
 * whose scale is within 10^±22 is computed as one exact integer times or divided by one exact
 * power of ten, which IEEE 754 rounds once, correctly — the same double `Number(text)` gives
 * (Clinger's fast path). Anything else falls back to {@link decimalOfText} on the component's
 * text. A component that is not a number becomes NaN.
 */
export function parseDecimalBytes(b: Uint8Array, start: number, end: number): number[] {
  // Trailing padding (space or NUL) ends the value; leading spaces of each component are skipped.
  while (end > start && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--;
  if (end === start) return [];
  // An array of the exact length: headers keep these, and push() would leave spare capacity.
  let count = 1;
  for (let q = start; q < end; q++) if (b[q] === 0x5c) count++;
  const out = new Array<number>(count);
  let k = 0;
  let p = start;
  for (;;) {
    const componentStart = p;
    while (p < end && b[p] === 0x20) p++;
    let negative = false;
    if (p < end && (b[p] === 0x2d || b[p] === 0x2b)) negative = b[p++] === 0x2d;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    let sawDigit = false;
    let c = b[p];
    while (p < end && c! >= 0x30 && c! <= 0x39) {
      if (digits > 0 || c !== 0x30) digits++;
      mantissa = mantissa * 10 + (c! - 0x30);
      sawDigit = true;
      c = b[++p];
    }
    if (p < end && c === 0x2e) {
      c = b[++p];
      while (p < end && c! >= 0x30 && c! <= 0x39) {
        if (digits > 0 || c !== 0x30) digits++;
        mantissa = mantissa * 10 + (c! - 0x30);
        scale--;
        sawDigit = true;
        c = b[++p];
      }
    }
    let fast = sawDigit && digits <= 15;
    if (fast && p < end && (c === 0x65 || c === 0x45)) {
      c = b[++p];
      let expNegative = false;
      if (p < end && (c === 0x2d || c === 0x2b)) {
        expNegative = c === 0x2d;
        c = b[++p];
      }
      let exponent = 0;
      let expDigits = 0;
      while (p < end && c! >= 0x30 && c! <= 0x39 && expDigits < 4) {
        exponent = exponent * 10 + (c! - 0x30);
        expDigits++;
        c = b[++p];
      }
      if (expDigits === 0) fast = false;
      scale += expNegative ? -exponent : exponent;
    }
    while (p < end && b[p] === 0x20) p++;
    let componentEnd = p;
    if (p < end && b[p] !== 0x5c) {
      fast = false;
      while (p < end && b[p] !== 0x5c) p++;
      componentEnd = p;
    }
    if (fast && scale >= -22 && scale <= 22) {
      const magnitude = scale < 0 ? mantissa / POW10[-scale]! : mantissa * POW10[scale]!;
      out[k++] = negative ? -magnitude : magnitude;
    } else {
      const bytes = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
      out[k++] = decimalOfText(bytes.toString('latin1', componentStart, componentEnd));
    }
    if (p >= end) return out;
    p++; // the backslash
  }
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
      return parseDecimalBytes(b, start, start + length);
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
  charset: boolean | Charset | undefined,
): DicomValue {
  if (STRING_VRS.has(vr)) return decodeString(b, start, length, vr, charset);
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
