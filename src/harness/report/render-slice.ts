/**
 * Renders DICOM pixels as a picture a person can judge at a glance: the middle slice of a series
 * (geometrically sorted), windowed like a viewer would show it. Used by the HTML report and by
 * image comparisons, so expected and actual are rendered the same way.
 *
 * Grayscale: stored values → bits stored → rescale slope/intercept → the first WindowCenter /
 * WindowWidth pair (DICOM's linear VOI function, PS3.3 C.11.2.1.2) or else the slice's min/max →
 * 8 bits, inverted for MONOCHROME1. Colour (3 samples, RGB or YBR_FULL, either planar
 * configuration) is shown as RGB. Compressed (encapsulated) pixel data is not decoded.
 */
import { stat } from 'node:fs/promises';
import { BerthError } from '../../errors.js';
import { indexFolder } from '../../dicom/index.js';
import { readNativePixels, type NativePixels } from '../../dicom/pixels.js';
import { scanHeader, type DicomHeader } from '../../dicom/scan.js';
import { encodeGrayPng, encodePng, fitWithin, grayToRgba, type Rgba } from './raster.js';

/** How stored values become gray levels. */
export interface WindowOptions {
  /** Rescale: `value × slope + intercept` (default 1 and 0). */
  slope?: number;
  intercept?: number;
  /** The VOI window on rescaled values; without both (or with width < 1) the min/max is used. */
  center?: number;
  width?: number;
  /** Invert the result (MONOCHROME1: low values are white). */
  invert?: boolean;
}

/** Options of the PNG renderers. */
export interface RenderOptions {
  /** Shrink so neither side exceeds this many pixels (nearest pixel: edges stay sharp); default: full size. */
  maxSize?: number;
}

/**
 * Maps stored values to 8-bit gray levels (see {@link WindowOptions}). `pixels` holds
 * `rows × cols` values, row-major; the result has one byte per pixel.
 */
export function windowPixels(pixels: ArrayLike<number>, opts: WindowOptions = {}): Uint8Array {
  const slope = opts.slope ?? 1;
  const intercept = opts.intercept ?? 0;
  const n = pixels.length;
  const out = new Uint8Array(n);
  let lo: number;
  let hi: number;
  const windowed = opts.center !== undefined && opts.width !== undefined && opts.width >= 1;
  if (windowed) {
    // DICOM's linear function: c - 0.5 and (w - 1) centre the ramp on integer values.
    const c = opts.center! - 0.5;
    const w = opts.width! - 1;
    lo = c - w / 2;
    hi = c + w / 2;
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = pixels[i]! * slope + intercept;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const span = hi - lo;
  for (let i = 0; i < n; i++) {
    const v = pixels[i]! * slope + intercept;
    // A flat slice (span 0 without a window) is mid-gray; a window of width 1 is a threshold.
    let g = span > 0 ? ((v - lo) / span) * 255 : v > lo ? 255 : windowed ? 0 : 128;
    g = g < 0 ? 0 : g > 255 ? 255 : Math.round(g);
    out[i] = opts.invert ? 255 - g : g;
  }
  return out;
}

/** Windows stored values (see {@link windowPixels}) and encodes the result as a grayscale PNG. */
export function renderWindowed(
  pixels: ArrayLike<number>,
  rows: number,
  cols: number,
  opts: WindowOptions & RenderOptions = {},
): Buffer {
  if (pixels.length < rows * cols) {
    throw new BerthError(
      'BERTH_E_PIXEL_LENGTH',
      `${pixels.length} values cannot fill ${rows} × ${cols} pixels`,
    );
  }
  const gray = windowPixels(
    pixels.length === rows * cols ? pixels : Array.prototype.slice.call(pixels, 0, rows * cols),
    opts,
  );
  if (opts.maxSize === undefined || (rows <= opts.maxSize && cols <= opts.maxSize)) {
    return encodeGrayPng(gray, cols, rows);
  }
  const small = fitWithin(grayToRgba(gray, cols, rows), opts.maxSize, 'nearest');
  const smallGray = new Uint8Array(small.width * small.height);
  for (let i = 0; i < smallGray.length; i++) smallGray[i] = small.data[i * 4]!;
  return encodeGrayPng(smallGray, small.width, small.height);
}

/** The instance and frame shown for a series: the middle one, geometrically. */
export interface SliceChoice {
  header: DicomHeader;
  frame: number;
  /** Where it is among the series' instances (0-based) and how many there are. */
  position: number;
  count: number;
}

/**
 * Picks the middle slice of a DICOM file or folder: for a folder, the series with the most
 * instances, sorted geometrically (see `sortSeries`), its middle instance; for a single
 * multi-frame instance, its middle frame.
 * @throws {@link BerthError} BERTH_E_NOT_FOUND when there is no readable instance.
 */
export async function middleSliceOf(path: string): Promise<SliceChoice> {
  if ((await stat(path)).isFile()) {
    const header = await scanHeader(path);
    return { header, frame: Math.floor(header.frames / 2), position: 0, count: 1 };
  }
  const index = await indexFolder(path);
  let best: DicomHeader[] | undefined;
  for (const s of index.series.values()) if (!best || s.instances.length > best.length) best = s.instances;
  if (!best || best.length === 0) {
    const why = index.errors[0]?.error.message;
    throw new BerthError(
      'BERTH_E_NOT_FOUND',
      `No readable DICOM instance in the folder${why ? ` (${why})` : ''}`,
      {
        path,
        expected: 'a folder of DICOM files',
      },
    );
  }
  return pickMiddle(best);
}

/**
 * The middle of geometrically sorted instances (see `sortSeries`): instance ⌊n/2⌋, and its
 * middle frame. `instances` must not be empty.
 */
export function pickMiddle(instances: readonly DicomHeader[]): SliceChoice {
  const position = Math.floor(instances.length / 2);
  const header = instances[position]!;
  return { header, frame: Math.floor(header.frames / 2), position, count: instances.length };
}

/**
 * Renders the middle slice of a DICOM series folder (or of one DICOM file) as a PNG.
 * @throws {@link BerthError} when nothing can be read or the pixel data is compressed
 * (BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX).
 */
export async function renderMiddleSlice(seriesDir: string, opts: RenderOptions = {}): Promise<Buffer> {
  const choice = await middleSliceOf(seriesDir);
  return renderSlice(choice.header, choice.frame, opts);
}

/** One grayscale frame windowed to 8 bits, and how. */
export interface WindowedSlice {
  /** `rows × columns` gray levels, row-major. */
  gray: Uint8Array;
  rows: number;
  columns: number;
  /** The window in words: `window C 40 W 400`, or `window min–max -1024…1200` when the header has none. */
  window: string;
}

/** The rescale and window of a header (see the module comment). */
function windowOf(header: DicomHeader): WindowOptions {
  const first = (name: string): number | undefined => header.getNumbers(name)?.[0];
  return {
    slope: first('RescaleSlope') ?? 1,
    intercept: first('RescaleIntercept') ?? 0,
    center: first('WindowCenter'),
    width: first('WindowWidth'),
    invert: header.PhotometricInterpretation?.trim() === 'MONOCHROME1',
  };
}

function describeWindow(values: ArrayLike<number>, w: WindowOptions): string {
  if (w.center !== undefined && w.width !== undefined && w.width >= 1)
    return `window C ${w.center} W ${w.width}`;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]! * (w.slope ?? 1) + (w.intercept ?? 0);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return `window min–max ${lo}…${hi}`;
}

/**
 * One grayscale frame windowed per its header (see the module comment), at full size.
 * @throws {@link BerthError} for compressed pixel data, colour images, short pixel data.
 */
export async function windowedSlice(header: DicomHeader, frame = 0): Promise<WindowedSlice> {
  const px = await readNativePixels(header.path, header);
  if (px.samplesPerPixel !== 1) {
    throw new BerthError('BERTH_E_DICOM_PARSE', `SamplesPerPixel ${px.samplesPerPixel} is not grayscale`, {
      path: header.path,
      expected: '1 sample per pixel',
    });
  }
  const f = Math.min(Math.max(0, frame), px.frames - 1);
  const values = grayValues(px, f, header.BitsStored);
  const w = windowOf(header);
  return {
    gray: windowPixels(values, w),
    rows: px.rows,
    columns: px.columns,
    window: describeWindow(values, w),
  };
}

/** A rendered slice and what it shows. */
export interface RenderedSlice {
  png: Buffer;
  /** Size of the source image (columns × rows), before any shrinking. */
  columns: number;
  rows: number;
  /** The window in words (see {@link WindowedSlice}); `colour` for colour images. */
  window: string;
}

/**
 * Renders one frame of one instance as a PNG, windowed per its header (see the module comment).
 * @throws {@link BerthError} for compressed pixel data, unsupported layouts, short pixel data.
 */
export async function renderSlice(header: DicomHeader, frame = 0, opts: RenderOptions = {}): Promise<Buffer> {
  return (await renderSliceDetailed(header, frame, opts)).png;
}

/** {@link renderSlice}, with the size and window it used. Shrinking samples the nearest pixel. */
export async function renderSliceDetailed(
  header: DicomHeader,
  frame = 0,
  opts: RenderOptions = {},
): Promise<RenderedSlice> {
  const px = await readNativePixels(header.path, header);
  const f = Math.min(Math.max(0, frame), px.frames - 1);
  if (px.samplesPerPixel === 3) {
    return { png: renderColour(px, f, header, opts), columns: px.columns, rows: px.rows, window: 'colour' };
  }
  if (px.samplesPerPixel !== 1) {
    throw new BerthError('BERTH_E_DICOM_PARSE', `SamplesPerPixel ${px.samplesPerPixel} cannot be shown`, {
      path: header.path,
      expected: '1 or 3 samples per pixel',
    });
  }
  const values = grayValues(px, f, header.BitsStored);
  const w = windowOf(header);
  return {
    png: renderWindowed(values, px.rows, px.columns, { ...w, ...opts }),
    columns: px.columns,
    rows: px.rows,
    window: describeWindow(values, w),
  };
}

/** The stored values of one grayscale frame, cut to BitsStored (sign-extended when signed). */
function grayValues(px: NativePixels, frame: number, bitsStored: number | undefined): ArrayLike<number> {
  const size = px.rows * px.columns;
  if (px.bitsAllocated === 1) {
    const out = new Uint8Array(size);
    const base = frame * size;
    for (let i = 0; i < size; i++) out[i] = (px.data[(base + i) >> 3]! >> ((base + i) & 7)) & 1;
    return out;
  }
  const values = px.data.subarray(frame * size, (frame + 1) * size);
  const bs = bitsStored ?? px.bitsAllocated;
  if (bs <= 0 || bs >= px.bitsAllocated || bs >= 32) return values;
  // Bits above BitsStored may hold overlays or garbage: drop them.
  const out = new Int32Array(size);
  const shift = 32 - bs;
  const mask = 2 ** bs - 1;
  for (let i = 0; i < size; i++) {
    out[i] = px.pixelRepresentation === 1 ? (values[i]! << shift) >> shift : values[i]! & mask;
  }
  return out;
}

function renderColour(px: NativePixels, frame: number, header: DicomHeader, opts: RenderOptions): Buffer {
  const size = px.rows * px.columns;
  const planar = header.getNumbers('PlanarConfiguration')?.[0] === 1;
  const ybr = header.PhotometricInterpretation?.trim().startsWith('YBR_FULL') ?? false;
  const down = px.bitsAllocated > 8 ? px.bitsAllocated - 8 : 0;
  const base = frame * size * 3;
  const data = new Uint8Array(size * 4);
  const at = (i: number, s: number): number => px.data[base + (planar ? s * size + i : i * 3 + s)]! >> down;
  for (let i = 0; i < size; i++) {
    let r = at(i, 0);
    let g = at(i, 1);
    let b = at(i, 2);
    if (ybr) {
      const [y, cb, cr] = [r, g, b];
      r = y + 1.402 * (cr - 128);
      g = y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128);
      b = y + 1.772 * (cb - 128);
    }
    data[i * 4] = clamp8(r);
    data[i * 4 + 1] = clamp8(g);
    data[i * 4 + 2] = clamp8(b);
    data[i * 4 + 3] = 255;
  }
  let img: Rgba = { width: px.columns, height: px.rows, data };
  if (opts.maxSize !== undefined) img = fitWithin(img, opts.maxSize, 'nearest');
  return encodePng(img);
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
