/**
 * Loading the cornerstone WASM codecs: Emscripten CommonJS factories that find their .wasm beside
 * themselves (no locateFile needed in Node). Each is instantiated once per process, on first use.
 */
import { createRequire } from 'node:module';
import { CodecError } from './types.js';

/** The Emscripten objects berth uses: typed loosely, checked by the codec tests. */
export interface WasmBuffer {
  set(bytes: Uint8Array): void;
  readonly length: number;
  subarray(start: number, end?: number): Uint8Array;
}
export interface WasmFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
  isUsingColorTransform?: boolean;
}
export interface WasmDecoder {
  getEncodedBuffer(length: number): WasmBuffer;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  readHeader?(): void;
  getFrameInfo(): WasmFrameInfo;
  getInterleaveMode?(): number;
  getIsReversible?(): boolean;
  delete(): void;
}
export interface WasmEncoder {
  getDecodedBuffer(info: WasmFrameInfo): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  setQuality?(lossless: boolean, quality: number): void;
  setNearLossless?(near: number): void;
  setInterleaveMode?(mode: number): void;
  setDecompositions?(n: number): void;
  delete(): void;
}
export type WasmModule = Record<string, new () => WasmDecoder & WasmEncoder>;

const load = createRequire(import.meta.url);
const modules = new Map<string, Promise<WasmModule>>();

/** The instantiated module of a package entry (`@cornerstonejs/codec-charls/wasmjs`). */
export function wasmModule(entry: string): Promise<WasmModule> {
  let m = modules.get(entry);
  if (!m) {
    const factory = load(entry) as (options?: object) => Promise<WasmModule>;
    // print/printErr: OpenJPEG writes [INFO] lines to stdout otherwise.
    m = factory({ print: () => undefined, printErr: () => undefined });
    modules.set(entry, m);
  }
  return m;
}

/** Runs a decoder on one frame and copies its output out of WASM memory. */
export function runDecoder(
  Decoder: new () => WasmDecoder,
  frame: Uint8Array,
): { info: WasmFrameInfo; bytes: Uint8Array; interleave: number } {
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const bytes = new Uint8Array(decoder.getDecodedBuffer());
    return { info, bytes, interleave: decoder.getInterleaveMode?.() ?? 1 };
  } catch (e) {
    throw new CodecError(`The codec rejects the frame: ${wasmMessage(e)}`);
  } finally {
    decoder.delete();
  }
}

/** Emscripten throws numbers (pointers), strings or Errors. */
function wasmMessage(e: unknown): string {
  return e instanceof Error ? e.message : typeof e === 'string' ? e : `error ${String(e)}`;
}

/** Runs an encoder on one native frame; the caller has set its options through `configure`. */
export function runEncoder(
  Encoder: new () => WasmEncoder,
  native: Uint8Array,
  info: WasmFrameInfo,
  configure: (e: WasmEncoder) => void,
): Uint8Array {
  const encoder = new Encoder();
  try {
    encoder.getDecodedBuffer(info).set(native);
    configure(encoder);
    encoder.encode();
    return new Uint8Array(encoder.getEncodedBuffer());
  } catch (e) {
    throw new CodecError(`The codec cannot encode the frame: ${wasmMessage(e)}`);
  } finally {
    encoder.delete();
  }
}
