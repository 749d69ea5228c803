/**
 * JPEG lossless, non-hierarchical (process 14: 1.2.840.10008.1.2.4.57 with any predictor 1–7, and
 * .70, first-order prediction), berth's own (ITU T.81 annex H): Huffman-coded differences from a
 * predictor, 2–16-bit samples, any number of components interleaved or in separate scans, restart
 * intervals, point transform. The encoder writes SV1 (predictor 1, no point transform) with a
 * Huffman table fitted to each frame (annex K.2). Verified against dcmtk in the tests.
 */
import { encodeLosslessJpeg } from './jpeg-lossless-encode.js';
import { buildDecodeTable, type DecodeTable } from './huffman.js';
import { fitSamples } from './samples.js';
import {
  CodecError,
  UnsupportedCodestreamError,
  type DecodedFrame,
  type FrameCodec,
  type PixelInfo,
} from './types.js';

interface Frame {
  precision: number;
  rows: number;
  columns: number;
  ids: number[];
}

function u16(b: Uint8Array, p: number): number {
  if (p + 2 > b.length) throw new CodecError('The JPEG stream ends inside a marker segment');
  return (b[p]! << 8) | b[p + 1]!;
}

/** Decodes one frame: its samples as `Uint16Array`-ready little endian bytes of 1 or 2 bytes each. */
function decodeStream(src: Uint8Array): { frame: Frame; planes: Uint16Array[] } {
  if (src[0] !== 0xff || src[1] !== 0xd8)
    throw new CodecError('The frame does not start with a JPEG SOI marker');
  const tables = new Map<number, DecodeTable>();
  let frame: Frame | undefined;
  let planes: Uint16Array[] = [];
  let restart = 0;
  let p = 2;
  for (;;) {
    while (p < src.length && src[p] === 0xff && src[p + 1] === 0xff) p++; // fill bytes
    const marker = u16(src, p);
    p += 2;
    if (marker === 0xffd9) break;
    if ((marker & 0xff00) !== 0xff00)
      throw new CodecError(`Expected a JPEG marker, found ${marker.toString(16)}`);
    const len = u16(src, p);
    const seg = p + 2;
    const end = p + len;
    if (end > src.length) throw new CodecError('A JPEG marker segment runs past the frame');
    if (marker === 0xffc3) {
      const nf = src[seg + 5]!;
      frame = { precision: src[seg]!, rows: u16(src, seg + 1), columns: u16(src, seg + 3), ids: [] };
      for (let i = 0; i < nf; i++) {
        frame.ids.push(src[seg + 6 + 3 * i]!);
        if (src[seg + 7 + 3 * i] !== 0x11)
          throw new UnsupportedCodestreamError('Subsampled lossless JPEG is not supported');
      }
      planes = frame.ids.map(() => new Uint16Array(frame!.rows * frame!.columns));
    } else if (
      marker >= 0xffc0 &&
      marker <= 0xffcf &&
      marker !== 0xffc4 &&
      marker !== 0xffc8 &&
      marker !== 0xffcc
    ) {
      throw new CodecError(`SOF${marker & 0xf} is not lossless JPEG process 14`);
    } else if (marker === 0xffc4) {
      for (let q = seg; q < end;) {
        const t = buildDecodeTable(src, q + 1, end);
        tables.set(src[q]! & 0x0f, t.table);
        q = t.next;
      }
    } else if (marker === 0xffdd) {
      restart = u16(src, seg);
    } else if (marker === 0xffda) {
      if (!frame) throw new CodecError('A JPEG scan comes before its SOF3 frame header');
      p = decodeScan(src, seg, end, frame, planes, tables, restart);
      continue;
    }
    p = end;
  }
  if (!frame) throw new CodecError('The JPEG stream has no SOF3 frame header');
  return { frame, planes };
}

/** Decodes the scan whose header is at `seg`; returns the position of the marker after its data. */
function decodeScan(
  src: Uint8Array,
  seg: number,
  end: number,
  frame: Frame,
  planes: Uint16Array[],
  tables: Map<number, DecodeTable>,
  restart: number,
): number {
  const ns = src[seg]!;
  const comps: { plane: Uint16Array; table: DecodeTable }[] = [];
  for (let i = 0; i < ns; i++) {
    const index = frame.ids.indexOf(src[seg + 1 + 2 * i]!);
    const table = tables.get(src[seg + 2 + 2 * i]! >> 4);
    if (index < 0 || !table) throw new CodecError('A JPEG scan names an unknown component or Huffman table');
    comps.push({ plane: planes[index]!, table });
  }
  const predictor = src[seg + 1 + 2 * ns]!;
  const pt = src[seg + 3 + 2 * ns]! & 0x0f;
  if (predictor < 1 || predictor > 7) throw new CodecError(`Lossless JPEG predictor ${predictor} is not 1–7`);
  const bits = new BitReader(src, end);
  const { rows, columns } = frame;
  const mask = (1 << (frame.precision - pt)) - 1;
  const initial = 1 << (frame.precision - pt - 1);
  const total = rows * columns;
  let sinceRestart = 0;
  let lineStart = 0; // first sample of the current restart interval's first line: predict from the left
  for (let i = 0; i < total; i++) {
    if (restart > 0 && sinceRestart === restart) {
      bits.restart();
      sinceRestart = 0;
      lineStart = i;
    }
    sinceRestart++;
    const x = i % columns;
    for (const c of comps) {
      const diff = bits.diff(c.table);
      const v = c.plane;
      let pred: number;
      if (i === lineStart) pred = initial;
      else if (i < lineStart + columns - (lineStart % columns) || i < columns)
        pred = v[i - 1]!; // first line
      else if (x === 0) pred = v[i - columns]!;
      else pred = predict(predictor, v[i - 1]!, v[i - columns]!, v[i - columns - 1]!);
      v[i] = (pred + diff) & mask;
    }
  }
  if (pt > 0) for (const c of comps) for (let i = 0; i < total; i++) c.plane[i] = c.plane[i]! << pt;
  return bits.markerPosition();
}

function predict(sv: number, a: number, b: number, c: number): number {
  switch (sv) {
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return c;
    case 4:
      return a + b - c;
    case 5:
      return a + ((b - c) >> 1);
    case 6:
      return b + ((a - c) >> 1);
    default:
      return (a + b) >> 1;
  }
}

/** Reads the entropy-coded data: FF 00 is a data FF, any other marker ends the data (read as zeros). */
class BitReader {
  private acc = 0;
  private count = 0;
  private p: number;
  private marker = -1;
  constructor(
    private readonly src: Uint8Array,
    start: number,
  ) {
    this.p = start;
  }
  private fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      if (this.marker < 0 && this.p < this.src.length) {
        byte = this.src[this.p]!;
        if (byte === 0xff) {
          const next = this.src[this.p + 1];
          if (next === 0) this.p += 2;
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
  /** A Huffman-coded difference: category SSSS then SSSS extra bits (16: 32768, no extra bits). */
  diff(table: DecodeTable): number {
    if (this.count < 16) this.fill();
    const peek = (this.acc >>> (this.count - 16)) & 0xffff;
    const entry = table[peek]!;
    const len = entry >>> 8;
    if (len === 0) throw new CodecError('Invalid Huffman code in the JPEG data');
    this.count -= len;
    const s = entry & 0xff;
    if (s === 0) return 0;
    if (s === 16) return 32768;
    if (this.count < s) this.fill();
    const v = (this.acc >>> (this.count - s)) & ((1 << s) - 1);
    this.count -= s;
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }
  /** Skips to the byte after the next RSTn marker and clears the bit buffer. */
  restart(): void {
    this.acc = 0;
    this.count = 0;
    if (this.marker < 0) {
      while (
        this.p + 1 < this.src.length &&
        !(this.src[this.p] === 0xff && this.src[this.p + 1]! >= 0xd0 && this.src[this.p + 1]! <= 0xd7)
      )
        this.p++;
      this.marker = this.p;
    }
    if (this.src[this.marker + 1]! >= 0xd0 && this.src[this.marker + 1]! <= 0xd7) this.p = this.marker + 2;
    else this.p = this.marker;
    this.marker = -1;
  }
  markerPosition(): number {
    if (this.marker >= 0) return this.marker;
    let q = this.p;
    while (q + 1 < this.src.length && !(this.src[q] === 0xff && this.src[q + 1] !== 0)) q++;
    return q;
  }
}

function decode(frame: Uint8Array, info: PixelInfo): DecodedFrame {
  const { frame: f, planes } = decodeStream(frame);
  if (f.rows !== info.rows || f.columns !== info.columns || planes.length !== info.samplesPerPixel) {
    throw new CodecError(
      `The JPEG frame is ${f.columns}×${f.rows}×${planes.length}; the data set says ` +
        `${info.columns}×${info.rows}×${info.samplesPerPixel}`,
    );
  }
  const n = f.rows * f.columns;
  const samples = planes.length;
  const wide = new Uint16Array(n * samples);
  for (let s = 0; s < samples; s++) {
    const plane = planes[s]!;
    for (let i = 0; i < n; i++) wide[i * samples + s] = plane[i]!;
  }
  const bytes = new Uint8Array(wide.buffer);
  return {
    bytes: fitSamples(bytes, 2, n * samples, info, f.precision <= info.bitsStored),
    photometricInterpretation: info.photometricInterpretation,
  };
}

export function load(uid: string): Promise<FrameCodec> {
  // Only SV1 (.70) is written; .57 files are decoded (any predictor).
  return Promise.resolve(
    uid === '1.2.840.10008.1.2.4.70' ? { uid, decode, encode: encodeLosslessJpeg } : { uid, decode },
  );
}
