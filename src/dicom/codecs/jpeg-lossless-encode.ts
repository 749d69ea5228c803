/**
 * The lossless JPEG encoder: SV1 (first-order prediction, no point transform), every component in
 * one interleaved scan, one Huffman table fitted to the frame (ITU T.81 annex H and K.2).
 */
import { huffmanTable, type EncodeTable } from './huffman.js';
import { encoderInput } from './samples.js';
import { CodecError, type PixelInfo } from './types.js';

/** The differences of predictor 1 (first line: left; first column: above; first sample: 2^(P-1)). */
function differences(values: ArrayLike<number>, info: PixelInfo, precision: number): Int32Array {
  const { rows, columns } = info;
  const samples = info.samplesPerPixel;
  const p = precision;
  const out = new Int32Array(rows * columns * samples);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < rows * columns; i++) {
      const k = i * samples + s;
      const pred =
        i === 0
          ? 1 << (p - 1)
          : i < columns
            ? values[k - samples]!
            : i % columns === 0
              ? values[k - columns * samples]!
              : values[k - samples]!;
      // Differences are taken modulo 2^16 (H.1.2.1) and coded in -32767..32768.
      let d = (values[k]! - pred) & 0xffff;
      if (d > 32768) d -= 65536;
      out[k] = d;
    }
  }
  return out;
}

function category(d: number): number {
  if (d === 32768) return 16;
  let a = d < 0 ? -d : d;
  let s = 0;
  while (a > 0) {
    s++;
    a >>= 1;
  }
  return s;
}

class BitWriter {
  private out: Uint8Array;
  private n = 0;
  private acc = 0;
  private count = 0;
  constructor(capacity: number) {
    this.out = new Uint8Array(capacity);
  }
  private byte(b: number): void {
    if (this.n + 2 > this.out.length) {
      const bigger = new Uint8Array(this.out.length * 2);
      bigger.set(this.out);
      this.out = bigger;
    }
    this.out[this.n++] = b;
    if (b === 0xff) this.out[this.n++] = 0; // byte stuffing
  }
  write(value: number, len: number): void {
    if (len === 0) return;
    this.acc = (this.acc << len) | (value & ((1 << len) - 1));
    this.count += len;
    while (this.count >= 8) {
      this.count -= 8;
      this.byte((this.acc >>> this.count) & 0xff);
    }
    this.acc &= (1 << this.count) - 1;
  }
  finish(): Uint8Array {
    if (this.count > 0) this.write(0x7f, 8 - this.count); // pad with ones
    return this.out.subarray(0, this.n);
  }
}

function segment(marker: number, body: number[]): number[] {
  return [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
}

function headers(info: PixelInfo, precision: number, table: EncodeTable): number[] {
  const n = info.samplesPerPixel;
  const sof = [precision, info.rows >> 8, info.rows & 0xff, info.columns >> 8, info.columns & 0xff, n];
  for (let c = 0; c < n; c++) sof.push(c + 1, 0x11, 0);
  const dht = [0x00, ...table.bits, ...table.values];
  const sos = [n];
  for (let c = 0; c < n; c++) sos.push(c + 1, 0x00);
  sos.push(1, 0, 0); // predictor 1, Se 0, Ah/Al 0
  return [0xff, 0xd8, ...segment(0xc3, sof), ...segment(0xc4, dht), ...segment(0xda, sos)];
}

/** Encodes one native frame (interleaved little endian samples) as SV1 lossless JPEG. */
export function encodeLosslessJpeg(native: Uint8Array, info: PixelInfo): Uint8Array {
  if (info.bitsStored < 2 || info.bitsStored > 16) {
    throw new CodecError(`Lossless JPEG codes 2–16-bit samples, not ${info.bitsStored}`);
  }
  const input = encoderInput(native, info, false);
  const masked = input.bytes;
  const values = info.bitsAllocated === 16 ? new Uint16Array(masked.buffer, 0, masked.length >> 1) : masked;
  const diffs = differences(values, info, input.bitsPerSample);
  const freq = new Array<number>(17).fill(0);
  for (let i = 0; i < diffs.length; i++) freq[category(diffs[i]!)]!++;
  const table = huffmanTable(freq);
  const head = headers(info, input.bitsPerSample, table);
  const w = new BitWriter(head.length + diffs.length * 2 + 16);
  for (let i = 0; i < diffs.length; i++) {
    const d = diffs[i]!;
    const s = category(d);
    w.write(table.code[s]!, table.length[s]!);
    if (s > 0 && s < 16) w.write(d < 0 ? d - 1 : d, s);
  }
  const body = w.finish();
  const out = new Uint8Array(head.length + body.length + 2);
  out.set(head, 0);
  out.set(body, head.length);
  out.set([0xff, 0xd9], head.length + body.length);
  return out;
}
