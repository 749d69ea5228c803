/**
 * Rasters: PNG and JPEG files decoded to RGBA samples, PNG encoding for report images, and the
 * diff overlay (differing pixels in red over a dimmed grey copy).
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { BerthError, toBerthError } from '../../errors.js';
import { readRegularFile } from '../../tree/open-regular.js';

/** Decoded pixels: RGBA, row-major, `width × height × 4` samples of 8 or 16 bits. */
export interface Raster {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array | Uint16Array;
  /** 255 or 65535: the largest sample value. */
  readonly maxValue: number;
}

/** A raster decoded from a file, with the format it was in. */
export interface DecodedImage extends Raster {
  readonly format: 'PNG' | 'JPEG';
}

/** The largest image decoded, in pixels (100 megapixels, jpeg-js's own default limit). */
export const MAX_IMAGE_PIXELS = 100_000_000;

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The format an image file's magic bytes say, or undefined. */
export function imageFormat(bytes: Uint8Array): 'PNG' | 'JPEG' | undefined {
  if (bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(PNG_MAGIC)) return 'PNG';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'JPEG';
  return undefined;
}

/**
 * Decodes a PNG or JPEG file (told by its content, not its name) to RGBA. 16-bit PNGs keep their
 * 16-bit samples (so label maps and tolerances keep their units); 1-, 2- and 4-bit PNGs are
 * scaled to 8 bits as viewers show them.
 * @throws {@link BerthError} BERTH_E_MIME_MISMATCH when it is neither, BERTH_E_TOO_LARGE beyond
 * {@link MAX_IMAGE_PIXELS}, BERTH_E_IO when it cannot be read or decoded.
 */
export async function decodeImageFile(path: string): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    // A compressed image cannot be larger than its raw pixels: cap the read accordingly.
    bytes = await readRegularFile(path, { maxBytes: MAX_IMAGE_PIXELS * 8 });
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path });
  }
  const format = imageFormat(bytes);
  if (format === undefined) {
    throw new BerthError('BERTH_E_MIME_MISMATCH', 'The file is neither a PNG nor a JPEG image', {
      path,
      expected: 'PNG or JPEG content',
    });
  }
  try {
    return format === 'PNG' ? { format, ...decodePng(bytes, path) } : { format, ...decodeJpeg(bytes) };
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path });
  }
}

function decodePng(bytes: Buffer, path: string): Raster {
  // IHDR comes first: width and height at bytes 16..23, checked before anything is inflated.
  const width = bytes.length >= 24 ? bytes.readUInt32BE(16) : 0;
  const height = bytes.length >= 24 ? bytes.readUInt32BE(20) : 0;
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new BerthError('BERTH_E_TOO_LARGE', `The PNG is ${width} × ${height} pixels`, {
      path,
      expected: `at most ${MAX_IMAGE_PIXELS} pixels`,
    });
  }
  const png = PNG.sync.read(bytes, { skipRescale: true });
  const data = png.data as unknown as Uint8Array | Uint16Array;
  if (png.depth === 16) return { width: png.width, height: png.height, data, maxValue: 65535 };
  if (png.depth < 8 && !png.palette) {
    const max = 2 ** png.depth - 1;
    const scaled = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) scaled[i] = Math.round((data[i]! * 255) / max);
    return { width: png.width, height: png.height, data: scaled, maxValue: 255 };
  }
  return { width: png.width, height: png.height, data: new Uint8Array(data), maxValue: 255 };
}

function decodeJpeg(bytes: Buffer): Raster {
  const img = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
  });
  return { width: img.width, height: img.height, data: img.data, maxValue: 255 };
}

/** The raster with 8-bit samples (16-bit samples scaled down), for display and mixed depths. */
export function to8Bit(r: Raster): Raster {
  if (r.maxValue === 255) return r;
  const out = new Uint8Array(r.data.length);
  for (let i = 0; i < r.data.length; i++) out[i] = Math.round((r.data[i]! * 255) / r.maxValue);
  return { width: r.width, height: r.height, data: out, maxValue: 255 };
}

/** Encodes a raster as an 8-bit RGBA PNG. */
export function encodePng(r: Raster): Buffer {
  const eight = to8Bit(r);
  const png = new PNG({ width: eight.width, height: eight.height });
  png.data = Buffer.from(eight.data.buffer, eight.data.byteOffset, eight.data.byteLength);
  return PNG.sync.write(png);
}

/**
 * The diff image: pixels flagged in `differs` (one byte per pixel) in red, every other pixel as
 * the base image's luminance dimmed to 35 %, so the differences stand out wherever they are.
 */
export function diffOverlay(base: Raster, differs: Uint8Array): Raster {
  const eight = to8Bit(base);
  const n = eight.width * eight.height;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    if (differs[i]) {
      out[o] = 255;
      out[o + 1] = 0;
      out[o + 2] = 0;
    } else {
      const d = eight.data;
      const lum = 0.299 * d[o]! + 0.587 * d[o + 1]! + 0.114 * d[o + 2]!;
      const v = Math.round(lum * 0.35);
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    }
    out[o + 3] = 255;
  }
  return { width: eight.width, height: eight.height, data: out, maxValue: 255 };
}
