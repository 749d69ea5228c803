/**
 * Sequential DCT JPEG with Huffman coding, 8- or 12-bit (ITU T.81 annex F; SOF0 baseline, SOF1
 * extended — DICOM's processes 1, 2 and 4), berth's own: every sampling factor, interleaved and
 * single-component scans, restart intervals. It serves the 12-bit frames of JPEG extended
 * (1.2.840.10008.1.2.4.51), which no maintained Node codec decodes; 8-bit frames go to libjpeg-turbo
 * (jpeg-baseline.ts). Samples come out per component at full size (jpeg-dct-pixels.ts). GDCM's
 * 16-bit DCT frames (outside T.81; dcmtk refuses them) decode as GDCM decodes them.
 */
import { EntropyReader } from './entropy-reader.js';
import { buildDecodeTable, type DecodeTable } from './huffman.js';
import { flatBlock, idctBlock, upsample, type ComponentPlane } from './jpeg-dct-pixels.js';
import { expectFrameSize } from './samples.js';
import { CodecError, UnsupportedCodestreamError, type PixelInfo } from './types.js';

/** Zig-zag position k → natural (row-major) index of the 8×8 block (figure A.6). */
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
]);

interface Component extends ComponentPlane {
  readonly id: number;
  readonly tq: number;
  /** Blocks per line and block rows in `samples` (the MCU grid's, for interleaved scans). */
  readonly blocksWide: number;
  readonly blocksHigh: number;
  pred: number;
}

interface Frame {
  readonly precision: number;
  readonly width: number;
  readonly height: number;
  readonly hmax: number;
  readonly vmax: number;
  readonly components: Component[];
}

/** A decoded DCT frame: one full-size plane a component, and whether it is YCbCr to convert. */
export interface DctImage {
  readonly precision: number;
  readonly width: number;
  readonly height: number;
  /** width × height samples each, in component order. */
  readonly planes: Uint16Array[];
  /** Three components coded as YCbCr (no Adobe marker saying otherwise, ids not 'R','G','B'). */
  readonly ycc: boolean;
}

function u16(b: Uint8Array, p: number): number {
  if (p + 2 > b.length) throw new CodecError('The JPEG stream ends inside a marker segment');
  return (b[p]! << 8) | b[p + 1]!;
}

/** The sample precision of the frame header (SOFn), or undefined when there is none. */
export function jpegPrecision(src: Uint8Array): number | undefined {
  let p = 2;
  while (p + 4 <= src.length && src[p] === 0xff) {
    const marker = src[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return src[p + 4];
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    p += 2 + u16(src, p + 2);
  }
  return undefined;
}

function readFrame(src: Uint8Array, seg: number, end: number, expected?: PixelInfo): Frame {
  const precision = src[seg]!;
  const height = u16(src, seg + 1);
  const width = u16(src, seg + 3);
  const nf = src[seg + 5]!;
  if (precision !== 8 && precision !== 12 && precision !== 16)
    throw new CodecError(`DCT JPEG precision ${precision} is not 8, 12 or 16`);
  if (height === 0 || width === 0 || nf === 0 || seg + 6 + 3 * nf > end) {
    throw new CodecError('The JPEG frame header is incomplete (DNL-defined heights are not supported)');
  }
  if (expected) expectFrameSize(width, height, nf, expected);
  const raw: { id: number; h: number; v: number; tq: number }[] = [];
  for (let i = 0; i < nf; i++) {
    const q = seg + 6 + 3 * i;
    const h = src[q + 1]! >> 4;
    const v = src[q + 1]! & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw new CodecError('A JPEG sampling factor is not 1–4');
    raw.push({ id: src[q]!, h, v, tq: src[q + 2]! & 3 });
  }
  const hmax = Math.max(...raw.map((c) => c.h));
  const vmax = Math.max(...raw.map((c) => c.v));
  const mcusX = Math.ceil(width / (8 * hmax));
  const mcusY = Math.ceil(height / (8 * vmax));
  const components = raw.map((c) => {
    const blocksWide = mcusX * c.h;
    const blocksHigh = mcusY * c.v;
    return {
      ...c,
      blocksWide,
      blocksHigh,
      stride: blocksWide * 8,
      samples: new Uint16Array(blocksWide * 8 * blocksHigh * 8),
      pred: 0,
    };
  });
  return { precision, width, height, hmax, vmax, components };
}

interface Tables {
  readonly dc: (DecodeTable | undefined)[];
  readonly ac: (DecodeTable | undefined)[];
  readonly quant: (Int32Array | undefined)[];
}

function readQuant(src: Uint8Array, seg: number, end: number, quant: Tables['quant']): void {
  for (let q = seg; q < end;) {
    const wide = src[q]! >> 4;
    const size = wide ? 129 : 65;
    if (q + size > end) throw new CodecError('A JPEG quantization table is cut short');
    const table = new Int32Array(64);
    for (let k = 0; k < 64; k++) table[ZIGZAG[k]!] = wide ? u16(src, q + 1 + 2 * k) : src[q + 1 + k]!;
    quant[src[q]! & 3] = table;
    q += size;
  }
}

/** Decodes the scan whose header is at `seg`; returns the position of the marker after its data. */
function decodeScan(src: Uint8Array, seg: number, end: number, f: Frame, t: Tables, restart: number): number {
  const ns = src[seg]!;
  if (ns < 1 || ns > 4 || seg + 4 + 2 * ns > end) throw new CodecError('The JPEG scan header is malformed');
  const comps: Component[] = [];
  const dcs: DecodeTable[] = [];
  const acs: DecodeTable[] = [];
  const qs: Int32Array[] = [];
  for (let i = 0; i < ns; i++) {
    const c = f.components.find((x) => x.id === src[seg + 1 + 2 * i]);
    const dc = t.dc[src[seg + 2 + 2 * i]! >> 4];
    const ac = t.ac[src[seg + 2 + 2 * i]! & 15];
    const q = c ? t.quant[c.tq] : undefined;
    if (!c || !dc || !ac || !q) throw new CodecError('A JPEG scan names an unknown component or table');
    c.pred = 0;
    comps.push(c);
    dcs.push(dc);
    acs.push(ac);
    qs.push(q);
  }
  const ss = src[seg + 1 + 2 * ns]!;
  const se = src[seg + 2 + 2 * ns]!;
  if (ss !== 0 || se !== 63 || src[seg + 3 + 2 * ns] !== 0) {
    throw new UnsupportedCodestreamError('Progressive DCT JPEG is not decoded by berth');
  }
  const reader = new EntropyReader(src, end);
  const coef = new Int32Array(64);
  const out = new Float64Array(64);
  // 16-bit DCT is not in T.81: GDCM writes it for 9–12-bit stored samples, without the level shift.
  const level = f.precision === 16 ? 0 : 1 << (f.precision - 1);
  const max = (1 << f.precision) - 1;
  const block = (k: number, by: number, bx: number): void => {
    const c = comps[k]!;
    c.pred = reader.block(dcs[k]!, acs[k]!, qs[k]!, ZIGZAG, coef, c.pred);
    const at = (by * c.stride + bx) * 8;
    if (reader.lastIndex === 0) flatBlock(coef[0]!, c.samples, at, c.stride, level, max);
    else idctBlock(coef, out, c.samples, at, c.stride, level, max);
  };
  // One component: blocks in raster order over the component's own extent (A.2.2).
  const single = ns === 1;
  const c0 = comps[0]!;
  const wide = single ? Math.ceil(Math.ceil((f.width * c0.h) / f.hmax) / 8) : c0.blocksWide / c0.h;
  const high = single ? Math.ceil(Math.ceil((f.height * c0.v) / f.vmax) / 8) : c0.blocksHigh / c0.v;
  let mcu = 0;
  for (let my = 0; my < high; my++) {
    for (let mx = 0; mx < wide; mx++, mcu++) {
      if (restart > 0 && mcu > 0 && mcu % restart === 0) {
        reader.restart();
        for (const c of comps) c.pred = 0;
      }
      if (single) block(0, my, mx);
      else {
        for (let k = 0; k < ns; k++) {
          const c = comps[k]!;
          for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) block(k, my * c.v + v, mx * c.h + h);
        }
      }
    }
  }
  return reader.markerPosition();
}

/** Reads the DHT segment's tables into `t`. */
function readHuffman(src: Uint8Array, seg: number, end: number, t: Tables): void {
  for (let q = seg; q < end;) {
    const { table, next } = buildDecodeTable(src, q + 1, end);
    (src[q]! >> 4 === 0 ? t.dc : t.ac)[src[q]! & 3] = table;
    q = next;
  }
}

/**
 * Decodes one sequential DCT JPEG frame (SOF0/SOF1, Huffman); given the data set's image
 * attributes, refuses a frame header of another size before allocating anything.
 */
export function decodeDct(src: Uint8Array, expected?: PixelInfo): DctImage {
  if (src[0] !== 0xff || src[1] !== 0xd8)
    throw new CodecError('The frame does not start with a JPEG SOI marker');
  const t: Tables = { dc: [], ac: [], quant: [] };
  let frame: Frame | undefined;
  let restart = 0;
  let adobe: number | undefined;
  let scans = 0;
  let p = 2;
  for (;;) {
    while (p < src.length && src[p] === 0xff && src[p + 1] === 0xff) p++; // fill bytes
    if (p + 2 > src.length) break; // no EOI: what was decoded stands
    const marker = u16(src, p);
    p += 2;
    if (marker === 0xffd9) break;
    if ((marker & 0xff00) !== 0xff00)
      throw new CodecError(`Expected a JPEG marker, found ${marker.toString(16)}`);
    const end = p + u16(src, p);
    const seg = p + 2;
    if (end > src.length) throw new CodecError('A JPEG marker segment runs past the frame');
    if (marker === 0xffc0 || marker === 0xffc1) frame = readFrame(src, seg, end, expected);
    else if (
      marker >= 0xffc2 &&
      marker <= 0xffcf &&
      marker !== 0xffc4 &&
      marker !== 0xffc8 &&
      marker !== 0xffcc
    ) {
      throw new UnsupportedCodestreamError(
        `JPEG SOF${marker & 15} is not sequential DCT with Huffman coding`,
      );
    } else if (marker === 0xffc4) readHuffman(src, seg, end, t);
    else if (marker === 0xffdb) readQuant(src, seg, end, t.quant);
    else if (marker === 0xffdd) restart = u16(src, seg);
    else if (marker === 0xffee && end - seg >= 12 && src[seg] === 0x41 && src[seg + 1] === 0x64)
      adobe = src[seg + 11];
    else if (marker === 0xffda) {
      if (!frame) throw new CodecError('A JPEG scan comes before its frame header');
      // Each component is in one scan: more scans would each decode the whole frame again.
      if (++scans > frame.components.length)
        throw new CodecError('The JPEG frame has more scans than components');
      p = decodeScan(src, seg, end, frame, t, restart);
      continue;
    }
    p = end;
  }
  if (!frame) throw new CodecError('The JPEG stream has no frame header');
  const f = frame;
  const rgbIds = f.components.length === 3 && f.components.map((c) => c.id).join() === '82,71,66';
  return {
    precision: f.precision,
    width: f.width,
    height: f.height,
    planes: f.components.map((c) => upsample(c, f.width, f.height, f.hmax, f.vmax)),
    ycc: f.components.length === 3 && (adobe === undefined ? !rgbIds : adobe !== 0),
  };
}
