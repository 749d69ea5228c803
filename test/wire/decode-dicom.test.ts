/**
 * The wire decoder delivers DICOM inputs as the case materialiser does (src/dicom/deliver.ts): an
 * instance in a syntax its property does not list but berth converts is converted, not refused;
 * one berth cannot convert is not applicable.
 */
import { expect } from 'chai';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isNotApplicable } from '../../src/dicom/instance-rules.js';
import { readPixels } from '../../src/dicom/pixels.js';
import { scanHeader } from '../../src/dicom/scan.js';
import { synthSeries, writeSeries, type WrittenSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10 } from '../../src/dicom/write.js';
import type { Code } from '../../src/errors.js';
import { decodeTreeJson } from '../../src/wire/case-decode.js';
import { DCMTK_PEER, run } from '../support/dicom-peers.js';
import { requirePeer } from '../support/peers.js';
import { definitionOf, freshPaths, listFiles, problemsOf } from '../support/wire-case.js';

const DEF = definitionOf(`
metadata-version: 2
info: {name: wire-syntax}
schema-in:
  ct: {dicom-type: dicom-series, modalities: [CT], transfer-syntax-uid: ['${TS.ExplicitVRLittleEndian}']}
  image: {dicom-type: dicom-image, nullable: true, transfer-syntax-uid: ['${TS.ExplicitVRLittleEndian}']}
schema-out:
  ok: {type: boolean}
`);

/** Base64 of every file of a folder, in name order. */
async function b64(folder: string): Promise<string[]> {
  const names = (await readdir(folder)).sort();
  return Promise.all(names.map(async (n) => (await readFile(path.join(folder, n))).toString('base64')));
}

/** Each file of `series` compressed by a dcmtk tool into `dir`. */
async function compress(tool: string, args: string[], series: WrittenSeries, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const f of series.files) {
    const r = await run(tool, [...args, f.path, path.join(dir, path.basename(f.path))]);
    expect(r.code, r.stderr).to.equal(0);
  }
  return dir;
}

describe('wire/decode-dicom: DICOM in another transfer syntax', function () {
  this.timeout(120_000);
  const fresh = freshPaths('wire-syntax');

  it('converts a JPEG-LS series and an RLE image to explicit VR little endian, pixels unchanged', async function () {
    await requirePeer(this, DCMTK_PEER);
    const series = await writeSeries(fresh(), { seed: 3, instances: 3, rows: 32, columns: 32 });
    const jls = await compress('dcmcjpls', [], series, fresh());
    const rle = await compress('dcmcrle', [], series, fresh());
    const dir = fresh();
    await decodeTreeJson(DEF.inputs, { ct: await b64(jls), image: (await b64(rle))[0] }, dir);
    const files = await listFiles(dir);
    expect(files.filter((f) => f.startsWith('ct/'))).to.have.length(3);
    for (const f of files) {
      const file = path.join(dir, f);
      const h = await scanHeader(file);
      expect(h.TransferSyntaxUID, f).to.equal(TS.ExplicitVRLittleEndian);
      const source = series.files.find((s) => s.sopInstanceUid === h.SOPInstanceUID)!.path;
      const [mine, original] = [
        await readPixels(file, h),
        await readPixels(source, await scanHeader(source)),
      ];
      expect(mine.kind).to.equal('native');
      if (mine.kind === 'native' && original.kind === 'native')
        expect([...mine.data]).to.deep.equal([...original.data]);
    }
  });

  it('refuses, not converts, an output instance in a syntax its property does not list', async function () {
    await requirePeer(this, DCMTK_PEER);
    const out = definitionOf(`
metadata-version: 2
info: {name: wire-out}
schema-in:
  n: {type: integer}
schema-out:
  seg: {dicom-type: dicom-image, transfer-syntax-uid: ['${TS.ExplicitVRLittleEndian}']}
`);
    const series = await writeSeries(fresh(), { seed: 5, instances: 1, rows: 16, columns: 16 });
    const [rle] = await b64(await compress('dcmcrle', [], series, fresh()));
    const dir = fresh();
    expect(await problemsOf(() => decodeTreeJson(out.outputs, { seg: rle }, dir))).to.deep.equal([
      ['BERTH_E_DICOM_TRANSFER_SYNTAX', '/seg'],
    ]);
  });

  it('refuses an MPEG-2 input, which berth cannot convert, as not applicable', async function () {
    const [inst] = synthSeries({ seed: 'video', modality: 'CT', instances: 1, rows: 8, columns: 8 });
    const mpeg2 = encodePart10(
      inst!.elements.map((e) =>
        e.tag === 0x7fe00010
          ? {
              ...e,
              vr: 'OB' as const,
              value: { encapsulated: true as const, fragments: [new Uint8Array(8)], offsetTable: [] },
            }
          : e,
      ),
      { transferSyntaxUid: '1.2.840.10008.1.2.4.100' },
    );
    const out = fresh();
    expect(
      await problemsOf(() =>
        decodeTreeJson(DEF.inputs, { ct: [Buffer.from(mpeg2).toString('base64')] }, out),
      ),
    ).to.deep.equal([['BERTH_E_DICOM_TRANSFER_SYNTAX', '/ct/0']]);
    expect(isNotApplicable('BERTH_E_DICOM_TRANSFER_SYNTAX' as Code)).to.equal(true);
    expect(await listFiles(out)).to.deep.equal([]);
  });

  it('converts a 12-bit JPEG extended input to explicit VR little endian, within 1 of dcmtk’s decoding', async function () {
    await requirePeer(this, DCMTK_PEER);
    const series = await writeSeries(fresh(), { seed: 12, instances: 1, rows: 16, columns: 16 });
    const jpeg12 = await compress('dcmcjpeg', ['+ee'], series, fresh());
    const [name] = await readdir(jpeg12);
    const ref = path.join(fresh(), 'reference.dcm');
    await mkdir(path.dirname(ref));
    expect((await run('dcmdjpeg', [path.join(jpeg12, name!), ref])).code).to.equal(0);
    const out = fresh();
    await decodeTreeJson(DEF.inputs, { ct: await b64(jpeg12) }, out);
    const [file] = (await listFiles(out)).map((f) => path.join(out, f));
    const h = await scanHeader(file!);
    expect(h.TransferSyntaxUID).to.equal(TS.ExplicitVRLittleEndian);
    const [mine, theirs] = [await readPixels(file!, h), await readPixels(ref, await scanHeader(ref))];
    if (mine.kind !== 'native' || theirs.kind !== 'native') throw new Error('not decoded');
    expect(mine.data.length).to.equal(theirs.data.length);
    expect(Math.max(...mine.data.map((v, i) => Math.abs(v - theirs.data[i]!)))).to.be.at.most(1);
  });
});
