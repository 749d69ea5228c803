/**
 * Reading JPEG entropy-coded data (ITU T.81 F.2.2.4–F.2.2.5): Huffman symbols and the extra bits
 * after them, for the lossless and DCT decoders. FF 00 is a data byte FF; any other marker ends the
 * data, after which the reader gives zero bits (a cut-short frame decodes, its tail as zeros).
 */
import { FAST_BITS, type DecodeTable } from './huffman.js';
import { CodecError } from './types.js';

const FAST_MASK = (1 << FAST_BITS) - 1;

export class EntropyReader {
  /** Up to 32 bits not yet consumed, the oldest highest; `count` of them are valid. */
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

  /** Tops the bit buffer up to more than 24 bits. */
  private fill(): void {
    const src = this.src;
    while (this.count <= 24) {
      let byte = 0;
      if (this.marker < 0 && this.p < src.length) {
        byte = src[this.p]!;
        if (byte === 0xff) {
          if (src[this.p + 1] === 0) this.p += 2;
          else {
            this.marker = this.p;
            byte = 0;
          }
        } else this.p++;
      }
      this.acc = ((this.acc << 8) | byte) >>> 0;
      this.count += 8;
    }
  }

  /** The next Huffman-coded symbol of `table`. */
  symbol(table: DecodeTable): number {
    if (this.count < 16) this.fill();
    const entry = table.fast[(this.acc >>> (this.count - FAST_BITS)) & FAST_MASK]!;
    if (entry !== 0) {
      this.count -= entry >>> 8;
      return entry & 0xff;
    }
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
   * component of the scan). The bit buffer is kept in locals: this is the decoder's hot loop.
   */
  differences(tables: readonly DecodeTable[], out: Int32Array, at: number, count: number): void {
    let acc = this.acc;
    let bits = this.count;
    const src = this.src;
    const nt = tables.length;
    for (let i = at, t = 0, end = at + count; i < end; i++) {
      const table = tables[t]!;
      if (++t === nt) t = 0;
      if (bits < 16) {
        const p = this.p;
        const b0 = src[p]!;
        const b1 = src[p + 1]!;
        if (b0 !== 0xff && b1 !== 0xff && p + 1 < src.length && this.marker < 0) {
          // The usual case: two plain data bytes.
          acc = ((acc << 16) | (b0 << 8) | b1) >>> 0;
          bits += 16;
          this.p = p + 2;
        } else {
          this.acc = acc;
          this.count = bits;
          this.fill();
          acc = this.acc;
          bits = this.count;
        }
      }
      let s = table.fast[(acc >>> (bits - FAST_BITS)) & FAST_MASK]!;
      if (s !== 0) {
        bits -= s >>> 8;
        s &= 0xff;
      } else {
        this.acc = acc;
        this.count = bits;
        s = this.symbol(table);
        acc = this.acc;
        bits = this.count;
      }
      if (s === 0) out[i] = 0;
      else if (s === 16) out[i] = 32768;
      else {
        if (bits < s) {
          this.acc = acc;
          this.count = bits;
          this.fill();
          acc = this.acc;
          bits = this.count;
        }
        bits -= s;
        const v = (acc >>> bits) & ((1 << s) - 1);
        out[i] = v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
      }
    }
    this.acc = acc;
    this.count = bits;
  }

  /** The highest zig-zag index the last {@link block} decoded (0: only the DC coefficient). */
  lastIndex = 0;

  /**
   * One 8×8 block of a sequential DCT scan (F.2.2.1–F.2.2.2) into `coef`, cleared first, dequantized
   * by `q` and in natural order through `zigzag`; returns the new DC predictor. The bit buffer is
   * kept in locals: this is the decoder's hot loop.
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
    let s = this.symbol(dc);
    const value = pred + this.signed(s);
    coef[0] = value * q[0]!;
    let acc = this.acc;
    let bits = this.count;
    let k = 1;
    let last = 0;
    while (k < 64) {
      if (bits < 16) {
        this.acc = acc;
        this.count = bits;
        this.fill();
        acc = this.acc;
        bits = this.count;
      }
      let rs = ac.fast[(acc >>> (bits - FAST_BITS)) & FAST_MASK]!;
      if (rs !== 0) {
        bits -= rs >>> 8;
        rs &= 0xff;
      } else {
        this.acc = acc;
        this.count = bits;
        rs = this.symbol(ac);
        acc = this.acc;
        bits = this.count;
      }
      s = rs & 15;
      if (s === 0) {
        if (rs !== 0xf0) break; // end of block
        k += 16;
        continue;
      }
      k += rs >> 4;
      if (k > 63) throw new CodecError('A JPEG block has more than 64 coefficients');
      if (bits < s) {
        this.acc = acc;
        this.count = bits;
        this.fill();
        acc = this.acc;
        bits = this.count;
      }
      bits -= s;
      const v = (acc >>> bits) & ((1 << s) - 1);
      const z = zigzag[k]!;
      coef[z] = (v < 1 << (s - 1) ? v - (1 << s) + 1 : v) * q[z]!;
      last = k++;
    }
    this.acc = acc;
    this.count = bits;
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
