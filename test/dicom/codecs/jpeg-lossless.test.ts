/**
 * berth's lossless JPEG decoder on hostile frames made from its own encoder's output: a frame header
 * of another size than the data set's is refused before anything is allocated for it, and extra
 * scans (each would decode the whole frame again) are refused.
 */
import { expect } from 'chai';
import { load } from '../../../src/dicom/codecs/jpeg-lossless.js';
import { CodecError, type PixelInfo } from '../../../src/dicom/codecs/types.js';

const SV1 = '1.2.840.10008.1.2.4.70';
const INFO: PixelInfo = {
  rows: 32,
  columns: 48,
  samplesPerPixel: 1,
  bitsAllocated: 16,
  bitsStored: 16,
  pixelRepresentation: 0,
  photometricInterpretation: 'MONOCHROME2',
};

async function encoded(): Promise<Uint8Array> {
  const values = Uint16Array.from({ length: INFO.rows * INFO.columns }, (_, i) => (i * 2654435761) >>> 20);
  const codec = await load(SV1);
  const frame = codec.encode!(new Uint8Array(values.buffer), INFO);
  expect([...new Uint16Array(codec.decode(frame, INFO).bytes.slice().buffer)]).to.deep.equal([...values]);
  return frame;
}

const at = (f: Uint8Array, marker: number): number =>
  f.findIndex((b, i) => b === 0xff && f[i + 1] === marker);

describe('dicom/codecs/jpeg-lossless: hostile frames', function () {
  it('refuses a frame header larger than the data set’s image before allocating for it', async function () {
    const huge = Uint8Array.from(await encoded());
    huge.set([0xff, 0xff, 0xff, 0xff], at(huge, 0xc3) + 5); // 65535 × 65535: 8 GiB of planes
    const codec = await load(SV1);
    expect(() => codec.decode(huge, INFO)).to.throw(CodecError, /65535×65535×1; the data set says 48×32×1/);
  });

  it('refuses a frame with more scans than components', async function () {
    const frame = await encoded();
    const sos = at(frame, 0xda);
    const eoi = frame.findLastIndex((b, i) => b === 0xff && frame[i + 1] === 0xd9);
    const twice = new Uint8Array(eoi + (eoi - sos) + 2);
    twice.set(frame.subarray(0, eoi));
    twice.set(frame.subarray(sos, eoi), eoi);
    twice.set([0xff, 0xd9], twice.length - 2);
    const codec = await load(SV1);
    expect(() => codec.decode(twice, INFO)).to.throw(CodecError, /more scans than components/);
  });
});
