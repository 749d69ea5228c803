/**
 * berth's lossless JPEG decoder on hostile frames made from its own encoder's output: a frame header
 * of another size than the data set's is refused before anything is allocated for it, and extra
 * scans (each would decode the whole frame again) are refused.
 */
import { expect } from 'chai';
import { load } from '../../../src/dicom/codecs/jpeg-lossless.js';
import { CodecError, type PixelInfo } from '../../../src/dicom/codecs/types.js';
import { BitWriter, segment, uniformTable } from '../../support/jpeg-stream.js';

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

  /**
   * An 8-bit one-component lossless stream of `values` (rows of samples) with predictor `sv` and a
   * restart every `restart` samples, its differences taken by H.1.2.1 written out here: the first
   * sample of each interval from 128, the rest of its first row from the left, then column 0 from
   * above and the others by the predictor (7: the mean of left and above).
   */
  function restartStream(values: number[][], restart: number, sv: 1 | 7): Uint8Array {
    const rows = values.length;
    const cols = values[0]!.length;
    const bytes = [0xff, 0xd8];
    bytes.push(...segment(0xc3, [8, 0, rows, 0, cols, 1, 1, 0x11, 0]));
    bytes.push(...segment(0xc4, uniformTable(0, 0, 4, [...Array(9).keys()])));
    bytes.push(...segment(0xdd, [restart >> 8, restart & 0xff]));
    bytes.push(...segment(0xda, [1, 1, 0x00, sv, 0, 0]));
    let w = new BitWriter();
    let resetRow = 0;
    let resetAt = 0;
    let marker = 0;
    for (let i = 0; i < rows * cols; i++) {
      const [r, x] = [Math.floor(i / cols), i % cols];
      if (i > 0 && i % restart === 0) {
        w.pad();
        bytes.push(...w.bytes, 0xff, 0xd0 + (marker++ % 8));
        w = new BitWriter();
        [resetRow, resetAt] = [r, i];
      }
      const at = (rr: number, xx: number): number => values[rr]![xx]!;
      const pred =
        i === resetAt
          ? 128
          : r === resetRow
            ? at(r, x - 1)
            : x === 0
              ? at(r - 1, 0)
              : sv === 1
                ? at(r, x - 1)
                : (at(r, x - 1) + at(r - 1, x)) >> 1;
      const { size, bits } = BitWriter.category(at(r, x) - pred);
      w.write(size, 4);
      w.write(bits, size);
    }
    w.pad();
    bytes.push(...w.bytes, 0xff, 0xd9);
    return Uint8Array.from(bytes);
  }

  it('restarts prediction at each restart marker, whether intervals end at rows or inside them', async function () {
    const values = [
      [10, 20, 30, 40, 50, 60],
      [55, 45, 40, 35, 30, 25],
      [200, 100, 0, 255, 7, 9],
      [1, 2, 3, 4, 5, 6],
    ];
    const info: PixelInfo = { ...INFO, rows: 4, columns: 6, bitsAllocated: 8, bitsStored: 8 };
    const codec = await load('1.2.840.10008.1.2.4.57');
    for (const restart of [6, 12, 4, 5]) {
      for (const sv of [1, 7] as const) {
        const decoded = codec.decode(restartStream(values, restart, sv), info).bytes;
        expect([...decoded], `restart ${restart}, predictor ${sv}`).to.deep.equal(values.flat());
      }
    }
  });
});
