/** Huffman tables of JPEG (ITU T.81 annex C and K.2), for the lossless JPEG codec. */
import { CodecError } from './types.js';

/** 65 536 entries indexed by the next 16 bits: (code length << 8) | symbol; length 0 = no code. */
export type DecodeTable = Uint32Array;

/** Reads one table (16 counts, then the symbols) from a DHT segment at `p`; `next` is after it. */
export function buildDecodeTable(
  src: Uint8Array,
  p: number,
  end: number,
): { table: DecodeTable; next: number } {
  if (p + 16 > end) throw new CodecError('A JPEG Huffman table is cut short');
  const table = new Uint32Array(65536);
  let v = p + 16;
  let code = 0;
  for (let len = 1; len <= 16; len++) {
    const count = src[p + len - 1]!;
    for (let k = 0; k < count; k++) {
      if (v >= end) throw new CodecError('A JPEG Huffman table is cut short');
      const symbol = src[v++]!;
      const span = 1 << (16 - len);
      const first = code << (16 - len);
      if (first + span > 65536) throw new CodecError('A JPEG Huffman table has too many codes');
      table.fill((len << 8) | symbol, first, first + span);
      code++;
    }
    code <<= 1;
  }
  return { table, next: v };
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
