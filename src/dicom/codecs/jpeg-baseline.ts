/**
 * JPEG baseline (1.2.840.10008.1.2.4.50) and JPEG extended (.51); decoding only (lossy). 8-bit
 * frames go to libjpeg-turbo (`@cornerstonejs/codec-libjpeg-turbo-8bit`); 12-bit frames (process
 * 4), which no maintained Node codec decodes, to berth's own DCT decoder (jpeg-dct.ts). Colour
 * frames coded as YCbCr decode to RGB whatever YBR_* the data set declares, as libjpeg gives them.
 */
import { ybrFullToRgb } from '../pixel-layout.js';
import { decodeDct, jpegPrecision } from './jpeg-dct.js';
import { fitFrame, fitSamples } from './samples.js';
import { CodecError, type DecodedFrame, type FrameCodec, type PixelInfo } from './types.js';
import { runDecoder, wasmModule } from './wasm.js';

/** A 12-bit frame through berth's DCT decoder. */
function decodeWide(frame: Uint8Array, info: PixelInfo): DecodedFrame {
  const image = decodeDct(frame, info);
  const samples = image.planes.length;
  if (info.bitsAllocated < image.precision) {
    throw new CodecError(`A ${image.precision}-bit JPEG frame in BitsAllocated ${info.bitsAllocated}`);
  }
  const n = image.width * image.height;
  let wide = image.planes[0]!;
  if (samples > 1) {
    wide = new Uint16Array(n * samples);
    for (let s = 0; s < samples; s++) {
      const plane = image.planes[s]!;
      for (let i = 0; i < n; i++) wide[i * samples + s] = plane[i]!;
    }
  }
  if (image.ycc) ybrFullToRgb(wide, image.precision);
  return {
    bytes: fitSamples(new Uint8Array(wide.buffer), 2, n * samples, info, image.precision <= info.bitsStored),
    photometricInterpretation: image.ycc ? 'RGB' : info.photometricInterpretation,
  };
}

export async function load(uid: string): Promise<FrameCodec> {
  const m = await wasmModule('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs');
  const decode = (frame: Uint8Array, info: PixelInfo): DecodedFrame => {
    if ((jpegPrecision(frame) ?? 8) > 8) return decodeWide(frame, info);
    const { info: fi, bytes } = runDecoder(m['JPEGDecoder']!, frame);
    return {
      bytes: fitFrame(bytes, fi, info),
      photometricInterpretation: info.samplesPerPixel === 3 ? 'RGB' : info.photometricInterpretation,
    };
  };
  return { uid, decode };
}
