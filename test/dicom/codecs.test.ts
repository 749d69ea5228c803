/**
 * The frame codecs against dcmtk and GDCM, on a corpus built here from berth's synthetic series:
 * every lossless file decodes to the values the reference decoder gives, value for value;
 * lossy ones within the bound stated per variant.
 */
import { expect } from 'chai';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readPixels, type NativePixels } from '../../src/dicom/pixels.js';
import { scanHeader } from '../../src/dicom/scan.js';
import { requirePeer } from '../support/peers.js';
import { LOSSLESS_VARIANTS, LOSSY_VARIANTS, tool, writeSources, type Source } from './codec-corpus.js';
import { removeDir, tempDir } from '../support/temp.js';
import {
  DCMTK_PEER,
  GDCM_PEER,
  pixelChecksum,
  PYDICOM_GDCM_PEER,
  runPython,
} from '../support/dicom-peers.js';

async function values(path: string): Promise<NativePixels> {
  const px = await readPixels(path, await scanHeader(path));
  if (px.kind !== 'native') throw new Error(`${path} was not decoded`);
  return px;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('dicom/codecs: decoding a corpus made by dcmtk and GDCM', function () {
  this.timeout(120_000);
  let dir: string | undefined;
  let sources: Source[] = [];

  before(async function () {
    await requirePeer(this, DCMTK_PEER);
    await requirePeer(this, GDCM_PEER);
    dir = await tempDir('codecs');
    await mkdir(join(dir, 'out'));
    sources = await writeSources(dir);
  });
  after(() => removeDir(dir));

  for (const variant of LOSSLESS_VARIANTS) {
    it(`decodes ${variant.name} files to the reference decoder's values and the source's, value for value`, async function () {
      for (const src of sources.filter(variant.fits)) {
        const enc = join(dir!, 'out', `${src.name}.${variant.name}.dcm`);
        const ref = `${enc}.ref.dcm`;
        await tool(variant.make(src.path, enc));
        await tool(variant.decoder(enc, ref));
        const mine = await values(enc);
        expect(mine.decodedFrom, src.name).to.be.a('string');
        expect(maxDiff(mine.data, (await values(ref)).data), `${src.name} vs reference`).to.equal(0);
        expect(maxDiff(mine.data, (await values(src.path)).data), `${src.name} vs source`).to.equal(0);
      }
    });
  }

  for (const variant of LOSSY_VARIANTS) {
    it(`decodes lossy ${variant.name} files within ${variant.bound} of the reference decoder`, async function () {
      for (const src of sources.filter(variant.fits)) {
        const enc = join(dir!, 'out', `${src.name}.${variant.name}.dcm`);
        const ref = `${enc}.ref.dcm`;
        await tool(variant.make(src.path, enc));
        await tool(variant.decoder(enc, ref));
        const d = maxDiff((await values(enc)).data, (await values(ref)).data);
        expect(d, src.name).to.be.at.most(variant.bound);
      }
    });
  }

  it('decodes every lossless file to the values pydicom decodes (its own RLE handler, GDCM for the JPEG family)', async function () {
    await requirePeer(this, PYDICOM_GDCM_PEER);
    const mine = new Map<string, string>();
    for (const variant of LOSSLESS_VARIANTS) {
      for (const src of sources.filter(variant.fits)) {
        const enc = join(dir!, 'out', `${src.name}.${variant.name}.dcm`);
        await tool(variant.make(src.path, enc));
        mine.set(enc, pixelChecksum((await values(enc)).data));
      }
    }
    const script =
      'import sys, hashlib, numpy as np, pydicom\n' +
      'for p in sys.argv[1:]:\n' +
      '    a = np.asarray(pydicom.dcmread(p).pixel_array, dtype="<f8")\n' +
      '    print(p, hashlib.sha256(a.tobytes()).hexdigest())\n';
    const r = await runPython(script, { args: [...mine.keys()] });
    expect(r.code, r.stderr.toString()).to.equal(0);
    const differ = r.stdout
      .toString()
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string])
      .filter(([file, sum]) => mine.get(file) !== sum)
      .map(([file]) => file.slice(file.lastIndexOf('/') + 1));
    // pydicom 2.3 with GDCM (Debian 12) decodes the multi-frame JPEG-LS files whose frames span
    // several fragments with no offset table to other values than dcmtk; berth's values for exactly
    // these files equal dcmtk's and the source's (the tests above).
    expect(differ.sort()).to.deep.equal([
      'rgb8x2.dcmcjpls-frag-no-bot.dcm',
      'u16x3.dcmcjpls-frag-no-bot.dcm',
      'u8x3.dcmcjpls-frag-no-bot.dcm',
    ]);
  });

  it('splits frames that span several fragments without any offset table by their start markers', async function () {
    const src = sources.find((s) => s.name === 'u16x3')!;
    const enc = join(dir!, 'out', 'split.dcm');
    await tool(['dcmcjpeg', ['+e1', '+fs', '1', '-ot', src.path, enc]]);
    const frames = await readPixels(enc, await scanHeader(enc), { decode: false });
    expect(frames.kind).to.equal('encapsulated');
    if (frames.kind === 'encapsulated') expect(frames.frames).to.have.length(3);
  });
});
