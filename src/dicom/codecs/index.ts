/**
 * The frame codec registry: which transfer syntaxes berth decodes and encodes, and the codec of
 * each, loaded on first use (a dynamic import, then the WASM instantiation) so that commands which
 * never touch compressed pixels pay nothing at start-up.
 */
import type { FrameCodec } from './types.js';

export type { DecodedFrame, FrameCodec, PixelInfo } from './types.js';
export { CodecError, UnsupportedCodestreamError } from './types.js';

interface Entry {
  /** The module of the codec, imported on first use. */
  readonly load: (uid: string) => Promise<FrameCodec>;
  /** berth writes this syntax (lossless codecs only). */
  readonly encodes: boolean;
  /** Decoding gives back exactly the encoded samples. */
  readonly lossless: boolean;
}

const rle = async (uid: string): Promise<FrameCodec> => ({ ...(await import('./rle.js')).codec, uid });
const jpeg = async (uid: string) => (await import('./jpeg-baseline.js')).load(uid);
const lossless = async (uid: string) => (await import('./jpeg-lossless.js')).load(uid);
const jpegLs = async (uid: string) => (await import('./jpeg-ls.js')).load(uid);
const j2k = async (uid: string) => (await import('./jpeg-2000.js')).load(uid);
const raw = async (uid: string) => (await import('./uncompressed.js')).load(uid);

const P = '1.2.840.10008.1.2.4.';
const REGISTRY: ReadonlyMap<string, Entry> = new Map<string, Entry>([
  ['1.2.840.10008.1.2.1.98', { load: raw, encodes: true, lossless: true }],
  ['1.2.840.10008.1.2.5', { load: rle, encodes: true, lossless: true }],
  [`${P}50`, { load: jpeg, encodes: false, lossless: false }],
  [`${P}51`, { load: jpeg, encodes: false, lossless: false }],
  [`${P}57`, { load: lossless, encodes: false, lossless: true }],
  [`${P}70`, { load: lossless, encodes: true, lossless: true }],
  [`${P}80`, { load: jpegLs, encodes: true, lossless: true }],
  [`${P}81`, { load: jpegLs, encodes: false, lossless: false }],
  [`${P}90`, { load: j2k, encodes: true, lossless: true }],
  [`${P}91`, { load: j2k, encodes: false, lossless: false }],
  [`${P}201`, { load: j2k, encodes: true, lossless: true }],
  [`${P}202`, { load: j2k, encodes: false, lossless: true }],
  [`${P}203`, { load: j2k, encodes: false, lossless: false }],
]);

const loaded = new Map<string, Promise<FrameCodec>>();

/**
 * True when berth decodes frames of this encapsulated syntax — of samples `bitsStored` wide when
 * given (every codec decodes up to 16 bits: 8- and 12-bit JPEG, up to 16 for the others).
 */
export function canDecode(uid: string, bitsStored?: number): boolean {
  return REGISTRY.has(uid) && (bitsStored === undefined || bitsStored <= 16);
}

/** True when berth encodes frames in this syntax (lossless syntaxes only). */
export function canEncode(uid: string): boolean {
  return REGISTRY.get(uid)?.encodes ?? false;
}

/** True when the syntax is lossless: decoding gives back exactly what was encoded. */
export function isLosslessSyntax(uid: string): boolean {
  return REGISTRY.get(uid)?.lossless ?? false;
}

/** The codec of an encapsulated syntax; undefined when berth has none. */
export function frameCodec(uid: string): Promise<FrameCodec> | undefined {
  const entry = REGISTRY.get(uid);
  if (!entry) return undefined;
  let codec = loaded.get(uid);
  if (!codec) {
    codec = entry.load(uid);
    loaded.set(uid, codec);
    codec.catch(() => loaded.delete(uid));
  }
  return codec;
}
