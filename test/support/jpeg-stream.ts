/**
 * Hand-built JPEG streams for the decoder tests: marker segments and entropy-coded bits with byte
 * stuffing, so a test can make what no tool here writes (restart intervals, chosen tables).
 */

/** A marker segment: FF `marker`, its length, then `body`. */
export function segment(marker: number, body: number[]): number[] {
  const length = body.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...body];
}

/** A DHT body for one table in which each symbol of `symbols` has a code of `length` bits. */
export function uniformTable(tableClass: number, id: number, length: number, symbols: number[]): number[] {
  const bits = new Array<number>(16).fill(0);
  bits[length - 1] = symbols.length;
  return [(tableClass << 4) | id, ...bits, ...symbols];
}

/** Entropy-coded data: bits written high first, a data byte FF followed by 00, padded with ones. */
export class BitWriter {
  readonly bytes: number[] = [];
  private acc = 0;
  private count = 0;

  /** Writes the low `n` bits of `value`. */
  write(value: number, n: number): void {
    for (let i = n - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.count === 8) this.flushByte();
    }
  }

  /** A difference or coefficient `v` as its category's extra bits (F.1.2.1): the category, then the bits. */
  static category(v: number): { size: number; bits: number } {
    const size = v === 0 ? 0 : Math.floor(Math.log2(Math.abs(v))) + 1;
    return { size, bits: v < 0 ? v + (1 << size) - 1 : v };
  }

  /** Pads the last byte with ones (before a marker). */
  pad(): void {
    while (this.count !== 0) this.write(1, 1);
  }

  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0);
    this.acc = 0;
    this.count = 0;
  }
}
