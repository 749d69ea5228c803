/**
 * Images for EIR: their geometry `[H, W, C]` read from the headers alone (PNG IHDR, JPEG SOF), and
 * JPEG re-encoded as PNG, the format the streaming protocol documents (`image_to_bytes` saves PNG).
 */
import { open } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { BerthError, toBerthError } from '../../errors.js';

/** Height, width and channels of an image, as EIR's dataset info writes it (`[H, W, C]`). */
export type ImageShape = [height: number, width: number, channels: number];

/** The largest image decoded, in pixels (jpeg-js's own default limit). */
const MAX_PIXELS = 100_000_000;
/** Chunks or segments walked before the header is given up as malformed. */
const MAX_SEGMENTS = 10_000;

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The format the first bytes say, or undefined. */
export function imageFormatOf(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(PNG_MAGIC)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Reads bytes at a position; fewer at the end of the file. */
type ReadAt = (position: number, length: number) => Promise<Buffer>;

function malformed(detail: string, path: string): BerthError {
  return new BerthError('BERTH_E_EIR_VALUE', detail, { path, expected: 'a PNG or JPEG image' });
}

/**
 * Channels of a PNG as PIL opens it: grey 1, grey+alpha 2, RGB 3, palette 3 (4 with a tRNS
 * chunk, which PIL turns into transparency), RGBA 4.
 */
async function pngShape(read: ReadAt, path: string): Promise<ImageShape> {
  const ihdr = await read(8, 25);
  if (ihdr.length < 25 || ihdr.toString('latin1', 4, 8) !== 'IHDR')
    throw malformed('The PNG has no IHDR', path);
  const width = ihdr.readUInt32BE(8);
  const height = ihdr.readUInt32BE(12);
  const colorType = ihdr[17];
  const channels: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };
  let c = colorType === undefined ? undefined : channels[colorType];
  if (c === undefined) throw malformed(`The PNG has an unknown colour type ${String(colorType)}`, path);
  if (colorType === 3) {
    // tRNS sits between IHDR and the first IDAT; walk the chunk headers only.
    let at = 8 + 25;
    for (let i = 0; i < MAX_SEGMENTS; i++) {
      const head = await read(at, 8);
      if (head.length < 8) break;
      const type = head.toString('latin1', 4, 8);
      if (type === 'tRNS') c = 4;
      if (type === 'tRNS' || type === 'IDAT' || type === 'IEND') break;
      at += 12 + head.readUInt32BE(0);
    }
  }
  return [height, width, c];
}

/**
 * Channels of a JPEG as berth sends it: grey (one component) 1, anything else 3, because jpeg-js
 * decodes colour JPEGs (YCbCr, RGB, CMYK/YCCK) to RGB before the PNG is written.
 */
async function jpegShape(read: ReadAt, path: string): Promise<ImageShape> {
  let at = 2;
  for (let i = 0; i < MAX_SEGMENTS; i++) {
    const head = await read(at, 4);
    if (head.length < 2 || head[0] !== 0xff) break;
    const marker = head[1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image, start of scan: no frame header seen
    if (head.length < 4) break;
    const length = head.readUInt16BE(2);
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const sof = await read(at + 4, 6);
      if (sof.length < 6) break;
      const height = sof.readUInt16BE(1);
      const width = sof.readUInt16BE(3);
      const components = sof[5]!;
      return [height, width, components === 1 ? 1 : 3];
    }
    at += 2 + length;
  }
  throw malformed('The JPEG has no frame header', path);
}

/**
 * The `[H, W, C]` of a PNG or JPEG file, from its headers (never decoding pixels).
 * @throws {@link BerthError} BERTH_E_EIR_VALUE when it is neither or its header is malformed,
 * BERTH_E_IO when it cannot be read.
 */
export async function readImageShape(path: string): Promise<{ format: 'png' | 'jpeg'; shape: ImageShape }> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path });
  }
  try {
    const read: ReadAt = async (position, length) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, position);
      return buf.subarray(0, bytesRead);
    };
    const format = imageFormatOf(await read(0, 8));
    if (format === undefined) throw malformed('The file is neither a PNG nor a JPEG image', path);
    return { format, shape: format === 'png' ? await pngShape(read, path) : await jpegShape(read, path) };
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path });
  } finally {
    await fh.close();
  }
}

/** {@link readImageShape} for bytes already in memory. */
export async function imageShapeOf(bytes: Buffer, path: string): Promise<ImageShape> {
  const read: ReadAt = (position, length) => Promise.resolve(bytes.subarray(position, position + length));
  const format = imageFormatOf(bytes);
  if (format === undefined) throw malformed('The file is neither a PNG nor a JPEG image', path);
  return format === 'png' ? pngShape(read, path) : jpegShape(read, path);
}

/**
 * A JPEG re-encoded as an 8-bit PNG with the same pixels as jpeg-js decodes them: grey (colour
 * type 0) for one-component JPEGs, RGB (colour type 2) otherwise. EIR's reference docs stream PNG;
 * PIL would open the JPEG too, but its decoder may round differently from jpeg-js, so sending the
 * decoded pixels as PNG fixes them exactly.
 */
export function jpegToPng(bytes: Buffer, channels: 1 | 3, path: string): Buffer {
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_PIXELS / 1e6,
    });
  } catch (e) {
    throw new BerthError('BERTH_E_EIR_VALUE', `The JPEG cannot be decoded: ${(e as Error).message}`, {
      path,
      cause: e,
    });
  }
  const png = new PNG({ width: decoded.width, height: decoded.height });
  png.data = Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
  // pngjs packs RGBA input into the requested colour type; a grey JPEG decodes with R = G = B.
  return PNG.sync.write(png, { colorType: channels === 1 ? 0 : 2, inputColorType: 6, inputHasAlpha: true });
}
