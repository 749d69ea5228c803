/** Huffman tables of JPEG (ITU T.81 annex C, F.2.2.3 and K.2), for the lossless and DCT JPEG codecs. */
import { CodecError } from './types.js';

/** Codes of up to this many bits are found by one table look-up; longer ones by annex F.2.2.3. */
export const FAST_BITS = 9;

/**
 * A decoding table: `fast`, indexed by the next {@link FAST_BITS} bits, holds (code length << 8) |
 * symbol for the codes that short (0: a longer code begins there); longer codes are found by the
 * largest code of each length (MAXCODE) and where each length's symbols start (VALPTR − MINCODE).
 */
export interface DecodeTable {
  readonly fast: Uint16Array;
  /** Largest code of each length 1..16; −1 when there is none of that length. */
  readonly maxcode: Int32Array;
  /** Added to a code of that length gives its symbol's index in `values`. */
  readonly offset: Int32Array;
  readonly values: Uint8Array;
}

/** Reads one table (16 counts, then the symbols) from a DHT segment at `p`; `next` is after it. */
export function buildDecodeTable(
  src: Uint8Array,
  p: number,
  end: number,
): { table: DecodeTable; next: number } {
  if (p + 16 > end) throw new CodecError('A JPEG Huffman table is cut short');
  let total = 0;
  for (let len = 1; len <= 16; len++) total += src[p + len - 1]!;
  if (p + 16 + total > end) throw new CodecError('A JPEG Huffman table is cut short');
  const values = src.slice(p + 16, p + 16 + total);
  const fast = new Uint16Array(1 << FAST_BITS);
  const maxcode = new Int32Array(17).fill(-1);
  const offset = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const count = src[p + len - 1]!;
    if (code + count > 1 << len) throw new CodecError('A JPEG Huffman table has too many codes');
    offset[len] = k - code;
    for (let i = 0; i < count; i++, k++, code++) {
      if (len <= FAST_BITS) {
        const span = 1 << (FAST_BITS - len);
        fast.fill((len << 8) | values[k]!, code * span, (code + 1) * span);
      }
    }
    if (count > 0) maxcode[len] = code - 1;
    code <<= 1;
  }
  return { table: { fast, maxcode, offset, values }, next: p + 16 + total };
}

/** An encoding table: counts per length (BITS), symbols (HUFFVAL), and each symbol's code and length. */
export interface EncodeTable {
  readonly bits: number[];
  readonly values: number[];
  readonly code: Uint32Array;
  readonly length: Uint8Array;
}

/** A length-limited (16-bit) Huffman table for symbols 0..16 with these frequencies (annex K.2). */
export function huffmanTable(freq: readonly number[]): EncodeTable {
  const n = 17;
  const f = [...freq, 1]; // a reserved symbol so that no code is all ones
  const size = new Array<number>(n + 1).fill(0);
  const others = new Array<number>(n + 1).fill(-1);
  for (;;) {
    let v1 = -1;
    let v2 = -1;
    for (let i = 0; i <= n; i++) if (f[i]! > 0 && (v1 < 0 || f[i]! <= f[v1]!)) v1 = i;
    for (let i = 0; i <= n; i++) if (f[i]! > 0 && i !== v1 && (v2 < 0 || f[i]! <= f[v2]!)) v2 = i;
    if (v2 < 0) break;
    f[v1] = f[v1]! + f[v2]!;
    f[v2] = 0;
    size[v1]!++;
    while (others[v1]! >= 0) {
      v1 = others[v1]!;
      size[v1]!++;
    }
    others[v1] = v2;
    size[v2]!++;
    while (others[v2]! >= 0) {
      v2 = others[v2]!;
      size[v2]!++;
    }
  }
  const bits = new Array<number>(33).fill(0);
  for (let i = 0; i <= n; i++) if (size[i]! > 0) bits[size[i]!]!++;
  for (let i = 32; i > 16; i--) {
    while (bits[i]! > 0) {
      let j = i - 2;
      while (bits[j] === 0) j--;
      bits[i] = bits[i]! - 2;
      bits[i - 1]!++;
      bits[j + 1] = bits[j + 1]! + 2;
      bits[j]!--;
    }
  }
  let i = 16;
  while (bits[i] === 0) i--;
  bits[i]!--; // drop the reserved symbol's code
  const values: number[] = [];
  for (let len = 1; len <= 32; len++) for (let s = 0; s < n; s++) if (size[s] === len) values.push(s);
  const code = new Uint32Array(n);
  const length = new Uint8Array(n);
  let c = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let m = 0; m < bits[len]!; m++, k++) {
      code[values[k]!] = c++;
      length[values[k]!] = len;
    }
    c <<= 1;
  }
  return { bits: bits.slice(1, 17), values, code, length };
}
