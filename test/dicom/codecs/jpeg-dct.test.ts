/**
 * berth's sequential DCT JPEG decoder on frames made here by dcmtk: 8-bit frames decode as
 * libjpeg-turbo decodes them (so the 12-bit path, the same code at another precision, is checked
 * against a second decoder too); progressive frames are refused as unsupported; cut or corrupted
 * frames give a CodecError, nothing else, and never hang.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { frameCodec, type PixelInfo } from '../../../src/dicom/codecs/index.js';
import { decodeDct, jpegPrecision } from '../../../src/dicom/codecs/jpeg-dct.js';
import { CodecError, UnsupportedCodestreamError } from '../../../src/dicom/codecs/types.js';
import { pixelInfo, readPixels } from '../../../src/dicom/pixels.js';
import { scanHeader } from '../../../src/dicom/scan.js';
import { requirePeer } from '../../support/peers.js';
import { BitWriter, segment, uniformTable } from '../../support/jpeg-stream.js';
import { applyByteEdits, byteEdits } from '../../support/mutate.js';
import { tool, writeSources, type Source } from '../codec-corpus.js';
import { removeDir, tempDir } from '../../support/temp.js';
import { DCMTK_PEER } from '../../support/dicom-peers.js';

/** The first frame of `src` compressed by `dcmcjpeg args`, and the image's attributes. */
async function frameOf(
  dir: string,
  src: Source,
  args: string[],
): Promise<{ frame: Uint8Array; info: PixelInfo }> {
  const out = join(dir, 'out', `${src.name}${args.join('')}.dcm`);
  await tool(['dcmcjpeg', [...args, src.path, out]]);
  const header = await scanHeader(out);
  const px = await readPixels(out, header, { decode: false });
  if (px.kind !== 'encapsulated') throw new Error('not encapsulated');
  return { frame: px.frames[0]!, info: pixelInfo(out, header) };
}

describe('dicom/codecs/jpeg-dct: berth’s sequential DCT JPEG decoder', function () {
  this.timeout(60_000);
  let dir: string | undefined;
  let sources: Source[] = [];
  before(async function () {
    await requirePeer(this, DCMTK_PEER);
    dir = await tempDir('jpeg-dct');
    await mkdir(join(dir, 'out'));
    sources = await writeSources(dir);
  });
  after(() => removeDir(dir));

  it('decodes 8-bit baseline frames to libjpeg-turbo’s values within 1', async function () {
    const src = sources.find((s) => s.name === 'u8x3')!;
    const { frame, info } = await frameOf(dir!, src, ['+eb']);
    expect(jpegPrecision(frame)).to.equal(8);
    const mine = decodeDct(frame);
    const theirs = (await frameCodec('1.2.840.10008.1.2.4.50')!).decode(frame, info).bytes;
    expect(mine.planes).to.have.length(1);
    expect(mine.planes[0]!.length).to.equal(theirs.length);
    let max = 0;
    mine.planes[0]!.forEach((v, i) => (max = Math.max(max, Math.abs(v - theirs[i]!))));
    expect(max).to.be.at.most(1);
  });

  it('reads the precision of a 12-bit frame from its frame header', async function () {
    const { frame } = await frameOf(
      dir!,
      sources.find((s) => s.name === 'u12')!,
      ['+ee'],
    );
    expect(jpegPrecision(frame)).to.equal(12);
    expect(decodeDct(frame).precision).to.equal(12);
  });

  it('refuses progressive and arithmetic-coded frames (SOF2, SOF9) as codestreams berth cannot decode', async function () {
    const { frame } = await frameOf(
      dir!,
      sources.find((s) => s.name === 'u12')!,
      ['+ee'],
    );
    const sof = frame.findIndex((b, i) => b === 0xff && frame[i + 1] === 0xc1);
    for (const marker of [0xc2, 0xc9]) {
      const other = Uint8Array.from(frame);
      other[sof + 1] = marker;
      expect(() => decodeDct(other)).to.throw(UnsupportedCodestreamError, /SOF/);
    }
  });

  it('refuses a frame header larger than the data set’s image before allocating for it', async function () {
    const { frame, info } = await frameOf(
      dir!,
      sources.find((s) => s.name === 'u12')!,
      ['+ee'],
    );
    const sof = frame.findIndex((b, i) => b === 0xff && frame[i + 1] === 0xc1);
    const huge = Uint8Array.from(frame);
    huge.set([0xff, 0xff, 0xff, 0xff], sof + 5); // 65535 × 65535: 8 GiB of 16-bit samples
    expect(() => decodeDct(huge, info)).to.throw(CodecError, /65535×65535×1; the data set says 64×64×1/);
  });

  it('refuses a frame with more scans than components, which would decode the image again per scan', async function () {
    const { frame, info } = await frameOf(
      dir!,
      sources.find((s) => s.name === 'u12')!,
      ['+ee'],
    );
    const sos = frame.findIndex((b, i) => b === 0xff && frame[i + 1] === 0xda);
    const eoi = frame.findLastIndex((b, i) => b === 0xff && frame[i + 1] === 0xd9);
    const twice = new Uint8Array(eoi + (eoi - sos) + 2);
    twice.set(frame.subarray(0, eoi));
    twice.set(frame.subarray(sos, eoi), eoi);
    twice.set([0xff, 0xd9], twice.length - 2);
    expect(() => decodeDct(frame, info)).not.to.throw();
    expect(() => decodeDct(twice, info)).to.throw(CodecError, /more scans than components/);
  });

  it('resets the DC prediction at each restart marker, as libjpeg-turbo does', async function () {
    // 16 × 16, four flat blocks of 10, 60, 200, 250; a restart after every block (DRI 1), so
    // each block's DC difference is its whole DC value.
    const levels = [10, 60, 200, 250];
    const bytes = [0xff, 0xd8];
    bytes.push(...segment(0xdb, [0, ...new Array<number>(64).fill(1)]));
    bytes.push(...segment(0xc0, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]));
    bytes.push(...segment(0xc4, uniformTable(0, 0, 4, [...Array(12).keys()])));
    bytes.push(...segment(0xc4, uniformTable(1, 0, 1, [0x00]))); // AC: only end-of-block, code 0
    bytes.push(...segment(0xdd, [0, 1]));
    bytes.push(...segment(0xda, [1, 1, 0x00, 0, 63, 0]));
    levels.forEach((level, b) => {
      const w = new BitWriter();
      const { size, bits } = BitWriter.category((level - 128) * 8);
      w.write(size, 4);
      w.write(bits, size);
      w.write(0, 1);
      w.pad();
      bytes.push(...w.bytes);
      if (b < levels.length - 1) bytes.push(0xff, 0xd0 + b);
    });
    bytes.push(0xff, 0xd9);
    const frame = Uint8Array.from(bytes);
    const expected = Array.from(
      { length: 256 },
      (_, i) => levels[(i >= 128 ? 2 : 0) + (i % 16 >= 8 ? 1 : 0)],
    );
    expect([...decodeDct(frame).planes[0]!]).to.deep.equal(expected);
    const info: PixelInfo = {
      rows: 16,
      columns: 16,
      samplesPerPixel: 1,
      bitsAllocated: 8,
      bitsStored: 8,
      pixelRepresentation: 0,
      photometricInterpretation: 'MONOCHROME2',
    };
    expect([...(await frameCodec('1.2.840.10008.1.2.4.50')!).decode(frame, info).bytes]).to.deep.equal(
      expected,
    );
  });

  it('gives a CodecError, and nothing else, for cut and corrupted 12-bit frames', async function () {
    const { frame } = await frameOf(
      dir!,
      sources.find((s) => s.name === 's12')!,
      ['+ee'],
    );
    fc.assert(
      fc.property(byteEdits(4), (edits) => {
        try {
          decodeDct(applyByteEdits(frame, edits));
        } catch (e) {
          if (!(e instanceof CodecError)) throw e;
        }
      }),
      { seed: 14, numRuns: 300 },
    );
    for (const cut of [2, 20, frame.length >> 1, frame.length - 3]) {
      expect(() => {
        try {
          decodeDct(frame.subarray(0, cut));
        } catch (e) {
          if (!(e instanceof CodecError)) throw e;
        }
      }).not.to.throw();
    }
  });
});
