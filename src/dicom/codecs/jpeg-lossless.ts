/**
 * JPEG lossless, non-hierarchical (process 14: 1.2.840.10008.1.2.4.57 with any predictor 1–7, and
 * .70, first-order prediction), berth's own (ITU T.81 annex H): Huffman-coded differences from a
 * predictor, 2–16-bit samples, any number of components interleaved or in separate scans, restart
 * intervals, point transform. The encoder writes SV1 (predictor 1, no point transform) with a
 * Huffman table fitted to each frame (annex K.2). Verified against dcmtk in the tests.
 */
import { encodeLosslessJpeg } from './jpeg-lossless-encode.js';
import { EntropyReader } from './entropy-reader.js';
import { buildDecodeTable, type DecodeTable } from './huffman.js';
import { expectFrameSize, fitSamples } from './samples.js';
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
function decodeStream(src: Uint8Array, info: PixelInfo): { frame: Frame; planes: Uint16Array[] } {
  if (src[0] !== 0xff || src[1] !== 0xd8)
    throw new CodecError('The frame does not start with a JPEG SOI marker');
  const tables = new Map<number, DecodeTable>();
  let frame: Frame | undefined;
  let planes: Uint16Array[] = [];
  let restart = 0;
  let scans = 0;
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
      if (frame.precision < 2 || frame.precision > 16)
        throw new CodecError(`Lossless JPEG precision ${frame.precision} is not 2–16`);
      if (seg + 6 + 3 * nf > end) throw new CodecError('The JPEG frame header is cut short');
      expectFrameSize(frame.columns, frame.rows, nf, info);
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
      // Each component is in one scan: more scans would each decode the whole frame again.
      if (++scans > frame.ids.length) throw new CodecError('The JPEG frame has more scans than components');
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
  const scanPlanes: Uint16Array[] = [];
  const scanTables: DecodeTable[] = [];
  for (let i = 0; i < ns; i++) {
    const index = frame.ids.indexOf(src[seg + 1 + 2 * i]!);
    const table = tables.get(src[seg + 2 + 2 * i]! >> 4);
    if (index < 0 || !table) throw new CodecError('A JPEG scan names an unknown component or Huffman table');
    scanPlanes.push(planes[index]!);
    scanTables.push(table);
  }
  const predictor = src[seg + 1 + 2 * ns]!;
  const pt = src[seg + 3 + 2 * ns]! & 0x0f;
  if (predictor < 1 || predictor > 7) throw new CodecError(`Lossless JPEG predictor ${predictor} is not 1–7`);
  if (pt >= frame.precision)
    throw new CodecError(`Lossless JPEG point transform ${pt} is not below the precision`);
  const reader = new EntropyReader(src, end);
  const { rows, columns } = frame;
  const mask = (1 << (frame.precision - pt)) - 1;
  const initial = 1 << (frame.precision - pt - 1);
  const diffs = new Int32Array(columns * ns);
  let sinceRestart = 0;
  let resetAt = 0; // the sample predicted from 2^(P-Pt-1): the first, and the first after each restart
  let firstRow = 0; // the row of resetAt: the rest of it is predicted from the left (H.1.2.1)
  for (let row = 0; row < rows; row++) {
    // The row in pieces that end where a restart interval does (usually the whole row).
    for (let x = 0; x < columns;) {
      if (restart > 0 && sinceRestart === restart) {
        reader.restart();
        sinceRestart = 0;
        resetAt = row * columns + x;
        firstRow = row;
      }
      const n = restart > 0 ? Math.min(columns - x, restart - sinceRestart) : columns - x;
      reader.differences(scanTables, diffs, 0, n * ns);
      const piece: Piece = { diffs, ns, start: row * columns + x, x, n, columns, mask };
      for (let c = 0; c < ns; c++) {
        if (row === firstRow) fromLeft(scanPlanes[c]!, piece, c, resetAt, initial);
        else predicted(predictor, scanPlanes[c]!, piece, c);
      }
      sinceRestart += n;
      x += n;
    }
  }
  if (pt > 0)
    for (const plane of scanPlanes) for (let i = 0; i < rows * columns; i++) plane[i] = plane[i]! << pt;
  return reader.markerPosition();
}

/** `n` samples of a row from sample `start` (column `x`), their differences interleaved `ns` apart. */
interface Piece {
  readonly diffs: Int32Array;
  readonly ns: number;
  readonly start: number;
  readonly x: number;
  readonly n: number;
  readonly columns: number;
  readonly mask: number;
}

/** In the first row of a restart interval: its first sample from 2^(P-Pt-1), the others from the left. */
function fromLeft(v: Uint16Array, p: Piece, c: number, resetAt: number, initial: number): void {
  const { diffs, ns, start, n, mask } = p;
  for (let k = 0, i = start; k < n; k++, i++) {
    v[i] = ((i === resetAt ? initial : v[i - 1]!) + diffs[k * ns + c]!) & mask;
  }
}

/** In any other row: column 0 from above, the others by the scan's predictor (H.1.2.1). */
function predicted(sv: number, v: Uint16Array, p: Piece, c: number): void {
  const { diffs, ns, start, n, columns, mask } = p;
  let k = 0;
  if (p.x === 0) {
    v[start] = (v[start - columns]! + diffs[c]!) & mask;
    k = 1;
  }
  if (sv === 1) {
    let left = v[start + k - 1]!;
    for (let i = start + k, j = k * ns + c; k < n; k++, i++, j += ns) {
      left = (left + diffs[j]!) & mask;
      v[i] = left;
    }
    return;
  }
  for (let i = start + k; k < n; k++, i++) {
    v[i] = (predict(sv, v[i - 1]!, v[i - columns]!, v[i - columns - 1]!) + diffs[k * ns + c]!) & mask;
  }
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

function decode(frame: Uint8Array, info: PixelInfo): DecodedFrame {
  const { frame: f, planes } = decodeStream(frame, info);
  const n = f.rows * f.columns;
  const samples = planes.length;
  let wide = planes[0]!; // one component: its plane is the frame
  if (samples > 1) {
    wide = new Uint16Array(n * samples);
    for (let s = 0; s < samples; s++) {
      const plane = planes[s]!;
      for (let i = 0; i < n; i++) wide[i * samples + s] = plane[i]!;
    }
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
