/**
 * Reading JPEG entropy-coded data (ITU T.81 F.2.2.4–F.2.2.5): Huffman symbols and the extra bits
 * after them, for the lossless and DCT decoders. FF 00 is a data byte FF; any other marker ends the
 * data, after which the reader gives zero bits (a cut-short frame decodes, its tail as zeros).
 */
import { FAST_BITS, type DecodeTable } from './huffman.js';
import { CodecError } from './types.js';

const FAST_MASK = (1 << FAST_BITS) - 1;

export class EntropyReader {
  /**
   * Up to 32 bits not yet consumed, the oldest highest; `count` of them are valid. Kept as an int32
   * (read with `>>>`): a uint32 above 2³¹ would make V8 box the field, and every symbol reads it.
   */
  private acc = 0;
  private count = 0;
  private p: number;
  /** Where the marker that ended the data is; −1 before it is met. */
  private marker = -1;

  constructor(
    private readonly src: Uint8Array,
    start: number,
  ) {
    this.p = start;
  }

  /**
   * Tops the bit buffer up from fewer than 16 bits: two plain data bytes at once, the usual case,
   * kept small so the decode loops inline it; anything else byte by byte.
   */
  private fill(): void {
    const src = this.src;
    const p = this.p;
    const b0 = src[p]!;
    const b1 = src[p + 1]!;
    if (this.count < 16 && b0 !== 0xff && b1 !== 0xff && p + 1 < src.length && this.marker < 0) {
      this.acc = (this.acc << 16) | (b0 << 8) | b1;
      this.count += 16;
      this.p = p + 2;
    } else this.fillBytes();
  }

  /** Tops the bit buffer up to more than 24 bits, a byte at a time. */
  private fillBytes(): void {
    const src = this.src;
    let acc = this.acc;
    let count = this.count;
    let p = this.p;
    while (count <= 24) {
      let byte = 0;
      if (this.marker < 0 && p < src.length) {
        byte = src[p]!;
        if (byte === 0xff) {
          if (src[p + 1] === 0) p += 2;
          else {
            this.marker = p;
            byte = 0;
          }
        } else p++;
      }
      acc = (acc << 8) | byte;
      count += 8;
    }
    this.acc = acc;
    this.count = count;
    this.p = p;
  }

  /**
   * The next Huffman-coded symbol of `table`: a code of up to {@link FAST_BITS} bits in one lookup
   * (kept small so the decode loops inline it), a longer one in {@link longSymbol}.
   */
  symbol(table: DecodeTable): number {
    if (this.count < 16) this.fill();
    const entry = table.fast[(this.acc >>> (this.count - FAST_BITS)) & FAST_MASK]!;
    if (entry === 0) return this.longSymbol(table);
    this.count -= entry >>> 8;
    return entry & 0xff;
  }

  /** A symbol whose code is longer than {@link FAST_BITS} bits (F.2.2.3), at least 16 bits buffered. */
  private longSymbol(table: DecodeTable): number {
    const peek = (this.acc >>> (this.count - 16)) & 0xffff;
    for (let len = FAST_BITS + 1; len <= 16; len++) {
      const code = peek >>> (16 - len);
      if (code <= table.maxcode[len]!) {
        this.count -= len;
        return table.values[code + table.offset[len]!]!;
      }
    }
    throw new CodecError('Invalid Huffman code in the JPEG data');
  }

  /**
   * Lossless JPEG differences (H.1.2.2): `count` of them into `out` from `at`, each a Huffman-coded
   * category SSSS then SSSS extra bits (16: 32768, no extra bits), cycling through `tables` (one a
   * component of the scan).
   */
  differences(tables: readonly DecodeTable[], out: Int32Array, at: number, count: number): void {
    const nt = tables.length;
    for (let i = at, t = 0, end = at + count; i < end; i++) {
      const s = this.symbol(tables[t]!);
      if (++t === nt) t = 0;
      out[i] = s === 16 ? 32768 : this.signed(s);
    }
  }

  /** The highest zig-zag index the last {@link block} decoded (0: only the DC coefficient). */
  lastIndex = 0;

  /**
   * One 8×8 block of a sequential DCT scan (F.2.2.1–F.2.2.2) into `coef`, cleared first, dequantized
   * by `q` and in natural order through `zigzag`; returns the new DC predictor.
   */
  block(
    dc: DecodeTable,
    ac: DecodeTable,
    q: Int32Array,
    zigzag: Uint8Array,
    coef: Int32Array,
    pred: number,
  ): number {
    coef.fill(0);
    const value = pred + this.signed(this.symbol(dc));
    coef[0] = value * q[0]!;
    let k = 1;
    let last = 0;
    while (k < 64) {
      const rs = this.symbol(ac);
      const s = rs & 15;
      if (s === 0) {
        if (rs !== 0xf0) break; // end of block
        k += 16;
        continue;
      }
      k += rs >> 4;
      if (k > 63) throw new CodecError('A JPEG block has more than 64 coefficients');
      const z = zigzag[k]!;
      coef[z] = this.signed(s) * q[z]!;
      last = k++;
    }
    this.lastIndex = last;
    return value;
  }

  /** The next `n` bits (0–16) as an unsigned number. */
  bits(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.acc >>> this.count) & ((1 << n) - 1);
  }

  /** The next `s` bits as the signed value of category `s` (F.2.2.1 EXTEND); 0 for category 0. */
  signed(s: number): number {
    if (s === 0) return 0;
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** Skips to the byte after the next RSTn marker and clears the bit buffer. */
  restart(): void {
    const src = this.src;
    this.acc = 0;
    this.count = 0;
    if (this.marker < 0) {
      while (
        this.p + 1 < src.length &&
        !(src[this.p] === 0xff && src[this.p + 1]! >= 0xd0 && src[this.p + 1]! <= 0xd7)
      )
        this.p++;
      this.marker = this.p;
    }
    if (src[this.marker + 1]! >= 0xd0 && src[this.marker + 1]! <= 0xd7) this.p = this.marker + 2;
    else this.p = this.marker;
    this.marker = -1;
  }

  /** Where the marker after the entropy-coded data starts. */
  markerPosition(): number {
    if (this.marker >= 0) return this.marker;
    let q = this.p;
    while (q + 1 < this.src.length && !(this.src[q] === 0xff && this.src[q + 1] !== 0)) q++;
    return q;
  }
}
