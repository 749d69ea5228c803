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
import { DCMTK_PEER, makeTemp, pixelChecksum, PYDICOM_PEER, removeTemp, runPython } from './helpers.js';

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
    dir = await makeTemp('berth-codecs-');
    await mkdir(join(dir, 'out'));
    sources = await writeSources(dir);
  });
  after(() => removeTemp(dir));

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

  it('decodes dcmtk and GDCM RLE files to the values pydicom decodes (the one compressed syntax pydicom decodes here)', async function () {
    await requirePeer(this, PYDICOM_PEER);
    const files: string[] = [];
    const sums: string[] = [];
    for (const variant of LOSSLESS_VARIANTS.filter((v) => v.name.includes('rle'))) {
      for (const src of sources) {
        const enc = join(dir!, 'out', `${src.name}.${variant.name}.py.dcm`);
        await tool(variant.make(src.path, enc));
        files.push(enc);
        sums.push(pixelChecksum((await values(enc)).data));
      }
    }
    const script =
      'import sys, hashlib, numpy as np, pydicom\n' +
      'for p in sys.argv[1:]:\n' +
      '    print(hashlib.sha256(np.asarray(pydicom.dcmread(p).pixel_array, dtype="<f8").tobytes()).hexdigest())\n';
    const r = await runPython(script, { args: files });
    expect(r.code, r.stderr.toString()).to.equal(0);
    expect(r.stdout.toString().trim().split('\n')).to.deep.equal(sums);
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
