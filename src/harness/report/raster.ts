/**
 * Small raster helpers for reports: decode PNG/JPEG, shrink to a thumbnail by area averaging,
 * encode PNG, and turn bytes into `data:` URIs. pngjs and jpeg-js do the codecs.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { BerthError, isBerthError } from '../../errors.js';
import { readRegularFile } from '../../tree/open-regular.js';

/** An 8-bit RGBA image. */
export interface Rgba {
  width: number;
  height: number;
  /** `width × height × 4` bytes, row-major. */
  data: Uint8Array;
}

/** Largest image file (bytes) decoded for a thumbnail; beyond it the page shows no picture. */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;
/** Largest decoded image (megapixels) accepted, so a hostile header cannot exhaust memory. */
export const MAX_IMAGE_MEGAPIXELS = 100;

/**
 * Shrinks an image so neither side exceeds `maxSize`. `area` (default, for photographs) averages
 * each output pixel over the source pixels it covers; `nearest` (for DICOM slices and masks)
 * takes one source pixel, so labels and edges stay sharp and no value is invented. Returns the
 * same image when it already fits.
 */
export function fitWithin(img: Rgba, maxSize: number, sample: 'area' | 'nearest' = 'area'): Rgba {
  const scale = Math.min(1, maxSize / img.width, maxSize / img.height);
  if (scale >= 1) return img;
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  if (sample === 'nearest') return nearest(img, w, h);
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * img.height) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * img.height) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * img.width) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * img.width) / w));
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = y0; sy < y1; sy++) {
        let i = (sy * img.width + x0) * 4;
        for (let sx = x0; sx < x1; sx++, i += 4) {
          r += img.data[i]!;
          g += img.data[i + 1]!;
          b += img.data[i + 2]!;
          a += img.data[i + 3]!;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * w + x) * 4;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
      out[o + 3] = Math.round(a / n);
    }
  }
  return { width: w, height: h, data: out };
}

function nearest(img: Rgba, w: number, h: number): Rgba {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / h));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / w));
      out.set(img.data.subarray((sy * img.width + sx) * 4, (sy * img.width + sx) * 4 + 4), (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data: out };
}

/** Encodes RGBA as PNG. */
export function encodePng(img: Rgba): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 6 });
}

/** Encodes one 8-bit channel (`width × height` bytes) as a grayscale PNG, 4× smaller than RGBA. */
export function encodeGrayPng(gray: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** Spreads one gray channel to RGBA (opaque). */
export function grayToRgba(gray: Uint8Array, width: number, height: number): Rgba {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0, o = 0; i < gray.length; i++, o += 4) {
    data[o] = data[o + 1] = data[o + 2] = gray[i]!;
    data[o + 3] = 255;
  }
  return { width, height, data };
}

/** Decodes PNG or JPEG bytes (told apart by their magic) into RGBA. */
export function decodeImage(bytes: Buffer): Rgba {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47) {
    const png = PNG.sync.read(bytes);
    if (png.width * png.height > MAX_IMAGE_MEGAPIXELS * 1e6) throw tooLarge(png.width, png.height);
    return { width: png.width, height: png.height, data: png.data };
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_IMAGE_MEGAPIXELS,
      maxMemoryUsageInMB: 1024,
    });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new BerthError('BERTH_E_MIME_MISMATCH', 'The file is neither PNG nor JPEG', {
    expected: 'a PNG or JPEG image',
  });
}

function tooLarge(w: number, h: number): BerthError {
  return new BerthError('BERTH_E_TOO_LARGE', `The image is ${w} × ${h} pixels`, {
    expected: `at most ${MAX_IMAGE_MEGAPIXELS} megapixels`,
  });
}

/** A thumbnail for a page. */
export interface Thumbnail {
  /** A `data:image/png;base64,…` URI. */
  uri: string;
  width: number;
  height: number;
  /** The size of the source image. */
  sourceWidth: number;
  sourceHeight: number;
}

/**
 * Reads a PNG or JPEG file and returns a PNG thumbnail of at most `maxSize` pixels a side.
 * @throws {@link BerthError} when the file is too large, unreadable or not PNG/JPEG.
 */
export async function thumbnailOfFile(file: string, maxSize: number): Promise<Thumbnail> {
  const bytes = await readRegularFile(file, { maxBytes: MAX_IMAGE_FILE_BYTES }).catch((e: unknown) => {
    if (!isBerthError(e) || e.code !== 'BERTH_E_TOO_LARGE') throw e;
    throw new BerthError('BERTH_E_TOO_LARGE', e.detail.replace('file', 'image file'), {
      path: file,
      expected: `at most ${MAX_IMAGE_FILE_BYTES} bytes for a thumbnail`,
    });
  });
  return thumbnailOf(bytes, maxSize);
}

/** A PNG thumbnail of PNG or JPEG bytes, at most `maxSize` pixels a side. */
export function thumbnailOf(bytes: Buffer, maxSize: number): Thumbnail {
  const img = decodeImage(bytes);
  const small = fitWithin(img, maxSize);
  return {
    uri: dataUri('image/png', encodePng(small)),
    width: small.width,
    height: small.height,
    sourceWidth: img.width,
    sourceHeight: img.height,
  };
}

/** Bytes as a base64 `data:` URI. */
export function dataUri(mime: string, bytes: Uint8Array): string {
  return `data:${mime};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}
