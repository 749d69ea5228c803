/**
 * JPEG baseline (1.2.840.10008.1.2.4.50) and 8-bit JPEG extended (.51) through libjpeg-turbo
 * (`@cornerstonejs/codec-libjpeg-turbo-8bit`); decoding only (lossy). libjpeg converts YCbCr to
 * RGB, so a colour frame decodes to RGB whatever YBR_* the data set declares. 12-bit JPEG extended
 * (process 4) is refused: no maintained 12-bit JPEG codec for Node was found.
 */
import { fitFrame } from './samples.js';
import { UnsupportedCodestreamError, type DecodedFrame, type FrameCodec, type PixelInfo } from './types.js';
import { runDecoder, wasmModule } from './wasm.js';

export async function load(uid: string): Promise<FrameCodec> {
  const m = await wasmModule('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs');
  const decode = (frame: Uint8Array, info: PixelInfo): DecodedFrame => {
    if (info.bitsStored > 8) {
      throw new UnsupportedCodestreamError(
        `JPEG with ${info.bitsStored}-bit samples (process 4) is not decoded by berth`,
      );
    }
    const { info: fi, bytes } = runDecoder(m['JPEGDecoder']!, frame);
    return {
      bytes: fitFrame(bytes, fi, info),
      photometricInterpretation: info.samplesPerPixel === 3 ? 'RGB' : info.photometricInterpretation,
    };
  };
  return { uid, decode };
}
