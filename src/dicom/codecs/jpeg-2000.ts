/**
 * JPEG 2000 (1.2.840.10008.1.2.4.90 lossless, .91, and Part 2 .92/.93 decoding) through OpenJPEG
 * (`@cornerstonejs/codec-openjpeg`), and HTJ2K (.201, .202, .203) through OpenJPH
 * (`@cornerstonejs/codec-openjph`). A colour codestream with the RCT/ICT decodes to RGB. Encodes
 * lossless only (reversible 5/3 wavelet, no colour transform: the photometric interpretation is kept).
 */
import { encoderInput, fitFrame, wasmFrameInfo } from './samples.js';
import type { DecodedFrame, FrameCodec, PixelInfo } from './types.js';
import { runDecoder, runEncoder, wasmModule, type WasmModule } from './wasm.js';

const LOSSLESS = new Set(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202']);
const HT = new Set(['1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203']);

/** After decoding, a YBR_RCT/YBR_ICT image is RGB (the codec undid the transform). */
function decodedPhotometric(pi: string): string {
  return pi === 'YBR_RCT' || pi === 'YBR_ICT' ? 'RGB' : pi;
}

function make(uid: string, m: WasmModule, ht: boolean): FrameCodec {
  const prefix = ht ? 'HTJ2K' : 'J2K';
  const decode = (frame: Uint8Array, info: PixelInfo): DecodedFrame => {
    const { info: fi, bytes } = runDecoder(m[`${prefix}Decoder`]!, frame);
    return {
      bytes: fitFrame(bytes, fi, info),
      photometricInterpretation: decodedPhotometric(info.photometricInterpretation),
    };
  };
  const encode = (native: Uint8Array, info: PixelInfo): Uint8Array => {
    const input = encoderInput(native, info, true);
    return runEncoder(m[`${prefix}Encoder`]!, input.bytes, wasmFrameInfo(info, input.bitsPerSample), (e) => {
      e.setQuality?.(true, 0);
    });
  };
  const encodedPhotometric = (info: PixelInfo): string => info.photometricInterpretation;
  return LOSSLESS.has(uid) ? { uid, decode, encode, encodedPhotometric } : { uid, decode };
}

export async function load(uid: string): Promise<FrameCodec> {
  const ht = HT.has(uid);
  const m = await wasmModule(
    ht ? '@cornerstonejs/codec-openjph/wasmjs' : '@cornerstonejs/codec-openjpeg/wasmjs',
  );
  return make(uid, m, ht);
}
