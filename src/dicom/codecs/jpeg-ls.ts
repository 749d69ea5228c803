/**
 * JPEG-LS lossless (1.2.840.10008.1.2.4.80) and near-lossless (.81) through CharLS
 * (`@cornerstonejs/codec-charls`). Encodes lossless only (NEAR 0, sample-interleaved colour).
 */
import { fitFrame, interleave, encoderInput, wasmFrameInfo } from './samples.js';
import type { DecodedFrame, FrameCodec, PixelInfo } from './types.js';
import { runDecoder, runEncoder, wasmModule, type WasmModule } from './wasm.js';

function make(uid: string, m: WasmModule, lossless: boolean): FrameCodec {
  const decode = (frame: Uint8Array, info: PixelInfo): DecodedFrame => {
    const { info: fi, bytes, interleave: mode } = runDecoder(m['JpegLSDecoder']!, frame);
    const samples = fi.componentCount;
    // Interleave mode 0 (none): CharLS gives the components one after another.
    const ordered =
      samples > 1 && mode === 0
        ? interleave(bytes, fi.width * fi.height, samples, fi.bitsPerSample <= 8 ? 1 : 2)
        : bytes;
    return { bytes: fitFrame(ordered, fi, info), photometricInterpretation: info.photometricInterpretation };
  };
  const encode = (native: Uint8Array, info: PixelInfo): Uint8Array => {
    const input = encoderInput(native, info, false);
    return runEncoder(m['JpegLSEncoder']!, input.bytes, wasmFrameInfo(info, input.bitsPerSample), (e) => {
      e.setNearLossless?.(0);
      e.setInterleaveMode?.(info.samplesPerPixel > 1 ? 2 : 0);
    });
  };
  return lossless ? { uid, decode, encode } : { uid, decode };
}

export async function load(uid: string): Promise<FrameCodec> {
  return make(uid, await wasmModule('@cornerstonejs/codec-charls/wasmjs'), uid === '1.2.840.10008.1.2.4.80');
}
