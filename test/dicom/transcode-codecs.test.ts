/**
 * Transcoding into and out of compressed syntaxes: round trips through every lossless syntax berth
 * writes, berth's compressed files read back by dcmtk, GDCM and pydicom, every other element kept
 * byte for byte, what the conversion changes updated, and dciodvfy finding nothing new.
 */
import { expect } from 'chai';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readPixels, type NativePixels } from '../../src/dicom/pixels.js';
import { scanHeader, type DicomHeader } from '../../src/dicom/scan.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { canTranscode, transcodeFile } from '../../src/dicom/transcode.js';
import { codeOfAsync } from '../support/codes.js';
import { requirePeer } from '../support/peers.js';
import { tool, writeSources, type Source } from './codec-corpus.js';
import { removeDir, tempDir } from '../support/temp.js';
import {
  DCMTK_PEER,
  GDCM_PEER,
  DICOM3TOOLS_PEER,
  PYDICOM_GDCM_PEER,
  pixelChecksum,
  run,
  runPython,
} from '../support/dicom-peers.js';

const RLE = '1.2.840.10008.1.2.5';
const JPEG_LS = '1.2.840.10008.1.2.4.80';
const SV1 = '1.2.840.10008.1.2.4.70';
const J2K = '1.2.840.10008.1.2.4.90';
const HTJ2K = '1.2.840.10008.1.2.4.201';
const ENCAPSULATED_UNCOMPRESSED = '1.2.840.10008.1.2.1.98';

/** berth's lossless targets and the tool that decodes each back (none for HTJ2K: see the README). */
const TARGETS: readonly [string, ((s: string, d: string) => [string, string[]]) | undefined][] = [
  [RLE, (s, d) => ['dcmdrle', [s, d]]],
  [JPEG_LS, (s, d) => ['dcmdjpls', [s, d]]],
  [SV1, (s, d) => ['dcmdjpeg', [s, d]]],
  [J2K, (s, d) => ['gdcmconv', ['--raw', s, d]]],
  [HTJ2K, undefined],
  [ENCAPSULATED_UNCOMPRESSED, undefined],
];

async function values(path: string): Promise<NativePixels> {
  const px = await readPixels(path, await scanHeader(path));
  if (px.kind !== 'native') throw new Error(`${path} was not decoded`);
  return px;
}

function sameValues(a: NativePixels, b: NativePixels, what: string): void {
  expect(a.data.length, what).to.equal(b.data.length);
  for (let i = 0; i < a.data.length; i++) {
    if (a.data[i] !== b.data[i]) expect.fail(`${what}: value ${i} is ${a.data[i]}, not ${b.data[i]}`);
  }
}

/** Data set elements (not the meta group) that a pixel conversion must leave byte for byte. */
const CHANGED = new Set([0x00280004, 0x00280006, 0x00282110, 0x7fe00001, 0x7fe00002]);
function keptElements(a: DicomHeader, b: DicomHeader): number {
  let n = 0;
  for (const [tag, el] of a.elements()) {
    if (tag >>> 16 === 0x0002 || CHANGED.has(tag)) continue;
    const other = b.elements().get(tag);
    expect(other, `element ${tag.toString(16)}`).to.not.equal(undefined);
    const x = a.bytes.subarray(el.offset, el.offset + (el.length ?? 0));
    const y = b.bytes.subarray(other!.offset, other!.offset + (other!.length ?? 0));
    expect(Buffer.compare(x, y), `element ${tag.toString(16)}`).to.equal(0);
    n++;
  }
  return n;
}

async function dciodvfyErrors(path: string): Promise<string[]> {
  const r = await run('dciodvfy', [path]);
  return (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => l.startsWith('Error'))
    .map((l) => l.replace(/\s+/g, ' '));
}

describe('dicom/transcode: into and out of compressed syntaxes', function () {
  this.timeout(120_000);
  let dir: string | undefined;
  let sources: Source[] = [];

  before(async function () {
    dir = await tempDir('transcode-codecs');
    await mkdir(join(dir, 'out'));
    sources = await writeSources(dir);
  });
  after(() => removeDir(dir));

  it('round-trips every native source through each lossless syntax to identical pixels, keeping every other element', async () => {
    for (const src of sources) {
      const original = await values(src.path);
      for (const [target] of TARGETS) {
        const enc = join(dir!, 'out', `${src.name}.${target}.dcm`);
        const back = `${enc}.back.dcm`;
        await transcodeFile(src.path, enc, target);
        const header = await scanHeader(enc);
        expect(header.TransferSyntaxUID).to.equal(target);
        sameValues(await values(enc), original, `${src.name} in ${target}`);
        await transcodeFile(enc, back, TS.ExplicitVRLittleEndian);
        sameValues(await values(back), original, `${src.name} back from ${target}`);
        const srcHeader = await scanHeader(src.path);
        expect(keptElements(srcHeader, header)).to.be.greaterThan(20);
        keptElements(srcHeader, await scanHeader(back));
      }
    }
  });

  it('writes compressed files dcmtk and GDCM decode to the source pixels', async function () {
    await requirePeer(this, DCMTK_PEER);
    await requirePeer(this, GDCM_PEER);
    for (const src of sources) {
      const original = await values(src.path);
      for (const [target, decoder] of TARGETS) {
        if (!decoder) continue;
        const enc = join(dir!, 'out', `${src.name}.${target}.peer.dcm`);
        await transcodeFile(src.path, enc, target);
        await tool(decoder(enc, `${enc}.ref.dcm`));
        sameValues(
          await values(`${enc}.ref.dcm`),
          original,
          `${src.name} in ${target}, decoded by ${decoder('', '')[0]}`,
        );
      }
    }
  });

  it('writes RLE, JPEG-LS, JPEG lossless and JPEG 2000 files pydicom (with GDCM) decodes to the source values', async function () {
    await requirePeer(this, PYDICOM_GDCM_PEER);
    const files: string[] = [];
    const sums: string[] = [];
    for (const src of sources) {
      for (const [target, decoder] of TARGETS) {
        if (!decoder) continue; // HTJ2K, encapsulated uncompressed: no second decoder here to check against
        const enc = join(dir!, 'out', `${src.name}.${target}.py.dcm`);
        await transcodeFile(src.path, enc, target);
        files.push(enc);
        sums.push(pixelChecksum((await values(src.path)).data));
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

  it('gives dciodvfy no new errors in what it writes', async function () {
    await requirePeer(this, DICOM3TOOLS_PEER);
    for (const src of sources.filter((s) => s.name === 's16' || s.name === 'rgb8x2')) {
      const before = await dciodvfyErrors(src.path);
      // Debian's dciodvfy predates HTJ2K and encapsulated uncompressed: it reads their pixel data as native.
      for (const [target] of TARGETS.filter(([t]) => t !== HTJ2K && t !== ENCAPSULATED_UNCOMPRESSED)) {
        const enc = join(dir!, 'out', `${src.name}.${target}.iod.dcm`);
        await transcodeFile(src.path, enc, target);
        const after = await dciodvfyErrors(enc);
        expect(
          after.filter((e) => !before.includes(e)),
          `${src.name} in ${target}`,
        ).to.deep.equal([]);
      }
    }
  });

  it('converts one compressed syntax to another, and to every native one, through native values', async function () {
    await requirePeer(this, DCMTK_PEER);
    const src = sources.find((s) => s.name === 's12')!;
    const jls = join(dir!, 'out', 'c2c.jls.dcm');
    await tool(['dcmcjpls', [src.path, jls]]);
    const rle = join(dir!, 'out', 'c2c.rle.dcm');
    await transcodeFile(jls, rle, RLE);
    sameValues(await values(rle), await values(src.path), 's12 JPEG-LS → RLE');
    for (const native of [
      TS.ExplicitVRBigEndian,
      TS.DeflatedExplicitVRLittleEndian,
      TS.ImplicitVRLittleEndian,
    ]) {
      const out = join(dir!, 'out', `c2n.${native}.dcm`);
      await transcodeFile(jls, out, native);
      expect((await scanHeader(out)).TransferSyntaxUID).to.equal(native);
      sameValues(await values(out), await values(src.path), `s12 JPEG-LS → ${native}`);
    }
  });

  it('turns baseline JPEG colour into RGB and marks the native result lossy', async function () {
    await requirePeer(this, DCMTK_PEER);
    const src = sources.find((s) => s.name === 'rgb8x2')!;
    const jpg = join(dir!, 'out', 'base.jpg.dcm');
    await tool(['dcmcjpeg', ['+eb', src.path, jpg]]);
    expect((await scanHeader(jpg)).PhotometricInterpretation).to.equal('YBR_FULL_422');
    const out = join(dir!, 'out', 'base.native.dcm');
    await transcodeFile(jpg, out, TS.ExplicitVRLittleEndian);
    const h = await scanHeader(out);
    expect(h.PhotometricInterpretation).to.equal('RGB');
    expect(h.getString('LossyImageCompression')).to.equal('01');
    expect((await values(out)).photometricInterpretation).to.equal('RGB');
  });

  it('refuses lossy targets and syntaxes it has no codec for', async () => {
    const src = sources[0]!.path;
    expect(canTranscode(TS.ExplicitVRLittleEndian, '1.2.840.10008.1.2.4.50')).to.equal(false);
    expect(canTranscode('1.2.840.10008.1.2.4.100', TS.ExplicitVRLittleEndian)).to.equal(false);
    expect(canTranscode(JPEG_LS, TS.ExplicitVRBigEndian)).to.equal(true);
    for (const lossy of ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.4.91']) {
      expect(await codeOfAsync(transcodeFile(src, join(dir!, 'out', 'no.dcm'), lossy))).to.equal(
        'BERTH_E_TRANSCODE_UNSUPPORTED',
      );
    }
  });
});
